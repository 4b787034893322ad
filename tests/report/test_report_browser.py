"""The HTML report in a real browser: Debian's chromium, headless, driven by Selenium.

The real run is eagle-tiny on the bundled TextVQA and POPE samples. A second run replays its
predictions with two changes made here, so the expected counts follow from the changes alone:
every POPE doc with an even doc_id gets its ground-truth answer (eagle-tiny, a random model, gets
every POPE question wrong: checked below from its scores file), one TextVQA prediction is a
`<script>` payload, and one TextVQA sample has failed. A synthetic run of 10,000 samples checks
that filtering, searching and sorting find the right rows and rebuild only one page of them.

Set EAGLE_EVAL_README_SCREENSHOT=1 to also write the README's screenshot, docs/images/report.png.
"""

from __future__ import annotations

import json
import math
import os
import shutil
from pathlib import Path

import pytest

from eagle_eval.api.registry import get_task
from eagle_eval.cli import main
from eagle_eval.report import ReportOptions, build_report, render_html
from eagle_eval.report.fixture_runs import write_synthetic_run
from tests.conftest import require_system_packages

ROOT = Path(__file__).resolve().parents[2]
BUNDLED = ROOT / "data" / "hub"
CHROMIUM, CHROMEDRIVER = Path("/usr/bin/chromium"), Path("/usr/bin/chromedriver")  # their proof files in scripts/system-packages.txt
README_SCREENSHOT = ROOT / "docs" / "images" / "report.png"
PAYLOAD = '<script>window.__injected = 1</script><img src=x onerror="window.__injected = 2">'
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory):
    require_system_packages("the browser tests", "chromium", "chromium-driver")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in (
        "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run", "--window-size=1500,1100",
        f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}",
    ):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    yield driver
    driver.quit()


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("report-runs")
    common = ["--tasks", "textvqa,pope", "--limit", "4", "--data-root", str(BUNDLED), "--no-progress"]
    assert main(["run", "--model", "eagle-tiny", "--device", "cpu", "--output-dir", str(out / "tiny"), *common]) == 0
    (tiny,) = (out / "tiny").iterdir()
    pope_truth = {(d.split, d.doc_id): d.row["answer"] for d in get_task("pope").load_docs(BUNDLED)}
    lines = []
    for task in ("textvqa", "pope"):
        for obj in _lines(tiny / "samples" / f"{task}.jsonl"):
            key = (obj["split"], obj["doc_id"])
            if task == "pope" and obj["doc_id"] % 2 == 0:
                obj["prediction"] = pope_truth[key]
            if task == "textvqa" and obj["doc_id"] == 0:
                obj["prediction"] = PAYLOAD
            if task == "textvqa" and obj["doc_id"] == 1:
                obj["prediction"], obj["error"] = None, "generation failed: out of memory"
            lines.append(json.dumps(obj))
    predictions = out / "crafted.jsonl"
    predictions.write_text("\n".join(lines) + "\n")
    code = main(["run", "--model", "replay", "--predictions", str(predictions), "--output-dir", str(out / "crafted"), *common])
    assert code == 3  # the failed TextVQA sample
    (crafted,) = (out / "crafted").iterdir()
    return {"tiny": tiny, "crafted": crafted}


def _lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _open(browser, tmp_path: Path, run: Path, **options) -> Path:
    page = tmp_path / f"{run.name}.html"
    page.write_text(render_html(build_report(run, ReportOptions(**options))), encoding="utf-8")
    browser.get_log("browser")  # drop what earlier pages logged
    browser.get(page.as_uri())
    return page


def _console_errors(browser) -> list[dict]:
    return [entry for entry in browser.get_log("browser") if entry["level"] == "SEVERE"]


def _choose(browser, element_id: str, value: str) -> None:
    from selenium.webdriver.support.ui import Select

    Select(browser.find_element("id", element_id)).select_by_value(value)


def _count(browser) -> int:
    return int(browser.find_element("id", "count-matching").text)


def _pope_even(run: Path) -> int:
    return sum(1 for obj in _lines(run / "samples" / "pope.jsonl") if obj["doc_id"] % 2 == 0)


def test_page_loads_without_console_errors_and_shows_every_sample(browser, runs, tmp_path: Path) -> None:
    _open(browser, tmp_path, runs["tiny"], reference="eagle-x5-7b")
    assert _console_errors(browser) == []
    assert browser.find_element("id", "overview-table").is_displayed()
    for task in ("textvqa", "pope"):
        n_lines = len({(o["split"], o["doc_id"]) for o in _lines(runs["tiny"] / "samples" / f"{task}.jsonl")})
        _choose(browser, "task-select", task)
        assert int(browser.find_element("id", "count-total").text) == n_lines
        assert _count(browser) == n_lines
        assert len(browser.find_elements("css selector", "#sample-rows tr")) == n_lines
        assert browser.find_element("css selector", f'[data-testid="rows-{task}"]').text == str(n_lines)
    thumbnails = browser.find_elements("css selector", "#sample-rows td.thumbs img")
    assert thumbnails and all(img.get_attribute("src").startswith("data:image/jpeg;base64,") for img in thumbnails)
    assert _console_errors(browser) == []


