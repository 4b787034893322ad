"""`run` and `score`: generate and score, or score a predictions file without a model.

Both go through the same scoring API (eagle_eval.run.scoring): predictions become outcomes, `score_docs`
scores them, and the task result is filed into a results document made by `new_run_results`.
"""

from __future__ import annotations

import argparse
import hashlib
from pathlib import Path

from rich.table import Table

from eagle_eval.cli.common import (
    EXIT_OK,
    EXIT_SAMPLE_ERRORS,
    AddCommand,
    UsageError,
    batch_size,
    device_name,
    dtype_name,
    err_console,
    key_value,
    out_console,
    positive_int,
    progress_enabled,
)
from eagle_eval.cli.run_extras import (
    add_lmms_eval_flags,
    check_lmms_eval_flags,
    limit_value,
    log_finished_run,
    print_predicted,
)
from eagle_eval.core.units import unit_of
from eagle_eval.results.document import ModelRecord, RunResults, RunSettings, write_results


def add_commands(command: AddCommand) -> dict[str, argparse.ArgumentParser]:
    from eagle_eval.run.config import DEFAULT_OUTPUT_DIR, DEFAULT_SEED

    run = command("run", "Generate predictions with a model and score them; resumes an interrupted run.")
    run.add_argument("--model", required=True, help="registered model name or alias (see: eagle-eval models)")
    run.add_argument("--tasks", required=True, help="comma-separated task names; paper = the 13 table benchmarks, all = those and their variants")
    run.add_argument("--limit", type=limit_value,
                     help="only the first N docs of each task, or a fraction (0.1: a tenth, rounded up); results say subset")
    run.add_argument("--batch-size", default="auto", type=batch_size, help="requests per batch, or auto: the adapter's suggestion, halved on out-of-memory (default)")
    run.add_argument("--device", type=device_name, help="torch device, e.g. cuda, cuda:1, cpu (adapter default)")
    run.add_argument("--dtype", type=dtype_name,
                     help="model dtype: fp16, bf16, fp32 (or float16, bfloat16, float32; default: the adapter's)")
    run.add_argument("--output-dir", type=Path, default=DEFAULT_OUTPUT_DIR, help=f"default {DEFAULT_OUTPUT_DIR}/")
    run.add_argument("--data-root", type=Path, help="folder with local hub snapshots (ORG/NAME); or EAGLE_EVAL_DATA_ROOT")
    run.add_argument("--seed", type=int, default=DEFAULT_SEED, help=f"seeds python, numpy and torch (default {DEFAULT_SEED})")
    run.add_argument("--label", metavar="NAME", help="the name `table` gives this run's row (recorded in results.json)")
    run.add_argument("--run-id", help="run directory name (default: <model>__<hash of the settings>)")
    run.add_argument("--predictions", type=Path, help="predictions for --model replay (JSONL, samples/ or run folder)")
    run.add_argument("--model-path", help="local checkpoint folder instead of the hub id")
    run.add_argument("--revision", help="hub revision (commit) of the checkpoint")
    run.add_argument("--model-arg", action="append", default=[], type=key_value, metavar="KEY=VALUE",
                     help="an adapter setting (repeatable), e.g. trust_remote_code=true for hf:; the adapter checks its keys")
    run.add_argument("--lock", type=Path, metavar="FILE",
                     help="read exactly the dataset and checkpoint revisions of this lock file (eagle-eval lock); drift is an error")
    run.add_argument("--require-pinned", action="store_true",
                     help="an unpinned dataset split or checkpoint (no lock, no commit) is an error, for CI")
    run.add_argument("--no-progress", action="store_true", help="no progress bars")
    add_ablation_flags(run)
    add_lmms_eval_flags(run)
    run.set_defaults(handler=cmd_run)

    score = command("score", "Score a predictions file for one task without a model.")
    score.add_argument("--task", required=True, help="task name")
    score.add_argument("--predictions", required=True, type=Path, help="JSONL: doc_id + prediction (or lmms-eval log)")
    score.add_argument("--data-root", type=Path, help="folder with local hub snapshots (ORG/NAME)")
    score.add_argument("-o", "--output", type=Path, metavar="FILE", help="write a results.json here")
    score.add_argument("--allow-subset", action="store_true",
                       help="score a predictions file that covers only some docs (results and tables say so)")
    score.add_argument("--no-progress", action="store_true", help="no progress bars")
    score.set_defaults(handler=cmd_score)
    return {"run": run, "score": score}


