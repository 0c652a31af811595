/* imputebench site: filters and sortable tables. No dependency, works from file://. */
(function () {
  "use strict";

  /* Filters live in the URL's hash (#setting=downstream&metric=rmse&q=knn): a filtered view can be
     linked, bookmarked and reloaded. */
  function controls() {
    return Array.prototype.slice.call(document.querySelectorAll("select[data-filter], input[data-search]"));
  }

  function keyOf(control) {
    return control.getAttribute("data-filter") || "q";
  }

  function readHash() {
    var state = {};
    location.hash.replace(/^#/, "").split("&").forEach(function (pair) {
      if (!pair) { return; }
      var at = pair.indexOf("=");
      if (at > 0) {
        try { state[decodeURIComponent(pair.slice(0, at))] = decodeURIComponent(pair.slice(at + 1)); } catch (e) { /* ignore a bad pair */ }
      }
    });
    return state;
  }

  function restore() {
    var state = readHash();
    controls().forEach(function (c) {
      var value = state[keyOf(c)];
      if (value === undefined) { return; }
      if (c.tagName === "SELECT") {
        if (Array.prototype.some.call(c.options, function (o) { return o.value === value; })) { c.value = value; }
      } else {
        c.value = value;
      }
    });
  }

  function writeHash() {
    var parts = controls().filter(function (c) { return c.value !== ""; }).map(function (c) {
      return encodeURIComponent(keyOf(c)) + "=" + encodeURIComponent(c.value);
    });
    var hash = parts.length ? "#" + parts.join("&") : "";
    if (hash === location.hash) { return; }
    try { history.replaceState(null, "", location.pathname + location.search + hash); } catch (e) { location.hash = hash; }
  }

  function applyFilters() {
    var selects = document.querySelectorAll("select[data-filter]");
    document.querySelectorAll(".filterable").forEach(function (el) {
      var show = true;
      /* data-exact names the filters an element is one variant of (a figure per family, "all" included):
         under the filter's "any" choice only its own variant shows, not every one. */
      var exact = (el.getAttribute("data-exact") || "").split(" ");
      selects.forEach(function (s) {
        var name = s.getAttribute("data-filter");
        var value = el.getAttribute("data-" + name);
        var any = s.getAttribute("data-any");
        var matchesAny = any !== null && s.value === any && exact.indexOf(name) < 0;
        if (value !== null && value !== s.value && !matchesAny) { show = false; }
      });
      el.hidden = !show;
    });
    document.querySelectorAll("input[data-search]").forEach(function (input) {
      var query = input.value.trim().toLowerCase();
      var field = "data-" + input.getAttribute("data-search");
      document.querySelectorAll("[" + field + "]").forEach(function (el) {
        if (query && el.getAttribute(field).indexOf(query) < 0) { el.hidden = true; }
      });
    });
    /* A figure is one image: the family filter and the search box do not filter it, and a note beside
       it says so while either narrows the ranking table. */
    var searching = Array.prototype.some.call(document.querySelectorAll("input[data-search]"), function (input) {
      return input.value.trim() !== "";
    }) || Array.prototype.some.call(document.querySelectorAll("select[data-filter=family]"), function (s) {
      return s.value !== "all";
    });
    document.querySelectorAll(".search-note").forEach(function (note) { note.hidden = !searching; });
    document.querySelectorAll(".empty-note").forEach(function (note) {
      var siblings = note.parentElement.querySelectorAll(":scope > .filterable, :scope > .figures > .filterable");
      var any = Array.prototype.some.call(siblings, function (el) { return !el.hidden; });
      note.hidden = any || siblings.length === 0;
    });
  }

  function onChange() {
    applyFilters();
    writeHash();
  }

  function cellAt(row, column) {
    var position = 0;
    for (var i = 0; i < row.cells.length; i++) {
      var cell = row.cells[i];
      if (column < position + cell.colSpan) { return cell; }
      position += cell.colSpan;
    }
    return null;
  }

  function sortKey(cell, numeric) {
    if (!cell) { return null; }
    var raw = cell.hasAttribute("data-sort") ? cell.getAttribute("data-sort") : cell.textContent.trim();
    if (raw === "") { return null; }
    if (numeric) {
      var n = parseFloat(raw);
      return isNaN(n) ? null : n;
    }
    return raw.toLowerCase();
  }

  function sortTable(table, column, th) {
    var ascending = th.getAttribute("aria-sort") !== "ascending";
    table.querySelectorAll("thead th").forEach(function (h) { h.removeAttribute("aria-sort"); });
    th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
    var numeric = th.getAttribute("data-type") === "num";
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (a, b) {
      var x = sortKey(cellAt(a, column), numeric), y = sortKey(cellAt(b, column), numeric);
      if (x === null && y === null) { return 0; }
      if (x === null) { return 1; }  /* missing and failed values always last */
      if (y === null) { return -1; }
      var order = x < y ? -1 : (x > y ? 1 : 0);
      return ascending ? order : -order;
    });
    rows.forEach(function (r) { body.appendChild(r); });
  }

  document.addEventListener("DOMContentLoaded", function () {
    restore();
    controls().forEach(function (c) {
      c.addEventListener(c.tagName === "SELECT" ? "change" : "input", onChange);
    });
    window.addEventListener("hashchange", function () { restore(); applyFilters(); });
    applyFilters();
    document.querySelectorAll("table.sortable").forEach(function (table) {
      var headers = table.tHead ? table.tHead.rows[0].cells : [];
      var position = 0;
      Array.prototype.forEach.call(headers, function (th) {
        var column = position;
        position += th.colSpan;
        if (th.getAttribute("data-type") === "num") {  /* numbers align right, text left */
          th.classList.add("num");
          Array.prototype.forEach.call(table.tBodies[0] ? table.tBodies[0].rows : [], function (row) {
            var cell = cellAt(row, column);
            if (cell && cell.colSpan === 1) { cell.classList.add("num"); }
          });
        }
        th.classList.add("sort-handle");
        th.tabIndex = 0;
        th.addEventListener("click", function () { sortTable(table, column, th); });
        th.addEventListener("keydown", function (e) {
          if (e.key === "Enter" || e.key === " ") { e.preventDefault(); sortTable(table, column, th); }
        });
      });
    });
  });
}());
