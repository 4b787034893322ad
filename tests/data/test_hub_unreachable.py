"""A hub that cannot be reached, with no data on the machine: the run says what is missing at once.

huggingface_hub and datasets retry an endpoint that does not answer, per file and per split, so this
used to take 97 s (a refused connection) to over 5 minutes (an endpoint that accepts and never
answers). Now one bounded probe per process (eagle_eval.data.hub_reach) decides, every task's splits are
located before any loads, and nothing reaches the model. The endpoints here are local sockets: one
that accepts connections and never answers (counting them), and a closed port.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from types import SimpleNamespace

import datasets
import pytest

from eagle_eval.data import hub_reach as hub_reach_module
from eagle_eval.data.loading import DataError, DataReading, Source, load_source, reading
from eagle_eval.data.fixtures.hub_snapshot import write_hub_cache
from eagle_eval.data.hub_reach import HubReach, probe
from eagle_eval.run.plan import load_every_task
from tests.conftest import CliResult, one_line_exit_2


class SilentEndpoint:
    """A local socket that accepts every connection, counts it, and never sends a byte."""

    def __init__(self) -> None:
        self.server = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.server.getsockname()[1]}"
        self.accepted: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                connection, _ = self.server.accept()
            except OSError:
                return
            self.accepted.append(connection)

    def close(self) -> None:
        for connection in self.accepted:
            connection.close()
        self.server.close()


@pytest.fixture
def silent_endpoint() -> Iterator[SilentEndpoint]:
    endpoint = SilentEndpoint()
    yield endpoint
    endpoint.close()


def closed_port_url() -> str:
    with socket.create_server(("127.0.0.1", 0)) as taken:
        return f"http://127.0.0.1:{taken.getsockname()[1]}"  # free again once closed: nothing listens


def answering_endpoint(status: int) -> tuple[HTTPServer, str]:
    class Handler(BaseHTTPRequestHandler):
        def do_HEAD(self) -> None:  # noqa: N802 - http.server's naming
            self.send_response(status)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_port}"


def run_offline(tmp_path: Path, endpoint: str) -> tuple[CliResult, float]:
    """The README's first command in a fresh process: the hub at `endpoint`, an empty HF_HOME, no data root."""
    env = {key: value for key, value in os.environ.items()
           if key not in {"EAGLE_EVAL_DATA_ROOT", "HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE", "TRANSFORMERS_OFFLINE",
                          "HF_HUB_CACHE", "HF_DATASETS_CACHE", "HUGGINGFACE_HUB_CACHE"}
           and not key.lower().endswith("_proxy")}
    env.update(HF_ENDPOINT=endpoint, HF_HOME=str(tmp_path / "hf"))
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "eagle_eval", "run", "--model", "eagle-x5-7b", "--tasks", "textvqa,pope",
         "--output-dir", str(tmp_path / "out"), "--no-progress"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    return CliResult(done.returncode, done.stdout, done.stderr), time.monotonic() - started


@pytest.mark.slow
def test_no_hub_and_no_data_names_both_tasks_at_once_after_one_probe_and_loads_no_model(tmp_path, silent_endpoint):
    result, seconds = run_offline(tmp_path, silent_endpoint.url)
    line = one_line_exit_2(result)
    assert line.startswith("eagle-eval: error: 2 of 2 tasks cannot read their data — textvqa: "), line
    assert "| pope: " in line
    for repo in ("lmms-lab/textvqa", "lmms-lab/POPE"):
        assert f"hf download --repo-type dataset {repo} --revision" in line
    assert f"the hub at {silent_endpoint.url} cannot be reached (no answer within 3 s)" in line
    assert "pass --data-root (or set EAGLE_EVAL_DATA_ROOT)" in line
    # One connection: the probe. The libraries' retries and a checkpoint download would each open more.
    assert len(silent_endpoint.accepted) == 1
    hub_cache = tmp_path / "hf" / "hub"
    assert not (hub_cache.is_dir() and any(hub_cache.glob("models--*")))  # no weights fetched
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").rglob("results.json"))
    assert seconds < 30  # only the old minutes-long hang; the time itself is measured in the README


@pytest.mark.slow
def test_a_refused_connection_says_so(tmp_path):
    url = closed_port_url()
    line = one_line_exit_2(run_offline(tmp_path, url)[0])
    assert f"the hub at {url} cannot be reached (connection refused)" in line and "| pope: " in line


# --- in one process: the probe, the hub cache, the order of loading ------------------------------------

