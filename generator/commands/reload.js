// lessonpress serve: the reload/overlay client, added to served pages (never to built files).
// Plain ES5, no dependencies; the overlay lives in a shadow root so the site's CSS cannot
// hide or restyle it.
(function () {
  "use strict";
  var me = document.currentScript;
  var since = me ? me.getAttribute("data-since") || "" : "";
  var url = "/__lessonpress/events?since=" + encodeURIComponent(since);
  var source = new EventSource(url);
  var host = null;
  function hide() { if (host) { host.remove(); host = null; } }
  function show(errors) {
    hide();
    host = document.createElement("div");
    host.id = "lessonpress-overlay";
    host.setAttribute("role", "alert");
    var root = host.attachShadow({ mode: "open" });
    var style = document.createElement("style");
    style.textContent = ".box{position:fixed;inset:auto 0 0 0;max-height:60vh;overflow:auto;" +
      "z-index:2147483647;margin:0;padding:16px 20px;background:#2b0d0d;color:#ffe4e4;" +
      "font:14px/1.5 ui-monospace,Menlo,Consolas,monospace;box-shadow:0 -4px 24px #0008}" +
      "h2{margin:0 0 8px;font-size:15px;color:#ff9b9b}ul{margin:0;padding-left:18px}" +
      "li{white-space:pre-wrap}p{margin:8px 0 0;color:#d9b3b3}" +
      "button{float:right;background:none;border:1px solid #ff9b9b;color:inherit;" +
      "cursor:pointer;font:inherit}";
    var box = document.createElement("section");
    box.className = "box";
    var close = document.createElement("button");
    close.type = "button";
    close.textContent = "dismiss";
    close.addEventListener("click", hide);
    var title = document.createElement("h2");
    title.textContent = "lessonpress: the build failed";
    var list = document.createElement("ul");
    errors.forEach(function (e) {
      var item = document.createElement("li");
      item.textContent = e.text;
      list.appendChild(item);
    });
    var note = document.createElement("p");
    note.textContent = "This page is the last good build. Fix the file and save: it reloads.";
    box.append(close, title, list, note);
    root.append(style, box);
    document.documentElement.appendChild(host);
  }
  source.addEventListener("reload", function () { source.close(); location.reload(); });
  source.addEventListener("build-error", function (e) { show(JSON.parse(e.data).errors); });
  source.addEventListener("ok", hide);
})();
