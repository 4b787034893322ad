"""Write a `ReportView` as one self-contained HTML file, or as JSON.

Everything is inline: the stylesheet, the script, the charts (SVG) and the images (data URIs).
The page's Content-Security-Policy allows no network at all and only the exact inline style and
script it ships (by their SHA-256), so even a prediction that got past escaping could not run.
Text from the run reaches the page in two ways only: through `html.escape` in the server-rendered
overview, or inside the JSON data block with `<`, `>` and `&` written as \\u escapes, from which the
script builds the table with textContent.
"""

from __future__ import annotations

import base64
import hashlib
import json
from html import escape
from importlib.resources import files
from string import Template
from typing import Any

from eagle_eval.core.text_input import valid_text
from eagle_eval.report.redact import mask_secrets
from eagle_eval.report.view import ReportView, TaskOverview

_JSON_ESCAPES = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}


def _asset(name: str) -> str:
    return (files("eagle_eval.report") / "assets" / name).read_text(encoding="utf-8")


def _csp_hash(text: str) -> str:
    return "sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii")


def view_json_text(view: ReportView, indent: int | None = None) -> str:
    """The view as JSON, secrets masked (the same document the page embeds)."""
    return _page_text(json.dumps(view.to_json(), ensure_ascii=False, indent=indent, allow_nan=False))


def _page_text(text: str) -> str:
    """Secrets masked, and any code point UTF-8 cannot hold (a lone surrogate in a hand-edited samples
    or results file) shown as U+FFFD: the page is written as UTF-8 whatever the run's files held."""
    return valid_text(mask_secrets(text))[0]


def _script_safe(text: str) -> str:
    for char, replacement in _JSON_ESCAPES.items():
        text = text.replace(char, replacement)
    return text


def _fmt(value: float | None, signed: bool = False) -> str:
    if value is None:
        return "—"
    return f"{value:+.1f}" if signed else f"{value:.1f}"


def _delta_cell(value: float | None) -> str:
    cls = "" if value is None else ("pos" if value >= 0 else "neg")
    return f'<td class="num {cls}">{escape(_fmt(value, signed=True))}</td>'


def _interval_text(task: TaskOverview) -> str:
    if task.interval is None:
        return f'<span class="muted">{escape(task.interval_missing)}</span>'
    interval = task.interval
    return f'<span title="{escape(interval.method)}">[{interval.low:.1f}, {interval.high:.1f}]</span>'


# The model name of a run whose predictions were replayed (`--model replay`, `eagle-eval score`).
REPLAY_MODEL = "replay"


def _throughput(task: TaskOverview, replayed: bool) -> str:
    if replayed:  # its timings measure reading a file, not a model
        return '<span class="muted">replayed: no model calls</span>'
    parts = []
    if task.samples_per_second is not None:
        parts.append(f"{task.samples_per_second:.2f} samples/s")
    if task.time_to_first_token_s is not None:
        parts.append(f"TTFT {task.time_to_first_token_s:.2f} s")
    if task.wall_seconds is not None:
        parts.append(f"wall {task.wall_seconds:.0f} s")
    return escape(", ".join(parts)) if parts else '<span class="muted">resumed / not timed</span>'


