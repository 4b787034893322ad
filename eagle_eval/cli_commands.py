"""The subcommands of `eagle-eval`: their flags and what each does (exit codes in cli.py)."""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table
from rich_argparse import RichHelpFormatter

from eagle_eval.results import ModelRecord, RunResults, RunSettings, load_results, write_results
from eagle_eval.units import unit_of

EXIT_OK, EXIT_REGRESSION, EXIT_SAMPLE_ERRORS = 0, 1, 3
out_console = Console(highlight=False, soft_wrap=True)
err_console = Console(stderr=True, highlight=False, soft_wrap=True)


def add_commands(sub: Any) -> dict[str, argparse.ArgumentParser]:
    from eagle_eval.runner import DEFAULT_OUTPUT_DIR, DEFAULT_SEED

    def command(name: str, help_text: str) -> argparse.ArgumentParser:
        return sub.add_parser(name, help=help_text, description=help_text, formatter_class=RichHelpFormatter)

    run = command("run", "Generate predictions with a model and score them; resumes an interrupted run.")
    run.add_argument("--model", required=True, help="registered model name or alias (see: eagle-eval models)")
    run.add_argument("--tasks", required=True, help="comma-separated task names; paper = the 13 table benchmarks, all = those and their variants")
    run.add_argument("--limit", type=_positive_int, help="only the first N docs of each task (results say subset)")
    run.add_argument("--batch-size", default="auto", type=_batch_size, help="requests per batch, or auto: the adapter's suggestion, halved on out-of-memory (default)")
    run.add_argument("--device", help="torch device, e.g. cuda, cuda:1, cpu (adapter default)")
    run.add_argument("--dtype", help="model dtype, e.g. float16, bfloat16, float32 (adapter default)")
    run.add_argument("--output-dir", type=Path, default=DEFAULT_OUTPUT_DIR, help=f"default {DEFAULT_OUTPUT_DIR}/")
    run.add_argument("--data-root", type=Path, help="folder with local hub snapshots (ORG/NAME); or EAGLE_EVAL_DATA_ROOT")
    run.add_argument("--seed", type=int, default=DEFAULT_SEED, help=f"seeds python, numpy and torch (default {DEFAULT_SEED})")
    run.add_argument("--run-id", help="run directory name (default: <model>__<hash of the settings>)")
    run.add_argument("--predictions", type=Path, help="predictions for --model replay (JSONL, samples/ or run folder)")
    run.add_argument("--model-path", help="local checkpoint folder instead of the hub id")
    run.add_argument("--revision", help="hub revision (commit) of the checkpoint")
    run.add_argument("--model-arg", action="append", default=[], type=_key_value, metavar="KEY=VALUE",
                     help="an adapter setting (repeatable), e.g. trust_remote_code=true for hf:; the adapter checks its keys")
    run.add_argument("--no-progress", action="store_true", help="no progress bars")
    run.set_defaults(handler=cmd_run)

    score = command("score", "Score a predictions file for one task without a model.")
    score.add_argument("--task", required=True, help="task name")
    score.add_argument("--predictions", required=True, type=Path, help="JSONL: doc_id + prediction (or lmms-eval log)")
    score.add_argument("--data-root", type=Path, help="folder with local hub snapshots (ORG/NAME)")
    score.add_argument("--output", type=Path, help="write a results.json here")
    score.add_argument("--allow-subset", action="store_true",
                       help="score a predictions file that covers only some docs (results and tables say so)")
    score.add_argument("--no-progress", action="store_true", help="no progress bars")
    score.set_defaults(handler=cmd_score)

    tasks = command("tasks", "List the registered tasks.")
    tasks.add_argument("--json", action="store_true", help="print a JSON list")
    tasks.set_defaults(handler=cmd_tasks)

    models = command("models", "List the registered models, or show one.")
    models.add_argument("--json", action="store_true", help="print a JSON list")
    models.set_defaults(handler=cmd_models)
    models_sub = models.add_subparsers(dest="models_command", metavar="show", required=False)
    show = models_sub.add_parser("show", help="details of one model", formatter_class=RichHelpFormatter)
    show.add_argument("name", help="model name or alias")
    show.add_argument("--state-dict", action="store_true", help="list the checkpoint's tensors: key<TAB>[shape]")
    show.add_argument("--flops", action="store_true",
                      help="FLOPs of one sample by part (one image, --text-tokens of prompt, --new-tokens)")
    show.add_argument("--text-tokens", type=int, default=70, help="prompt tokens besides the image (default 70)")
    show.add_argument("--new-tokens", type=int, default=16, help="generated tokens (default 16)")
    show.set_defaults(handler=cmd_models_show)

    table = command("table", "One ranked table (leaderboard) from results files of any models, with published rows and deltas.")
    table.add_argument("paths", nargs="+", type=Path, help="results.json files or folders searched recursively")
    table.add_argument("--format", default="markdown", choices=["markdown", "latex", "csv", "html", "json"],
                       help="json: the leaderboard with ranks, scores, the ranking rule and each published row's source")
    table.add_argument("--reference", help="published rows: model names (comma-separated) or all")
    table.add_argument("--uncertainty", choices=["none", "se", "ci"], default="none",
                       help="after each run's value: se = its standard error (71.2 ± 0.6), ci = its 95%% interval")
    table.set_defaults(handler=cmd_table)

    from eagle_eval.compare_cli import add_compare_commands

    compared = add_compare_commands(command)

    from eagle_eval.cli_more import add_more_commands

    more = add_more_commands(command)
    return {"run": run, "score": score, "tasks": tasks, "models": models, "table": table, **compared, **more}


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError as err:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from err
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return value


