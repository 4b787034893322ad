"""The HTML report in a real browser: Debian's chromium, headless, driven by Selenium.

The real run is eagle-tiny on the bundled TextVQA and POPE samples. A second run replays its
predictions with two changes made here, so the expected counts follow from the changes alone:
every POPE doc with an even doc_id gets its ground-truth answer (eagle-tiny, a random model, gets
every POPE question wrong: checked below from its scores file), one TextVQA prediction is a
`<script>` payload, and one TextVQA sample has failed. A synthetic run of 10,000 samples checks
that filtering, searching, sorting and paging stay fast.

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


def test_screenshot_of_the_bundled_sample_report(browser, runs, tmp_path: Path) -> None:
    _open(browser, tmp_path, runs["crafted"], baseline=runs["tiny"], reference="eagle-x5-7b")
    whiskers = browser.find_elements("css selector", "#charts svg line.whisker")
    assert whiskers, "the baseline chart draws the paired intervals of eagle_eval.stats"
    _choose(browser, "task-select", "pope")
    _choose(browser, "flip-select", "gained")
    shot = tmp_path / "report.png"
    size = browser.get_window_size()
    browser.set_window_size(1500, 1500)  # the overview, both charts and the first sample rows
    try:
        assert browser.save_screenshot(str(shot))
    finally:
        browser.set_window_size(size["width"], size["height"])
    from PIL import Image

    with Image.open(shot) as image:
        assert image.size[0] >= 1200 and image.size[1] >= 1200
        assert len(image.convert("L").getcolors(maxcolors=1 << 16) or range(1 << 16)) > 16  # not a blank page
    if os.environ.get("EAGLE_EVAL_README_SCREENSHOT"):
        shutil.copyfile(shot, README_SCREENSHOT)


def test_ten_thousand_samples_stay_responsive(browser, tmp_path: Path) -> None:
    n = 10_000
    baseline = write_synthetic_run(tmp_path / "a", n, shift=0)
    run = write_synthetic_run(tmp_path / "b", n, shift=1)
    _open(browser, tmp_path, run, baseline=baseline)
    assert _console_errors(browser) == []
    timing = browser.execute_script(
        """
        const r = window.eagleReport, s = r.state, t = {};
        function time(name, change) { change(); const t0 = performance.now(); r.apply(); t[name] = performance.now() - t0;
                                      t[name + "_count"] = r.visibleCount(); }
        time("all", () => {});
        time("correct", () => { s.verdict = "correct"; });
        time("gained", () => { s.verdict = "all"; s.flip = "gained"; });
        time("lost", () => { s.flip = "lost"; });
        time("search", () => { s.flip = "all"; s.query = "sample 4242 "; });
        time("sort", () => { s.query = ""; s.sort = "prediction"; s.desc = true; });
        t.rows_in_dom = document.querySelectorAll("#sample-rows tr").length;
        t.load_ms = performance.now();
        return t;
        """
    )
    assert timing["all_count"] == n
    assert timing["correct_count"] == n - n // 3  # wrong where (i + 1) % 3 == 0, i.e. i % 3 == 2: n // 3 of them
    assert timing["gained_count"] == math.ceil(n / 3)  # i % 3 == 0: wrong in the baseline, right now
    assert timing["lost_count"] == n // 3  # i % 3 == 2
    assert timing["search_count"] == 1
    assert timing["rows_in_dom"] == 50  # one page, not 10,000 rows
    for name in ("all", "correct", "gained", "lost", "search", "sort"):
        assert timing[name] < 500, (name, timing)
    print(json.dumps({k: round(v, 1) for k, v in timing.items()}))
