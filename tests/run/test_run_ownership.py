"""A run directory belongs to one launch at a time; stale locks and temporary files never get in the way.

In-process tests use the toy model; the overlap tests start the CLI twice on one output directory
with a replay model that pauses before each batch (tests/slow_launch.py). Plain processes start the
second launch at several moments of the first: together, once the first holds the lock, while it
generates (held there at a gate until the second has given up), and after it finished;
`torchrun --nproc-per-node 2` over gloo repeats the generating moment, plain and waiting. Every
sample must be generated exactly once, the loser must exit 2 naming the holder's host and pid, and
results.json must cover every doc.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from eagle_eval.data.fixtures import pope as pope_fixture
from eagle_eval.results.samples import read_samples
from eagle_eval.run import ownership
from eagle_eval.run.distributed import rank_files
from eagle_eval.run.ownership import LOCK_FILENAME, WAIT_ENV, RunDirBusyError, RunDirLock, read_holder
from tests.conftest import only_run_dir

from ..launches import finish_launch, start_launch

REPO_ROOT = Path(__file__).resolve().parents[2]
SLOW_LAUNCH = Path(__file__).resolve().parents[1] / "slow_launch.py"
N_POPE = len(pope_fixture.ROWS)


# --- the lock itself ---------------------------------------------------------------------------


def test_a_second_lock_on_a_held_run_dir_names_the_holder(tmp_path):
    with RunDirLock(tmp_path) as first, pytest.raises(RunDirBusyError) as caught:
        RunDirLock(tmp_path).acquire()
    message = str(caught.value)
    assert f"host {socket.gethostname()} pid {os.getpid()}" in message and first.holder.launch in message
    RunDirLock(tmp_path).acquire().release()  # released: free again


def test_a_lock_left_by_a_killed_process_never_blocks(tmp_path):
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time\nfrom eagle_eval.run.ownership import RunDirLock\n"
         "lock = RunDirLock(sys.argv[1]).acquire(); print('held', flush=True); time.sleep(60)", str(tmp_path)],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(RunDirBusyError, match=f"pid {holder.pid}"):
            RunDirLock(tmp_path).acquire()
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait(timeout=10)
    assert read_holder(tmp_path / LOCK_FILENAME).pid == holder.pid  # the file still names the dead job
    with RunDirLock(tmp_path) as lock:  # ... and does not block
        assert read_holder(tmp_path / LOCK_FILENAME).pid == os.getpid() == lock.holder.pid


class PollClock:
    """Stands in for `time` in eagle_eval.run.ownership, so a wait is counted in polls, not seconds: each
    sleep is one poll of a held lock and moves the clock on by its length; at poll `release_at` the
    holder lets go. No real time passes, so a busy machine cannot change what the tests see."""

    def __init__(self, held: RunDirLock, release_at: int) -> None:
        self.now, self.polls, self.held, self.release_at = 0.0, 0, held, release_at

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.polls += 1
        self.now += seconds
        if self.polls == self.release_at:
            self.held.release()


def test_a_waiting_lock_takes_over_when_the_holder_finishes(tmp_path, monkeypatch):
    held = RunDirLock(tmp_path).acquire()
    clock = PollClock(held, release_at=3)
    monkeypatch.setattr(ownership, "time", clock)
    with RunDirLock(tmp_path, wait_s=20) as waiter:
        # It met the held lock and polled; the holder let go during the third poll and the waiter took
        # the lock at its next try: not at once (0 polls), not at its deadline (20 s / 0.2 s = 100 polls).
        assert clock.polls == 3
        assert read_holder(tmp_path / LOCK_FILENAME).launch == waiter.holder.launch != held.holder.launch


# --- the runner holds it -----------------------------------------------------------------------


def test_a_run_on_a_held_directory_exits_2_before_generating(toy_world, toy_run, tmp_path):
    assert toy_run().code == 0
    run_dir = only_run_dir(tmp_path / "runs", among_files=True)
    samples = (run_dir / "samples" / "toyqa.jsonl").read_bytes()
    adapter = toy_world.new_adapter()
    with RunDirLock(run_dir):
        result = toy_run()
    assert result.code == 2 and f"pid {os.getpid()}" in result.err and socket.gethostname() in result.err
    assert adapter.calls == [] and (run_dir / "samples" / "toyqa.jsonl").read_bytes() == samples


def test_a_run_waits_for_the_holder_when_asked(toy_world, toy_run, tmp_path, monkeypatch):
    assert toy_run().code == 0
    run_dir = only_run_dir(tmp_path / "runs", among_files=True)
    samples = (run_dir / "samples" / "toyqa.jsonl").read_bytes()
    entry = json.loads((run_dir / "results.json").read_text())["results"]["toyqa"]
    held = RunDirLock(run_dir).acquire()
    clock = PollClock(held, release_at=3)
    monkeypatch.setattr(ownership, "time", clock)
    monkeypatch.setenv(WAIT_ENV, "20")
    adapter = toy_world.new_adapter()
    result = toy_run()
    assert result.code == 0, result.err
    # It waited: three polls while this test held the lock (released during the third), then it took it.
    assert clock.polls == 3 and read_holder(run_dir / LOCK_FILENAME).launch != held.holder.launch
    # ... and found the first run's work intact: every sample reused, none generated, the same scores.
    assert adapter.calls == [] and "toyqa: 10 of 10 samples reused" in result.err
    assert (run_dir / "samples" / "toyqa.jsonl").read_bytes() == samples
    after = json.loads((run_dir / "results.json").read_text())["results"]["toyqa"]
    assert {k: v for k, v in after.items() if k != "timings"} == {k: v for k, v in entry.items() if k != "timings"}


def test_stale_temporary_files_of_killed_writes_are_removed(toy_world, toy_run, tmp_path):
    assert toy_run().code == 0
    run_dir = only_run_dir(tmp_path / "runs", among_files=True)
    litter = [run_dir / ".results.json.tmp-999999", run_dir / "scores" / ".toyqa.jsonl.tmp-4242"]
    for path in litter:
        path.write_text('{"half": ')
    keep = run_dir / "notes.tmp-1"  # not a name our writes use
    keep.write_text("mine")
    assert toy_run().code == 0
    assert not any(path.exists() for path in litter) and keep.exists()
    assert json.loads((run_dir / "results.json").read_text())["results"]["toyqa"]["n_samples"] == 10


# --- two launches on one directory -------------------------------------------------------------


@pytest.fixture
def pope_setup(tmp_path):
    root = tmp_path / "hub"
    pope_fixture.write(root)
    predictions = tmp_path / "predictions.jsonl"
    rows = [{"task": "pope", "split": "test", "doc_id": i, "prediction": "yes" if i % 3 else "no"} for i in range(N_POPE)]
    predictions.write_text("".join(json.dumps(row) + "\n" for row in rows))
    return root, predictions


def launch_env(tmp_path: Path, gate: Path, wait_s: float = 0) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("RANK", "WORLD_SIZE", "LOCAL_RANK", WAIT_ENV)}
    env.update(OMP_NUM_THREADS="1", EAGLE_EVAL_CACHE=str(tmp_path / "cache"), HF_DATASETS_CACHE=str(tmp_path / "hf"))
    env.update(EAGLE_EVAL_TEST_GATE=str(gate), EAGLE_EVAL_DIST_TIMEOUT_S="120", PYTHONPATH=str(REPO_ROOT))
    if wait_s:
        env[WAIT_ENV] = str(wait_s)
    return env


def start(prefix: list[str], root: Path, predictions: Path, output: Path, env: dict[str, str]) -> subprocess.Popen:
    args = ["run", "--model", "replay", "--predictions", str(predictions), "--tasks", "pope", "--data-root",
            str(root), "--output-dir", str(output), "--no-progress", "--batch-size", "1"]  # fmt: skip
    return start_launch([*prefix, str(SLOW_LAUNCH), *args], env)


def finish(process: subprocess.Popen, timeout: float = 240) -> tuple[int, str]:
    done = finish_launch(process, timeout)
    return done.returncode, done.stderr


def wait_until(condition, timeout: float = 150) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail("the launches never reached the moment the test waits for")
        time.sleep(0.05)


def generated_lines(run_dir: Path) -> int:
    samples = run_dir / "samples"
    if not samples.is_dir():
        return 0
    return sum(len(path.read_text().splitlines()) for path in samples.glob("pope*.jsonl"))


def moment_reached(output: Path, moment: str) -> bool:
    runs = [p for p in output.iterdir() if p.is_dir()] if output.is_dir() else []
    if not runs:
        return False
    lock = read_holder(runs[0] / LOCK_FILENAME)
    if moment == "locked":
        return lock is not None
    return lock is not None and generated_lines(runs[0]) >= 2  # "generating"


def holds_open(launch: int, path: Path) -> bool:
    """Whether the process `launch` or one of its descendants (torchrun's workers) has `path` open: a
    launch that waits for the lock keeps the lock file open while it polls."""
    target, parents = os.path.realpath(path), {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:  # "pid (name) state ppid ...": the name may hold spaces, so split after its ')'
            parents[int(stat.parent.name)] = int(stat.read_text().rpartition(")")[2].split()[1])
        except (OSError, ValueError, IndexError):  # the process ended while we looked
            continue
    family, grown = {launch}, True
    while grown:
        children = {pid for pid, parent in parents.items() if parent in family} - family
        family |= children
        grown = bool(children)
    for pid in family:
        try:
            if any(os.readlink(fd) == target for fd in Path(f"/proc/{pid}/fd").iterdir()):
                return True
        except OSError:
            continue
    return False


def overlap(prefix: list[str], moment: str, pope_setup, tmp_path: Path, wait_s: float = 0) -> None:
    """Start a second launch at `moment` of the first; the first is held at a gate until the second
    has given up (or, when it waits for the lock, until it holds the lock file open), then both finish."""
    root, predictions = pope_setup
    output, gate = tmp_path / "out", tmp_path / "gate"
    first = start(prefix, root, predictions, output, launch_env(tmp_path, gate))
    if moment == "after":
        gate.touch()
        first_code, first_err = finish(first)
    elif moment != "together":
        wait_until(lambda: moment_reached(output, moment))
    second = start(prefix, root, predictions, output, launch_env(tmp_path, gate, wait_s))
    if moment != "after":
        if wait_s:  # hold the gate until the second launch has met the held lock and waits on it
            wait_until(lambda: holds_open(second.pid, only_run_dir(output, among_files=True) / LOCK_FILENAME))
        else:
            wait_until(lambda: first.poll() is not None or second.poll() is not None)
        gate.touch()
        first_code, first_err = finish(first)
    second_code, second_err = finish(second)

    run_dir = only_run_dir(output, among_files=True)
    records = read_samples(run_dir / "samples" / "pope.jsonl")
    # Every doc generated once, whoever did it: no second copy, no lost line, no rank file left.
    assert sorted(r.doc_id for r in records) == list(range(N_POPE)), (first_err, second_err)
    assert rank_files(run_dir / "samples" / "pope.jsonl") == []
    results = json.loads((run_dir / "results.json").read_text())["results"]["pope"]
    assert results["n_samples"] == N_POPE and results["n_errors"] == 0
    codes = sorted([first_code, second_code])
    if moment == "after" or wait_s:
        assert codes == [0, 0], (first_err, second_err)
        return
    assert codes[0] == 0 and codes[1] != 0, (first_err, second_err)
    loser = second_err if second_code else first_err
    holder = read_holder(run_dir / LOCK_FILENAME)
    assert f"host {holder.host} pid {holder.pid}" in loser and "in use by" in loser, loser
    # Plain: the launcher's own exit code; torchrun reports its worker's exit code 2.
    assert (max(codes) == 2) if prefix == [sys.executable] else re.search(r"exitcode\s*:\s*2\b", loser), loser


@pytest.mark.slow
@pytest.mark.parametrize("moment", ["together", "locked", "generating", "after"])
def test_two_plain_launches_on_one_directory(moment, pope_setup, tmp_path):
    overlap([sys.executable], moment, pope_setup, tmp_path)


@pytest.mark.slow
def test_a_plain_launch_that_waits_generates_nothing_twice(pope_setup, tmp_path):
    overlap([sys.executable], "generating", pope_setup, tmp_path, wait_s=120)


# torchrun is `python -m torch.distributed.run`; the module needs no console script on PATH.
TORCHRUN_2 = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node", "2"]


@pytest.mark.slow
def test_two_torchrun_launches_on_one_directory(pope_setup, tmp_path):
    # One moment under torchrun: the plain launches cover every moment of the same lock code, and
    # "generating" is the one where the held run has already written lines a loser must not touch.
    overlap(TORCHRUN_2, "generating", pope_setup, tmp_path)


@pytest.mark.slow
def test_a_torchrun_launch_that_waits_generates_nothing_twice(pope_setup, tmp_path):
    overlap(TORCHRUN_2, "generating", pope_setup, tmp_path, wait_s=200)