def test_verdict_filter_counts_follow_the_planted_answers(browser, runs, tmp_path: Path) -> None:
    tiny_pope_scores = [o["values"]["accuracy"] for o in _lines(runs["tiny"] / "scores" / "pope.jsonl")]
    assert set(tiny_pope_scores) == {0.0}  # the premise: the random model is wrong on every POPE question
    n_pope = len(tiny_pope_scores)
    planted = _pope_even(runs["crafted"])
    _open(browser, tmp_path, runs["crafted"])
    _choose(browser, "task-select", "pope")
    for verdict, expected in (("correct", planted), ("wrong", n_pope - planted), ("error", 0), ("all", n_pope)):
        _choose(browser, "verdict-filter", verdict)
        assert _count(browser) == expected, verdict
    _choose(browser, "task-select", "textvqa")
    _choose(browser, "verdict-filter", "error")
    assert _count(browser) == 1
    assert "out of memory" in browser.find_element("css selector", "#sample-rows td.error").text
    assert _console_errors(browser) == []


def test_flip_filter_counts_gained_and_lost(browser, runs, tmp_path: Path) -> None:
    planted = _pope_even(runs["crafted"])
    for run, baseline, gained, lost in (("crafted", "tiny", planted, 0), ("tiny", "crafted", 0, planted)):
        _open(browser, tmp_path, runs[run], baseline=runs[baseline])
        _choose(browser, "task-select", "pope")
        for flip, expected in (("gained", gained), ("lost", lost)):
            _choose(browser, "flip-select", flip)
            assert _count(browser) == expected, (run, flip)
    assert _console_errors(browser) == []


def test_script_prediction_is_shown_as_text(browser, runs, tmp_path: Path) -> None:
    page = _open(browser, tmp_path, runs["crafted"])
    assert "<script>window.__injected" not in page.read_text(encoding="utf-8")
    _choose(browser, "task-select", "textvqa")
    browser.find_element("id", "search").send_keys("<script>window")
    assert _count(browser) == 1
    assert browser.find_element("css selector", "#sample-rows td.prediction").text == PAYLOAD
    assert browser.execute_script("return window.__injected === undefined")
    assert browser.find_elements("css selector", 'img[src="x"]') == []


def test_clicking_a_thumbnail_opens_the_original_from_the_image_folder(browser, runs, tmp_path: Path) -> None:
    page = tmp_path / "page.html"
    code = main(["report", str(runs["tiny"]), "-o", str(page), "--image-dir", str(tmp_path / "originals")])
    assert code == 0
    browser.get_log("browser")
    browser.get(page.as_uri())
    _choose(browser, "task-select", "textvqa")
    browser.find_element("css selector", "#sample-rows td.thumbs img").click()
    overlay_image = browser.find_element("id", "overlay-image")
    assert overlay_image.get_attribute("src").startswith("file://") and "/originals/" in overlay_image.get_attribute("src")
    from selenium.webdriver.support.ui import WebDriverWait

    loaded = "return arguments[0].complete && arguments[0].naturalWidth > 0"
    WebDriverWait(browser, 10).until(lambda driver: driver.execute_script(loaded, overlay_image))
    natural = browser.execute_script("return [arguments[0].naturalWidth, arguments[0].naturalHeight]", overlay_image)
    (original,) = [p for p in (tmp_path / "originals").iterdir() if p.name in overlay_image.get_attribute("src")]
    from PIL import Image

    with Image.open(original) as picture:
        assert natural == list(picture.size)
    assert _console_errors(browser) == []


def _box_pixels(image, box: dict, dpr: float) -> list[tuple[int, int, int]]:
    """The screenshot's pixels inside a viewport rectangle {left, top, width, height}, 1 px in from its edges."""
    left, top = round((box["left"] + 1) * dpr), round((box["top"] + 1) * dpr)
    right, bottom = round((box["left"] + box["width"] - 1) * dpr), round((box["top"] + box["height"] - 1) * dpr)
    return [image.getpixel((x, y)) for x in range(left, right) for y in range(top, bottom)]


