"""Damaged results files: a wrong-typed field or a number that is not one is refused once, on reading,
with exit 2 naming the file and the field, by every command that reads the document."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from eagle_eval.report.fixture_runs import write_synthetic_run
from tests.conftest import one_line_exit_2

# (where in the document, the hostile value, what the one-line message names)
DAMAGE = [
    (("results", "pope", "timings"), [1], "results['pope']: field 'timings' has type list"),
    (("results", "pope", "n_input_truncated"), "x", "results['pope']: field 'n_input_truncated' has type str"),
    (("results", "pope", "sources"), {"a": 1}, "results['pope']: field 'sources' has type object"),
    (("results", "pope", "sources"), [1], "results['pope'].sources[0] has type int"),
    (("results", "pope", "uncertainty"), {"headline": "x"},
     "results['pope'].uncertainty: field 'headline' has type str"),
    (("results", "pope", "timings", "wall_seconds"), "slow",
     "results['pope'].timings: field 'wall_seconds' has type str"),
    (("results", "pope", "headline", "value"), float("nan"), "results['pope'].headline: field 'value' is nan"),
    (("results", "pope", "headline", "value"), float("inf"), "results['pope'].headline: field 'value' is inf"),
    (("results", "pope", "extraction", "rule"), "7", "results['pope'].extraction: field 'rule' has type str"),
    (("settings", "offset"), "1", "settings: field 'offset' has type str"),
    (("variant",), [], "field 'variant' has type list"),
]


def _damage(results: Path, path: tuple[str, ...], value) -> None:
    data = json.loads(results.read_text(encoding="utf-8"))
    target = data
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    results.write_text(json.dumps(data), encoding="utf-8")  # NaN and Infinity written bare, as Python does


@pytest.fixture
def runs(tmp_path):
    good = write_synthetic_run(tmp_path / "good", 6)
    bad = write_synthetic_run(tmp_path / "bad", 6, shift=1)
    return good, bad


@pytest.mark.parametrize(("path", "value", "says"), DAMAGE, ids=[".".join(d[0]) + f"={d[1]!r}" for d in DAMAGE])
def test_a_wrong_field_is_refused_by_table_compare_and_report(eagle, runs, path, value, says):
    good, bad = runs
    _damage(bad / "results.json", path, value)
    for argv in (("table", bad), ("table", "--format", "json", bad.parent), ("compare", bad, "--baseline", good),
                 ("compare", good, "--baseline", bad), ("report", bad, "-o", bad / "page.html")):
        err = one_line_exit_2(eagle(*argv))
        assert str(bad / "results.json") in err and says in err, (argv, err)


def test_a_nan_headline_is_not_ranked_or_printed(eagle, runs):
    good, bad = runs
    _damage(bad / "results.json", ("results", "pope", "headline", "value"), float("nan"))
    result = eagle("table", "--format", "json", bad, good)
    assert "NaN" not in result.out and "nan" not in result.out
    one_line_exit_2(result)


def test_an_undamaged_file_still_reads(eagle, runs):
    good, _ = runs
    assert eagle("table", good).code == 0
    assert eagle("report", good, "-o", good / "page.html").code == 0


def _replace_with(path: Path, what: str) -> None:
    path.unlink()
    if what == "folder":
        path.mkdir()
    else:  # a symbolic link loop
        partner = path.with_name(path.name + ".loop")
        path.symlink_to(partner)
        partner.symlink_to(path)


@pytest.mark.parametrize("what", ["folder", "loop"])
def test_a_folder_or_link_loop_for_results_json_is_named_not_skipped(eagle, runs, what):
    good, bad = runs
    _replace_with(bad / "results.json", what)
    says = "is a folder" if what == "folder" else "symbolic link that loops"
    for argv in (("table", bad.parent.parent), ("table", bad), ("compare", bad, "--baseline", good),
                 ("report", bad, "-o", bad / "page.html")):
        err = one_line_exit_2(eagle(*argv))
        assert str(bad / "results.json") in err and says in err, (argv, err)


@pytest.mark.parametrize("what", ["folder", "loop"])
@pytest.mark.parametrize("kind", ["samples", "scores"])
def test_a_folder_or_link_loop_for_a_samples_or_scores_file_stops_the_report(eagle, runs, what, kind):
    _, bad = runs
    _replace_with(bad / kind / "pope.jsonl", what)
    err = one_line_exit_2(eagle("report", bad, "-o", bad / "page.html"))
    assert str(bad / kind / "pope.jsonl") in err
    assert ("is a folder" if what == "folder" else "symbolic link that loops") in err
