"""The leaderboard as a standalone HTML page: a doctype, UTF-8, its own styling, numbers right-aligned,
and columns sortable by a click on their header (a small inline script; no network, no library).

Each model row and its Δ rows share one `<tbody>`, so sorting moves a run together with its Δ rows.
Every cell carries its sortable value in `data-value`; empty cells sort last either way.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from eagle_eval.results.table_rows import (
    HEADERS,
    TableRow,
    cell_marks,
    cell_number,
    columns_of,
    rank_text,
    score_text,
)

STYLE = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:2rem;color:#1d1d1f;background:#fff}
table.board{border-collapse:collapse;font-size:14px}
table.board th,table.board td{padding:.3rem .6rem;border-bottom:1px solid #ddd;white-space:nowrap}
table.board th{background:#f3f3f5;cursor:pointer;user-select:none;text-align:center}
table.board th[aria-sort=ascending]::after{content:" \\25B2"}
table.board th[aria-sort=descending]::after{content:" \\25BC"}
table.board td.num{text-align:right;font-variant-numeric:tabular-nums}
table.board tr.published td{color:#555;font-style:italic}
table.board tr.delta td{color:#666;font-size:12px}
sup{font-size:70%}
p.note{font-size:13px;color:#333;max-width:60rem}
""".strip()

SCRIPT = """
document.querySelectorAll("table.board th").forEach(function (th, column) {
  th.addEventListener("click", function () {
    var table = th.closest("table");
    var ascending = th.getAttribute("aria-sort") !== "ascending";
    table.querySelectorAll("th").forEach(function (other) { other.removeAttribute("aria-sort"); });
    th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
    var groups = Array.prototype.slice.call(table.tBodies);
    function key(group) {
      var raw = group.rows[0].cells[column].getAttribute("data-value");
      var number = parseFloat(raw);
      return raw === "" ? null : (isNaN(number) ? raw.toLowerCase() : number);
    }
    groups.sort(function (a, b) {
      var x = key(a), y = key(b);
      if (x === null || y === null) { return (x === null) - (y === null); }
      var order = x < y ? -1 : (x > y ? 1 : 0);
      return ascending ? order : -order;
    });
    groups.forEach(function (group) { table.appendChild(group); });
  });
});
""".strip()

ROW_CLASS = {"run": "model", "reference": "published", "delta": "delta"}


def render_html(rows: Sequence[TableRow], remarks: Sequence[str], mark_notes: Sequence[tuple[str, str]]) -> str:
    columns = columns_of(rows)
    head = "".join(f"<th scope=\"col\">{escape(name)}</th>" for name in (*HEADERS, *columns))
    groups: list[list[str]] = []
    for row in rows:
        rank_value = "" if row.rank is None else str(row.rank)
        score = score_text(row)
        body = [f"<td class=\"num\" data-value=\"{rank_value}\">{escape(rank_text(row))}</td>",
                f"<td data-value=\"{escape(row.label)}\" title=\"{escape(row.source)}\">{escape(row.label)}</td>",
                f"<td class=\"num\" data-value=\"{score}\">{score}</td>"]
        body += [_cell(row, column) for column in columns]
        line = f"<tr class=\"{ROW_CLASS[row.kind]}\">{''.join(body)}</tr>"
        if row.kind == "delta" and groups:
            groups[-1].append(line)
        else:
            groups.append([line])
    tbodies = "\n".join(f"<tbody>{''.join(group)}</tbody>" for group in groups)
    notes = [*(f"<p class=\"note\">{escape(line)}</p>" for line in remarks),
             *(f"<p class=\"note\">{escape(mark)} {escape(note)}</p>" for mark, note in mark_notes),
             *(f"<p class=\"note\">{escape(row.label)}: {escape(row.source)}.</p>" for row in rows
               if row.kind == "reference")]
    return "\n".join([
        "<!doctype html>", "<html lang=\"en\">", "<head>", "<meta charset=\"utf-8\">",
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">", "<title>Leaderboard</title>",
        f"<style>\n{STYLE}\n</style>", "</head>", "<body>",
        f"<table class=\"board\">\n<thead><tr>{head}</tr></thead>\n{tbodies}\n</table>", *notes,
        f"<script>\n{SCRIPT}\n</script>", "</body>", "</html>",
    ]) + "\n"


def _cell(row: TableRow, column: str) -> str:
    value = row.values.get(column)
    number = escape(cell_number(row, column))
    marks = cell_marks(row, column)
    sup = f"<sup>{escape(marks)}</sup>" if marks else ""
    return f"<td class=\"num\" data-value=\"{'' if value is None else value}\">{number}{sup}</td>"
