"""A folder or a link loop where scores/<task>.jsonl belongs stops `compare` (exit 2), never a silent
fall-back to the flat tolerance."""

from __future__ import annotations

import pytest

from eagle_eval.report.fixture_runs import write_synthetic_run
from tests.conftest import one_line_exit_2
from tests.results.test_hostile_files import _replace_with


@pytest.fixture
def runs(tmp_path):
    return write_synthetic_run(tmp_path / "good", 6), write_synthetic_run(tmp_path / "bad", 6, shift=1)


@pytest.mark.parametrize("what", ["folder", "loop"])
def test_a_folder_or_link_loop_for_a_scores_file_stops_compare(eagle, runs, what):
    good, bad = runs
    _replace_with(bad / "scores" / "pope.jsonl", what)
    err = one_line_exit_2(eagle("compare", bad, "--baseline", good))
    assert str(bad / "scores" / "pope.jsonl") in err
    assert ("is a folder" if what == "folder" else "symbolic link that loops") in err
