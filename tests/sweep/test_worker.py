"""The job worker's signals and error lines: under Slurm a SIGTERM cannot kill the job or the requeue it
starts; outside Slurm it stops the job through its cleanup; a failed run's error line is the one the
run printed."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from eagle_eval.sweep.worker import _error_line

_PROBE = """
import os, signal, subprocess, sys
from eagle_eval.sweep import worker
worker._stop_on_sigterm()
print(signal.getsignal(signal.SIGTERM) is signal.SIG_IGN, flush=True)
# A command started now (as submitit starts `scontrol requeue`) gets a SIGTERM of its own.
done = subprocess.run(["sh", "-c", "kill -TERM $$; echo survived"], capture_output=True, text=True)
print(done.stdout.strip() or f"killed {done.returncode}", flush=True)
"""


def _probe(slurm: bool) -> list[str]:
    env = {key: value for key, value in os.environ.items() if key != "SLURM_JOB_ID"}
    if slurm:
        env["SLURM_JOB_ID"] = "7"
    done = subprocess.run([sys.executable, "-c", _PROBE], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout.split()


def test_under_slurm_a_sigterm_kills_neither_the_job_nor_the_requeue_it_starts() -> None:
    assert _probe(slurm=True) == ["True", "survived"]


def test_outside_slurm_a_sigterm_stops_the_job_and_its_commands_as_usual() -> None:
    assert _probe(slurm=False) == ["False", "killed", "-15"]


def test_the_error_line_is_the_runs_own(tmp_path: Path) -> None:
    log = tmp_path / "job.log"
    log.write_text("--- attempt 1 on vm (pid 1)\nloading\neagle-eval: error: model 'eagle-tiny': no such checkpoint "
                   "folder /x; give the folder\nTraceback ...\n")
    assert _error_line(log, 2) == "model 'eagle-tiny': no such checkpoint folder /x; give the folder"
    log.write_text("--- attempt 1 on vm (pid 1)\nSegmentation fault\n")
    assert _error_line(log, 139) == "Segmentation fault"
    log.write_text("--- attempt 1 on vm (pid 1)\n")
    assert _error_line(log, 3) == "the run exited with status 3"
