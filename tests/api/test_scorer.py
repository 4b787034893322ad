"""The scorer version: a stable hash of a task's scoring code, recorded per task in results.json."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

from eagle_eval.api.registry import get_task
from eagle_eval.api.scorer import scorer_version
from eagle_eval.core.records import Doc, SampleScore
from eagle_eval.metrics.exact import exact_match
from tests.conftest import ToyQA


class _Lenient(ToyQA):
    def score(self, doc: Doc, prediction: str, judge: Any = None) -> SampleScore:
        parsed = prediction.strip().rstrip(".")
        return SampleScore({"accuracy": float(parsed == doc.row["answer"])}, "rule", parsed)


class _WithMetric(ToyQA):
    def score(self, doc: Doc, prediction: str, judge: Any = None) -> SampleScore:
        return SampleScore({"accuracy": float(exact_match(prediction, doc.row["answer"]))}, "rule", prediction)


def test_the_version_is_a_short_hash_and_the_same_in_another_process() -> None:
    here = scorer_version(get_task("pope"))
    code = "from eagle_eval.api.registry import get_task; from eagle_eval.api.scorer import scorer_version; " \
           "print(scorer_version(get_task('pope')))"
    there = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert here == there and here.startswith("sha256:") and len(here) == len("sha256:") + 12


def test_another_score_method_or_metric_is_another_version() -> None:
    versions = {scorer_version(ToyQA), scorer_version(_Lenient), scorer_version(_WithMetric)}
    assert len(versions) == 3
    assert scorer_version(ToyQA()) == scorer_version(ToyQA)


def test_results_record_it_per_task_and_older_files_read_as_null(toy_world, toy_run, tmp_path) -> None:
    assert toy_run("--limit", "2").code == 0
    path = next((tmp_path / "runs").glob("*/results.json"))
    data = json.loads(path.read_text())
    assert data["results"]["toyqa"]["scorer"] == scorer_version(ToyQA)
    del data["results"]["toyqa"]["scorer"]
    path.write_text(json.dumps(data))
    from eagle_eval.results.document import load_results

    assert load_results(path).results["toyqa"].scorer is None
