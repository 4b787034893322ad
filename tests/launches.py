"""Processes the CLI tests start (plain, or torchrun with its workers): each in its own process
group, so a timeout kills every process of the launch and fails the test instead of hanging it."""

from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent


def start_launch(command: list[str], env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen(
        command, env=env, cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        start_new_session=True,
    )  # fmt: skip


def finish_launch(process: subprocess.Popen, timeout: float) -> subprocess.CompletedProcess:
    """Wait for a launch; past `timeout` seconds kill its whole process group and fail the test."""
    try:
        out, err = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        out, err = process.communicate()
        pytest.fail(f"{' '.join(map(str, process.args[:4]))} … timed out after {timeout} s:\n{err}")
    return subprocess.CompletedProcess(process.args, process.returncode, out, err)