def _key_value(text: str) -> tuple[str, str]:
    key, equals, value = text.partition("=")
    if not equals or not key.strip():
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, got {text!r}")
    return key.strip(), value


def _batch_size(text: str) -> int | str:
    return "auto" if text == "auto" else _positive_int(text)


def _progress_enabled(args: argparse.Namespace) -> bool:
    return not args.no_progress and sys.stderr.isatty()


# --- run / score --------------------------------------------------------------------------------


def print_headlines(run: RunResults) -> None:
    table = Table(title=f"{run.model.name} — {run.run_id}")
    from eagle_eval.stats.summary import headline_error_text

    for header in ("task", "column", "headline", "value ± SE", "95% CI", "samples", "errors", "extraction"):
        table.add_column(header, justify="right" if header in ("value ± SE", "samples", "errors") else "left")
    for result in run.results.values():
        value = result.headline.value
        if value is None:
            shown = "pending (server-scored)" if result.server_scored else "-"
        else:
            shown = unit_of(result.headline.units).format(value)
        error, interval = headline_error_text(result.uncertainty, result.headline.units)
        shown += f" {error}" if error else ""
        if result.subset:
            shown += " *"
        paths = ", ".join(f"{k} {v}" for k, v in result.extraction.items() if v)
        table.add_row(
            result.task,
            result.paper_column or "",
            f"{result.headline.metric} ({result.headline.units})",
            shown,
            interval,
            str(result.n_samples),
            str(result.n_errors),
            paths,
        )
    out_console.print(table)
    for result in run.results.values():
        if result.subset:
            reason = result.subset_reason or "subset of the data"
            out_console.print(f"* {result.task}: {reason}; not comparable with full-set numbers", markup=False)
    if any(r.uncertainty for r in run.results.values()):
        out_console.print("± one standard error; both it and the 95% CI are clustered where questions share an image")


def _report_errors(run: RunResults, where: str) -> int:
    unscored = sum(len(result.scoring_errors) for result in run.results.values())
    unaggregated = [f"{result.task} ({result.aggregation_error})" for result in run.results.values() if result.aggregation_error]
    if run.n_errors > unscored:
        err_console.print(
            f"eagle-eval: {run.n_errors - unscored} sample(s) failed and scored as wrong; reasons in {where}",
            markup=False,
        )
    if unscored:
        err_console.print(
            f"eagle-eval: {unscored} sample(s) could not be scored (bad ground-truth rows, or left out with "
            "their image pair / circular group); reasons in results.json ('scoring_errors')",
            markup=False,
        )
    if unaggregated:
        err_console.print(f"eagle-eval: no metrics for {'; '.join(unaggregated)}", markup=False)
    return EXIT_SAMPLE_ERRORS if run.n_errors or unaggregated else EXIT_OK


def cmd_run(args: argparse.Namespace) -> int:
    from eagle_eval.cli import UsageError
    from eagle_eval.runner import RunConfig, command_string, expand_task_names, run_evaluation

    if args.predictions is not None and args.model != "replay":
        raise UsageError("--predictions is only for --model replay")
    repeated = sorted({key for key, _ in args.model_arg if [k for k, _ in args.model_arg].count(key) > 1})
    if repeated:
        raise UsageError(f"--model-arg {', '.join(repeated)} given more than once; give each key once")
    config = RunConfig(
        model=args.model,
        tasks=expand_task_names(args.tasks),
        output_dir=args.output_dir,
        limit=args.limit,
        batch_size=args.batch_size,
        device=args.device,
        dtype=args.dtype,
        data_root=args.data_root,
        seed=args.seed,
        run_id=args.run_id,
        predictions=args.predictions,
        model_path=args.model_path,
        revision=args.revision,
        model_args=dict(args.model_arg),
        command=command_string(args.argv),
        show_progress=_progress_enabled(args),
    )
    outcome = run_evaluation(config)
    if not outcome.is_main:
        return EXIT_OK  # torchrun: rank 0 merges, scores and reports
    print_headlines(outcome.results)
    out_console.print(f"results: {outcome.results_path}", markup=False)
    return _report_errors(outcome.results, f"{outcome.run_dir / 'samples'}/<task>.jsonl ('error' field)")


