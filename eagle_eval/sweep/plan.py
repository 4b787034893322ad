"""The plan of a sweep: every (model, task) cell with its state and the reason, without loading a model.

A cell's run folder is the one `eagle-eval run` would use: `compute_run_id` of the `RunConfig` built
from the model and the shared settings, under the output root. What is stored there decides:

- new: no run folder, or no samples of the task in it;
- done: results.json scored the task under the run's model fingerprint and the current scorer, and
  every doc of the task's window has a successful stored sample whose fingerprint matches the request
  built now (eagle_eval.run.fingerprints: the model's fingerprint joined with the prompt's);
- partial: successful stored samples for k of the window's N docs;
- failed: stored samples with errors (the first error's line);
- stale: what changed since, one of weights (a checkpoint folder given as model_path fingerprinted
  again), model fingerprint (results.json entry from another model), data (content hash of the
  split's files against the lock, or against what the data root holds now), prompt or decoding
  (stored samples that no longer match the requests built now), decoding (an earlier run of the
  model at other gen_kwargs);
- rescore: every prediction holds, but the scorer changed (eagle_eval.api.scorer) or was never run;
- unknown: the plan cannot tell (the task's data cannot be read here, or samples without a
  results.json: no model fingerprint to check them against).

The weights of a hub or API model are identified when the run loads them; the plan says so instead
of guessing. Task data and requests are read only for cells whose run folder holds the task.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from eagle_eval.api.registry import get_task
from eagle_eval.api.scorer import scorer_version
from eagle_eval.data.loading import DataError, source_provenance
from eagle_eval.provenance.identity import checkpoint_fingerprint
from eagle_eval.provenance.lockfile import read_lock
from eagle_eval.results.document import RunResults, TaskResult, load_results
from eagle_eval.results.samples import SampleRecord, latest_by_key, read_samples
from eagle_eval.run.config import RunConfig
from eagle_eval.run.fingerprints import UNBUILT, compute_run_id, sample_fingerprint
from eagle_eval.run.generate import load_task_docs
from eagle_eval.run.stored_model import recorded_fingerprint
from eagle_eval.sweep.spec import Sweep, SweepModel

STATES = ("new", "done", "partial", "failed", "stale", "rescore", "unknown")


@dataclass(frozen=True)
class Cell:
    model: str  # the model's label, or its name
    task: str
    run_id: str
    state: str
    reason: str
    valid: int = 0  # docs of the window with a stored prediction that still holds
    total: int | None = None  # docs in the window; None where the data was not read

    def to_json(self) -> dict[str, Any]:
        return {"model": self.model, "task": self.task, "run_id": self.run_id, "state": self.state,
                "reason": self.reason, "valid": self.valid, "total": self.total}


def run_config(sweep: Sweep, model: SweepModel) -> RunConfig:
    """The `RunConfig` of one model's run: the model's own fields and the sweep's shared settings."""
    settings = sweep.settings
    return RunConfig(model=model.name, tasks=list(sweep.tasks), output_dir=sweep.output_root,
                     limit=settings.limit, batch_size=settings.batch_size, data_root=settings.data_root,
                     seed=settings.seed, predictions=model.predictions, model_path=model.model_path,
                     revision=model.revision, model_args=dict(model.model_args), lock=settings.lock,
                     gen_kwargs=settings.gen_kwargs, label=model.label)


def plan_sweep(sweep: Sweep, tasks: TaskWindows | None = None) -> list[Cell]:
    """Every cell, models in the file's order, then tasks in the file's order."""
    tasks = tasks or TaskWindows(sweep)
    runs = _RunFolders(sweep.output_root)
    return [cell for model in sweep.models for cell in _ModelPlan(sweep, model, tasks, runs).cells()]


@dataclass
class _Window:
    keys: list[tuple[str, int]]
    prompts: dict[tuple[str, int], str]  # doc key -> prompt fingerprint (UNBUILT when it cannot be built)
    content: dict[tuple[str, str | None, str], str]  # source key -> content hash now (lock or data root)
    error: str | None = None


