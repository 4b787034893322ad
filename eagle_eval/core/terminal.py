"""The terminal's stderr console, shared by everything a run prints besides its results.

One console, so that a one-line message printed while the run's live display is up (a task's data
read from the hub cache, a resumed task's counts) lands above the display instead of through it.
"""

from __future__ import annotations

from rich.console import Console

stderr_console = Console(stderr=True)


def note(message: str) -> None:
    """A one-line message on stderr, above any live display (shown with or without progress bars)."""
    stderr_console.print(message, markup=False, highlight=False, soft_wrap=True)
