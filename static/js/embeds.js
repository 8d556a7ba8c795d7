// Click-to-load embeds: an output that shows another host's page (a YouTube video, an
// IFrame) waits behind a button, so that nothing is requested from that host until the
// reader asks for it. The button swaps the placeholder for the frame.
(function () {
  "use strict";
  function load(event) {
    var button = event.target.closest(".lp-embed-load");
    if (!button) return;
    var holder = button.closest(".lp-embed");
    var frame = document.createElement("iframe");
    frame.src = holder.getAttribute("data-src");
    frame.width = holder.getAttribute("data-width") || "640";
    frame.height = holder.getAttribute("data-height") || "360";
    frame.title = "Embedded content from " + new URL(frame.src).hostname;
    frame.setAttribute("allowfullscreen", "");
    frame.setAttribute("loading", "lazy");
    holder.replaceWith(frame);
    frame.focus();
  }
  document.addEventListener("click", load);
})();
