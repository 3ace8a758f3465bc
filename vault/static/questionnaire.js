// Questionnaire review: save as you go, keyboard shortcuts, no silent overwrites.
// Progressive enhancement: without this file every form posts and redirects as usual.
// Each change is a fetch POST with the CSRF token in the X-CSRFToken header; the server answers
// with the card re-rendered (escaped by the template engine, same origin) or 409 with both versions.
(function () {
  "use strict";
  var list = document.getElementById("qn-items");
  if (!list) return;
  document.documentElement.classList.add("js");
  var csrf = list.getAttribute("data-csrf");
  var queues = {}; // one request at a time per question, in order

  function card(el) { return el && el.closest ? el.closest(".qn-item") : null; }
  function cards() { return Array.prototype.slice.call(list.querySelectorAll(".qn-item")); }

  function say(c, text, isError) {
    var box = c && c.querySelector(".qn-message");
    if (!box) return;
    box.textContent = text || "";
    box.classList.toggle("qn-error", !!isError);
  }

  function replaceCard(old, html, submitted) {
    var holder = document.createElement("div");
    holder.innerHTML = html.trim();
    var fresh = holder.firstElementChild;
    if (!fresh) return old;
    // Keep what the person typed meanwhile in other fields of the same question.
    var fields = old.querySelectorAll("textarea, select[data-autosave]");
    for (var i = 0; i < fields.length; i++) {
      var f = fields[i];
      var dirty = f.tagName === "TEXTAREA" ? f.value !== f.defaultValue : false;
      var sent = submitted && submitted.has(f.name) ? submitted.get(f.name) : null;
      if (dirty && f.value !== sent && f.id) {
        var twin = fresh.querySelector("#" + CSS.escape(f.id));
        if (twin) twin.value = f.value;
      }
    }
    var focusedId = document.activeElement && old.contains(document.activeElement) ? document.activeElement.id : null;
    old.replaceWith(fresh);
    if (focusedId) {
      var again = document.getElementById(focusedId);
      if (again) again.focus(); else fresh.focus();
    }
    return fresh;
  }

  function updateProgress(html) {
    var box = document.getElementById("qn-progress");
    if (box && html) box.innerHTML = html;
  }

  function text(key, fallback) { return list.getAttribute("data-" + key) || fallback; }

  function version(v) {
    var parts = [v.answer || "", v.comment || ""].filter(Boolean);
    return parts.join(" — ") || (v.action || v.status || "");
  }

  function showConflict(c, data, url, body) {
    var box = c.querySelector(".qn-message");
    box.classList.add("qn-error");
    box.textContent = "";
    var p = document.createElement("p");
    p.textContent = data.error;
    box.appendChild(p);
    var table = document.createElement("table");
    table.className = "qn-conflict";
    [[text("yours", "Your change"), version(data.yours)],
     [text("theirs", "Saved now"), version(data.theirs) + (data.theirs.by ? " (" + data.theirs.by + ")" : "")]
    ].forEach(function (r) {
      var tr = document.createElement("tr");
      var th = document.createElement("th");
      th.textContent = r[0];
      var td = document.createElement("td");
      td.textContent = r[1];
      tr.appendChild(th);
      tr.appendChild(td);
      table.appendChild(tr);
    });
    box.appendChild(table);
    var mine = document.createElement("button");
    mine.type = "button";
    mine.textContent = text("keep-mine", "Save mine over it");
    var theirs = document.createElement("button");
    theirs.type = "button";
    theirs.className = "secondary";
    theirs.textContent = text("keep-theirs", "Keep the saved version");
    box.appendChild(mine);
    box.appendChild(document.createTextNode(" "));
    box.appendChild(theirs);
    mine.addEventListener("click", function () {
      c.setAttribute("data-revision", String(data.revision)); // a deliberate choice, not a silent one
      send(c, url, body);
    });
    theirs.addEventListener("click", function () {
      replaceCard(c, data.html, null).focus();
    });
    mine.focus();
  }

  function send(c, url, body) {
    var uid = c.getAttribute("data-item");
    var run = function () {
      var current = document.getElementById("item-" + uid) || c;
      if (body.has("revision")) body.set("revision", current.getAttribute("data-revision"));
      say(current, text("saving", "Saving…"), false);
      return fetch(url, {
        method: "POST", body: body, credentials: "same-origin",
        headers: { "Accept": "application/json", "X-CSRFToken": csrf }
      }).then(function (resp) {
        return resp.json().then(function (data) { return { status: resp.status, data: data }; },
          function () { return { status: resp.status, data: { error: "HTTP " + resp.status } }; });
      }).then(function (r) {
        var now = document.getElementById("item-" + uid) || current;
        if (r.status === 200 && r.data.ok) {
          var fresh = replaceCard(now, r.data.html, body);
          updateProgress(r.data.progress_html);
          say(fresh, r.data.message, false);
        } else if (r.status === 409 && r.data.conflict) {
          showConflict(now, r.data, url, body);
        } else {
          say(now, r.data.error || ("HTTP " + r.status), true);
        }
      }).catch(function () {
        say(document.getElementById("item-" + uid) || current,
          text("offline", "Not saved: the server could not be reached. Try again."), true);
      });
    };
    queues[uid] = (queues[uid] || Promise.resolve()).then(run, run);
    return queues[uid];
  }

  function submitForm(form, submitter) {
    var c = card(form);
    if (!c) return;
    var body = new FormData(form);
    if (submitter && submitter.name) body.set(submitter.name, submitter.value);
    send(c, form.getAttribute("action"), body);
  }

  list.addEventListener("submit", function (ev) {
    var form = ev.target;
    if (!form.matches("form[data-kind=review]")) return;
    ev.preventDefault();
    submitForm(form, ev.submitter);
  });

  // Saved as you go: an edited answer or detail is saved when the field is left, as an edit:
  // only the Accept button (or "a") accepts, and it accepts what the fields then hold.
  list.addEventListener("change", function (ev) {
    var t = ev.target;
    if (t.hasAttribute("data-autosave")) {
      var form = t.form;
      var body = new FormData(form);
      body.set("action", "edit");
      send(card(form), form.getAttribute("action"), body);
    } else if (t.hasAttribute("data-autosubmit")) {
      submitForm(t.form, null);
    }
  });

  // Keyboard: j/k move, a accept, r reject, e edit, 1-5 alternatives, Ctrl+Enter save, Esc leave a field.
  function currentCard() {
    return card(document.activeElement) || cards()[0];
  }

  function go(step) {
    var all = cards();
    if (!all.length) return;
    var i = all.indexOf(card(document.activeElement));
    var next = all[Math.max(0, Math.min(all.length - 1, i < 0 ? 0 : i + step))];
    next.focus();
    next.scrollIntoView({ block: "nearest" });
  }

  function press(c, selector) {
    var b = c && c.querySelector(selector);
    if (b) b.click();
  }

  document.addEventListener("keydown", function (ev) {
    var t = ev.target;
    var typing = t.matches && t.matches("input, textarea, select");
    if (typing) {
      if (ev.key === "Enter" && (ev.ctrlKey || ev.metaKey) && t.form && t.form.classList.contains("qn-edit")) {
        ev.preventDefault();
        var body = new FormData(t.form);
        body.set("action", "edit");
        t.defaultValue = t.value; // the change event that follows must not save it twice
        send(card(t), t.form.getAttribute("action"), body);
      } else if (ev.key === "Escape" && card(t)) {
        card(t).focus();
      }
      return;
    }
    if (ev.ctrlKey || ev.metaKey || ev.altKey) return;
    var c = currentCard();
    switch (ev.key) {
      case "j": go(1); break;
      case "k": go(-1); break;
      case "a": press(c, "button[value=accept]"); break;
      case "r": press(c, "button[value=reject]"); break;
      case "e":
        var field = c && c.querySelector("[name=answer]");
        if (field) { ev.preventDefault(); field.focus(); }
        break;
      default:
        if (/^[1-9]$/.test(ev.key)) press(c, "button[data-alt='" + ev.key + "']");
        else return;
    }
  });
})();