@pytest.fixture
def no_hub(monkeypatch, tmp_path) -> Path:
    """The hub at a silent local endpoint, probed afresh with a short wait; an empty hub cache, returned."""
    from huggingface_hub import constants

    endpoint = SilentEndpoint()
    monkeypatch.setattr(constants, "ENDPOINT", endpoint.url)
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "hub"))
    monkeypatch.setattr(hub_reach_module, "PROBE_TIMEOUT_S", 0.2)
    monkeypatch.setattr(datasets, "load_dataset", _no_dataset_loads)
    monkeypatch.setattr(datasets, "load_dataset_builder", _no_dataset_loads)
    probe.cache_clear()
    yield tmp_path / "hub"
    probe.cache_clear()
    endpoint.close()


def _no_dataset_loads(*args, **kwargs):
    raise AssertionError(f"the hub was asked for data: {args}")


def test_the_real_tasks_fail_before_the_model_is_made(no_hub, eagle, monkeypatch, tmp_path):
    from dataclasses import replace

    import eagle_eval.run.plan as plan

    made = []
    real_entry = plan.get_model_entry

    def entry(name):
        return replace(real_entry(name), factory=lambda options: made.append(options))

    monkeypatch.setattr(plan, "get_model_entry", entry)
    monkeypatch.delenv("EAGLE_EVAL_DATA_ROOT", raising=False)
    monkeypatch.chdir(tmp_path)
    line = one_line_exit_2(eagle("run", "--model", "eagle-x5-7b", "--tasks", "textvqa,pope", "--output-dir",
                                 tmp_path / "out", "--no-progress"))  # fmt: skip
    assert "2 of 2 tasks cannot read their data — textvqa: " in line and "| pope: " in line
    assert f"the hub cache {no_hub} holds no copy" in line
    assert made == []


def test_the_probe_is_sent_once_per_process(monkeypatch, silent_endpoint):
    from huggingface_hub import constants

    monkeypatch.setattr(constants, "ENDPOINT", silent_endpoint.url)
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    monkeypatch.setattr(hub_reach_module, "PROBE_TIMEOUT_S", 0.2)
    probe.cache_clear()
    try:
        first = hub_reach_module.hub_reach()
        assert hub_reach_module.hub_reach() is first
    finally:
        probe.cache_clear()
    assert first == HubReach(silent_endpoint.url, False, "no answer within 0.2 s")
    assert len(silent_endpoint.accepted) == 1


def test_what_the_probe_counts_as_reachable(monkeypatch):
    from huggingface_hub import constants

    url = closed_port_url()
    assert probe(url, 2.0) == HubReach(url, False, "connection refused")
    for status, reachable in ((200, True), (404, True), (503, False)):
        server, url = answering_endpoint(status)
        try:
            assert probe(url, 2.0) == HubReach(url, reachable, "" if reachable else f"HTTP {status}")
        finally:
            server.shutdown()
            server.server_close()
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    monkeypatch.setattr(hub_reach_module, "probe", lambda *args: pytest.fail("HF_HUB_OFFLINE: nothing is sent"))
    offline = hub_reach_module.hub_reach()
    assert not offline.reachable and offline.problem() == f"HF_HUB_OFFLINE is set, so the hub at {constants.ENDPOINT} is not asked"


def test_without_the_hub_a_split_in_the_hub_cache_is_read_from_there_and_said(tmp_path, monkeypatch, capsys):
    from huggingface_hub import constants

    source = Source("lmms-lab/toyset", "default", "validation", "main")
    split = datasets.Dataset.from_dict({"question": ["q0", "q1"], "answer": ["a0", "a1"]})
    write_hub_cache(tmp_path / "hub", source.repo, {"default": {"validation": split}}, "c" * 40, ref="main")
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "hub"))
    monkeypatch.setattr(hub_reach_module, "probe", lambda *args: HubReach("http://hub.invalid", False, "refused"))
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    monkeypatch.chdir(tmp_path)
    state = DataReading()
    with reading(state):
        assert load_source(source, None)["answer"] == ["a0", "a1"]
    told = capsys.readouterr().err
    assert "the hub at http://hub.invalid cannot be reached (refused): reading dataset lmms-lab/toyset" in told
    assert f"from the hub cache {tmp_path / 'hub'}" in told
    provenance = state.record(source)["provenance"]
    assert (provenance["commit"], provenance["commit_from"]) == ("c" * 40, "hub cache")


def test_a_task_whose_data_is_nowhere_loads_first_and_stops_the_others(tmp_path):
    (tmp_path / "org" / "present").mkdir(parents=True)
    present = SimpleNamespace(name="present", sources=(Source("org/present", None, "test", "main"),))
    absent = SimpleNamespace(name="absent", sources=(Source("org/absent", None, "test", "main"),))
    loaded = []

    def load(task):
        loaded.append(task.name)
        if task is absent:
            raise DataError("dataset org/absent not found under the data root")
        return [], False

    with pytest.raises(DataError, match=r"^absent: dataset org/absent not found"):
        load_every_task([present, absent], tmp_path, load)
    assert loaded == ["absent"]  # the present task's data is never read
    assert load_every_task([present], tmp_path, load) == {"present": ([], False)}
