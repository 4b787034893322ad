"""Progress bars for the long steps of a run (loading data, generating, scoring).

Bars go to stderr so that stdout carries only the tables and JSON a command prints. Where stderr
is not a terminal (CI, pipes) rich prints nothing animated.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    SpinnerColumn,
    Task,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.text import Text

stderr_console = Console(stderr=True)


class SamplesPerSecondColumn(ProgressColumn):
    """Throughput in samples per second (rich's own speed column speaks of bytes)."""

    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        return Text("-- samples/s" if speed is None else f"{speed:.2f} samples/s", style="progress.data.speed")


def make_progress(enabled: bool = True) -> Progress:
    return Progress(
        SpinnerColumn(),
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        SamplesPerSecondColumn(),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
        console=stderr_console,
        transient=False,
        disable=not enabled,
    )


@contextmanager
def status(message: str, enabled: bool = True) -> Iterator[None]:
    """A spinner for a step with no count (loading a dataset)."""
    if not enabled:
        yield
        return
    with stderr_console.status(message):
        yield
