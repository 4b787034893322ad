"""The run's log file: Python warnings raised during a run go to OUTPUT_DIR/<run-id>/run.log.

So do the lines the run tells the user (each task's start, how many samples a resumed task reused),
so a long run's log says what it did and when.

A run's terminal shows the progress display and the results table; a library's deprecation notice
printed between progress bars breaks them and tells the user nothing they can act on. Each warning
is written once per place it comes from (Python's default filter), with the time, its category and
where it was raised, so a warning that matters is still there to read after the run.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from eagle_eval.core.output_files import writing

RUN_LOG_FILENAME = "run.log"


def log_line(path: Path, text: str) -> None:
    """Append one time-stamped line (a warning, or what the run told the user) to the run's log."""
    stamp = datetime.now(UTC).isoformat(timespec="seconds")
    with writing(path):
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as log:
            log.write(f"{stamp} {text}\n")


@contextmanager
def ending_logged(path: Path, enabled: bool = True) -> Iterator[None]:
    """The log's last line says how the launch ended when it did not finish: interrupted (exit 130, and
    how to resume) or stopped by an error (the message). A finished run writes its own last line."""
    try:
        yield
    except KeyboardInterrupt:
        if enabled:
            log_line(path, "run interrupted (exit 130); run the same command again to resume: finished samples are kept")
        raise
    except BaseException as err:
        if enabled:
            log_line(path, f"run stopped by an error: {type(err).__name__}: {' '.join(str(err).split())}")
        raise


@contextmanager
def warnings_to_log(path: Path) -> Iterator[None]:
    previous = warnings.showwarning

    def write(message, category, filename, lineno, file=None, line=None) -> None:  # noqa: ANN001 - warnings' API
        log_line(path, f"{category.__name__}: {message} ({filename}:{lineno})")

    warnings.showwarning = write
    try:
        yield
    finally:
        warnings.showwarning = previous