def print_headlines(run: RunResults) -> None:
    from eagle_eval.stats.summary import headline_error_text

    table = Table(title=f"{run.model.name} — {run.run_id}")
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


def report_errors(run: RunResults, where: str) -> int:
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
    judge_failed = report_judge_failures(run)
    return EXIT_SAMPLE_ERRORS if run.n_errors or unaggregated or judge_failed else EXIT_OK


def report_judge_failures(run: RunResults) -> int:
    """Name each task whose judge did not answer (its samples scored as wrong); how many such samples."""
    total = 0
    for result in run.results.values():
        failed = result.extraction.get("judge_failed", 0)
        if not failed:
            continue
        total += failed
        last = (result.judge or {}).get("last_error") or "no reason recorded"
        err_console.print(
            f"eagle-eval: the judge failed on {failed} sample(s) of {result.task}, scored as wrong "
            f"(extraction 'judge_failed'; last: {last}); fix the judge, then run the same command again: its answers "
            "so far are cached", markup=False)
    return total


def add_ablation_flags(run: argparse.ArgumentParser) -> None:
    from eagle_eval.ablation.spec import DEFAULT_CALIBRATION_IMAGES, REPLACEMENTS

    # rich-argparse title-cases group titles ("Docs/Ablations.Md"): the page goes in the description.
    group = run.add_argument_group("ablations", description="vision-expert knock-outs and blind runs: docs/ablations.md")
    group.add_argument("--ablate-expert", action="append", default=[], metavar="NAME",
                       help="knock out this vision expert (as `models show` lists them: sam, sam-1024, SAM); repeatable")
    group.add_argument("--ablate-replacement", choices=REPLACEMENTS, default="mean",
                       help="what replaces a knocked-out expert's features: its mean over calibration images "
                            "(default) or zeros")
    group.add_argument("--ablate-calibration-images", type=positive_int, default=DEFAULT_CALIBRATION_IMAGES,
                       help=f"images per task the mean is taken over: the task's first N (default {DEFAULT_CALIBRATION_IMAGES})")
    group.add_argument("--blind", action="store_true",
                       help="the same prompts with no image: images and image placeholders removed")


def ablation_from_args(args: argparse.Namespace):
    from eagle_eval.ablation.spec import Ablation

    return Ablation(experts=tuple(args.ablate_expert), replacement=args.ablate_replacement,
                    calibration_images=args.ablate_calibration_images, blind=args.blind)


def cmd_run(args: argparse.Namespace) -> int:
    from eagle_eval.run.config import RunConfig, command_string, expand_task_names
    from eagle_eval.run.runner import run_evaluation

    if args.predictions is not None and args.model != "replay":
        raise UsageError("--predictions is only for --model replay")
    repeated = sorted({key for key, _ in args.model_arg if [k for k, _ in args.model_arg].count(key) > 1})
    if repeated:
        raise UsageError(f"--model-arg {', '.join(repeated)} given more than once; give each key once")
    _check_local_model_path(args.model_path)
    loggers = check_lmms_eval_flags(args)
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
        show_progress=progress_enabled(args),
        lock=args.lock,
        require_pinned=args.require_pinned,
        ablation=ablation_from_args(args),
        offset=args.offset,
        gen_kwargs=args.gen_kwargs,
        predict_only=args.predict_only,
        label=args.label,
        allow_fewer_docs=args.allow_fewer_docs,
    )
    outcome = run_evaluation(config)
    if not outcome.is_main:
        return EXIT_OK  # torchrun: rank 0 merges, scores and reports
    if outcome.results.results:  # none when every task was --predict-only
        print_headlines(outcome.results)
    print_predicted(outcome.results, outcome.run_dir)
    out_console.print(f"results: {outcome.results_path}", markup=False)
    code = report_errors(outcome.results, f"{outcome.run_dir / 'samples'}/<task>.jsonl ('error' field)")
    return log_finished_run(loggers, outcome.results, outcome.run_dir, code)