def cmd_score(args: argparse.Namespace) -> int:
    from eagle_eval.data import resolve_data_root
    from eagle_eval.environment import hardware_summary, software_versions
    from eagle_eval.progress import make_progress, status
    from eagle_eval.registry import get_task
    from eagle_eval.runner import command_string
    from eagle_eval.samples_io import read_predictions
    from eagle_eval.scoring import judge_for_task, score_task

    task = get_task(args.task)
    predictions = read_predictions(args.predictions)
    data_root = resolve_data_root(args.data_root)
    with status(f"loading {task.name} data", enabled=_progress_enabled(args)):
        docs = task.load_docs(data_root)
    outcomes = outcomes_from_predictions(task.name, docs, predictions, args.predictions, task.filters_rows)
    in_scope = [doc for doc in docs if doc.key in outcomes]
    subset_reason = _coverage(task.name, docs, in_scope, args.predictions, args.allow_subset)
    if args.output is not None:
        submission = args.output.parent / f"{task.name}_submission.json"
    else:
        submission = Path(f"{task.name}_submission.json")
    progress = make_progress(_progress_enabled(args))
    with progress:
        bar = progress.add_task(f"scoring {task.name}", total=len(in_scope))
        scoring = score_task(
            task,
            in_scope,
            outcomes,
            subset=subset_reason is not None,
            subset_reason=subset_reason,
            judge=judge_for_task(task),
            submission_path=submission,
            # Beside the results file, as in a run folder, so `compare` can pair its samples.
            scores_path=args.output.parent / "scores" / f"{task.name}.jsonl" if args.output is not None else None,
            on_scored=lambda: progress.advance(bar),
        )
    digest = hashlib.sha256(args.predictions.read_bytes()).hexdigest()[:8]
    run = RunResults(
        run_id=f"score__{task.name}__{digest}",
        created_at=datetime.now(UTC).isoformat(timespec="seconds"),
        command=command_string(args.argv),
        seed=None,
        model=ModelRecord(name="replay", revision=digest),
        settings=RunSettings(batch_size=None, limit=None, data_root=str(data_root) if data_root else None),
        results={task.name: scoring.result},
        software=software_versions(),
        hardware=hardware_summary(),
    )
    print_headlines(run)
    if scoring.result.submission_file:
        out_console.print(f"submission file for the evaluation server: {scoring.result.submission_file}")
    if args.output is not None:
        write_results(args.output, run)
        out_console.print(f"results: {args.output}", markup=False)
    return _report_errors(run, str(args.predictions))


def _coverage(task_name: str, docs: list, in_scope: list, path: Path, allow_subset: bool) -> str | None:
    """None when the predictions cover every doc; the words the results then carry, or a refusal."""
    from eagle_eval.samples_io import SamplesFileError

    if len(in_scope) == len(docs):
        return None
    covered = {doc.key for doc in in_scope}
    missing = [f"{doc.split}/{doc.doc_id}" for doc in docs if doc.key not in covered]
    if not allow_subset:
        raise SamplesFileError(
            f"{path}: no prediction for {len(missing)} of the {len(docs)} {task_name} docs (first: "
            f"{', '.join(missing[:5])}); add them, or pass --allow-subset to score only the docs present"
        )
    return f"--allow-subset: the predictions cover {len(in_scope)} of {len(docs)} docs"


def outcomes_from_predictions(
    task_name: str, docs: list, predictions: list, path: Path, filters_rows: bool = False
) -> dict:
    """Map predictions onto the task's docs by (split, doc_id); later lines win (retried samples)."""
    from eagle_eval.samples_io import SamplesFileError
    from eagle_eval.scoring import Outcome

    splits = sorted({doc.split for doc in docs})
    sizes = {split: sum(1 for d in docs if d.split == split) for split in splits}
    keys = {doc.key for doc in docs}
    outcomes: dict[tuple[str, int], Outcome] = {}
    for prediction in predictions:
        where = f"{path}:{prediction.line_no}"
        if prediction.task is not None and prediction.task != task_name:
            raise SamplesFileError(f"{where}: the line is for task {prediction.task!r}, not {task_name!r}")
        split = prediction.split
        if split is None:
            if len(splits) != 1:
                raise SamplesFileError(f"{where}: task {task_name} spans splits {', '.join(splits)}; add 'split'")
            split = splits[0]
        if split not in sizes:
            raise SamplesFileError(f"{where}: task {task_name} has no split {split!r} (it has {', '.join(splits)})")
        if (split, prediction.doc_id) not in keys:
            if filters_rows:
                continue  # a row the task leaves out on purpose (SEED's video questions)
            raise SamplesFileError(
                f"{where}: doc_id {prediction.doc_id} is not among the {sizes[split]} docs of split {split!r}"
            )
        outcomes[(split, prediction.doc_id)] = Outcome(prediction=prediction.prediction, error=prediction.error)
    return outcomes


