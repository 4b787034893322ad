"""--limit as a count or a fraction, and --offset: lmms-eval's rounding, whole scoring units, records."""

from __future__ import annotations

import json
from types import SimpleNamespace
from typing import Any, ClassVar

import pytest
from lmms_eval.evaluator_utils import get_sample_size

from eagle_eval.data.window import select_docs, window_size
from eagle_eval.core.records import Doc
from tests.conftest import ToyQA, one_line_exit_2


@pytest.mark.parametrize("n_docs", [1, 7, 10, 333, 2374])
@pytest.mark.parametrize("limit", [0.001, 0.1, 0.25, 1 / 3, 0.5, 0.999, 5, 40])
def test_the_window_is_sized_as_lmms_eval_sizes_it(n_docs, limit):
    assert window_size(limit, n_docs) == get_sample_size(SimpleNamespace(eval_docs=range(n_docs)), limit)


class Circular(ToyQA):
    """Units spread over the split, as MMBench's circular copies are: doc i belongs to unit i % 4."""

    name: ClassVar[str] = "circular"
    scores_units_whole: ClassVar[bool] = True
    cluster_key: ClassVar[str | None] = "unit"
    n_docs: ClassVar[int] = 12

    def load_docs(self, data_root: Any = None) -> list[Doc]:
        return [Doc("dev", i, {"unit": f"u{i % 4}" if i != 9 else None}) for i in range(self.n_docs)]


def test_offset_and_limit_take_whole_units_and_consecutive_windows_do_not_overlap():
    task = Circular()
    docs = task.load_docs()
    first = select_docs(task, docs, 2, 0)
    second = select_docs(task, docs, 2, 2)
    assert [d.doc_id for d in first] == [0, 1, 4, 5, 8]  # units u0 and u1 whole (doc 9 has no unit: alone)
    assert [d.doc_id for d in second] == [2, 3, 6, 7, 10, 11]  # u2 and u3; u0 and u1 stay out entirely
    assert [d.doc_id for d in select_docs(task, docs, 0.5, 0)] == [d.doc_id for d in docs if d.doc_id != 9]
    assert [d.doc_id for d in select_docs(task, docs, None, 9)] == [9]  # units begun before the offset stay out
    plain = ToyQA()
    assert [d.doc_id for d in select_docs(plain, plain.load_docs(), 3, 4)] == [4, 5, 6]
    assert select_docs(plain, plain.load_docs(), None, 0) == plain.load_docs()
    # --limit alone is what it always was: the first N, widened to whole units.
    assert task.limit_docs(docs, 2) == first


def test_fraction_and_offset_through_a_run_are_recorded(toy_world, eagle, tmp_path):
    def run(*extra: str) -> dict:
        out = tmp_path / "-".join(extra)
        result = eagle("run", "--model", "toy", "--tasks", "toyqa", "--output-dir", str(out), "--no-progress", *extra)
        assert result.code == 0, result.err
        (run_dir,) = list(out.iterdir())
        return json.loads((run_dir / "results.json").read_text())

    fraction = run("--limit", "0.25")
    assert fraction["results"]["toyqa"]["n_samples"] == 3  # ceil(10 * 0.25)
    assert fraction["settings"]["limit"] == 0.25 and fraction["results"]["toyqa"]["subset_reason"] == "--limit 0.25: 3 docs"
    window = run("--limit", "3", "--offset", "4")
    toyqa = window["results"]["toyqa"]
    assert window["settings"]["offset"] == 4 and toyqa["subset_reason"] == "--limit 3 --offset 4: 3 docs"
    lines = (tmp_path / "--limit-3---offset-4").glob("*/samples/toyqa.jsonl")
    assert sorted(json.loads(line)["doc_id"] for path in lines for line in path.read_text().splitlines()) == [4, 5, 6]
    # The same count from other docs has another docs fingerprint, and compare refuses to pair them.
    head = run("--limit", "3")
    assert head["results"]["toyqa"]["docs_fingerprint"] != toyqa["docs_fingerprint"]
    compared = eagle("compare", str(next((tmp_path / "--limit-3---offset-4").glob("*/results.json"))),
                     "--baseline", str(next((tmp_path / "--limit-3").glob("*/results.json"))))
    assert compared.code == 2 and "the runs scored different samples" in compared.err


@pytest.mark.parametrize(
    ("flags", "named"),
    [
        (("--limit", "0"), "--limit"),
        (("--limit", "1.5"), "--limit"),
        (("--limit", "-0.2"), "--limit"),
        (("--limit", "ten"), "--limit"),
        (("--offset", "-1"), "--offset"),
        (("--offset", "10"), "--offset 10 skips all 10 docs of toyqa"),
    ],
)
def test_bad_windows_exit_2_in_one_line(toy_world, eagle, tmp_path, flags, named):
    result = eagle("run", "--model", "toy", "--tasks", "toyqa", "--output-dir", str(tmp_path), "--no-progress", *flags)
    assert named in one_line_exit_2(result)
