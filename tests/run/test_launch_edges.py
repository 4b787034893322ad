"""A launch that cannot go on stops early and leaves nothing behind."""

from __future__ import annotations

import pytest

from eagle_eval.data.loading import DataError
from eagle_eval.run import plan as plan_module
from eagle_eval.run.ownership import RunDirLock
from tests.conftest import ToyQA, one_line_exit_2


def test_a_launch_that_fails_before_its_first_sample_leaves_no_folder(toy_run, toy_world, tmp_path, monkeypatch):
    def missing(self, data_root=None):
        raise DataError("dataset test/toyqa not found under the data root")

    monkeypatch.setattr(ToyQA, "load_docs", missing)
    output = tmp_path / "runs"
    assert "not found under the data root" in one_line_exit_2(toy_run("--run-id", "x", output_dir=output))
    assert not output.exists()  # neither runs/x/run.lock nor the runs/ folder it made


def test_a_failed_rerun_keeps_the_folder_it_found(toy_run, toy_world, tmp_path, monkeypatch):
    assert toy_run("--run-id", "x", "--limit", "2").code == 0
    monkeypatch.setattr(ToyQA, "load_docs", lambda self, data_root=None: (_ for _ in ()).throw(DataError("gone")))
    one_line_exit_2(toy_run("--run-id", "x"))
    assert (tmp_path / "runs" / "x" / "results.json").is_file()


def test_a_held_run_folder_is_refused_before_anything_loads(toy_run, toy_world, tmp_path, monkeypatch):
    steps: list[str] = []
    monkeypatch.setattr(plan_module, "seed_everything", lambda *a, **k: steps.append("seed"))
    monkeypatch.setattr(ToyQA, "load_docs", lambda self, data_root=None: steps.append("data") or [])
    with RunDirLock(tmp_path / "runs" / "x"):
        line = one_line_exit_2(toy_run("--run-id", "x"))
    assert "is in use by" in line and steps == []


def test_a_wrong_data_root_is_named_before_any_folder_is_made(toy_run, toy_world, tmp_path):
    (tmp_path / "data" / "hub").mkdir(parents=True)
    line = one_line_exit_2(toy_run("--data-root", tmp_path / "data" / "hbu"))
    assert f"--data-root {tmp_path / 'data' / 'hbu'}: no such folder (did you mean {tmp_path / 'data' / 'hub'}?)" in line
    assert not (tmp_path / "runs").exists()


@pytest.mark.parametrize("source", ["/path/that/does/not/exist", "./no-such-checkpoint"])
def test_a_local_hf_path_that_is_not_there_stops_the_plan(eagle, tmp_path, monkeypatch, source):
    monkeypatch.chdir(tmp_path)
    line = one_line_exit_2(eagle("run", "--model", f"hf:{source}", "--tasks", "pope", "--output-dir", "runs"))
    assert "no such checkpoint folder" in line
    assert not (tmp_path / "runs").exists()


def test_a_smaller_limit_on_a_stored_run_is_refused_before_the_model_loads(toy_run, toy_world, tmp_path):
    assert toy_run("--run-id", "x").code == 0
    results = tmp_path / "runs" / "x" / "results.json"
    before = results.read_bytes()
    toy_world.new_adapter()
    line = one_line_exit_2(toy_run("--run-id", "x", "--limit", "3"))
    assert "holds toyqa (10 → 3) docs" in line and "--allow-fewer-docs" in line
    assert toy_world.adapter.calls == [] and results.read_bytes() == before


def test_allow_fewer_docs_replaces_and_names_the_stale_report(toy_run, toy_world, tmp_path):
    import json

    assert toy_run("--run-id", "x").code == 0
    (tmp_path / "runs" / "x" / "report.html").write_text("<html></html>")
    result = toy_run("--run-id", "x", "--limit", "3", "--allow-fewer-docs")
    assert result.code == 0, result.err
    assert json.loads((tmp_path / "runs" / "x" / "results.json").read_text())["results"]["toyqa"]["n_samples"] == 3
    assert "report.html describes the earlier results" in result.err


def test_a_larger_limit_and_other_tasks_go_ahead(toy_run, toy_world):
    assert toy_run("--run-id", "x", "--limit", "3").code == 0
    assert toy_run("--run-id", "x", "--limit", "5").code == 0
    assert toy_run("--run-id", "x", "--limit", "2", tasks="toypope").code == 0
