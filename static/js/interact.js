// Precomputed ipywidgets interacts: the controls choose one of the frames computed when the
// site was built. The page holds the first frame; the others are in a script file beside
// the page (data-frames), loaded when the reader comes near or touches a control. A script
// rather than fetched JSON, so the page works from file:// too. No server, no Python.
(function () {
  "use strict";
  var store = (window.lessonpressFrames = window.lessonpressFrames || {});

  function setup(box) {
    var controls = Array.prototype.slice.call(box.querySelectorAll("[data-lp-control]"));
    var area = box.querySelector(".lp-interact-frame");
    var button = box.querySelector(".lp-interact-run");
    var manual = box.getAttribute("data-manual") === "true";
    var linked = JSON.parse(box.getAttribute("data-datasets") || "[]");
    var requested = false;
    var wanted = false;
    var shown = Number(box.getAttribute("data-frame"));
    var latest = 0;

    function load() {
      if (requested) return;
      requested = true;
      var script = document.createElement("script");
      script.src = box.getAttribute("data-frames");
      script.onload = function () {
        if (wanted) show();
      };
      document.head.appendChild(script);
    }

    function position(control) {
      if (control.type === "checkbox") return control.checked ? 1 : 0;
      if (control.tagName === "SELECT") return control.selectedIndex;
      return Number(control.value);
    }

    function flat(shift, by) {
      var at = 0;
      for (var i = 0; i < controls.length; i++) {
        var size = Number(controls[i].getAttribute("data-size"));
        var p = position(controls[i]) + (i === shift ? by : 0);
        if (p < 0 || p >= size) return -1;
        at = at * size + p;
      }
      return at;
    }

    function readout(control) {
      if (control.type !== "range") return;
      var labels = JSON.parse(control.getAttribute("data-labels"));
      var text = labels[Number(control.value)];
      control.setAttribute("aria-valuetext", text);
      var output = document.getElementById(control.id + "-value");
      if (output) output.textContent = text;
    }

    function preload(html) {
      var found = html.match(/src="[^"]+"/g) || [];
      found.forEach(function (attr) {
        new Image().src = attr.slice(5, -1);
      });
    }

    // Charts of the datasets the function publishes follow the controls
    // (static/js/lessonpress-charts.js listens).
    function tellCharts() {
      if (!linked.length) return;
      document.dispatchEvent(
        new CustomEvent("lessonpress:interact", { detail: { datasets: linked, index: flat(-1, 0) } })
      );
    }

    function show() {
      tellCharts();
      var data = store[box.id];
      if (!data) {
        wanted = true;
        load();
        return;
      }
      wanted = false;
      var frame = data.index[flat(-1, 0)];
      if (frame === shown) return;
      var ticket = ++latest;
      var next = document.createElement("div");
      next.innerHTML = data.frames[frame];
      var images = Array.prototype.slice.call(next.querySelectorAll("img"));
      images.forEach(function (img) {
        img.loading = "eager";
      });
      // Swap once the new figures are decoded: no blank flash between two frames.
      Promise.all(
        images.map(function (img) {
          return img.decode ? img.decode().catch(function () {}) : null;
        })
      ).then(function () {
        if (ticket !== latest) return; // the reader has moved on
        area.replaceChildren.apply(area, Array.prototype.slice.call(next.childNodes));
        shown = frame;
        box.setAttribute("data-frame", String(frame));
        for (var i = 0; i < controls.length; i++) {
          [-1, 1].forEach(function (by) {
            var near = flat(i, by);
            if (near >= 0) preload(data.frames[data.index[near]]);
          });
        }
      });
    }

    controls.forEach(function (control) {
      control.disabled = false;
      ["input", "change"].forEach(function (kind) {
        control.addEventListener(kind, function () {
          readout(control);
          if (!manual) show();
        });
      });
      control.addEventListener("focus", load);
      control.addEventListener("pointerdown", load);
    });
    if (button) {
      button.disabled = false;
      button.addEventListener("click", show);
    }
    if ("IntersectionObserver" in window) {
      var watcher = new IntersectionObserver(
        function (entries) {
          if (entries.some(function (e) { return e.isIntersecting; })) {
            watcher.disconnect();
            load();
          }
        },
        { rootMargin: "400px" }
      );
      watcher.observe(box);
    } else {
      load();
    }
    var charts = window.lessonpress && window.lessonpress.ready;
    if (linked.length && charts) charts.then(tellCharts, function () {});
    box.setAttribute("data-ready", "true");
  }

  document.querySelectorAll(".lp-interact").forEach(setup);
})();
