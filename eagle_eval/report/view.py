"""The records of a report: what the HTML page shows and what `--format json` writes.

One `ReportView` holds the overview of every task and every sample row; the HTML page embeds
exactly `ReportView.to_json()`, so the JSON file and the page can never disagree.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Verdict = Literal["correct", "partial", "wrong", "error", "unscored"]
Flip = Literal["gained", "lost", "same", "new"]

REPORT_FORMAT_VERSION = 1


@dataclass
class Interval:
    """A 95% interval around a value, in the same units; `method` says where it came from."""

    low: float
    high: float
    method: str
    stderr: float | None = None


@dataclass
class TaskOverview:
    task: str
    paper_column: str | None
    metric: str
    units: str
    value: float | None
    interval: Interval | None
    paper_value: float | None
    paper_delta: float | None
    n_samples: int
    n_errors: int
    n_rows: int
    subset: bool
    extraction: dict[str, int]
    samples_per_second: float | None
    time_to_first_token_s: float | None
    wall_seconds: float | None
    score_key: str | None
    n_input_truncated: int = 0
    verdicts: dict[str, int] = field(default_factory=dict)
    baseline_value: float | None = None
    baseline_delta: float | None = None
    baseline_interval: Interval | None = None
    # eagle_eval.stats' paired comparison: difference, se, interval, p-value, gained/lost samples.
    baseline_comparison: dict[str, Any] = field(default_factory=dict)
    flips: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    # Why `interval` is None: results.json holds no uncertainty, or its samples cannot bound the score.
    interval_missing: str = "none recorded"


@dataclass
class SampleRow:
    """One sample as the table shows it. `images` are ids into `ReportView.images`."""

    task: str
    split: str
    doc_id: int
    prompt: str | None
    prediction: str | None
    references: list[str]
    score: float | None
    verdict: Verdict
    extraction: str | None
    parsed: str | None
    error: str | None
    truncation: str | None
    images: list[str] = field(default_factory=list)
    baseline_prediction: str | None = None
    baseline_score: float | None = None
    flip: Flip | None = None


@dataclass
class ImageBudget:
    """What the thumbnails cost: the side they were made at and the bytes they take in the page."""

    max_side: int
    budget_bytes: int
    used_bytes: int = 0
    n_thumbnails: int = 0
    n_full: int = 0
    n_left_out: int = 0


@dataclass
class RunHeader:
    run_id: str
    model: str
    hub_id: str | None
    revision: str | None
    dtype: str | None
    device: str | None
    created_at: str
    command: str
    reference_label: str | None


@dataclass
class ReportView:
    run: RunHeader
    baseline: RunHeader | None
    tasks: list[TaskOverview]
    samples: dict[str, list[SampleRow]]
    images: dict[str, dict[str, str]]
    image_budget: ImageBudget
    charts: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    format_version: int = REPORT_FORMAT_VERSION

    def to_json(self) -> dict[str, Any]:
        return {
            "format_version": self.format_version,
            "run": asdict(self.run),
            "baseline": asdict(self.baseline) if self.baseline else None,
            "tasks": [asdict(task) for task in self.tasks],
            "samples": {name: [asdict(row) for row in rows] for name, rows in self.samples.items()},
            "images": self.images,
            "image_budget": asdict(self.image_budget),
            "charts": self.charts,
            "notes": self.notes,
        }
