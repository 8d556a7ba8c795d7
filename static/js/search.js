// Client-side search over search-index.json (written by the build). No other host is contacted.
// Every term must occur in a lesson's title, headings or text (case-insensitive, prefixes match);
// titles weigh most, then headings. Keyboard: ↓/↑ move through results, Esc clears.
(function () {
  "use strict";
  var MAX_RESULTS = 50;
  var SNIPPET = 160;
  var input = document.getElementById("lp-search-input");
  var list = document.getElementById("lp-search-results");
  var status = document.getElementById("lp-search-status");
  if (!input || !list || !status) return;
  var docs = null;
  // Index URLs are relative to the site root; the page says where that is from here.
  var root = input.getAttribute("data-root") || "/";

  function prepare(doc) {
    var headings = doc.h || [];
    var text = doc.x || "";
    var lower = text.toLowerCase();
    return {
      url: root + doc.u,
      title: doc.t || doc.u,
      headings: headings,
      lowTitle: (doc.t || "").toLowerCase(),
      lowHeadings: headings.map(function (h) { return h[1].toLowerCase(); }),
      text: text,
      // A few characters change length when lower-cased; then snippets come from the lower case.
      lowText: lower,
      aligned: lower.length === text.length,
      summary: doc.s || "",
      date: doc.d || ""
    };
  }

  function terms(query) {
    return query.toLowerCase().split(/\s+/).filter(function (t) { return t.length > 0; });
  }

  function score(doc, words) {
    var total = 0, heading = -1, first = -1;
    for (var i = 0; i < words.length; i++) {
      var w = words[i], hit = false, at = doc.lowTitle.indexOf(w);
      if (at >= 0) { total += at === 0 || doc.lowTitle.charAt(at - 1) === " " ? 12 : 8; hit = true; }
      for (var j = 0; j < doc.lowHeadings.length; j++) {
        if (doc.lowHeadings[j].indexOf(w) >= 0) {
          total += 4; hit = true;
          if (heading < 0) heading = j;
          break;
        }
      }
      at = doc.lowText.indexOf(w);
      if (at >= 0) { total += 1; hit = true; if (first < 0 || at < first) first = at; }
      if (!hit) return null;
    }
    return { doc: doc, score: total, heading: heading, at: first };
  }

  function search(query) {
    var words = terms(query);
    if (!words.length || !docs) return [];
    var found = [];
    for (var i = 0; i < docs.length; i++) {
      var hit = score(docs[i], words);
      if (hit) { hit.order = i; found.push(hit); }
    }
    found.sort(function (a, b) { return b.score - a.score || a.order - b.order; });
    return found;
  }

  function escapeRegExp(s) { return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"); }

  // Text with every term wrapped in <mark>, built from text nodes (index data is never HTML).
  function highlighted(text, words) {
    var frag = document.createDocumentFragment();
    var pattern = new RegExp("(" + words.map(escapeRegExp).join("|") + ")", "gi");
    var last = 0, m;
    while ((m = pattern.exec(text)) !== null) {
      if (m[0].length === 0) { pattern.lastIndex++; continue; }
      frag.appendChild(document.createTextNode(text.slice(last, m.index)));
      var mark = document.createElement("mark");
      mark.textContent = m[0];
      frag.appendChild(mark);
      last = m.index + m[0].length;
    }
    frag.appendChild(document.createTextNode(text.slice(last)));
    return frag;
  }

  function snippet(hit) {
    var doc = hit.doc, source = doc.aligned ? doc.text : doc.lowText;
    if (hit.at < 0) return doc.summary || source.slice(0, SNIPPET);
    var start = Math.max(0, hit.at - 60);
    var space = source.lastIndexOf(" ", start);
    if (start > 0 && space > hit.at - 90) start = space + 1;
    var end = Math.min(source.length, start + SNIPPET);
    return (start > 0 ? "… " : "") + source.slice(start, end) + (end < source.length ? " …" : "");
  }

  function show(query) {
    var started = performance.now();
    var words = terms(query);
    var hits = search(query);
    list.textContent = "";
    hits.slice(0, MAX_RESULTS).forEach(function (hit) {
      var li = document.createElement("li");
      var a = document.createElement("a");
      a.className = "search-result-link";
      var heading = hit.heading >= 0 && hit.doc.lowTitle.indexOf(words[0]) < 0
        ? hit.doc.headings[hit.heading] : null;
      a.href = hit.doc.url + (heading ? "#" + encodeURIComponent(heading[0]) : "");
      a.appendChild(highlighted(hit.doc.title, words));
      li.appendChild(a);
      if (heading) {
        var where = document.createElement("span");
        where.className = "search-result-section";
        where.appendChild(document.createTextNode(" › "));
        where.appendChild(highlighted(heading[1], words));
        li.appendChild(where);
      }
      var p = document.createElement("p");
      p.className = "search-snippet";
      p.appendChild(highlighted(snippet(hit), words));
      li.appendChild(p);
      list.appendChild(li);
    });
    var ms = performance.now() - started;
    list.setAttribute("data-search-ms", ms.toFixed(2));
    if (!words.length) status.textContent = "";
    else if (!hits.length) status.textContent = "No lessons match “" + query.trim() + "”.";
    else status.textContent = hits.length + (hits.length === 1 ? " lesson matches" : " lessons match")
      + " “" + query.trim() + "”" + (hits.length > MAX_RESULTS ? "; showing the first " + MAX_RESULTS : "") + ".";
  }

  function remember(query) {
    var url = new URL(window.location.href);
    if (query) url.searchParams.set("q", query); else url.searchParams.delete("q");
    window.history.replaceState(null, "", url.toString());
  }

  function links() { return Array.prototype.slice.call(list.querySelectorAll("a.search-result-link")); }

  input.addEventListener("input", function () {
    remember(input.value);
    if (docs) show(input.value);
  });
  input.form.addEventListener("submit", function (event) {
    event.preventDefault();
    var first = links()[0];
    if (first) window.location.href = first.href;
  });
  input.addEventListener("keydown", function (event) {
    if (event.key === "ArrowDown") {
      var first = links()[0];
      if (first) { event.preventDefault(); first.focus(); }
    } else if (event.key === "Escape") {
      input.value = "";
      remember("");
      show("");
    }
  });
  list.addEventListener("keydown", function (event) {
    var all = links(), i = all.indexOf(document.activeElement);
    if (i < 0) return;
    if (event.key === "ArrowDown" && i + 1 < all.length) { event.preventDefault(); all[i + 1].focus(); }
    else if (event.key === "ArrowUp") { event.preventDefault(); (i > 0 ? all[i - 1] : input).focus(); }
    else if (event.key === "Escape") { event.preventDefault(); input.focus(); }
  });

  var initial = new URLSearchParams(window.location.search).get("q") || "";
  input.value = initial;
  input.focus();
  status.textContent = "Loading the search index…";
  fetch(input.getAttribute("data-index"))
    .then(function (response) {
      if (!response.ok) throw new Error("HTTP " + response.status);
      return response.json();
    })
    .then(function (index) {
      docs = (index.docs || []).map(prepare);
      document.documentElement.setAttribute("data-search-ready", String(docs.length));
      status.textContent = "";
      show(input.value);
    })
    .catch(function (error) {
      status.textContent = window.location.protocol === "file:"
        ? "Search needs the site to be served over HTTP (for example `lessonpress serve`)."
        : "The search index could not be loaded (" + error.message + ").";
    });
})();
