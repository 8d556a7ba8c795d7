/*
 * lessonpress-charts.js — draws the <figure class="lp-chart"> blocks that
 * generator/charts.py writes. Plain ES2020, no build step. Needs window.Chart
 * (Chart.js 4, loaded before this file). Each figure carries its own config in
 * a <script type="application/json" class="lp-chart-config">, so charts on one
 * page share nothing; hand-written Chart.js embeds are left alone.
 *
 * The only global is window.lessonpress:
 *   lessonpress.charts  figure id -> Chart instance
 *   lessonpress.ready   a Promise that settles when every figure is drawn
 */
(() => {
  "use strict";

  const ns = (window.lessonpress = window.lessonpress || {});
  const charts = (ns.charts = ns.charts || {});
  const states = new Map(); // figure -> state, for sliders in sync and theme changes
  const FALLBACK = ["#0072b2", "#d55e00", "#009e73", "#cc79a7", "#e69f00", "#56b4e9", "#7f7f7f", "#222222"];

  // -- data ------------------------------------------------------------------

  // Accept the shapes a dataset file may have: {columns: {...}}, {col: [...]}, or records.
  function columnsOf(table) {
    if (Array.isArray(table)) {
      const cols = {};
      table.forEach((row, i) => {
        for (const key of Object.keys(row)) {
          if (!cols[key]) cols[key] = new Array(table.length).fill(null);
          cols[key][i] = row[key];
        }
      });
      return cols;
    }
    if (table && Array.isArray(table.records)) return columnsOf(table.records);
    if (table && table.columns && !Array.isArray(table.columns)) return table.columns;
    return table || {};
  }

  function normalize(raw, kind) {
    if (raw && (kind === "sweep" || raw.tables)) {
      const values = raw.values || [];
      const tables = Array.isArray(raw.tables) ? raw.tables : values.map((v) => raw.tables[String(v)]);
      return { kind: "sweep", param: raw.param, values, tables: tables.map(columnsOf) };
    }
    return { kind: "table", columns: columnsOf(raw) };
  }

  async function loadSources(sources) {
    const out = {};
    await Promise.all(
      Object.entries(sources).map(async ([key, src]) => {
        if (!src.url) {
          out[key] = normalize(src, src.kind);
          return;
        }
        const response = await fetch(src.url);
        if (!response.ok) throw new Error(`cannot load ${src.url}: HTTP ${response.status}`);
        out[key] = normalize(await response.json(), src.kind);
      })
    );
    return out;
  }

  function tableAt(state, key) {
    const src = state.sources[key];
    return src.kind === "sweep" ? src.tables[state.index] || {} : src.columns;
  }

  // Mirrors nearest_row() in generator/chart_html.py.
  function nearestRow(xs, value) {
    let best = 0;
    let bestGap = Infinity;
    xs.forEach((x, i) => {
      const gap = typeof x === "number" && typeof value === "number" ? Math.abs(x - value) : x === value ? 0 : Infinity;
      if (gap < bestGap) {
        best = i;
        bestGap = gap;
      }
    });
    return best;
  }

  function currentValue(state) {
    return state.cfg.control ? state.cfg.control.values[state.index] : null;
  }

  function points(state, series) {
    const table = tableAt(state, series.source);
    const xs = table[series.x] || [];
    const ys = table[series.y] || [];
    const rows = series.marker ? [nearestRow(xs, currentValue(state))] : xs.map((_, i) => i);
    return rows.map((i) => ({ x: state.cfg.category ? cellText(xs[i]) : xs[i], y: ys[i] }));
  }

  // -- text --------------------------------------------------------------------

  // Mirrors cell_text() and format_value() in generator/chart_data.py.
  function cellText(v) {
    return v === null || v === undefined ? "" : String(v);
  }

  function formatValue(v, part) {
    if (v === null || v === undefined) return "–";
    if (typeof v !== "number" || !part.style) return cellText(v);
    if (part.style === "f") return v.toFixed(part.digits);
    if (part.style === "e") return v.toExponential(part.digits);
    return String(Number(v.toPrecision(part.digits)));
  }

  function readoutText(state) {
    return state.cfg.readout
      .map((part) => {
        if ("text" in part) return part.text;
        if (part.param) return formatValue(currentValue(state), part);
        const table = tableAt(state, part.source);
        const column = table[part.column] || [];
        const row = part.markerX ? nearestRow(table[part.markerX] || [], currentValue(state)) : part.row;
        return formatValue(column[row < 0 ? column.length + row : row], part);
      })
      .join("");
  }

  // Mirrors table_caption() and data_table() in generator/chart_html.py.
  function renderTable(state, spec) {
    const el = state.figure.querySelector(`table[data-lp-source="${spec.source}"]`);
    const src = state.sources[spec.source];
    if (!el || src.kind !== "sweep") return;
    const table = tableAt(state, spec.source);
    const total = Math.max(0, ...spec.columns.map((c) => (table[c] || []).length));
    const shown = Math.min(total, state.cfg.maxRows);
    let caption = `${spec.name} at ${src.param} = ${cellText(currentValue(state))}`;
    if (shown < total) caption += ` (first ${shown} of ${total} rows; download the full data below)`;
    el.caption.textContent = caption;
    const body = document.createElement("tbody");
    for (let r = 0; r < shown; r++) {
      const tr = body.insertRow();
      for (const c of spec.columns) tr.insertCell().textContent = cellText((table[c] || [])[r]);
    }
    el.tBodies[0].replaceWith(body);
  }

  // -- theme -----------------------------------------------------------------

  function cssVar(el, name, fallback) {
    return getComputedStyle(el).getPropertyValue(name).trim() || fallback;
  }

  function merge(base, extra) {
    const out = { ...base };
    for (const [key, value] of Object.entries(extra || {})) {
      const both = value && typeof value === "object" && !Array.isArray(value) && out[key] && typeof out[key] === "object";
      out[key] = both ? merge(out[key], value) : value;
    }
    return out;
  }

  function withAlpha(color) {
    return /^#[0-9a-f]{6}$/i.test(color) ? `${color}33` : color;
  }

  // The config's options win over theme colours: authors may set their own.
  function themedOptions(state) {
    const text = cssVar(state.figure, "--lp-chart-text", "#333");
    const grid = cssVar(state.figure, "--lp-chart-grid", "rgba(0, 0, 0, 0.1)");
    const options = state.cfg.chart.options;
    const scales = {};
    for (const id of Object.keys(options.scales || {})) {
      scales[id] = { ticks: { color: text }, grid: { color: grid }, border: { color: grid }, title: { color: text } };
    }
    // Legend entries follow the order the author listed the series in, even when a marker
    // series is drawn on top (Chart.js otherwise sorts the legend by draw order).
    const labels = { color: text, sort: (a, b) => a.datasetIndex - b.datasetIndex };
    const layer = { color: text, scales, plugins: { legend: { labels } } };
    return merge(layer, JSON.parse(JSON.stringify(options)));
  }

  // Colours go in before the Chart is made: element options are cached once resolved.
  function paintDatasets(state, datasets) {
    const palette = FALLBACK.map((c, i) => cssVar(state.figure, `--lp-chart-${i + 1}`, c));
    state.cfg.series.forEach((series, i) => {
      if (!series.palette) return;
      const color = palette[series.palette - 1];
      const ds = datasets[i];
      ds.borderColor = color;
      ds.backgroundColor = series.fill ? withAlpha(color) : color;
    });
  }

  // mode "none": redraw at once, without animating (printing reads the canvas right after).
  function retheme(mode) {
    for (const state of states.values()) {
      state.chart.options = themedOptions(state);
      paintDatasets(state, state.chart.data.datasets);
      state.chart.update(mode === "none" ? "none" : undefined); // re-resolves cached colours
    }
  }
  ns.retheme = retheme;

  // -- a figure ----------------------------------------------------------------

  function fillData(state) {
    const data = state.chart.data;
    state.cfg.series.forEach((series, i) => {
      data.datasets[i].data = points(state, series);
    });
    if (state.cfg.category) {
      const labels = [];
      for (const ds of data.datasets) for (const p of ds.data) if (!labels.includes(p.x)) labels.push(p.x);
      data.labels = labels;
    }
  }

  function setIndex(state, index) {
    state.index = index;
    fillData(state);
    state.chart.update("none");
    const shown = cellText(currentValue(state));
    if (state.output) state.output.textContent = shown;
    if (state.input) {
      const unit = state.input.dataset.unit;
      state.input.value = String(index);
      state.input.setAttribute("aria-valuetext", unit ? `${shown} ${unit}` : shown);
    }
    if (state.readout) state.readout.textContent = readoutText(state);
    state.cfg.tables.forEach((spec) => renderTable(state, spec));
  }

  // One announcement per change: the moved slider says its value itself; the readout of
  // its chart (what the value does) is said once here, not by every chart kept in sync.
  function announce(state) {
    if (!state.readout) return;
    let region = document.getElementById("lp-announcer");
    if (!region) {
      region = document.createElement("div");
      region.id = "lp-announcer";
      region.className = "lp-visually-hidden";
      region.setAttribute("aria-live", "polite");
      document.body.appendChild(region);
    }
    region.textContent = state.readout.textContent;
  }

  function syncOthers(state) {
    const group = state.figure.dataset.lpSync;
    if (!group) return;
    for (const other of states.values()) {
      if (other === state || other.figure.dataset.lpSync !== group || !other.cfg.control) continue;
      setIndex(other, nearestRow(other.cfg.control.values, currentValue(state)));
    }
  }

  async function draw(figure) {
    const cfg = JSON.parse(figure.querySelector("script.lp-chart-config").textContent);
    const state = {
      figure,
      cfg,
      index: cfg.control ? cfg.control.initial : 0,
      sources: await loadSources(cfg.sources),
      input: figure.querySelector('.lp-chart-control input[type="range"]'),
      output: figure.querySelector(".lp-chart-control output"),
      readout: figure.querySelector(".lp-chart-readout"),
    };
    const chartCfg = JSON.parse(JSON.stringify(cfg.chart));
    chartCfg.options = themedOptions(state);
    paintDatasets(state, chartCfg.data.datasets);
    state.chart = new window.Chart(figure.querySelector("canvas"), chartCfg);
    setIndex(state, state.index);
    if (state.input) {
      state.input.addEventListener("input", () => {
        setIndex(state, Number(state.input.value));
        syncOthers(state);
        announce(state);
      });
    }
    states.set(figure, state);
    charts[figure.id] = state.chart;
    figure.dataset.lpReady = "true";
  }

  function fail(figure, error) {
    const note = document.createElement("p");
    note.className = "lp-chart-error";
    note.textContent = `This chart could not be drawn (${error.message}); its data are in the table below.`;
    figure.querySelector(".lp-chart-canvas")?.replaceWith(note);
    console.error(`lessonpress: chart #${figure.id}:`, error);
  }

  function start() {
    if (!window.Chart) {
      ns.ready = Promise.reject(new Error("Chart.js is not loaded"));
      console.error("lessonpress: Chart.js is not loaded; charts are shown as tables");
      return;
    }
    const figures = [...document.querySelectorAll("figure.lp-chart")].filter(
      (f) => !states.has(f) && f.querySelector("script.lp-chart-config")
    );
    ns.ready = Promise.all(figures.map((f) => draw(f).catch((error) => fail(f, error)))).then(() => charts);
    const scheme = window.matchMedia && window.matchMedia("(prefers-color-scheme: dark)");
    if (scheme && scheme.addEventListener) scheme.addEventListener("change", () => retheme());
    // Sites with a theme switch flip a class or data-theme on <html>.
    new MutationObserver(() => retheme()).observe(document.documentElement, {
      attributes: true,
      attributeFilter: ["class", "data-theme"],
    });
  }

  // A precomputed interact (static/js/interact.js) moved: charts of its datasets follow.
  document.addEventListener("lessonpress:interact", (event) => {
    const { datasets, index } = event.detail;
    for (const state of states.values()) {
      if (state.cfg.control && state.cfg.tables.some((t) => datasets.includes(t.name))) {
        setIndex(state, index);
      }
    }
  });

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
