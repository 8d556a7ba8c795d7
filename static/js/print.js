// Printing: each chart canvas is shown as an image of its current state (slider position
// included), so paper and PDF get exactly what the reader saw; the images go away afterwards.
(function () {
  "use strict";
  var CLASS = "lp-print-image";

  // Paper is white: charts are redrawn in the light palette (charts.css, :root.lp-print)
  // before their images are taken, and in the screen's palette again afterwards.
  function retheme(printing) {
    document.documentElement.classList.toggle("lp-print", printing);
    var charts = window.lessonpress;
    if (charts && typeof charts.retheme === "function") charts.retheme("none");
  }

  function swapIn() {
    swapOut();
    retheme(true);
    var canvases = document.querySelectorAll("canvas");
    for (var i = 0; i < canvases.length; i++) {
      var canvas = canvases[i];
      if (!canvas.width || !canvas.height) continue;
      var image = document.createElement("img");
      try {
        image.src = canvas.toDataURL("image/png");
      } catch (error) {
        continue; // a tainted canvas cannot be read; it is printed as it is
      }
      image.className = CLASS;
      image.alt = canvas.getAttribute("aria-label") || "Chart";
      var width = canvas.getBoundingClientRect().width;
      if (width) image.style.width = width + "px";
      canvas.classList.add("lp-print-replaced");
      canvas.insertAdjacentElement("afterend", image);
    }
  }

  function swapOut() {
    if (document.documentElement.classList.contains("lp-print")) retheme(false);
    var images = document.querySelectorAll("img." + CLASS);
    for (var i = 0; i < images.length; i++) images[i].remove();
    var canvases = document.querySelectorAll("canvas.lp-print-replaced");
    for (var j = 0; j < canvases.length; j++) canvases[j].classList.remove("lp-print-replaced");
  }

  window.addEventListener("beforeprint", swapIn);
  window.addEventListener("afterprint", swapOut);
  window.lessonpressPrint = { prepare: swapIn, restore: swapOut };
})();
