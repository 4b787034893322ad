"""The report's pieces without a browser: the embedded data, escaping, secrets, images, intervals."""

from __future__ import annotations

import io
import json
import random
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from PIL import Image

from eagle_eval.report import ReportOptions, build_report, render_html, view_json_text
from eagle_eval.report.charts import Bar, bar_chart
from eagle_eval.report.fixture_runs import write_synthetic_run
from eagle_eval.report.intervals import headline_interval
from eagle_eval.report.redact import redact_command
from eagle_eval.report.thumbnails import ThumbnailStore
from eagle_eval.results.document import load_results, write_results
from tests.conftest import one_line_exit_2


class _Scripts(HTMLParser):
    """Collects the page's script elements and every URL-bearing attribute."""

    def __init__(self) -> None:
        super().__init__()
        self.scripts: list[tuple[dict, str]] = []
        self.urls: list[str] = []
        self._open: dict | None = None

    def handle_starttag(self, tag: str, attrs: list) -> None:
        attributes = dict(attrs)
        self.urls += [v for k, v in attributes.items() if k in ("src", "href", "action") and v]
        if tag == "script":
            self._open = attributes
            self.scripts.append((attributes, ""))

    def handle_data(self, data: str) -> None:
        if self._open is not None:
            attributes, text = self.scripts[-1]
            self.scripts[-1] = (attributes, text + data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._open = None


def _parse(page: str) -> _Scripts:
    parser = _Scripts()
    parser.feed(page)
    return parser


def _edit_first_prediction(run_dir: Path, prediction: str) -> None:
    for name in ("samples", "scores"):
        path = run_dir / name / "pope.jsonl"
        lines = path.read_text().splitlines()
        first = json.loads(lines[0])
        first["prediction"] = prediction
        path.write_text("\n".join([json.dumps(first), *lines[1:]]) + "\n")


def test_page_embeds_the_json_view_and_nothing_external(tmp_path: Path) -> None:
    run = write_synthetic_run(tmp_path, 30)
    view = build_report(run)
    page = render_html(view)
    parsed = _parse(page)
    (data,) = [text for attrs, text in parsed.scripts if attrs.get("type") == "application/json"]
    assert json.loads(data) == json.loads(view_json_text(view))
    assert len(json.loads(data)["samples"]["pope"]) == 30
    assert all(url.startswith(("#", "data:")) for url in parsed.urls)
    assert all("src" not in attrs for attrs, _ in parsed.scripts)  # no external script
    assert "@import" not in page and "url(" not in page
    assert "default-src 'none'" in page  # the page may not reach the network


def test_html_in_predictions_never_appears_raw(tmp_path: Path) -> None:
    run = write_synthetic_run(tmp_path, 5)
    payload = '</script><script>alert(1)</script><b onmouseover="x()">bold</b> & \u2028'
    _edit_first_prediction(run, payload)
    page = render_html(build_report(run))
    assert "alert(1)</script>" not in page and "<b onmouseover" not in page
    assert sum(1 for _ in re.finditer("</script>", page)) == 2  # the page's own two script elements
    (data,) = [text for attrs, text in _parse(page).scripts if attrs.get("type") == "application/json"]
    assert json.loads(data)["samples"]["pope"][0]["prediction"] == payload


def test_keys_and_secret_environment_values_never_reach_the_page(tmp_path: Path, monkeypatch) -> None:
    secret = "s3cr3t-value-from-the-environment"
    monkeypatch.setenv("EAGLE_EVAL_JUDGE_API_KEY", secret)
    run = write_synthetic_run(tmp_path, 5)
    results = load_results(run)
    results.command = (
        "OPENAI_API_KEY=sk-abcdefghijklmnop eagle-eval run --model x --judge-api-key sk-live1234567890 "
        "--hf-token=hf_abcdefghijkl --judge-url https://user:pa55word@judge.example/v1"
    )
    write_results(run / "results.json", results)
    _edit_first_prediction(run, f"the key is {secret}")
    view = build_report(run)
    for text in (render_html(view), view_json_text(view)):
        for leaked in (secret, "sk-abcdefghijklmnop", "sk-live1234567890", "hf_abcdefghijkl", "pa55word"):
            assert leaked not in text
    assert "--judge-api-key '***'" in view.run.command or "--judge-api-key ***" in view.run.command


def test_redact_command_keeps_ordinary_arguments() -> None:
    command = "eagle-eval run --model eagle-x5-7b --tasks textvqa,pope --limit 5"
    assert redact_command(command) == command


def _noise(side: int, seed: int) -> Image.Image:
    rng = random.Random(seed)
    return Image.frombytes("RGB", (side, side), bytes(rng.getrandbits(8) for _ in range(side * side * 3)))


def _data_uri_bytes(images: dict) -> int:
    return sum(len(entry.get("thumb", "")) + len(entry.get("full", "")) for entry in images.values())


def test_thumbnails_shrink_to_fit_the_budget() -> None:
    store = ThumbnailStore(max_side=128, budget_bytes=120_000, full_budget_bytes=0)
    pictures = [_noise(160, seed) for seed in range(30)]
    ids = [store.add(picture) for picture in pictures]
    assert store.add(pictures[0]) == ids[0]  # the same picture is stored once
    images, budget = store.finish()
    assert budget.max_side < 128 and budget.n_left_out == 0 and budget.n_thumbnails == 30
    assert _data_uri_bytes(images) <= 120_000 and budget.used_bytes == _data_uri_bytes(images)
    side = max(Image.open(io.BytesIO(__import__("base64").b64decode(e["thumb"].split(",")[1]))).size[0] for e in images.values())
    assert side == budget.max_side


def test_thumbnails_over_the_smallest_side_are_left_out_and_counted() -> None:
    store = ThumbnailStore(max_side=64, budget_bytes=3_000, full_budget_bytes=0)
    for seed in range(40):
        store.add(_noise(64, seed))
    images, budget = store.finish()
    assert budget.n_left_out > 0 and budget.n_thumbnails + budget.n_left_out == 40
    assert _data_uri_bytes(images) <= 3_000
    assert sum(1 for entry in images.values() if "thumb" not in entry) == budget.n_left_out


def test_small_originals_are_embedded_for_the_enlarged_view() -> None:
    store = ThumbnailStore(max_side=32)
    key = store.add(Image.new("RGB", (200, 100), (10, 200, 30)))
    images, budget = store.finish()
    assert images[key]["full"].startswith("data:image/jpeg;base64,") and budget.n_full == 1
    assert images[key]["size"] == "200x100"


def test_headline_interval_reads_the_uncertainty_block() -> None:
    entry = {"uncertainty": {"unit": "imageId", "headline": {"value": 71.2, "se": 0.6, "ci_low": 70.0,
                                                               "ci_high": 72.4, "level": 0.95, "method": "clustered"}}}
    interval = headline_interval(entry)
    assert (interval.low, interval.high, interval.stderr) == (70.0, 72.4, 0.6)
    assert "clustered by imageId" in interval.method
    assert headline_interval({}) is None and headline_interval({"uncertainty": None}) is None
    assert headline_interval({"uncertainty": {"headline": {"ci_low": None, "ci_high": 1.0}}}) is None


def test_baseline_flips_and_delta_on_a_synthetic_pair(tmp_path: Path) -> None:
    baseline = write_synthetic_run(tmp_path / "a", 9, shift=0)
    run = write_synthetic_run(tmp_path / "b", 9, shift=1)
    view = build_report(run, ReportOptions(baseline=baseline))
    (task,) = view.tasks
    # shift 0 is wrong at i % 3 == 0 (i = 0, 3, 6), shift 1 at i % 3 == 2 (2, 5, 8).
    assert task.flips == {"gained": 3, "lost": 3, "same": 3, "new": 0}
    assert [r.doc_id for r in view.samples["pope"] if r.flip == "gained"] == [0, 3, 6]
    assert task.baseline_delta == pytest.approx(0.0)
    assert "baseline" in view.charts


def test_chart_labels_are_escaped_and_whiskers_drawn() -> None:
    svg = bar_chart([Bar("<b>x</b>", 1.5, -0.5, 3.0), Bar("y", -2.0)], "t & t", "none")
    assert "<b>" not in svg and "&lt;b&gt;x&lt;/b&gt;" in svg and "t &amp; t" in svg
    assert svg.count('class="whisker"') == 3
    assert "[-0.5, +3.0]" in svg


def test_report_command_writes_the_page_and_the_same_view_as_json(eagle, tmp_path: Path) -> None:
    run = write_synthetic_run(tmp_path, 12)
    result = eagle("report", run)
    assert result.code == 0, result.err
    page = (run / "report.html").read_text(encoding="utf-8")
    assert str(run / "report.html") in result.out and "12 samples" in result.out
    assert "note: no paper reference" in result.err  # the synthetic model has no README row
    result = eagle("report", run, "--format", "json", "-o", tmp_path / "view.json", "--reference", "eagle-x5-7b")
    assert result.code == 0, result.err
    view = json.loads((tmp_path / "view.json").read_text(encoding="utf-8"))
    (data,) = [text for attrs, text in _parse(page).scripts if attrs.get("type") == "application/json"]
    assert [row["doc_id"] for row in view["samples"]["pope"]] == [row["doc_id"] for row in json.loads(data)["samples"]["pope"]]
    assert view["tasks"][0]["paper_value"] == 88.8  # Eagle-X5-7B's POPE in the README table
    assert view["tasks"][0]["paper_delta"] == pytest.approx(view["tasks"][0]["value"] - 88.8)


@pytest.mark.parametrize(
    ("argv", "named"),
    [(("report", "missing-run"), "missing-run"), (("report", "RUN", "--reference", "no-such-model"), "no-such-model")],
)
def test_report_command_input_errors_are_one_line(eagle, tmp_path: Path, argv, named: str) -> None:
    run = write_synthetic_run(tmp_path, 3)
    result = eagle(*[str(run) if a == "RUN" else str(tmp_path / a) if a == "missing-run" else a for a in argv])
    assert named in one_line_exit_2(result)


def test_an_input_the_model_cut_is_shown_as_truncated(tmp_path: Path) -> None:
    run = write_synthetic_run(tmp_path, 3)
    path = run / "samples" / "pope.jsonl"
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    lines[1]["notes"] = {"input_positions": 5000, "input_truncated": True}
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    rows = build_report(run).samples["pope"]
    assert [row.truncation is not None for row in rows] == [False, True, False]
    assert "5000 positions" in rows[1].truncation


def test_image_dir_gets_every_original_linked_relative_to_the_page(tmp_path: Path) -> None:
    store = ThumbnailStore(max_side=32, image_dir=tmp_path / "report_images", image_href="report_images")
    key = store.add(Image.new("RGB", (900, 700), (1, 2, 3)))
    images, _ = store.finish()
    assert images[key]["href"] == f"report_images/{key}.jpg"
    with Image.open(tmp_path / "report_images" / f"{key}.jpg") as original:
        assert original.size == (900, 700)


def test_a_task_without_an_interval_says_why(tmp_path: Path) -> None:
    """An estimate whose samples cannot bound the score reads 'n too small', as table and run print it;
    a task whose results hold no uncertainty at all reads 'none recorded'."""
    run = write_synthetic_run(tmp_path, 5)
    document = json.loads((run / "results.json").read_text())
    entry = document["results"]["pope"]
    # A version-1 block (written before the interval rule) with a zero-width interval: no interval.
    entry["uncertainty"] = {"version": 1, "unit": None, "n_units": 5, "level": 0.95, "metrics": {},
                            "unavailable": {}, "headline": {"value": 100.0, "se": 0.0, "ci_low": 100.0,
                                                            "ci_high": 100.0, "level": 0.95, "method": "iid",
                                                            "n_samples": 5, "n_units": 5}}
    (run / "results.json").write_text(json.dumps(document))
    assert "n too small" in render_html(build_report(run))
    entry["uncertainty"] = None
    (run / "results.json").write_text(json.dumps(document))
    page = render_html(build_report(run))
    assert "none recorded" in page and "n too small" not in page
