"""What a run is asked to do: the `run` command's settings as one record, and the task names it expands."""

from __future__ import annotations

import shlex
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from eagle_eval.ablation.spec import Ablation
from eagle_eval.api.registry import get_task, task_name, task_names
from eagle_eval.api.task import Task
from eagle_eval.core.urls import redact_urls_in_text
from eagle_eval.generation.gen_kwargs import GenKwargs
from eagle_eval.results.document import RunResults

DEFAULT_OUTPUT_DIR = Path("results")
DEFAULT_BATCH_SIZE = "auto"  # adapters are batch-invariant, so batching changes speed, never answers
DEFAULT_SEED = 1234


@dataclass
class RunConfig:
    model: str
    tasks: list[str]
    output_dir: Path = DEFAULT_OUTPUT_DIR
    limit: int | float | None = None  # a count, or a fraction of each task (eagle_eval.data.window)
    batch_size: int | str = DEFAULT_BATCH_SIZE  # an int, or "auto"
    device: str | None = None
    dtype: str | None = None
    data_root: Path | None = None
    seed: int = DEFAULT_SEED
    run_id: str | None = None
    predictions: Path | None = None
    model_path: str | None = None
    revision: str | None = None
    model_args: dict[str, str] = field(default_factory=dict)  # --model-arg KEY=VALUE, checked by the adapter
    command: str = ""
    show_progress: bool = True
    lock: Path | None = None  # --lock FILE: read exactly the revisions it records (docs/reproducibility.md)
    require_pinned: bool = False  # --require-pinned: an unpinned split or checkpoint is an error
    ablation: Ablation = field(default_factory=Ablation)  # expert knock-out or blind (docs/ablations.md)
    offset: int = 0  # --offset: skip each task's first docs
    gen_kwargs: GenKwargs | None = None  # --gen-kwargs: generation overrides, off the paper protocol
    predict_only: bool = False  # --predict-only: generate and write samples, score nothing
    label: str | None = None  # --label: the name tables give this run's row (results.json `label`)
    allow_fewer_docs: bool = False  # --allow-fewer-docs: replace a stored task entry with one over fewer docs


@dataclass
class RunOutcome:
    run_dir: Path
    results_path: Path
    results: RunResults
    is_main: bool = True  # False on ranks other than 0: they generate, rank 0 scores and writes results


def expand_task_names(spec: str | Sequence[str]) -> list[str]:
    """Task names in the given order (validated, duplicates dropped); groups expand in place.

    `paper` is the thirteen benchmarks at the paper's protocol, one per table column; `all` adds the
    variants (local validation splits of the server-scored benchmarks, TextVQA without OCR tokens,
    the full VQAv2 test split).
    """
    names = [n.strip() for n in spec.split(",")] if isinstance(spec, str) else [n.strip() for n in spec]
    expanded: list[str] = []
    for name in (n for n in names if n):
        if name.casefold() == "all":
            expanded.extend(task_names())
        elif name.casefold() == "paper":
            expanded.extend(n for n in task_names() if _is_paper_task(get_task(n)))
        else:
            expanded.append(task_name(name))  # any case; a miss raises UnknownNameError with a suggestion
    return list(dict.fromkeys(expanded))


def _is_paper_task(task: Task) -> bool:
    return task.paper_protocol and task.paper_column is not None


def command_string(argv: Sequence[str]) -> str:
    """The command as results record it: any URL in it without credentials."""
    return redact_urls_in_text(shlex.join(["eagle-eval", *argv]))
