// The sample browser of an eagle-eval report: filter, search, sort and page the rows of each task.
// Plain JS with no library so the page stays one offline file; every value from the run is put
// into the page with textContent (never innerHTML), so model output and dataset text stay text.
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("report-data").textContent);
  var PAGE_SIZE = 50;
  var state = { task: null, verdict: "all", flip: "all", query: "", sort: "doc", desc: false, page: 0 };
  var prepared = {};
  var visible = [];

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    if (attrs) { for (var key in attrs) { node.setAttribute(key, attrs[key]); } }
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    return node;
  }

  function haystack(row) {
    return [row.split, row.doc_id, row.prompt, row.prediction, (row.references || []).join(" \u2016 "),
            row.parsed, row.error, row.baseline_prediction].join("\n").toLowerCase();
  }

  function rowsOf(task) {
    if (!prepared[task]) {
      prepared[task] = (data.samples[task] || []).map(function (row, index) {
        return { row: row, index: index, text: haystack(row) };
      });
    }
    return prepared[task];
  }

  var SORTS = {
    doc: function (a, b) { return a.row.split < b.row.split ? -1 : a.row.split > b.row.split ? 1 : a.row.doc_id - b.row.doc_id; },
    score: function (a, b) { return (a.row.score === null ? -1 : a.row.score) - (b.row.score === null ? -1 : b.row.score); },
    prediction: function (a, b) { return (a.row.prediction || "").length - (b.row.prediction || "").length; },
    verdict: function (a, b) { return a.row.verdict < b.row.verdict ? -1 : a.row.verdict > b.row.verdict ? 1 : 0; },
    extraction: function (a, b) { return (a.row.extraction || "") < (b.row.extraction || "") ? -1 : (a.row.extraction || "") > (b.row.extraction || "") ? 1 : 0; }
  };

  function apply() {
    var query = state.query.trim().toLowerCase();
    var all = rowsOf(state.task);
    visible = all.filter(function (item) {
      if (state.verdict !== "all" && item.row.verdict !== state.verdict) { return false; }
      if (state.flip !== "all" && item.row.flip !== state.flip) { return false; }
      return !query || item.text.indexOf(query) !== -1;
    });
    var compare = SORTS[state.sort];
    visible.sort(function (a, b) { var c = compare(a, b) || a.index - b.index; return state.desc ? -c : c; });
    var pages = Math.max(1, Math.ceil(visible.length / PAGE_SIZE));
    state.page = Math.min(state.page, pages - 1);
    render(all.length, pages);
  }

  function imageCell(ids) {
    var cell = el("td", { "class": "thumbs" });
    (ids || []).forEach(function (id) {
      var entry = data.images[id];
      if (!entry || !entry.thumb) { cell.appendChild(el("span", { "class": "muted" }, "image left out (budget)")); return; }
      var img = el("img", { src: entry.thumb, alt: "sample image " + entry.size, title: entry.size + " px; click to enlarge" });
      img.addEventListener("click", function () { showImage(entry); });
      cell.appendChild(img);
    });
    return cell;
  }

  function showImage(entry) {
    var overlay = document.getElementById("overlay");
    var body = document.getElementById("overlay-body");
    body.textContent = "";
    var source = entry.full || entry.href || entry.thumb;
    var img = el("img", { src: source, alt: "full image", id: "overlay-image" });
    var note = el("p", { "class": "muted" }, entry.full || entry.href ? "original, " + entry.size + " px"
      : "thumbnail only: the original (" + entry.size + " px) is over the size limit for embedding (see --image-dir)");
    img.addEventListener("error", function () {
      note.textContent = "the original " + entry.href + " is not beside this page: copy its image folder along";
    });
    body.appendChild(img);
    body.appendChild(note);
    overlay.hidden = false;
  }

  // A cell shows at most SHORT_CHARS characters, clamped to a few lines with an ellipsis (click to
  // unclamp); longer text ends in "…" and a button that shows all of it, so a megabyte prediction
  // never has to be laid out with the table.
  var SHORT_CHARS = 400;

  function textCell(value, cls) {
    var cell = el("td", { "class": cls || "" });
    if (value === null || value === undefined || value === "") { cell.appendChild(el("span", { "class": "muted" }, "\u2014")); return cell; }
    var text = String(value);
    var cut = text.length > SHORT_CHARS;
    var box = el("div", { "class": "clip" }, cut ? text.slice(0, SHORT_CHARS) + "\u2026" : text);
    box.addEventListener("click", function () { if (!String(window.getSelection())) { box.classList.toggle("open"); } });
    cell.appendChild(box);
    if (cut) {
      var more = el("button", { type: "button", "class": "more" }, "show all " + text.length.toLocaleString("en") + " characters");
      more.addEventListener("click", function () { showText(text); });
      cell.appendChild(more);
    }
    return cell;
  }

  function showText(text) {
    var body = document.getElementById("overlay-body");
    body.textContent = "";
    body.appendChild(el("p", { "class": "muted" }, text.length.toLocaleString("en") + " characters; click outside to close"));
    body.appendChild(el("pre", { "class": "full-text", id: "overlay-text" }, text));
    document.getElementById("overlay").hidden = false;
  }

  // VQA rows carry ten annotators' answers, mostly repeats: show each once with its count.
  function referencesText(refs) {
    var counts = {}, order = [];
    (refs || []).forEach(function (ref) { if (!(ref in counts)) { counts[ref] = 0; order.push(ref); } counts[ref] += 1; });
    return order.map(function (ref) { return counts[ref] > 1 ? ref + " \u00d7" + counts[ref] : ref; }).join("\n");
  }

  function scoreText(score) { return score === null || score === undefined ? "\u2014" : (Math.round(score * 1000) / 1000).toString(); }

  function render(total, pages) {
    var body = document.getElementById("sample-rows");
    body.textContent = "";
    var start = state.page * PAGE_SIZE;
    visible.slice(start, start + PAGE_SIZE).forEach(function (item) {
      var row = item.row;
      var tr = el("tr", { "class": "verdict-" + row.verdict, "data-flip": row.flip || "" });
      tr.appendChild(el("td", { "class": "mono" }, row.split + "/" + row.doc_id));
      tr.appendChild(imageCell(row.images));
      tr.appendChild(textCell(row.prompt, "prompt"));
      tr.appendChild(textCell(row.prediction, "prediction"));
      tr.appendChild(textCell(referencesText(row.references), "refs"));
      var score = el("td", { "class": "score" });
      score.appendChild(el("span", { "class": "badge " + row.verdict }, row.verdict));
      score.appendChild(el("div", { "class": "mono" }, scoreText(row.score)));
      if (row.flip && row.flip !== "same") { score.appendChild(el("span", { "class": "badge flip-" + row.flip }, row.flip)); }
      tr.appendChild(score);
      tr.appendChild(textCell([row.extraction, row.parsed === null ? null : "parsed: " + row.parsed].filter(Boolean).join("\n"), "extraction"));
      tr.appendChild(textCell([row.error, row.truncation].filter(Boolean).join("\n"), "error"));
      if (data.baseline) {
        var base = textCell(row.baseline_prediction, "prediction baseline");
        if (row.baseline_prediction !== null) { base.appendChild(el("div", { "class": "mono muted" }, "score " + scoreText(row.baseline_score))); }
        tr.appendChild(base);
      }
      body.appendChild(tr);
    });
    document.getElementById("count-matching").textContent = String(visible.length);
    document.getElementById("count-total").textContent = String(total);
    document.getElementById("page-info").textContent = "page " + (state.page + 1) + " of " + pages;
    document.getElementById("prev-page").disabled = state.page === 0;
    document.getElementById("next-page").disabled = state.page >= pages - 1;
    Array.prototype.forEach.call(document.querySelectorAll("th[data-sort]"), function (th) {
      th.setAttribute("aria-sort", th.getAttribute("data-sort") === state.sort ? (state.desc ? "descending" : "ascending") : "none");
    });
  }

  function bind(id, event, handler) { document.getElementById(id).addEventListener(event, handler); }

  function init() {
    var select = document.getElementById("task-select");
    Object.keys(data.samples).forEach(function (task) {
      select.appendChild(el("option", { value: task }, task + " (" + data.samples[task].length + ")"));
    });
    state.task = select.value;
    if (!data.baseline) { document.getElementById("flip-filter").hidden = true; document.getElementById("baseline-head").remove(); }
    bind("task-select", "change", function (e) { state.task = e.target.value; state.page = 0; apply(); });
    bind("verdict-filter", "change", function (e) { state.verdict = e.target.value; state.page = 0; apply(); });
    bind("flip-select", "change", function (e) { state.flip = e.target.value; state.page = 0; apply(); });
    bind("search", "input", function (e) { state.query = e.target.value; state.page = 0; apply(); });
    bind("prev-page", "click", function () { state.page -= 1; apply(); });
    bind("next-page", "click", function () { state.page += 1; apply(); });
    bind("overlay", "click", function (e) {  // a shown text stays open for selecting; a click beside it closes
      if (!(e.target.closest && e.target.closest("#overlay-body p, #overlay-text"))) { document.getElementById("overlay").hidden = true; }
    });
    Array.prototype.forEach.call(document.querySelectorAll("th[data-sort]"), function (th) {
      th.addEventListener("click", function () {
        var key = th.getAttribute("data-sort");
        state.desc = state.sort === key ? !state.desc : false;
        state.sort = key; state.page = 0; apply();
      });
    });
    Array.prototype.forEach.call(document.querySelectorAll("[data-show-task]"), function (link) {
      link.addEventListener("click", function () { select.value = link.getAttribute("data-show-task"); select.dispatchEvent(new Event("change")); });
    });
    if (state.task) { apply(); }
  }

  window.eagleReport = { state: state, apply: apply, visibleCount: function () { return visible.length; } };
  init();
})();
