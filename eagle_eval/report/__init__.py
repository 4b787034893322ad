"""`eagle-eval report`: one self-contained HTML file (or JSON) with every sample of a run.

    view = build_report(Path("runs/eagle-x5-7b__3f2a9c1d"), ReportOptions(baseline=Path("runs/old")))
    Path("report.html").write_text(render_html(view), encoding="utf-8")

May import results and below. Read first: build.py.
"""

from eagle_eval.report.build import ReportOptions, build_report
from eagle_eval.report.render import render_html, view_json_text
from eagle_eval.report.view import ReportView, SampleRow, TaskOverview

__all__ = ["ReportOptions", "ReportView", "SampleRow", "TaskOverview", "build_report", "render_html", "view_json_text"]