class TaskWindows:
    """Each task's window, requests and data hashes, read once for every model that needs them."""

    def __init__(self, sweep: Sweep) -> None:
        self.sweep = sweep
        self._windows: dict[str, _Window] = {}
        self._lock = read_lock(sweep.settings.lock) if sweep.settings.lock is not None else None

    def window(self, name: str) -> _Window:
        if name not in self._windows:
            self._windows[name] = self._read(name)
        return self._windows[name]

    def size(self, name: str) -> int | None:
        """Docs in the task's window, or None where its data cannot be read here."""
        window = self.window(name)
        return None if window.error is not None else len(window.keys)

    def _read(self, name: str) -> _Window:
        from eagle_eval.generation.gen_kwargs import apply_gen_kwargs

        task, settings = get_task(name), self.sweep.settings
        try:
            docs, _ = load_task_docs(task, settings.data_root, settings.limit, False)
        except (DataError, OSError) as err:
            return _Window([], {}, {}, error=str(err).splitlines()[0] if str(err) else type(err).__name__)
        prompts: dict[tuple[str, int], str] = {}
        for doc in docs:
            try:
                prompts[doc.key] = apply_gen_kwargs(task.build_request(doc), settings.gen_kwargs).prompt_fingerprint()
            except Exception:  # noqa: BLE001 (the run records the reason as the sample's error)
                prompts[doc.key] = UNBUILT
        return _Window([doc.key for doc in docs], prompts, self._content(task))

    def _content(self, task: Any) -> dict[tuple[str, str | None, str], str]:
        hashes: dict[tuple[str, str | None, str], str] = {}
        for source in task.sources:
            key = (source.repo, source.config, source.split)
            locked = self._lock.dataset(*key) if self._lock is not None else None
            hashes[key] = locked.content_hash if locked is not None else \
                source_provenance(source, self.sweep.settings.data_root).content_hash
        return hashes


