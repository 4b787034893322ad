"""`--predict-only`: a run that generates and writes its samples but scores nothing.

results.json then lists each task under `predicted` (sample and error counts, the samples file, the model
fingerprint) and says `settings.predict_only: true`; its `results` keep only tasks scored by earlier runs in the same
directory. The predictions are scored later from the samples, without the model, by
`eagle-eval score --task T --predictions RUN/samples/T.jsonl`, or by the same `run` command without
`--predict-only`, which reuses every stored prediction (the flag is not in the run id).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from eagle_eval.results.document import ResultsError, RunResults, load_results
from eagle_eval.run.scoring import Outcome


def record_predictions(run: RunResults, task: str, outcomes: Mapping[Any, Outcome], samples_path: Path,
                       run_dir: Path, model_fingerprint: str | None = None) -> None:
    """File a generated, unscored task in the results document (and drop an older score of it)."""
    run.results.pop(task, None)  # the samples it was scored from may have just been regenerated
    run.predicted[task] = {
        "n_samples": len(outcomes),
        "n_errors": sum(1 for outcome in outcomes.values() if outcome.error is not None),
        "samples_file": str(samples_path.relative_to(run_dir)),
        "model_fingerprint": model_fingerprint,
    }


def earlier_predictions(run_dir: Path, model_fingerprint: str, running: set[str]) -> dict[str, dict[str, Any]]:
    """The directory's unscored tasks of the same model that this run leaves alone, so they stay listed."""
    try:
        earlier = load_results(run_dir)
    except ResultsError:
        return {}  # none yet, or unreadable: it is rewritten from this run's tasks
    return {name: record for name, record in earlier.predicted.items()
            if name not in running and record.get("model_fingerprint") == model_fingerprint
            and (run_dir / str(record.get("samples_file"))).is_file()}


def score_command(task: str, samples_path: Path) -> str:
    return f"eagle-eval score --task {task} --predictions {samples_path}"
