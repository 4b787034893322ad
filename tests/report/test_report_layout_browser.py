"""The report's layout in Chromium with hostile content: a megabyte prediction, MME's points beside
percentages, long labels and long baseline predictions, at a desktop and at a phone's width."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from eagle_eval.report import ReportOptions, build_report, render_html
from eagle_eval.report.fixture_runs import write_synthetic_run
from tests.report.test_report_browser import browser  # noqa: F401 - the shared headless Chromium

pytestmark = pytest.mark.slow
MEGABYTE = 1_000_000
WIDTHS = (1400, 390)  # a desktop, and a phone held upright
# task -> (paper column, units, headline of the run, of its baseline); X5-7B's paper row: TextVQA 71.2, MME 1528, POPE 88.8
TASKS = {"textvqa_with_a_long_variant_name": ("TextVQA", "percent", 64.5, 71.0), "mme": ("MME", "mme_points", 375.0, 1500.0),
         "pope": ("POPE", "percent", 85.0, 86.5)}


def _unbroken(n: int) -> str:
    return "".join("abcdefghijklmnopqrstuvwxyz0123456789"[(i * 7 + i // 13) % 36] for i in range(n))


def _run(root: Path, which: int, prediction: str | None = None) -> Path:
    """A run of eagle-x5-7b over TASKS, from synthetic single-task runs merged into one folder."""
    run_dir = root / f"eagle-x5-7b__0000000{which}"
    results: dict = {}
    for task, (column, units, *values) in TASKS.items():
        part = write_synthetic_run(root / f"part-{which}-{task}", 6, task=task, shift=which)
        data = json.loads((part / "results.json").read_text(encoding="utf-8"))
        entry = data["results"][task]
        entry.update(paper_column=column, headline={"metric": "accuracy", "value": values[which], "units": units})
        results[task] = entry
        for kind in ("samples", "scores"):
            (run_dir / kind).mkdir(parents=True, exist_ok=True)
            shutil.copy(part / kind / f"{task}.jsonl", run_dir / kind / f"{task}.jsonl")
    data.update(results=results, run_id=run_dir.name, model={**data["model"], "name": "eagle-x5-7b"})
    (run_dir / "results.json").write_text(json.dumps(data), encoding="utf-8")
    if prediction is not None:
        path = run_dir / "samples" / "pope.jsonl"
        lines = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
        lines[1]["prediction"] = prediction
        path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    return run_dir


def _load(browser, page: Path, html: str) -> None:  # noqa: F811
    page.write_text(html, encoding="utf-8")
    browser.set_page_load_timeout(60)  # generous: before pages shortened long text, one took over 240 s
    browser.get(page.as_uri())


def test_a_megabyte_prediction_is_shortened_and_shown_whole_on_demand(browser, tmp_path):  # noqa: F811
    run = _run(tmp_path, 1, prediction=_unbroken(MEGABYTE))
    baseline = _run(tmp_path, 0, prediction=_unbroken(MEGABYTE))
    _load(browser, tmp_path / "page.html", render_html(build_report(run, ReportOptions(baseline=baseline))))
    browser.execute_script("document.getElementById('task-select').value = 'pope'; "
                           "document.getElementById('task-select').dispatchEvent(new Event('change'))")
    (cell,) = [td for td in browser.find_elements("css selector", "#sample-rows td.prediction:not(.baseline)")
               if td.find_elements("css selector", "button.more")]
    shown = cell.find_element("css selector", ".clip")
    assert shown.get_attribute("textContent").endswith("\u2026") and len(shown.get_attribute("textContent")) < 1000
    assert browser.execute_script("return arguments[0].getBoundingClientRect().height", cell) > 0  # laid out
    button = cell.find_element("css selector", "button.more")
    assert button.text == f"show all {MEGABYTE:,} characters"
    button.click()
    full = browser.find_element("id", "overlay-text")
    assert len(full.get_attribute("textContent")) == MEGABYTE
    assert browser.execute_script("return arguments[0].getBoundingClientRect().height", full) > 0
    full.click()  # on the text (to select it): stays open
    assert browser.find_element("id", "overlay").get_attribute("hidden") is None
    browser.execute_script("document.getElementById('overlay').click()")  # beside the text: closes
    assert browser.find_element("id", "overlay").get_attribute("hidden") is not None


@pytest.mark.parametrize("width", WIDTHS)
def test_no_chart_label_or_long_text_overflows_its_box(browser, tmp_path, width):  # noqa: F811
    long_answer = "The answer is yes, because " + "the picture shows several things clearly " * 30
    run = _run(tmp_path, 1)
    baseline = _run(tmp_path, 0, prediction=long_answer)
    html = render_html(build_report(run, ReportOptions(baseline=baseline, reference="eagle-x5-7b")))
    size = browser.get_window_size()
    browser.set_window_size(width, 1000)
    try:
        _load(browser, tmp_path / "page.html", html)
        overflow = browser.execute_script(
            """
            const out = [], page = document.documentElement.clientWidth;
            for (const box of document.querySelectorAll("#charts .chart-box")) {
              const b = box.getBoundingClientRect();
              if (b.left < -0.5 || b.right > page + 0.5) out.push(["box", box.querySelector("h3").textContent, b.left, b.right, page]);
              for (const t of box.querySelectorAll("svg text")) {  // inside its chart, which is inside its box
                const r = t.getBoundingClientRect(), s = t.ownerSVGElement.getBoundingClientRect();
                if (r.left < s.left - 0.5 || r.right > s.right + 0.5 || s.left < b.left - 0.5 || s.right > b.right + 0.5) {
                  out.push([t.textContent, r.left, r.right, s.left, s.right, b.left, b.right]);
                }
              }
            }
            return out;
            """
        )
        assert overflow == []
        paper = [box for box in browser.find_elements("css selector", "#charts .chart-box") if "vs the paper" in box.text][0]
        units = [h.text for h in paper.find_elements("css selector", "h4.chart-unit")]
        assert units == ["percent", "MME points"]  # each unit on its own scale
        svgs = paper.find_elements("css selector", "svg")
        assert [len(svg.find_elements("css selector", "text.label")) for svg in svgs] == [2, 1]
        browser.execute_script("document.getElementById('task-select').value = 'pope'; "
                               "document.getElementById('task-select').dispatchEvent(new Event('change'))")
        base = browser.find_elements("css selector", "#sample-rows td.baseline .clip")[1]
        assert base.get_attribute("textContent").endswith("\u2026")  # cut with an ellipsis, not mid-line
        clamp = browser.execute_script("return getComputedStyle(arguments[0]).webkitLineClamp", base)
        assert clamp == "6"
        inside = browser.execute_script(
            "const c = arguments[0].getBoundingClientRect(), p = arguments[0].parentElement.getBoundingClientRect();"
            "return [c.bottom <= p.bottom + 0.5 && c.right <= p.right + 0.5, c.toJSON(), p.toJSON()]", base)
        assert inside[0], inside  # the clamped text stays inside its cell
    finally:
        browser.set_window_size(size["width"], size["height"])
