"""`table`: the ranked table (leaderboard) from results files, with published rows and deltas."""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

from eagle_eval.cli.common import EXIT_OK, AddCommand, UsageError
from eagle_eval.results.document import load_results


def add_commands(command: AddCommand) -> dict[str, argparse.ArgumentParser]:
    table = command("table", "One ranked table (leaderboard) from results files of any models, with published rows and deltas.")
    table.add_argument("paths", nargs="+", type=Path, help="results.json files or folders searched recursively")
    table.add_argument("--format", choices=["markdown", "latex", "csv", "html", "json"],
                       help="markdown (the default; on a terminal, a board fitted to its width), latex, csv, html "
                            "(a standalone page), or json: the leaderboard with ranks, scores, the ranking rule and "
                            "each published row's source")
    table.add_argument("--json", action="store_true", help="the same as --format json")
    table.add_argument("-o", "--output", type=Path, metavar="FILE", help="write the table to FILE instead of stdout")
    table.add_argument("--reference", help="published rows: model names (comma-separated) or all")
    table.add_argument("--uncertainty", choices=["none", "se", "ci"], default="none",
                       help="after each run's value: se = its standard error (71.2 ± 0.6), ci = its 95%% interval")
    table.add_argument("--tasks", metavar="TASKS",
                       help="the columns: task names (comma-separated; the ranking is over exactly these), paper "
                            "(the paper's 13), or all (those and every other task run); default: the columns "
                            "that have a value")
    table.add_argument("--label", action="append", default=[], metavar="RUN=NAME",
                       help="the row's name for a run (RUN: its run id, results file or folder); repeatable")
    table.add_argument("--strict", action="store_true",
                       help="refuse (exit 2) a cell with failed samples, naming the run and the task")
    table.add_argument("--rank-subsets", action="store_true",
                       help="rank rows that cover a subset of the data (--limit, --offset) against full-split rows")
    table.add_argument("--ablation", action="store_true",
                       help="per task: the full model, each expert knocked out, blind, and the multimodal gain "
                            "(docs/ablations.md)")
    table.set_defaults(handler=cmd_table)

    return {"table": table}


def cmd_table(args: argparse.Namespace) -> int:
    from eagle_eval.core.output_files import check_writable_file, write_text_atomic

    if args.json:
        args.format = "json"
    fitted = args.format is None and args.output is None and sys.stdout.isatty() and not args.ablation
    args.format = args.format or "markdown"
    args.width = shutil.get_terminal_size().columns if fitted else None
    if args.output is not None:
        check_writable_file(args.output, "--output")
    text = _ablation_table(args) if args.ablation else _leaderboard(args)
    if args.output is None:
        sys.stdout.write(text)
    else:
        write_text_atomic(args.output, text)
        print(f"table: {args.output}", file=sys.stderr)
    return EXIT_OK


def _ablation_table(args: argparse.Namespace) -> str:
    from eagle_eval.ablation.table import build_ablation_table, render_ablation_table
    from eagle_eval.results.discovery import find_results_files

    if args.reference:
        raise UsageError("--reference does not apply to --ablation (published rows have no knock-outs)")
    runs = [load_results(path) for path in find_results_files(args.paths)]
    return render_ablation_table(build_ablation_table(runs), args.format)


def _leaderboard(args: argparse.Namespace) -> str:
    from eagle_eval.results.board import board_entries, parse_labels
    from eagle_eval.results.discovery import find_results_files
    from eagle_eval.results.reference import select_references
    from eagle_eval.results.tables import BoardOptions, build_leaderboard, render_table

    references = select_references(args.reference) if args.reference else []
    try:
        labels = parse_labels(args.label)
    except ValueError as err:
        raise UsageError(str(err)) from None
    runs = [(path, load_results(path)) for path in find_results_files(args.paths)]
    columns = args.tasks if args.tasks in (None, "paper", "all") else args.tasks.split(",")
    options = BoardOptions(columns=columns, labels=labels, rank_subsets=args.rank_subsets, strict=args.strict,
                           named_references=bool(args.reference) and args.reference.strip().lower() != "all")
    rows, ranking = build_leaderboard(board_entries(runs, labels), references, options)
    if args.width is not None:
        from eagle_eval.results.table_formats import render_for_terminal

        return render_for_terminal(rows, ranking, args.uncertainty, args.width)
    return render_table(rows, args.format, ranking, uncertainty=args.uncertainty)
