/* trustvault status widget. Embed on your own site:
 *   <div data-trustvault-status></div>
 *   <script src="https://status.example.com/status/widget.js" async></script>
 * It reads /status/widget.json from the same server as this script (CORS, GET only) and writes text
 * only (textContent): nothing from the server is ever parsed as HTML. */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script) { return; }
  var base = new URL(script.src);
  var lang = script.getAttribute("data-lang") === "zh" ? "zh" : "en";
  var colours = {none: "#1b7f3b", minor: "#a86400", major: "#c25400", critical: "#b3261e", maintenance: "#1f5fbf"};

  function render(box, data) {
    box.textContent = "";
    var link = document.createElement("a");
    link.href = data.url;
    link.rel = "noopener";
    link.className = "status-widget";
    var dot = document.createElement("span");
    dot.textContent = "\u25CF ";
    dot.style.color = colours[data.status.indicator] || "#5b6475";
    link.appendChild(dot);
    link.appendChild(document.createTextNode(data.status.description));
    box.appendChild(link);
    (data.incidents || []).slice(0, 3).forEach(function (inc) {
      var item = document.createElement("div");
      var a = document.createElement("a");
      a.href = inc.url;
      a.rel = "noopener";
      a.textContent = inc.name;
      item.appendChild(a);
      box.appendChild(item);
    });
  }

  fetch(new URL("widget.json?lang=" + lang, base), {credentials: "omit"})
    .then(function (r) { return r.ok ? r.json() : null; })
    .then(function (data) {
      if (!data) { return; }
      document.querySelectorAll("[data-trustvault-status]").forEach(function (box) { render(box, data); });
    })
    .catch(function () { /* the vendor's page must not break when the status page is unreachable */ });
})();
