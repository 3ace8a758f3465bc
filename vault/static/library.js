// Answer library list: search as you type and "select all" for bulk actions.
// Progressive enhancement only: without this file the same GET form and POST form work as they are.
(function () {
  "use strict";
  var form = document.getElementById("library-search");
  var results = document.getElementById("library-results");
  if (!form || !results) return;
  var bulkNext = document.getElementById("library-bulk-next");
  var timer = null;
  var composing = false; // Chinese/Japanese input methods: wait until the characters are chosen
  var latest = 0;

  function query(page) {
    var params = new URLSearchParams(new FormData(form));
    if (page) params.set("page", page);
    return params;
  }

  function load(page) {
    var params = query(page);
    var shown = form.action.split("?")[0] + "?" + params.toString();
    params.set("partial", "1");
    var ticket = ++latest;
    fetch(form.action.split("?")[0] + "?" + params.toString(), {
      credentials: "same-origin",
      headers: { "Accept": "text/html" }
    }).then(function (resp) {
      if (!resp.ok) throw new Error(resp.status);
      return resp.text();
    }).then(function (html) {
      if (ticket !== latest) return; // an older answer arriving late
      // Server-rendered and escaped by the template engine, same origin.
      results.innerHTML = html;
      history.replaceState(null, "", shown);
      if (bulkNext) bulkNext.value = shown.replace(location.origin, "");
    }).catch(function () {
      form.submit(); // fall back to a normal page load
    });
  }

  function later() {
    if (composing) return;
    clearTimeout(timer);
    timer = setTimeout(function () { load(); }, 250);
  }

  form.addEventListener("input", function (ev) {
    if (ev.target.name === "q") later();
  });
  form.addEventListener("compositionstart", function () { composing = true; });
  form.addEventListener("compositionend", function () { composing = false; later(); });
  form.addEventListener("change", function (ev) {
    if (ev.target.name !== "q") load();
  });
  form.addEventListener("submit", function (ev) {
    ev.preventDefault();
    load();
  });

  results.addEventListener("click", function (ev) {
    var link = ev.target.closest("a[data-page]");
    if (link) {
      ev.preventDefault();
      load(link.getAttribute("data-page"));
    }
  });
  results.addEventListener("change", function (ev) {
    if (ev.target.id !== "library-select-all") return;
    var boxes = results.querySelectorAll("input.library-select");
    for (var i = 0; i < boxes.length; i++) boxes[i].checked = ev.target.checked;
  });
})();