def _check_local_model_path(model_path: str | None) -> None:
    """A --model-path written as a path (not a hub id) must be a folder, found before data or weights load."""
    if model_path is None or not model_path.startswith((".", "/", "~")):
        return
    folder = Path(model_path).expanduser()
    if not folder.is_dir():
        what = "is a file" if folder.is_file() else "does not exist"
        raise UsageError(f"--model-path {model_path} {what}; pass the checkpoint folder (config.json and weights)")


def cmd_score(args: argparse.Namespace) -> int:
    from eagle_eval.api.registry import get_task
    from eagle_eval.core.output_files import check_writable_file
    from eagle_eval.data.loading import resolve_data_root
    from eagle_eval.results.samples import read_predictions
    from eagle_eval.run.config import command_string
    from eagle_eval.run.pinning import RunPins
    from eagle_eval.run.progress import status
    from eagle_eval.run.scoring import (
        ScoreOptions,
        add_task_result,
        judge_for_task,
        new_run_results,
        outcomes_from_predictions,
        score_docs,
    )

    task = get_task(args.task)
    if args.output is not None:
        check_writable_file(args.output, "--output")
    predictions = read_predictions(args.predictions)
    data_root = resolve_data_root(args.data_root)
    pins = RunPins()  # no lock here: record what was read, as a run does
    with status(f"loading {task.name} data", enabled=progress_enabled(args)), pins.loading(task.name):
        docs = task.load_docs(data_root)
    outcomes = outcomes_from_predictions(task.name, docs, predictions, args.predictions, task.filters_rows)
    in_scope = [doc for doc in docs if doc.key in outcomes]
    subset_reason = _coverage(task.name, docs, in_scope, args.predictions, args.allow_subset)
    if args.output is not None:
        submission = args.output.parent / f"{task.name}_submission.json"
    else:
        submission = Path(f"{task.name}_submission.json")
    options = ScoreOptions(
        subset=subset_reason is not None,
        subset_reason=subset_reason,
        judge=judge_for_task(task),
        submission_path=submission,
        # Beside the results file, as in a run folder, so `compare` can pair its samples.
        scores_path=args.output.parent / "scores" / f"{task.name}.jsonl" if args.output is not None else None,
    )
    scoring = score_docs(task, in_scope, outcomes, options, show_progress=progress_enabled(args))
    scoring.result.sources = pins.sources_of(task.sources)
    digest = hashlib.sha256(args.predictions.read_bytes()).hexdigest()[:8]
    run = new_run_results(
        run_id=f"score__{task.name}__{digest}",
        command=command_string(args.argv),
        seed=None,
        model=ModelRecord(name="replay", revision=digest),
        settings=RunSettings(batch_size=None, limit=None, data_root=str(data_root) if data_root else None),
    )
    add_task_result(run, scoring.result)
    print_headlines(run)
    if scoring.result.submission_file:
        out_console.print(f"submission file for the evaluation server: {scoring.result.submission_file}")
    if args.output is not None:
        write_results(args.output, run)
        out_console.print(f"results: {args.output}", markup=False)
    return report_errors(run, str(args.predictions))


def _coverage(task_name: str, docs: list, in_scope: list, path: Path, allow_subset: bool) -> str | None:
    """None when the predictions cover every doc; the words the results then carry, or a refusal."""
    from eagle_eval.results.samples import SamplesFileError

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
