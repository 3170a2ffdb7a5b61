// The backlinks explorer of linkspider's HTML report (linkspider/htmlreport/explorer.py).
// Reads the rows embedded as JSON (#backlinks-data), renders one page of them at a time,
// sorts on a click on a header and filters by a box or a list per column. No library, no
// request: the report's Content-Security-Policy forbids every fetch.
(function () {
  "use strict";
  var root = document.getElementById("backlinks-explorer");
  var source = document.getElementById("backlinks-data");
  if (!root || !source) return;
  var data = JSON.parse(source.textContent);
  var columns = data.columns;
  var NUMERIC = {number: true, equity: true};
  var MAX_OPTIONS = 300; // a category with more values gets a text box, not a list
  var collator = new Intl.Collator(undefined, {numeric: true, sensitivity: "base"});

  // Decode the columns (strings dictionary-encoded) once: rows[i][j] is the raw value or null.
  var count = data.values.length ? data.values[0].length : 0, rows = new Array(count);
  for (var i = 0; i < count; i++) rows[i] = new Array(columns.length);
  data.values.forEach(function (values, j) {
    var dict = data.dicts[columns[j].key];
    for (var i = 0; i < count; i++) {
      var v = values[i];
      rows[i][j] = dict && v !== null ? dict[v] : v;
    }
  });
  var lower = rows.map(function (row) {
    return row.map(function (value) { return typeof value === "string" ? value.toLowerCase() : value; });
  });

  var state = {sortColumn: -1, sortDir: "desc", filters: columns.map(function () { return null; }), page: 0, size: 50};
  var view = rows.map(function (_, i) { return i; });
  var table = root.querySelector("table"), head = table.tHead, body = table.tBodies[0];
  var status = root.querySelector(".explorer-status"), pageLabel = root.querySelector(".explorer-page");
  var sizeSelect = root.querySelector("select[data-action=size]");
  state.size = parseInt(sizeSelect.value, 10);

  function escapeHtml(text) {
    return String(text).replace(/[&<>"]/g, function (c) {
      return {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;"}[c];
    });
  }

  function shown(value, kind) {
    if (value === null || value === undefined || value === "") return "–";
    if (kind === "equity") return String(Number(value.toPrecision(3)));
    if (kind === "number") return value.toFixed(3);
    if (kind === "url") return '<span class="url">' + escapeHtml(value) + "</span>";
    return escapeHtml(value);
  }

  // A text filter: part of the value (case-insensitive), "=v" the exact value, "!v" without v.
  function textFilter(text) {
    var t = text.trim().toLowerCase();
    if (!t) return null;
    if (t.charAt(0) === "=") {
      var exact = t.slice(1);
      return function (v) { return (v === null ? "" : v) === exact; };
    }
    if (t.charAt(0) === "!") {
      var without = t.slice(1);
      return function (v) { return v === null || v.indexOf(without) < 0; };
    }
    return function (v) { return v !== null && v.indexOf(t) >= 0; };
  }

  // A number filter: ">x", ">=x", "<x", "<=x", "=x", "a..b", "none"; a bare number is ">= x".
  // Returns undefined for text it cannot read.
  function numberFilter(text) {
    var t = text.trim().toLowerCase(), m;
    if (!t) return null;
    if (t === "none" || t === "-" || t === "–") return function (v) { return v === null; };
    if ((m = t.match(/^(-?[\d.e+-]+)\s*\.\.\s*(-?[\d.e+-]+)$/))) {
      var lo = parseFloat(m[1]), hi = parseFloat(m[2]);
      if (isNaN(lo) || isNaN(hi)) return undefined;
      return function (v) { return v !== null && v >= lo && v <= hi; };
    }
    m = t.match(/^(>=|<=|>|<|=)?\s*(-?[\d.]+(?:e[+-]?\d+)?)$/);
    if (!m) return undefined;
    var x = parseFloat(m[2]), op = m[1] || ">=";
    if (isNaN(x)) return undefined;
    return {
      ">=": function (v) { return v !== null && v >= x; }, "<=": function (v) { return v !== null && v <= x; },
      ">": function (v) { return v !== null && v > x; }, "<": function (v) { return v !== null && v < x; },
      "=": function (v) { return v !== null && v === x; }
    }[op];
  }

  // The rows of ``indices`` sorted by column j (missing values last, either direction; ties in
  // the embedded order). Numbers are compared through a typed array: 100,000 rows in a blink.
  function sorted(indices, j) {
    var present = [], missing = [], sign = state.sortDir === "asc" ? 1 : -1;
    indices.forEach(function (i) { (rows[i][j] === null ? missing : present).push(i); });
    if (NUMERIC[columns[j].kind]) {
      var keys = new Float64Array(rows.length);
      present.forEach(function (i) { keys[i] = rows[i][j]; });
      present.sort(function (x, y) { return sign * (keys[x] - keys[y]) || x - y; });
    } else {
      present.sort(function (x, y) { return sign * collator.compare(rows[x][j], rows[y][j]) || x - y; });
    }
    return present.concat(missing);
  }

  function apply() {
    var active = [];
    state.filters.forEach(function (f, j) { if (f) active.push([j, f]); });
    view = [];
    for (var i = 0; i < rows.length; i++) {
      var keep = true;
      for (var k = 0; k < active.length && keep; k++) {
        var j = active[k][0], v = NUMERIC[columns[j].kind] ? rows[i][j] : lower[i][j];
        keep = active[k][1](v === undefined ? null : v);
      }
      if (keep) view.push(i);
    }
    if (state.sortColumn >= 0) view = sorted(view, state.sortColumn);
    state.page = 0;
    render();
  }

  function render() {
    var pages = Math.max(1, Math.ceil(view.length / state.size));
    state.page = Math.min(state.page, pages - 1);
    var start = state.page * state.size, end = Math.min(view.length, start + state.size), html = [];
    for (var n = start; n < end; n++) {
      var row = rows[view[n]], cells = [];
      for (var j = 0; j < columns.length; j++) {
        var c = columns[j], v = row[j];
        cells.push('<td data-col="' + c.key + '" data-v="' + escapeHtml(v === null ? "" : v) + '"' +
                   (NUMERIC[c.kind] ? ' class="num"' : "") + ">" + shown(v, c.kind) + "</td>");
      }
      html.push("<tr>" + cells.join("") + "</tr>");
    }
    body.innerHTML = html.join("");
    root.dataset.matched = view.length;
    root.dataset.page = state.page + 1;
    status.textContent = view.length.toLocaleString("en") + " of " + rows.length.toLocaleString("en") +
      " backlinks" + (view.length < rows.length ? " match" : "") +
      (view.length ? " · rows " + (start + 1).toLocaleString("en") + "–" + end.toLocaleString("en") : "");
    pageLabel.textContent = "page " + (state.page + 1) + " of " + pages;
    root.querySelector("[data-action=prev]").disabled = state.page === 0;
    root.querySelector("[data-action=next]").disabled = state.page >= pages - 1;
  }

  function buildHead() {
    var titles = document.createElement("tr"), filters = document.createElement("tr");
    filters.className = "filters";
    columns.forEach(function (c, j) {
      var th = document.createElement("th");
      th.textContent = c.title;
      th.title = "sort";
      th.dataset.key = c.key;
      th.dataset.kind = c.kind;
      th.addEventListener("click", function () {
        state.sortDir = state.sortColumn === j && state.sortDir === "desc" ? "asc" : "desc";
        state.sortColumn = j;
        titles.querySelectorAll("th").forEach(function (h) { delete h.dataset.dir; });
        th.dataset.dir = state.sortDir;
        apply();
      });
      titles.appendChild(th);
      filters.appendChild(filterCell(c, j));
    });
    head.appendChild(titles);
    head.appendChild(filters);
  }

  function filterCell(c, j) {
    var th = document.createElement("th"), control;
    var values = {};
    var NONE = "\u0000"; // the option of rows without a value
    if (c.kind === "category") rows.forEach(function (r) { var v = r[j] === null ? NONE : r[j]; values[v] = (values[v] || 0) + 1; });
    var distinct = Object.keys(values);
    if (c.kind === "category" && distinct.length <= MAX_OPTIONS) {
      control = document.createElement("select");
      control.appendChild(new Option("all", ""));
      distinct.sort(function (a, b) { return values[b] - values[a] || collator.compare(a, b); });
      distinct.forEach(function (v) {
        control.appendChild(new Option((v === NONE ? "(none)" : v) + " (" + values[v] + ")", v));
      });
      control.addEventListener("change", function () {
        var v = control.value;
        state.filters[j] = v === "" ? null : v === NONE ? function (x) { return x === null; }
          : (function (want) { return function (x) { return x === want; }; })(v.toLowerCase());
        apply();
      });
    } else {
      control = document.createElement("input");
      control.type = "search";
      control.placeholder = NUMERIC[c.kind] ? ">0.5" : "filter";
      var timer = null;
      control.addEventListener("input", function () {
        clearTimeout(timer);
        timer = setTimeout(function () {
          var f = NUMERIC[c.kind] ? numberFilter(control.value) : textFilter(control.value);
          control.classList.toggle("invalid", f === undefined);
          state.filters[j] = f || null;
          apply();
        }, 120);
      });
    }
    control.dataset.filter = c.key;
    control.setAttribute("aria-label", "filter " + c.title);
    th.appendChild(control);
    return th;
  }

  root.querySelector("[data-action=prev]").addEventListener("click", function () { state.page -= 1; render(); });
  root.querySelector("[data-action=next]").addEventListener("click", function () { state.page += 1; render(); });
  sizeSelect.addEventListener("change", function () { state.size = parseInt(sizeSelect.value, 10); state.page = 0; render(); });
  root.querySelector("[data-action=clear]").addEventListener("click", function () {
    head.querySelectorAll("[data-filter]").forEach(function (control) { control.value = ""; control.classList.remove("invalid"); });
    state.filters = columns.map(function () { return null; });
    apply();
  });
  buildHead();
  apply();
})();
