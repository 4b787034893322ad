"""`report`: one self-contained HTML page (or JSON) with every sample of a run (docs/report.md)."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from eagle_eval.cli.common import EXIT_OK, AddCommand, UsageError, err_console, finite_float, out_console


def _positive_float(text: str) -> float:
    value = finite_float(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}")
    return value


def add_commands(command: AddCommand) -> dict[str, argparse.ArgumentParser]:
    report = command("report", "One offline HTML page with every sample of a run, its images, the paper's row and a baseline.")
    report.add_argument("run_dir", type=Path, help="a run directory (holding results.json, samples/, scores/)")
    report.add_argument("--baseline", type=Path, help="another run directory: per-task differences and gained/lost samples")
    report.add_argument("-o", "--output", type=Path, help="file to write (default RUN_DIR/report.html, or report.json)")
    report.add_argument("--format", choices=["html", "json"], default="html", help="json: the same view as data")
    report.add_argument("--data-root", type=Path, help="where the datasets are, for questions and images (default: the run's)")
    report.add_argument("--reference", help="the paper row to compare against (default: the run's model, when published)")
    report.add_argument("--no-images", action="store_true", help="leave the images out")
    report.add_argument("--image-dir", type=Path,
                        help="also write every original picture into this folder, opened from the page on click")
    report.add_argument("--thumbnail-size", type=int, default=128, help="longest side of a thumbnail in pixels (default 128)")
    report.add_argument("--image-budget", type=_positive_float, default=8.0,
                        help="MiB all images may take in the page; thumbnails shrink to fit (default 8)")
    report.set_defaults(handler=cmd_report)
    return {"report": report}


def cmd_report(args: argparse.Namespace) -> int:
    from eagle_eval.core.output_files import check_writable_dir, check_writable_file, write_text_atomic
    from eagle_eval.report import ReportOptions, build_report, render_html, view_json_text
    from eagle_eval.report.build import run_dir_of

    if args.thumbnail_size < 16:
        raise UsageError(f"--thumbnail-size {args.thumbnail_size} is too small; use 16 pixels or more")
    # Its results.json, or the output folder of one run, named instead of the run folder: that run.
    args.run_dir = run_dir_of(args.run_dir)
    output = args.output or args.run_dir / ("report.json" if args.format == "json" else "report.html")
    check_writable_file(output, "--output")
    if args.image_dir is not None:
        check_writable_dir(args.image_dir, what="--image-dir folder", fix="give --image-dir a writable folder")
    image_href = ""
    if args.image_dir is not None:
        image_href = Path(os.path.relpath(args.image_dir.resolve(), output.resolve().parent)).as_posix()
    options = ReportOptions(
        baseline=args.baseline,
        data_root=args.data_root,
        reference=args.reference,
        images=not args.no_images,
        thumbnail_side=args.thumbnail_size,
        image_budget_bytes=int(args.image_budget * 1024 * 1024),
        image_dir=args.image_dir,
        image_href=image_href,
    )
    view = build_report(args.run_dir, options)
    text = view_json_text(view, indent=1) if args.format == "json" else render_html(view)
    write_text_atomic(output, text)
    for note in view.notes + [f"{task.task}: {note}" for task in view.tasks for note in task.notes]:
        err_console.print(f"note: {note}", markup=False)
    n_samples = sum(len(rows) for rows in view.samples.values())
    out_console.print(f"report: {output} ({n_samples} samples, {len(text.encode()) / 1048576:.2f} MiB)", markup=False)
    return EXIT_OK
