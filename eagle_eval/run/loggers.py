"""Optional logging of a finished run to Weights & Biases or the Hugging Face Hub (off by default).

    eagle-eval run ... --wandb-args project=eagle,job_type=eval     # extra: pip install 'eagle-eval[wandb]'
    eagle-eval run ... --hub-log-args repo=org/eagle-results         # extra: pip install 'eagle-eval[hub]'

Both read lmms-eval's KEY=VALUE syntax. `--wandb-args` keys are `wandb.init`'s own (project, entity,
name, group, job_type, tags, mode, dir, ...); the run's settings go in as its config, each task's
headline and numeric metrics as its summary, the headlines as a table, and results.json as an
artifact. `--hub-log-args` keys: `repo` (required), `repo_type` (dataset, default, or model),
`private` (default true, as lmms-eval's `public_repo` defaults to false), `path_in_repo` (default:
the run id), `samples` (default true: also samples/, scores/ and run.log), `revision` (a branch).

Neither library is imported unless asked; `check` runs before any model loads, so a missing extra or a
bad key is a one-line error (exit 2), not a lost run. Logging happens after results.json is written:
a failed upload loses nothing.
"""

from __future__ import annotations

import importlib.util
import inspect
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from eagle_eval.generation.gen_kwargs import GenKwargsError, parse_pairs
from eagle_eval.results.document import RESULTS_FILENAME, RunResults
from eagle_eval.run.log import RUN_LOG_FILENAME

HUB_KEYS = ("repo", "repo_type", "private", "path_in_repo", "samples", "revision")


class LoggerError(ValueError):
    """A logger that cannot be used as asked: a missing extra, a bad key (exit 2)."""


@dataclass(frozen=True)
class RunLoggers:
    wandb: dict[str, Any] | None = None
    hub: dict[str, Any] | None = None

    @classmethod
    def check(cls, wandb_args: str | None, hub_args: str | None) -> RunLoggers:
        """Parse and check both flags (and that their extras are installed), before any model loads."""
        return cls(wandb=_wandb_settings(wandb_args) if wandb_args is not None else None,
                   hub=_hub_settings(hub_args) if hub_args is not None else None)

    def log(self, run: RunResults, run_dir: Path) -> list[str]:
        """Send the finished run where asked; returns one line per destination, for the terminal."""
        done = []
        if self.wandb is not None:
            done.append(log_to_wandb(self.wandb, run, run_dir))
        if self.hub is not None:
            done.append(log_to_hub(self.hub, run, run_dir))
        return done


def _parse(text: str, flag: str, example: str) -> dict[str, Any]:
    try:
        return parse_pairs(text, flag, example)
    except GenKwargsError as err:
        raise LoggerError(str(err)) from None


def _require_extra(module: str, extra: str, flag: str) -> None:
    if importlib.util.find_spec(module) is None:
        raise LoggerError(f"{flag} needs the '{extra}' extra, which is not installed: pip install 'eagle-eval[{extra}]'")


def _wandb_settings(text: str) -> dict[str, Any]:
    values = _parse(text, "--wandb-args", "project=eagle,job_type=eval")
    _require_extra("wandb", "wandb", "--wandb-args")
    import wandb

    known = set(inspect.signature(wandb.init).parameters) - {"config", "settings"}
    unknown = sorted(set(values) - known)
    if unknown:
        raise LoggerError(f"--wandb-args: unknown key(s) {', '.join(unknown)}; wandb.init takes {', '.join(sorted(known))}")
    if isinstance(values.get("tags"), str):
        values["tags"] = [tag for tag in values["tags"].split("|") if tag]  # commas separate the pairs
    return values


def _hub_settings(text: str) -> dict[str, Any]:
    values = _parse(text, "--hub-log-args", "repo=org/eagle-results")
    _require_extra("huggingface_hub", "hub", "--hub-log-args")
    unknown = sorted(set(values) - set(HUB_KEYS))
    if unknown:
        raise LoggerError(f"--hub-log-args: unknown key(s) {', '.join(unknown)}; known: {', '.join(HUB_KEYS)}")
    repo = values.get("repo")
    if not isinstance(repo, str) or repo.count("/") != 1 or not all(repo.split("/")):
        raise LoggerError(f"--hub-log-args: repo={repo!r} must be ORG/NAME, e.g. repo=my-org/eagle-results")
    if values.setdefault("repo_type", "dataset") not in ("dataset", "model"):
        raise LoggerError(f"--hub-log-args: repo_type={values['repo_type']} must be dataset or model")
    for flag in ("private", "samples"):
        if not isinstance(values.setdefault(flag, True), bool):
            raise LoggerError(f"--hub-log-args: {flag}={values[flag]} must be true or false")
    return values


def log_to_wandb(settings: dict[str, Any], run: RunResults, run_dir: Path) -> str:
    import wandb

    config = {"run_id": run.run_id, "command": run.command, "seed": run.seed, "model": asdict(run.model),
              "settings": asdict(run.settings)}
    session = wandb.init(**{"name": run.run_id, **settings}, config=config)
    try:
        table = wandb.Table(columns=["task", "paper_column", "metric", "value", "units", "n_samples"])
        for name, result in run.results.items():
            table.add_data(name, result.paper_column, result.headline.metric, result.headline.value,
                           result.headline.units, result.n_samples)
            session.summary[f"{name}/{result.headline.metric}"] = result.headline.value
            for metric, value in result.metrics.items():
                if isinstance(value, int | float) and not isinstance(value, bool):
                    session.summary[f"{name}/{metric}"] = value
        session.log({"headlines": table})
        artifact = wandb.Artifact(name=f"results-{run.run_id}", type="eagle-eval-results")
        artifact.add_file(str(run_dir / RESULTS_FILENAME))
        session.log_artifact(artifact)
        where = session.dir
    finally:
        session.finish()
    return f"logged to Weights & Biases: {where}"


def hub_files(run_dir: Path, with_samples: bool) -> list[Path]:
    """The run's files that go to the Hub, relative to the run directory."""
    files = [Path(RESULTS_FILENAME)]
    if with_samples:
        for folder in ("samples", "scores"):
            files.extend(sorted(p.relative_to(run_dir) for p in (run_dir / folder).glob("*.jsonl")))
        if (run_dir / RUN_LOG_FILENAME).is_file():
            files.append(Path(RUN_LOG_FILENAME))
    return files


def log_to_hub(settings: dict[str, Any], run: RunResults, run_dir: Path,
               api_factory: Callable[[], Any] | None = None) -> str:
    """Copy the run's files into a staging folder and upload it as one commit."""
    from huggingface_hub import HfApi

    api = (api_factory or HfApi)()
    path_in_repo = str(settings.get("path_in_repo") or run.run_id)
    with tempfile.TemporaryDirectory(prefix="eagle-eval-hub-") as staging:
        for relative in hub_files(run_dir, settings["samples"]):
            target = Path(staging) / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(run_dir / relative, target)
        api.create_repo(repo_id=settings["repo"], repo_type=settings["repo_type"], private=settings["private"],
                        exist_ok=True)
        api.upload_folder(repo_id=settings["repo"], repo_type=settings["repo_type"], folder_path=staging,
                          path_in_repo=path_in_repo, revision=settings.get("revision"),
                          commit_message=f"eagle-eval results: {run.run_id}")
    return f"uploaded to the Hub: {settings['repo_type']} {settings['repo']}/{path_in_repo}"