def _overview_table(view: ReportView) -> str:
    has_baseline = view.baseline is not None
    head = [
        "task", "column", "headline", "95% interval", "paper", "Δ paper", "samples", "rows", "errors", "inputs cut",
        "verdicts", "extraction", "throughput",
    ]
    if has_baseline:
        head[6:6] = ["baseline", "Δ baseline", "baseline Δ interval", "gained / lost"]
    rows = []
    for task in view.tasks:
        verdicts = ", ".join(f"{k} {v}" for k, v in sorted(task.verdicts.items()))
        extraction = ", ".join(f"{k} {v}" for k, v in task.extraction.items() if v)
        cells = [
            f'<td><a href="#samples" data-show-task="{escape(task.task)}">{escape(task.task)}</a>'
            + (' <span class="muted">(subset)</span>' if task.subset else "") + "</td>",
            f"<td>{escape(task.paper_column or '—')}</td>",
            f'<td class="num" title="{escape(task.metric)} ({escape(task.units)})">{escape(_fmt(task.value))}</td>',
            f"<td>{_interval_text(task)}</td>",
            f'<td class="num">{escape(_fmt(task.paper_value))}</td>',
            _delta_cell(task.paper_delta),
            f'<td class="num">{task.n_samples}</td>',
            f'<td class="num" data-testid="rows-{escape(task.task)}">{task.n_rows}</td>',
            f'<td class="num">{task.n_errors}</td>',
            f'<td class="num">{task.n_input_truncated}</td>',
            f"<td>{escape(verdicts)}</td>",
            f"<td>{escape(extraction or '—')}</td>",
            f"<td>{_throughput(task, view.run.model == REPLAY_MODEL)}</td>",
        ]
        if has_baseline:
            interval = task.baseline_interval
            interval_text = f"[{interval.low:+.1f}, {interval.high:+.1f}]" if interval else "—"
            flips = f"{task.flips.get('gained', 0)} / {task.flips.get('lost', 0)}" if task.flips else "—"
            cells[6:6] = [
                f'<td class="num">{escape(_fmt(task.baseline_value))}</td>',
                _delta_cell(task.baseline_delta),
                f'<td title="{escape(interval.method) if interval else ""}">{escape(interval_text)}</td>',
                f"<td>{escape(flips)}</td>",
            ]
        rows.append("<tr>" + "".join(cells) + "</tr>")
    header = "".join(f"<th>{escape(name)}</th>" for name in head)
    return (f'<div class="table-scroll"><table id="overview-table"><thead><tr>{header}</tr></thead>'
            f'<tbody>{"".join(rows)}</tbody></table></div>')


def _notes(view: ReportView) -> str:
    notes = list(view.notes) + [f"{t.task}: {note}" for t in view.tasks for note in t.notes]
    budget = view.image_budget
    if budget.n_thumbnails or budget.n_left_out:
        notes.append(
            f"images: {budget.n_thumbnails} distinct thumbnails at ≤{budget.max_side} px and {budget.n_full} small "
            f"originals, {budget.used_bytes / 1048576:.2f} MiB of a {budget.budget_bytes / 1048576:.0f} MiB budget"
            + (f"; {budget.n_left_out} left out over the budget" if budget.n_left_out else "")
        )
    items = "".join(f"<li>{escape(note)}</li>" for note in notes)
    return f'<ul class="notes">{items}</ul>' if items else ""


def _meta(view: ReportView) -> str:
    run = view.run
    bits = [
        f"run <code>{escape(run.run_id)}</code>",
        f"model <code>{escape(run.model)}</code>" + (f" ({escape(run.hub_id)})" if run.hub_id else ""),
        f"dtype {escape(run.dtype or '—')}, device {escape(run.device or '—')}",
        f"created {escape(run.created_at)}",
        f"paper reference: {escape(run.reference_label or 'none')}",
    ]
    if view.baseline is not None:
        bits.append(f"baseline <code>{escape(view.baseline.run_id)}</code> ({escape(view.baseline.model)})")
    return " · ".join(bits) + f'<br>command: <code>{escape(run.command)}</code>'


def render_html(view: ReportView) -> str:
    css, js = _asset("report.css"), _asset("report.js")
    charts = [f'<div class="chart-box"><h3>vs the paper</h3>{view.charts.get("paper", "")}</div>']
    if "baseline" in view.charts:
        charts.append(f'<div class="chart-box"><h3>vs the baseline</h3>{view.charts["baseline"]}</div>')
    fields: dict[str, Any] = {
        "title": escape(f"eagle-eval report — {view.run.model} — {view.run.run_id}"),
        "meta": _meta(view),
        "overview": _overview_table(view),
        "notes": _notes(view),
        "charts": "".join(charts),
        "footer": escape(f"eagle-eval report format {view.format_version}; one file, no network access needed."),
        "data": _script_safe(view_json_text(view)),
        "css": css,
        "js": js,
        # Linked originals (--image-dir) are files beside the page: 'self', never another origin.
        "image_sources": "data: 'self'" if any("href" in entry for entry in view.images.values()) else "data:",
        "style_hash": _csp_hash(css),
        "script_hash": _csp_hash(js),
    }
    return _page_text(Template(_asset("report.html")).substitute(fields))
