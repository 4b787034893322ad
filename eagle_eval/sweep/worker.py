"""One job, wherever it runs: `eagle-eval run` for its model and tasks, and its state file kept current.

The run itself is a child process (`python -m eagle_eval run --config <job>.run.yaml`, under torchrun
when the job has several processes), so a job on any executor runs exactly the command a user would,
with the run's own resume, ownership and failure isolation; its output goes to the job's log. While
the child runs, the state file's wall and GPU seconds are brought up to date every `HEARTBEAT_S`, so a
job killed without warning (a cancel, a lost node) loses at most that much of its account.

A job stopped by a signal or requeued by its scheduler ends `pending` again when its process is told
to stop (the next attempt resumes from the samples files); a job whose run exits non-zero is
`failed` with the run's error line. The last job of a scheduled sweep to end builds its board.

    python -m eagle_eval.sweep.worker <output_root>/.sweep/<run_id>/<job_id>.job.json
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

from eagle_eval.sweep.records import (
    JobFiles,
    JobState,
    now,
    read_json,
    read_state,
    stored_samples,
    this_host,
    write_state,
)

HEARTBEAT_S = 10.0
_ERROR_PREFIX = "eagle-eval: error:"


def run_job(spec_path: Path) -> int:
    """Run the job of `spec_path`; its exit status (0 when the run finished, scored or not)."""
    spec_path = Path(spec_path)
    spec = read_json(spec_path)
    if spec is None:
        raise FileNotFoundError(f"{spec_path}: no job file here; submit the sweep again (eagle-eval sweep run FILE)")
    files = JobFiles(spec_path.parent, spec_path.name.removesuffix(".job.json"))
    _stop_on_sigterm()
    run_dir = Path(spec["run_dir"])
    state = _started(files, int(spec.get("gpus", 0)))
    before = stored_samples(run_dir, spec["tasks"])
    state.extra["stored_at_start"] = before
    write_state(files.state, state)
    child: subprocess.Popen[bytes] | None = None
    try:
        with files.log.open("ab") as log:
            log.write(f"--- attempt {state.attempts} on {state.host} (pid {os.getpid()})\n".encode())
            log.flush()
            child = subprocess.Popen(_command(files, int(spec.get("processes", 1))), stdout=log,
                                     stderr=subprocess.STDOUT, env=_environment(), preexec_fn=_child_signals)
            returncode = _wait(child, files, state)
    finally:
        if child is not None and child.poll() is None:  # we are being stopped: stop the run too
            _stop(child)
            _ended(files, state, before, run_dir, spec["tasks"], None)
    _ended(files, state, before, run_dir, spec["tasks"], returncode)
    if spec.get("sweep") and state.executor != "local":  # `sweep run` builds the local queue's board itself
        publish_if_last(spec, files)
    return returncode


def _child_signals() -> None:
    """The run leaves the scheduler's signals to this process: under Slurm a preemption is SIGTERM
    then USR2, and submitit (in this process) requeues on USR2, after which this process stops the run.
    A run that died of the SIGTERM first would end the job before the requeue."""
    signal.signal(signal.SIGUSR2, signal.SIG_IGN)
    if os.environ.get("SLURM_JOB_ID"):
        signal.signal(signal.SIGTERM, signal.SIG_IGN)


def _stop(child: subprocess.Popen[bytes]) -> None:
    """Interrupt the run as Ctrl-C would (it closes its files), then kill it if it does not end."""
    child.send_signal(signal.SIGINT)
    try:
        child.wait(timeout=20)
    except subprocess.TimeoutExpired:
        child.kill()
        child.wait()


def _stop_on_sigterm() -> None:
    """Outside Slurm, SIGTERM (the local queue stopping) ends this process through its `finally`.

    Under Slurm it is ignored, not just handled: a preemption sends SIGTERM to every process of the
    job, and the `scontrol requeue` that submitit starts on the USR2 that follows inherits an ignored
    SIGTERM (a handler would not survive its exec), so a late-delivered SIGTERM cannot kill the requeue.
    """
    if os.environ.get("SLURM_JOB_ID"):
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
    else:
        signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))


def _started(files: JobFiles, gpus: int) -> JobState:
    state = read_state(files.state) or JobState()
    state.state, state.host, state.pid = "running", this_host(), os.getpid()
    state.started, state.ended, state.returncode, state.error = now(), None, None, None
    state.attempts += 1
    state.gpus = gpus
    state.scheduler_id = _scheduler_id() or state.scheduler_id
    state.extra["heartbeat"] = state.started
    state.extra["cuda_visible_devices"] = os.environ.get("CUDA_VISIBLE_DEVICES")
    state.extra["counted"] = 0.0  # seconds of this attempt already added to wall and GPU seconds
    write_state(files.state, state)
    return state


def _scheduler_id() -> str | None:
    array, index = os.environ.get("SLURM_ARRAY_JOB_ID"), os.environ.get("SLURM_ARRAY_TASK_ID")
    if array and index:
        return f"{array}_{index}"
    return os.environ.get("SLURM_JOB_ID")


def _command(files: JobFiles, processes: int) -> list[str]:
    run = ["-m", "eagle_eval", "run", "--config", str(files.run_config), "--no-progress"]
    if processes > 1:
        return [sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc-per-node={processes}", *run]
    return [sys.executable, *run]


def _environment() -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("PYTHONUNBUFFERED", "1")
    return env


def _wait(child: subprocess.Popen[bytes], files: JobFiles, state: JobState) -> int:
    while True:
        try:
            return child.wait(timeout=HEARTBEAT_S)
        except subprocess.TimeoutExpired:
            _account(state)
            write_state(files.state, state)


def _account(state: JobState) -> None:
    """Add the seconds since the last account to wall and GPU seconds."""
    elapsed = now() - (state.started or now())
    new = elapsed - float(state.extra.get("counted", 0.0))
    state.wall_seconds += new
    state.gpu_seconds += new * state.gpus
    state.extra["counted"] = elapsed
    state.extra["heartbeat"] = now()


def _ended(files: JobFiles, state: JobState, before: int, run_dir: Path, tasks: list[str],
           returncode: int | None) -> None:
    if state.ended is not None:
        return
    _account(state)
    state.ended = now()
    state.samples_generated += max(stored_samples(run_dir, tasks) - before, 0)
    state.returncode = returncode
    if returncode is None or returncode < 0:
        state.state = "pending"  # stopped from outside: the next attempt (a requeue, a rerun) resumes
        state.error = f"stopped by {_signal_name(returncode)}; its samples are kept" if returncode else \
            "stopped from outside while running; its samples are kept"
    elif returncode == 0:
        state.state = "done"
    else:
        state.state, state.error = "failed", _error_line(files.log, returncode)
    write_state(files.state, state)


def _signal_name(returncode: int | None) -> str:
    try:
        return signal.Signals(-(returncode or 0)).name
    except ValueError:
        return f"signal {-(returncode or 0)}"


def _error_line(log: Path, returncode: int) -> str:
    """The run's `eagle-eval: error:` line from the log's end, else its last line, else the exit status."""
    try:
        tail = log.read_bytes()[-20000:].decode("utf-8", "replace").splitlines()
    except OSError:
        tail = []
    errors = [line for line in tail if line.startswith(_ERROR_PREFIX)]
    if errors:
        return errors[-1].removeprefix(_ERROR_PREFIX).strip()
    lines = [line.strip() for line in tail if line.strip() and not line.startswith("--- attempt")]
    return lines[-1] if lines else f"the run exited with status {returncode}"


def publish_if_last(spec: dict[str, Any], files: JobFiles) -> None:
    """Build the sweep's board when no job of it is pending or running any more: the board is there
    when the last job ends, with no one waiting for it. Two jobs ending at once both build it (each file
    is written whole); a board that cannot be built is left to `sweep board`, never failing the job."""
    sweep_dir = files.folder.parent
    for path in sweep_dir.glob("*/*.state.json"):
        other = read_state(path)
        if other is None or other.state in ("pending", "running"):
            return
    try:
        from eagle_eval.sweep.publish import publish_board
        from eagle_eval.sweep.spec import load_sweep

        board = publish_board(load_sweep(Path(spec["sweep"])))
    except Exception as err:  # noqa: BLE001 (the job's own work is done; the board can be built later)
        _log(files, f"--- the board was not built ({type(err).__name__}: {err}); run eagle-eval sweep board")
    else:
        _log(files, f"--- last job of the sweep: board {board.index}")


def _log(files: JobFiles, line: str) -> None:
    with files.log.open("a", encoding="utf-8") as log:
        log.write(line + "\n")


if __name__ == "__main__":  # pragma: no cover (the local executor's job process)
    sys.exit(run_job(Path(sys.argv[1])))