class _RunFolders:
    """The output root's run folders and their results.json, each read once."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.names = sorted(p.name for p in root.iterdir()
                            if p.is_dir() and not p.name.startswith(".")) if root.is_dir() else []
        self._results: dict[str, RunResults | None] = {}

    def results(self, run_id: str) -> RunResults | None:
        if run_id not in self._results:
            path = self.root / run_id / "results.json"
            self._results[run_id] = load_results(path) if path.is_file() else None
        return self._results[run_id]

    def siblings(self, run_id: str) -> list[str]:
        """Other runs of the same model name (`<model>__<hash>`), other seeds or gen_kwargs among them."""
        prefix = run_id.rsplit("__", 1)[0] + "__"
        return [name for name in self.names if name.startswith(prefix) and name != run_id]


@dataclass
class _Tally:
    valid: int = 0
    mismatched: int = 0
    errors: list[SampleRecord] = field(default_factory=list)
    missing: int = 0


class _ModelPlan:
    """One model's cells: its run folder, what it stored, and each task's state."""

    def __init__(self, sweep: Sweep, model: SweepModel, tasks: TaskWindows, runs: _RunFolders) -> None:
        self.sweep, self.model, self.tasks, self.runs = sweep, model, tasks, runs
        self.run_id = compute_run_id(run_config(sweep, model))
        self.run_dir = sweep.output_root / self.run_id
        self.results = runs.results(self.run_id) if self.run_id in runs.names else None

    def cells(self) -> list[Cell]:
        return [self.cell(task) for task in self.sweep.tasks]

    def _cell(self, task: str, state: str, reason: str, valid: int = 0, total: int | None = None) -> Cell:
        return Cell(self.model.display, task, self.run_id, state, reason, valid, total)

    def cell(self, task: str) -> Cell:
        samples = self.run_dir / "samples" / f"{task}.jsonl"
        entry = self.results.results.get(task) if self.results is not None else None
        if not samples.is_file():
            return self._new(task)
        window = self.tasks.window(task)
        if window.error is not None:
            return self._cell(task, "unknown", f"cannot read the task's data here: {window.error}")
        changed = self._changed(task, entry, window)
        if changed is not None:
            return self._cell(task, "stale", changed, 0, len(window.keys))
        return self._from_samples(task, entry, window, latest_by_key(read_samples(samples)))

    def _new(self, task: str) -> Cell:
        if self.run_id not in self.runs.names:
            earlier = self._other_decoding(task)
            if earlier is not None:
                return self._cell(task, "stale", earlier)
            return self._cell(task, "new", f"no run folder {self.run_id}")
        return self._cell(task, "new", "no samples of the task in the run folder")

    def _other_decoding(self, task: str) -> str | None:
        """An earlier run of this very model and seed at other gen_kwargs that has the task, or None.

        A sibling folder counts only when this model's config at the sibling's recorded gen_kwargs has
        the sibling's run id: another checkpoint, revision or seed never does.
        """
        now = self.sweep.settings.gen_kwargs.to_json() if self.sweep.settings.gen_kwargs is not None else None
        for name in self.runs.siblings(self.run_id):
            results = self.runs.results(name)
            if results is None or task not in results.results or results.settings.gen_kwargs == now:
                continue
            if self._run_id_at(results.settings.gen_kwargs) == name:
                return (f"decoding changed: gen_kwargs {results.settings.gen_kwargs or 'task defaults'} in {name}, "
                        f"now {now or 'task defaults'}")
        return None

    def _run_id_at(self, gen_kwargs: dict[str, Any] | None) -> str | None:
        from dataclasses import replace

        from eagle_eval.generation.gen_kwargs import GenKwargsError, check_gen_kwargs

        try:
            other = check_gen_kwargs(dict(gen_kwargs)) if gen_kwargs else None
        except GenKwargsError:
            return None
        return compute_run_id(replace(run_config(self.sweep, self.model), gen_kwargs=other))

    def _changed(self, task: str, entry: TaskResult | None, window: _Window) -> str | None:
        """What changed under the stored predictions as a whole (weights, model, data), or None."""
        weights = self._weights_changed()
        if weights is not None:
            return weights
        if entry is not None and self.results is not None and entry.model_fingerprint not in (
                None, self.results.model.fingerprint):
            return (f"model fingerprint changed: the task was scored under {entry.model_fingerprint}, "
                    f"the run's model is now {self.results.model.fingerprint}")
        return _data_changed(entry, window) if entry is not None else None

    def _weights_changed(self) -> str | None:
        stored = (self.results.model.weights or {}) if self.results is not None else {}
        if self.model.model_path is None or not stored.get("fingerprint"):
            return None
        folder = Path(self.model.model_path)
        if not folder.is_dir():
            return f"weights: the checkpoint folder {folder} is gone"
        now = checkpoint_fingerprint(folder)
        if now != stored["fingerprint"]:
            return f"weights changed: checkpoint {folder} fingerprint {stored['fingerprint']} -> {now}"
        return None

    def _from_samples(self, task: str, entry: TaskResult | None, window: _Window,
                      stored: dict[tuple[str, int], SampleRecord]) -> Cell:
        # Before the first task's results.json, the run folder's load record names the model that
        # made its samples (a run stopped in its first task).
        model_fp = self.results.model.fingerprint if self.results is not None else recorded_fingerprint(self.run_dir)
        tally = _tally(window, stored, model_fp)
        total = len(window.keys)
        if tally.mismatched:
            return self._cell(task, "stale", f"prompt or decoding changed: {tally.mismatched} of {total} stored "
                              "predictions no longer match the requests built now", tally.valid, total)
        if tally.errors:
            first = (tally.errors[0].error or "").splitlines()[0]
            return self._cell(task, "failed", f"{len(tally.errors)} of {total} samples failed: {first}",
                              tally.valid, total)
        if model_fp is None:
            return self._cell(task, "unknown", f"{tally.valid}/{total} docs have a stored prediction, but no "
                              "results.json gives the model fingerprint to check them against (the run checks "
                              "them when it loads the model)", tally.valid, total)
        if tally.missing:
            return self._cell(task, "partial", f"{tally.valid}/{total} docs have a stored prediction",
                              tally.valid, total)
        return self._scored(task, entry, total)

    def _scored(self, task: str, entry: TaskResult | None, total: int) -> Cell:
        if entry is None:
            return self._cell(task, "rescore", "predictions valid, not scored yet", total, total)
        if entry.n_samples != total:
            return self._cell(task, "rescore", f"predictions valid, scored over {entry.n_samples} docs of {total}",
                              total, total)
        now = scorer_version(get_task(task))
        if entry.scorer != now:
            was = entry.scorer or "not recorded"
            return self._cell(task, "rescore", f"predictions valid, scorer changed ({was} -> {now})", total, total)
        return self._cell(task, "done", f"{total}/{total} predictions valid and scored{self._weights_note()}",
                          total, total)

    def _weights_note(self) -> str:
        if self.model.predictions is not None or self.model.model_path is not None:
            return ""
        return "; the weights of a hub or API model are identified when a run loads them, not here"


def _tally(window: _Window, stored: dict[tuple[str, int], SampleRecord], model_fp: str | None) -> _Tally:
    tally = _Tally()
    for key in window.keys:
        record = stored.get(key)
        if record is None:
            tally.missing += 1
        elif record.error is not None:
            tally.errors.append(record)
        elif model_fp is None or record.fingerprint == sample_fingerprint(model_fp, window.prompts[key]):
            tally.valid += 1
        else:
            tally.mismatched += 1
    return tally


def _data_changed(entry: TaskResult, window: _Window) -> str | None:
    for source in entry.sources:
        key = (source.get("repo"), source.get("config"), source.get("split"))
        was = (source.get("provenance") or {}).get("content_hash")
        now = window.content.get(key)  # type: ignore[arg-type]
        if was and now and "unknown" not in (was, now) and was != now:
            return f"data changed: {key[0]} {key[2]} content {was[:19]} -> {now[:19]}"
    return None
