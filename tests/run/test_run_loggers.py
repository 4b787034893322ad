"""--wandb-args and --hub-log-args: off by default, checked before the run; W&B in offline mode, the Hub
upload through huggingface_hub against the local hub of tests/hub_server.py."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
import time

import pytest

import eagle_eval.run.loggers as run_loggers
from tests.conftest import one_line_exit_2
from tests.hub_server import TOKEN, closed_port_url

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


def _uploaded(hub_server, repo: str) -> dict[str, bytes]:
    """Every file the local hub received for `repo`, across its commits."""
    return {path: content for commit in hub_server.received if commit.repo == repo
            for path, content in commit.files.items()}  # fmt: skip


def test_hub_upload_sends_the_run_files_through_the_hub_client(toy_world, eagle, tmp_path, hub_server):
    result = eagle(*RUN, "--output-dir", str(tmp_path / "runs"), "--hub-log-args", "repo=org/eagle-results")
    assert result.code == 0, result.err
    (run_dir,) = list((tmp_path / "runs").iterdir())
    assert f"uploaded to the Hub: dataset org/eagle-results/{run_dir.name}" in result.out
    (create,) = hub_server.of("create")
    assert json.loads(create.body) == {"name": "eagle-results", "organization": "org", "visibility": "private",
                                       "type": "dataset"}
    (commit,) = hub_server.received
    assert (commit.repo, commit.repo_type, commit.branch) == ("org/eagle-results", "dataset", "main")
    assert commit.summary == f"eagle-eval results: {run_dir.name}"
    names = ["results.json", "samples/toyqa.jsonl", "scores/toyqa.jsonl"]
    assert sorted(commit.files) == sorted(f"{run_dir.name}/{name}" for name in [*names, "run.log"])
    for name in names:
        assert commit.files[f"{run_dir.name}/{name}"] == (run_dir / name).read_bytes()
    assert (run_dir / "run.log").read_bytes().startswith(commit.files[f"{run_dir.name}/run.log"])  # as it was then
    assert {r.revision for r in hub_server.of("preupload") + hub_server.of("commit")} == {"main"}
    assert {r.authorization for r in hub_server.requests if r.endpoint in ("create", "preupload", "commit")} == {
        f"Bearer {TOKEN}"}

    # The repo exists now: a second run's create_repo is answered 409, which exist_ok accepts.
    quiet = eagle(*RUN, "--output-dir", str(tmp_path / "runs"),
                  "--hub-log-args", "repo=org/eagle-results,samples=false,private=false,path_in_repo=runs/a")  # fmt: skip
    assert quiet.code == 0, quiet.err
    assert json.loads(hub_server.of("create")[1].body)["visibility"] == "public"
    assert sorted(hub_server.received[1].files) == ["runs/a/results.json"]
    assert hub_server.repos[("dataset", "org/eagle-results")].private is True  # made private by the first run


def test_hub_upload_to_a_branch_commits_there_and_leaves_main(toy_world, eagle, tmp_path, hub_server):
    repo = hub_server.add_repo("org/eagle-results", {".gitattributes": b""}, "1" * 40, refs=("main", "results"))
    result = eagle(*RUN, "--output-dir", str(tmp_path / "runs"),
                   "--hub-log-args", "repo=org/eagle-results,revision=results,samples=false")  # fmt: skip
    assert result.code == 0, result.err
    (commit,) = hub_server.received
    assert commit.branch == "results" and repo.refs == {"main": "1" * 40, "results": commit.oid}
    assert {r.revision for r in hub_server.of("preupload") + hub_server.of("commit")} == {"results"}
    (run_dir,) = list((tmp_path / "runs").iterdir())
    assert repo.commits[commit.oid][f"{run_dir.name}/results.json"] == (run_dir / "results.json").read_bytes()


@pytest.mark.parametrize(("hub_args", "refused", "failure"), [
    ("repo=org/r", True, "ConnectError: "),  # the hub refuses connections
    ("repo=org/r,revision=no-such-branch", False, "RevisionNotFoundError: 404 Client Error."),
])
def test_a_failed_upload_keeps_the_results_and_exits_2(toy_world, eagle, tmp_path, hub_server, monkeypatch,
                                                       hub_args, refused, failure):
    from huggingface_hub import constants

    if refused:
        monkeypatch.setattr(constants, "ENDPOINT", closed_port_url())
    result = eagle(*RUN, "--output-dir", str(tmp_path / "runs"), "--hub-log-args", hub_args)
    assert result.code == 2 and f"eagle-eval: error: logging the run failed: {failure}" in result.err, result.err
    (results,) = list((tmp_path / "runs").glob("*/results.json"))
    assert f"the results are in {results.parent}" in " ".join(result.err.split())
    assert hub_server.received == []


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
    # In a fresh process: importing the CLI and the loggers, and checking no flags, loads neither library.
    script = ("import sys; import eagle_eval.cli, eagle_eval.run.loggers as loggers; loggers.RunLoggers.check(None, None); "
              "print(sorted(name for name in ('wandb', 'huggingface_hub') if name in sys.modules))")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
