"""The progress display of a run (loading data, generating, scoring), and its one-line notes.

Bars go to stderr so that stdout carries only the tables and JSON a command prints. Where stderr
is not a terminal (CI, pipes) the commands turn the bars off (cli.common.progress_enabled).

A run shows one live line per step (`generating textvqa`, `scoring textvqa`) under an overall
`task 3/7` line. A finished step's line is printed once above the live area and leaves it, so a
17-task run keeps a two-line display. Only generation lines show a rate, and it counts the samples
generated in this launch over the time of this launch's bar: reused samples enter the count, never
the rate. Scoring is mostly a few dictionary lookups per sample, so its rate would say nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    SpinnerColumn,
    Task,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.text import Text

from eagle_eval.core.terminal import note, stderr_console

# The kind of a display line, kept in the rich task's fields: it decides which columns show.
GENERATE, CHECK, SCORE, OVERALL = "generate", "check", "score", "overall"


class SamplesPerSecondColumn(ProgressColumn):
    """Samples generated in this launch per second of the line's time; blank on lines that generate nothing.

    rich's own speed column averages every `advance` (reused samples included) and speaks of bytes.
    """

    def render(self, task: Task) -> Text:
        generated = task.fields.get("generated")
        if generated is None:
            return Text("")
        elapsed = task.finished_time if task.finished else task.elapsed
        if not generated or not elapsed:
            return Text("-- samples/s", style="progress.data.speed")
        return Text(f"{generated / elapsed:.2f} samples/s", style="progress.data.speed")


class StepColumn(ProgressColumn):
    """Another column, shown on step lines only: the overall line has no count or ETA."""

    def __init__(self, inner: ProgressColumn) -> None:
        super().__init__()
        self.inner = inner

    def render(self, task: Task) -> Any:
        return Text("") if task.fields.get("kind") == OVERALL else self.inner.render(task)


HEARTBEAT_ENV = "EAGLE_EVAL_PROGRESS_EVERY_S"
DEFAULT_HEARTBEAT_S = 60.0


def heartbeat_seconds() -> float:
    """Seconds between progress lines when bars are off ($EAGLE_EVAL_PROGRESS_EVERY_S; 0 turns them off)."""
    import math
    import os

    raw = os.environ.get(HEARTBEAT_ENV, "").strip()
    try:
        seconds = float(raw) if raw else DEFAULT_HEARTBEAT_S
    except ValueError:
        return DEFAULT_HEARTBEAT_S
    return seconds if math.isfinite(seconds) and seconds >= 0 else DEFAULT_HEARTBEAT_S


class HeartbeatProgress(Progress):
    """rich's Progress; with bars off and a `heartbeat`, every `every_s` seconds of work one line per step
    in progress (`generating textvqa: 120/500 (24%), 2.10 samples/s, 4m 12s so far`) goes to it, so a log
    of a run without a terminal shows it moving."""

    heartbeat: Callable[[str], None] | None = None
    every_s: float = DEFAULT_HEARTBEAT_S
    _last_beat: float | None = None

    def update(self, task_id: TaskID, *args: Any, **kwargs: Any) -> None:
        super().update(task_id, *args, **kwargs)
        self._beat()

    def advance(self, task_id: TaskID, advance: float = 1) -> None:
        super().advance(task_id, advance)
        self._beat()

    def _beat(self) -> None:
        if self.heartbeat is None or not self.every_s:
            return
        now = self.get_time()
        if self._last_beat is None:
            self._last_beat = now
        if now - self._last_beat < self.every_s:
            return
        self._last_beat = now
        for task in self.tasks:
            if task.fields.get("kind") != OVERALL and task.visible and not task.finished:
                self.heartbeat(progress_text(task))


def progress_text(task: Task) -> str:
    done, total = int(task.completed), int(task.total or 0)
    share = f" ({100 * done / total:.0f}%)" if total else ""
    elapsed = int(task.elapsed or 0)
    generated = task.fields.get("generated")
    rate = f", {generated / task.elapsed:.2f} samples/s" if generated and task.elapsed else ""
    return f"{task.description}: {done}/{total}{share}{rate}, {elapsed // 60}m {elapsed % 60:02d}s so far"


def make_progress(
    enabled: bool = True, console: Console | None = None, get_time: Callable[[], float] | None = None
) -> Progress:
    return HeartbeatProgress(
        SpinnerColumn(),
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        StepColumn(MofNCompleteColumn()),
        SamplesPerSecondColumn(),
        TimeElapsedColumn(),
        StepColumn(TextColumn("ETA")),
        StepColumn(TimeRemainingColumn()),
        console=console or stderr_console,
        transient=False,
        disable=not enabled,
        get_time=get_time,
    )


class RunDisplay:
    """One live display for a run: the overall `task i/n` line (when n > 1) and the current step's line."""

    def __init__(
        self,
        task_names: Sequence[str],
        enabled: bool = True,
        console: Console | None = None,
        get_time: Callable[[], float] | None = None,
        heartbeat: Callable[[str], None] | None = None,
    ) -> None:
        self.progress = make_progress(enabled, console, get_time)
        if heartbeat is not None and not enabled and isinstance(self.progress, HeartbeatProgress):
            self.progress.heartbeat, self.progress.every_s = heartbeat, heartbeat_seconds()
            self.progress._last_beat = self.progress.get_time()  # the first line one interval after the start
        self.task_names = list(task_names)
        self._overall = self.progress.add_task(
            self.overall_text(0) if self.task_names else "",
            total=max(1, len(self.task_names)),
            kind=OVERALL,
            visible=len(self.task_names) > 1,
        )

    def __enter__(self) -> RunDisplay:
        self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.progress.stop()

    def overall_text(self, index: int) -> str:
        return f"task {index + 1}/{len(self.task_names)}: {self.task_names[index]}"

    def start_task(self, index: int) -> None:
        self.progress.update(self._overall, description=self.overall_text(index))

    def finish_task(self) -> None:
        self.progress.advance(self._overall)

    @contextmanager
    def line(
        self,
        description: str,
        total: int,
        kind: str = GENERATE,
        completed: int = 0,
        keep: bool = True,
        visible: bool = True,
        **fields: Any,
    ) -> Iterator[TaskID]:
        """A step's line; when the step ends it leaves the live area, printed once above it if `keep`."""
        row = self.progress.add_task(description, total=total, completed=completed, kind=kind, visible=visible, **fields)
        try:
            yield row
        finally:
            finished = [task for task in self.progress.tasks if task.id == row]
            if keep and visible and not self.progress.disable:
                self.progress.console.print(self.progress.make_tasks_table(finished))
            self.progress.remove_task(row)


@contextmanager
def step_display(display: RunDisplay | None, enabled: bool) -> Iterator[RunDisplay]:
    """The run's display when there is one; otherwise a display of its own for this step alone (with bars
    off, its progress lines go to stderr at intervals: `eagle-eval score` of a long file)."""
    if display is not None:
        yield display
        return
    with RunDisplay([], enabled, heartbeat=None if enabled else note) as own:
        yield own


@contextmanager
def status(message: str, enabled: bool = True) -> Iterator[None]:
    """A spinner for a step with no count (loading a dataset)."""
    if not enabled:
        yield
        return
    with stderr_console.status(message):
        yield