# --- listing ------------------------------------------------------------------------------------


def cmd_tasks(args: argparse.Namespace) -> int:
    from eagle_eval.registry import get_task, task_names

    described = [get_task(name).describe() for name in task_names()]
    if args.json:
        print(json.dumps(described, indent=2))
        return EXIT_OK
    table = Table(title="tasks")
    for header in ("name", "paper column", "headline", "units", "data"):
        table.add_column(header)
    for item in described:
        data = "; ".join(f"{s['repo']} {s['config'] or ''} {s['split']}".replace("  ", " ") for s in item["sources"])
        table.add_row(item["name"], item["paper_column"] or "-", item["headline_metric"], item["units"], data)
    out_console.print(table)
    return EXIT_OK


def cmd_models(args: argparse.Namespace) -> int:
    from eagle_eval.registry import model_entries

    entries = [
        {"name": e.name, "hub_id": e.hub_id, "aliases": list(e.aliases), "description": e.description}
        for e in model_entries()
    ]
    if args.json:
        print(json.dumps(entries, indent=2))
        return EXIT_OK
    table = Table(title="models")
    for header in ("name", "aliases", "hub id", "description"):
        table.add_column(header)
    for entry in entries:
        table.add_row(entry["name"], ", ".join(entry["aliases"]), entry["hub_id"] or "-", entry["description"])
    out_console.print(table)
    return EXIT_OK


def cmd_models_show(args: argparse.Namespace) -> int:
    from eagle_eval.registry import get_model_entry

    entry = get_model_entry(args.name)
    if args.flops:
        return _show_flops(entry, args.text_tokens, args.new_tokens)
    if not args.state_dict:
        details = {
            "name": entry.name,
            "hub_id": entry.hub_id,
            "aliases": list(entry.aliases),
            "description": entry.description,
            "details": entry.details,
        }
        print(json.dumps(details, indent=2, default=str))
        return EXIT_OK
    preset = entry.details.get("preset")
    if preset is None and not entry.name.startswith("eagle"):
        print(f"model {entry.name} has no checkpoint (it loads no weights)")
        return EXIT_OK
    from eagle_eval.model_adapters.eagle.state_dict_listing import expected_checkpoint_tensors

    for key, shape in expected_checkpoint_tensors(preset or entry.name):
        print(f"{key}\t[{', '.join(str(d) for d in shape)}]")
    return EXIT_OK


def _show_flops(entry, text_tokens: int, new_tokens: int) -> int:
    preset_name = entry.details.get("preset") or entry.name
    from eagle_eval.model_adapters.eagle.flops import count_sample_flops
    from eagle_eval.model_adapters.eagle.presets import get_preset

    try:
        config = get_preset(preset_name).eagle_config()
    except KeyError:
        from eagle_eval.cli import UsageError

        raise UsageError(f"model {entry.name} is not an Eagle preset; --flops needs an Eagle architecture") from None
    flops = count_sample_flops(config, text_tokens + config.image_tokens, new_tokens)
    print(f"# {entry.name}: one image ({config.image_tokens} tokens), {text_tokens} text tokens, "
          f"{new_tokens} new tokens; TFLOP per sample (multiply-add = 2)")
    for part, value in flops.parts().items():
        print(f"{part}\t{value / 1e12:.3f}")
    print(f"total\t{flops.total / 1e12:.3f}")
    return EXIT_OK


# --- table / compare ----------------------------------------------------------------------------


def cmd_table(args: argparse.Namespace) -> int:
    from eagle_eval.reference import select_references
    from eagle_eval.results import find_results_files
    from eagle_eval.tables import build_leaderboard, render_table

    references = select_references(args.reference) if args.reference else []
    runs = [load_results(path) for path in find_results_files(args.paths)]
    rows, ranking = build_leaderboard(runs, references)
    sys.stdout.write(render_table(rows, args.format, ranking, uncertainty=args.uncertainty))
    return EXIT_OK


__all__ = ["add_commands", "outcomes_from_predictions", "print_headlines"]
