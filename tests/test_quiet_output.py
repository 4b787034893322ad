"""A run's terminal is the progress display and the table: warnings go to the run's log file, and our own
code raises none (transformers' `past_key_values` deprecation in particular, which broke the bars)."""

from __future__ import annotations

import subprocess
import sys
import warnings
from pathlib import Path

from eagle_eval.run_log import RUN_LOG_FILENAME

DATA_ROOT = Path(__file__).resolve().parents[1] / "data" / "hub"


def test_a_warning_raised_during_a_run_goes_to_the_run_log_not_the_terminal(toy_world, toy_run, tmp_path, monkeypatch):
    answer = toy_world.adapter.generate

    def noisy(requests):
        warnings.warn("a library's deprecation notice", FutureWarning, stacklevel=1)
        return answer(requests)

    monkeypatch.setattr(toy_world.adapter, "generate", noisy)
    with warnings.catch_warnings():
        warnings.simplefilter("always")
        result = toy_run("--limit", "4")
    assert result.code == 0, result.err
    assert "deprecation notice" not in result.err + result.out
    (run_dir,) = (tmp_path / "runs").iterdir()
    log = (run_dir / RUN_LOG_FILENAME).read_text()
    assert "FutureWarning: a library's deprecation notice" in log


def test_eagle_generation_raises_no_warning(tmp_path):
    """The demo's path, in a fresh interpreter with every warning shown: nothing but the results reach stderr."""
    command = [sys.executable, "-W", "always", "-m", "eagle_eval", "run", "--model", "eagle-tiny", "--tasks", "pope",
               "--limit", "3", "--batch-size", "3", "--data-root", str(DATA_ROOT), "--output-dir", str(tmp_path),
               "--no-progress"]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "Warning" not in done.stderr, done.stderr[-2000:]
    (run_dir,) = [p for p in tmp_path.iterdir() if p.is_dir()]
    log = run_dir / RUN_LOG_FILENAME
    assert not log.exists() or "past_key_values" not in log.read_text()
