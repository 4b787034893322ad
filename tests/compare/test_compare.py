"""`eagle-eval compare`: exit 0 within tolerance, 1 on regression, 2 on unusable input."""

from __future__ import annotations

import json

import pytest

from eagle_eval.compare.gate import CompareInputError, Tolerance, parse_max_drop


@pytest.fixture
def baseline(write_run):
    return write_run("old", {"textvqa": ("TextVQA", 71.2), "pope": ("POPE", 88.8), "mme": ("MME", 1528.0)})


def test_within_tolerance_exits_0(eagle, write_run, baseline):
    # 71.2 → 70.7 is a drop of exactly 0.5: allowed by the default 0.5.
    new = write_run("new", {"textvqa": ("TextVQA", 70.7), "pope": ("POPE", 89.0), "mme": ("MME", 1528.0)})
    result = eagle("compare", new, "--baseline", baseline)
    assert result.code == 0, result.err
    assert "no regression" in result.out and "-0.50" in result.out and "+0.20" in result.out


def test_regression_exits_1(eagle, write_run, baseline):
    new = write_run("new", {"textvqa": ("TextVQA", 70.6), "pope": ("POPE", 88.8), "mme": ("MME", 1528.0)})
    result = eagle("compare", new, "--baseline", baseline)
    assert result.code == 1
    assert "REGRESSION: textvqa" in result.out


def test_per_task_tolerance_and_task_filter(eagle, write_run, baseline):
    new = write_run("new", {"textvqa": ("TextVQA", 70.6), "pope": ("POPE", 88.4), "mme": ("MME", 1500.0)})
    # textvqa drops 0.6 (allowed 1.0), pope 0.4 (allowed by the global 0.5), mme 28 points (allowed 30).
    assert eagle("compare", new, "--baseline", baseline, "--max-drop", "textvqa=1.0,mme=30").code == 0
    assert eagle("compare", new, "--baseline", baseline, "--max-drop", "0.3,textvqa=1.0,mme=30").code == 1
    assert eagle("compare", new, "--baseline", baseline, "--tasks", "pope").code == 0
    assert eagle("compare", new, "--baseline", baseline, "--tasks", "textvqa").code == 1


def test_parse_max_drop():
    assert parse_max_drop(None) == Tolerance(0.5, ())
    assert parse_max_drop("1.5") == Tolerance(1.5, ())
    tolerance = parse_max_drop("textvqa=1.0,pope=0.3,0.2")
    assert tolerance.for_task("textvqa") == 1.0 and tolerance.for_task("pope") == 0.3 and tolerance.for_task("gqa") == 0.2
    with pytest.raises(CompareInputError, match="--max-drop: cannot read 'textvqa=lots'"):
        parse_max_drop("textvqa=lots")
    with pytest.raises(CompareInputError, match="--max-drop: '-1' is negative"):
        parse_max_drop("-1")


def test_unusable_input_exits_2(eagle, write_run, baseline, tmp_path):
    assert eagle("compare", tmp_path / "missing.json", "--baseline", baseline).code == 2

    bad_json = tmp_path / "bad.json"
    bad_json.write_text("{not json")
    result = eagle("compare", bad_json, "--baseline", baseline)
    assert result.code == 2 and "not valid JSON" in result.err

    wrong_version = tmp_path / "v2.json"
    data = json.loads(baseline.read_text())
    data["schema_version"] = 2
    wrong_version.write_text(json.dumps(data))
    result = eagle("compare", wrong_version, "--baseline", baseline)
    assert result.code == 2 and "schema_version 2 is not supported" in result.err

    other = write_run("other", {"gqa": ("GQA", 60.0)})
    result = eagle("compare", other, "--baseline", baseline)
    assert result.code == 2 and "no common tasks" in result.err

    result = eagle("compare", baseline, "--baseline", baseline, "--max-drop", "textvqa=x")
    assert result.code == 2 and "--max-drop" in result.err


def test_server_scored_tasks_are_skipped(eagle, write_run):
    old = write_run("old", {"vqav2": ("VQAv2", None), "pope": ("POPE", 88.0)}, server={"vqav2"})
    new = write_run("new", {"vqav2": ("VQAv2", None), "pope": ("POPE", 88.0)}, server={"vqav2"})
    result = eagle("compare", new, "--baseline", old)
    assert result.code == 0 and "skipped" in result.out
