"""`compare` and `power`: their flags and what each does (exit codes in the CLI's docstring)."""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from tabulate import tabulate

from eagle_eval.cli.common import EXIT_INCOMPLETE, EXIT_OK, EXIT_REGRESSION, AddCommand, finite_float
from eagle_eval.compare.gate import DEFAULT_ALPHA, GATES
from eagle_eval.core.option_types import JsonSwitch

if TYPE_CHECKING:
    from eagle_eval.compare.power import PowerRow


def add_commands(command: AddCommand) -> dict[str, argparse.ArgumentParser]:
    compare = command(
        "compare",
        "Compare two runs sample by sample; fail (exit 1) only on a significant drop beyond the tolerance.",
    )
    compare.add_argument("new", type=Path, help="run folder (or its results.json) to check")
    compare.add_argument(
        "--baseline", required=True, type=Path, help="run folder (or results.json) to compare with"
    )
    compare.add_argument("--max-drop", help="tolerance in paper units: 0.5 (default), textvqa=1.0, or both")
    compare.add_argument("--tasks", help="only these comma-separated tasks")
    compare.add_argument(
        "--alpha",
        type=finite_float,
        default=DEFAULT_ALPHA,
        help="significance level, Holm-corrected across tasks (default 0.05)",
    )
    compare.add_argument(
        "--gate",
        choices=GATES,
        default="significance",
        help="significance: fail when the drop exceeds the tolerance and is significant (default); "
        "lower-bound: fail when the whole (1 - alpha) interval of the drop exceeds the tolerance",
    )
    compare.add_argument("-o", "--output", type=Path, dest="json_path", metavar="FILE",
                         help="also write every figure per task to FILE as JSON")
    compare.add_argument("--json", action=JsonSwitch, file_dest="json_path",
                         help="print every figure per task as JSON instead of the table (--json FILE, the "
                              "older spelling of --output FILE, still works)")
    compare.add_argument(
        "--allow-data-drift",
        action="store_true",
        help="compare runs whose data differ (refused with exit 2 otherwise); the output says so per task",
    )
    compare.set_defaults(handler=cmd_compare)

    power = command(
        "power", "What a comparison can detect: the 80%-power difference, and samples a drop needs."
    )
    power.add_argument("run", type=Path, help="run folder (or results.json)")
    power.add_argument(
        "--baseline", type=Path, help="a second run: use the paired error measured between the two"
    )
    power.add_argument("--tasks", help="only these comma-separated tasks")
    power.add_argument(
        "--drop", type=finite_float, default=1.0, help="the drop to detect, in paper units (default 1.0)"
    )
    power.add_argument("--alpha", type=finite_float, default=DEFAULT_ALPHA, help="significance level (default 0.05)")
    power.add_argument("--power", type=finite_float, default=0.8, help="probability of detecting it (default 0.8)")
    power.add_argument(
        "--allow-data-drift", action="store_true", help="pair with a baseline whose data differ (refused otherwise)"
    )
    power.set_defaults(handler=cmd_power)
    return {"compare": compare, "power": power}


def _task_list(text: str | None) -> list[str] | None:
    if not text:
        return None
    return [_registered_spelling(t.strip()) for t in text.split(",") if t.strip()]


def _registered_spelling(name: str) -> str:
    """`TextVQA` as the registry spells it (`textvqa`); a name the registry lacks is kept for the results to judge."""
    from eagle_eval.api.registry import UnknownNameError, task_name

    try:
        return task_name(name)
    except UnknownNameError:
        return name


def cmd_compare(args: argparse.Namespace) -> int:
    from eagle_eval.compare.gate import (
        GateSettings,
        compare_runs,
        comparison_json,
        has_regression,
        missing_tasks,
        parse_max_drop,
    )
    from eagle_eval.compare.output import comparison_headers, comparison_rows, verdict_lines
    from eagle_eval.core.output_files import check_writable_file, write_text_atomic
    from eagle_eval.results.document import load_results

    tolerance = parse_max_drop(args.max_drop)
    if args.json_path is not None:
        check_writable_file(args.json_path, getattr(args, "json_path_flag", "--output"))
    comparisons = compare_runs(
        args.new,
        args.baseline,
        tolerance,
        _task_list(args.tasks),
        GateSettings(alpha=args.alpha, gate=args.gate, allow_data_drift=args.allow_data_drift),
    )
    document = json.dumps(comparison_json(comparisons, args.alpha, args.gate), indent=2) + "\n"
    if args.json:
        sys.stdout.write(document)
    else:
        new, baseline = load_results(args.new), load_results(args.baseline)
        # Variants of one model (a knock-out, blind) are named as such: `eagle-x5-7b −SAM vs eagle-x5-7b`.
        print(f"{new.display_name} ({new.run_id}) vs baseline {baseline.display_name} ({baseline.run_id})")
        headers = comparison_headers(comparisons)
        print(tabulate(comparison_rows(comparisons), headers=headers, tablefmt="github", disable_numparse=True))
        for line in verdict_lines(comparisons, args.alpha, args.gate):
            print(line)
    if args.json_path is not None:
        write_text_atomic(args.json_path, document)
    if has_regression(comparisons):
        return EXIT_REGRESSION
    return EXIT_INCOMPLETE if missing_tasks(comparisons) else EXIT_OK


TOO_SMALL = "n too small"


def _estimable(row: PowerRow) -> bool:
    return row.se_difference > 0 and math.isfinite(row.mde) and row.samples_for_drop > 0


def cmd_power(args: argparse.Namespace) -> int:
    from eagle_eval.compare.power import power_rows
    from eagle_eval.core.units import unit_of

    rows = power_rows(
        args.run, args.baseline, _task_list(args.tasks), args.drop, args.alpha, args.power, args.allow_data_drift
    )
    # Scores without spread (all right, say) bound nothing: no detectable difference, no sample count.
    table = [
        [
            r.task,
            str(r.n_samples),
            unit_of(r.units).format_precise(r.se_difference),
            unit_of(r.units).format_precise(r.mde) if _estimable(r) else TOO_SMALL,
            f"{r.drop:g}",
            f"{r.samples_for_drop:,}" if _estimable(r) else TOO_SMALL,
            r.basis,
        ]
        for r in rows
    ]
    headers = [
        "task",
        "samples",
        "SE of difference",
        f"MDE ({args.power:.0%} power)",
        "drop",
        "samples for drop",
        "basis",
    ]
    print(tabulate(table, headers=headers, tablefmt="github", disable_numparse=True))
    print(
        f"alpha {args.alpha:g}, two-sided; MDE = smallest true difference detected with {args.power:.0%} power"
    )
    return EXIT_OK