def test_screenshot_of_the_bundled_sample_report(browser, runs, tmp_path: Path) -> None:
    _open(browser, tmp_path, runs["crafted"], baseline=runs["tiny"], reference="eagle-x5-7b")
    # The baseline chart's POPE row says what the two results files say: the difference of the headlines.
    pope = {name: json.loads((runs[name] / "results.json").read_text())["results"]["pope"]["headline"]["value"]
            for name in ("crafted", "tiny")}
    delta = pope["crafted"] - pope["tiny"]
    assert delta > 0  # the planted right answers can only raise POPE
    (chart,) = [box for box in browser.find_elements("css selector", "#charts .chart-box") if "vs the baseline" in box.text]
    labels = [label.text for label in chart.find_elements("css selector", "svg text.label")]
    row = labels.index("pope")
    bar = chart.find_elements("css selector", "svg rect.bar")[row]
    assert chart.find_elements("css selector", "svg text.value")[row].text.startswith(f"{delta:+.1f} [")
    assert bar.get_attribute("class") == "bar pos"
    assert chart.find_elements("css selector", "svg line.whisker"), "the paired intervals of eagle_eval.stats"
    _choose(browser, "task-select", "pope")
    _choose(browser, "flip-select", "gained")
    planted = _pope_even(runs["crafted"])
    flips = [tr.get_attribute("data-flip") for tr in browser.find_elements("css selector", "#sample-rows tr")]
    assert flips == ["gained"] * planted  # the rows below the charts: exactly the planted answers
    shot = tmp_path / "report.png"
    size = browser.get_window_size()
    browser.set_window_size(1500, 1500)  # the overview, both charts and the first sample rows
    try:
        browser.execute_script("window.scrollTo(0, 0)")
        box = browser.execute_script("return arguments[0].getBoundingClientRect().toJSON()", bar)
        height = browser.execute_script("return window.innerHeight")
        dpr = browser.execute_script("return window.devicePixelRatio")
        assert browser.save_screenshot(str(shot))
    finally:
        browser.set_window_size(size["width"], size["height"])
    from collections import Counter

    from PIL import Image

    assert box["width"] >= 4 and box["top"] >= 0 and box["top"] + box["height"] <= height, box
    # Left of a positive bar, the same rows of the plot: the zero line stands between the two boxes.
    beside = dict(box, left=box["left"] - box["width"] - 4)
    with Image.open(shot) as image:
        rgb = image.convert("RGB")
        assert image.size[0] >= 1200 and image.size[1] >= 1200
        # Painted, not only in the DOM: the bar's box is mostly report.css's green (#68b58a; a whisker
        # crosses it), the box beside it the chart's white background.
        (bar_colour, _), = Counter(_box_pixels(rgb, box, dpr)).most_common(1)
        (beside_colour, _), = Counter(_box_pixels(rgb, beside, dpr)).most_common(1)
    assert (bar_colour, beside_colour) == ((0x68, 0xB5, 0x8A), (255, 255, 255))
    if os.environ.get("EAGLE_EVAL_README_SCREENSHOT"):
        shutil.copyfile(shot, README_SCREENSHOT)


def test_ten_thousand_samples_render_one_page_per_change(browser, tmp_path: Path) -> None:
    n = 10_000
    baseline = write_synthetic_run(tmp_path / "a", n, shift=0)
    run = write_synthetic_run(tmp_path / "b", n, shift=1)
    _open(browser, tmp_path, run, baseline=baseline)
    assert _console_errors(browser) == []
    # What keeps a change quick at any size: each one rebuilds a single page of rows, never every match.
    # A MutationObserver counts the rows each apply() puts into the table (timings belong in a benchmark).
    steps = browser.execute_script(
        """
        const r = window.eagleReport, s = r.state, t = {};
        const observer = new MutationObserver(() => {});
        observer.observe(document.getElementById("sample-rows"), { childList: true });
        function step(name, change) {
          change(); observer.takeRecords(); r.apply();
          t[name + "_added"] = observer.takeRecords().reduce((n, m) => n + m.addedNodes.length, 0);
          t[name + "_count"] = r.visibleCount();
        }
        step("all", () => {});
        step("correct", () => { s.verdict = "correct"; });
        step("gained", () => { s.verdict = "all"; s.flip = "gained"; });
        step("lost", () => { s.flip = "lost"; });
        step("search", () => { s.flip = "all"; s.query = "sample 4242 "; });
        step("sort", () => { s.query = ""; s.sort = "prediction"; s.desc = true; });
        observer.disconnect();
        t.rows_in_dom = document.querySelectorAll("#sample-rows tr").length;
        return t;
        """
    )
    assert steps["all_count"] == n
    assert steps["correct_count"] == n - n // 3  # wrong where (i + 1) % 3 == 0, i.e. i % 3 == 2: n // 3 of them
    assert steps["gained_count"] == math.ceil(n / 3)  # i % 3 == 0: wrong in the baseline, right now
    assert steps["lost_count"] == n // 3  # i % 3 == 2
    assert steps["search_count"] == 1
    assert steps["sort_count"] == n
    assert steps["rows_in_dom"] == 50  # one page, not 10,000 rows
    for name in ("all", "correct", "gained", "lost", "search", "sort"):
        assert steps[f"{name}_added"] == min(50, steps[f"{name}_count"]), (name, steps)
