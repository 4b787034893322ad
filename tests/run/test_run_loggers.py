"""--wandb-args and --hub-log-args: off by default, checked before the run, tested offline only."""

from __future__ import annotations

import importlib.util
import json
import time
from pathlib import Path

import pytest

import eagle_eval.run.loggers as run_loggers
from tests.conftest import one_line_exit_2

RUN = ("run", "--model", "toy", "--tasks", "toyqa", "--no-progress")


@pytest.mark.slow  # wandb starts its service process
def test_wandb_offline_writes_a_local_run_with_the_headlines(toy_world, eagle, tmp_path, monkeypatch):
    monkeypatch.setenv("WANDB_MODE", "offline")
    monkeypatch.setenv("WANDB_DIR", str(tmp_path / "wandb-home"))
    monkeypatch.setenv("WANDB_SILENT", "true")
    result = eagle(*RUN, "--output-dir", str(tmp_path / "runs"), "--wandb-args", "project=eagle-test,job_type=eval")
    assert result.code == 0, result.err
    assert "logged to Weights & Biases" in result.out
    (offline,) = list((tmp_path / "wandb-home" / "wandb").glob("offline-run-*"))
    (table,) = list(offline.glob("files/media/table/headlines_*.table.json"))
    rows = json.loads(table.read_text())["data"]
    # The toy model gets 6 of its 10 sums right (every third doc, 0, 3, 6, 9, is answered wrong).
    assert rows == [["toyqa", "TextVQA", "accuracy", 60.0, "percent", 10]]
    (events,) = list(offline.glob("run-*.wandb"))
    # wandb's service process writes its event log on its own schedule, shortly after finish() returns.
    deadline = time.monotonic() + 30
    while b"results-toy-model__" not in events.read_bytes() and time.monotonic() < deadline:
        time.sleep(0.2)
    recorded = events.read_bytes()
    assert b"toyqa/accuracy" in recorded and b"eagle-test" in recorded and b"results-toy-model__" in recorded


class FakeHub:
    """Stands in for HfApi: records the calls and the files staged for upload."""

    calls: list[tuple[str, dict]] = []
    staged: list[str] = []

    def create_repo(self, **kwargs):
        FakeHub.calls.append(("create_repo", kwargs))

    def upload_folder(self, **kwargs):
        FakeHub.calls.append(("upload_folder", kwargs))
        folder = Path(kwargs["folder_path"])
        FakeHub.staged = sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())


def test_hub_upload_gets_the_run_files(toy_world, eagle, tmp_path, monkeypatch):
    import huggingface_hub

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")  # a real call would fail: nothing leaves the machine
    monkeypatch.setattr(huggingface_hub, "HfApi", FakeHub)
    FakeHub.calls, FakeHub.staged = [], []
    result = eagle(*RUN, "--output-dir", str(tmp_path / "runs"), "--hub-log-args", "repo=org/eagle-results")
    assert result.code == 0, result.err
    (run_dir,) = list((tmp_path / "runs").iterdir())
    assert FakeHub.staged == ["results.json", "run.log", "samples/toyqa.jsonl", "scores/toyqa.jsonl"]
    (_, create), (_, upload) = FakeHub.calls
    assert create == {"repo_id": "org/eagle-results", "repo_type": "dataset", "private": True, "exist_ok": True}
    assert upload["path_in_repo"] == run_dir.name and upload["repo_type"] == "dataset"
    assert f"uploaded to the Hub: dataset org/eagle-results/{run_dir.name}" in result.out

    FakeHub.calls = []
    quiet = eagle(*RUN, "--output-dir", str(tmp_path / "runs"),
                  "--hub-log-args", "repo=org/r,samples=false,private=false,path_in_repo=runs/a")  # fmt: skip
    assert quiet.code == 0 and FakeHub.staged == ["results.json"]
    assert FakeHub.calls[0][1]["private"] is False and FakeHub.calls[1][1]["path_in_repo"] == "runs/a"


def test_a_failed_upload_keeps_the_results_and_exits_2(toy_world, eagle, tmp_path, monkeypatch):
    import huggingface_hub

    class Down(FakeHub):
        def create_repo(self, **kwargs):
            raise ConnectionError("offline")

    monkeypatch.setattr(huggingface_hub, "HfApi", Down)
    result = eagle(*RUN, "--output-dir", str(tmp_path / "runs"), "--hub-log-args", "repo=org/r")
    assert result.code == 2 and "logging the run failed: ConnectionError: offline" in result.err
    assert list((tmp_path / "runs").glob("*/results.json"))


@pytest.mark.parametrize(
    ("flags", "named"),
    [
        (("--wandb-args", "projekt=x"), "--wandb-args: unknown key(s) projekt"),
        (("--hub-log-args", "repo=noslash"), "must be ORG/NAME"),
        (("--hub-log-args", "repo=a/b,public=true"), "unknown key(s) public"),
        (("--hub-log-args", "repo=a/b,private=maybe"), "private=maybe must be true or false"),
        (("--wandb-args", ""), "--wandb-args: empty"),
    ],
)
def test_bad_logger_args_exit_2_before_the_run(toy_world, eagle, tmp_path, flags, named):
    result = eagle(*RUN, "--output-dir", str(tmp_path / "runs"), *flags)
    assert named in one_line_exit_2(result)
    assert toy_world.adapter.calls == [] and not (tmp_path / "runs").exists()


@pytest.mark.parametrize(("flag", "module", "extra"), [("--wandb-args", "wandb", "wandb"),
                                                        ("--hub-log-args", "huggingface_hub", "hub")])
def test_a_missing_extra_is_named_with_its_install_command(toy_world, eagle, tmp_path, monkeypatch, flag, module, extra):
    real = importlib.util.find_spec
    monkeypatch.setattr(run_loggers.importlib.util, "find_spec", lambda name, *a: None if name == module else real(name, *a))
    result = eagle(*RUN, "--output-dir", str(tmp_path / "runs"), flag, "project=x" if extra == "wandb" else "repo=a/b")
    assert result.code == 2 and f"pip install 'eagle-eval[{extra}]'" in result.err
    assert toy_world.adapter.calls == []


def test_without_the_flags_neither_library_is_imported():
    assert run_loggers.RunLoggers.check(None, None) == run_loggers.RunLoggers()
    source = Path(run_loggers.__file__).read_text()
    header = source[: source.index("class LoggerError")]
    assert "import wandb" not in header and "huggingface_hub" not in header.split('"""')[-1]
