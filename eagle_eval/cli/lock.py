"""`lock`: write the resolved commit and content hash of every split and checkpoint a run would read."""

from __future__ import annotations

import argparse
from pathlib import Path

from tabulate import tabulate

from eagle_eval.cli.common import EXIT_OK, AddCommand, out_console
from eagle_eval.provenance.lockfile import DEFAULT_LOCK_FILE


def add_commands(command: AddCommand) -> dict[str, argparse.ArgumentParser]:
    lock = command("lock", "Write a lock file: the commit and content hash of every dataset split (and checkpoint) "
                           "the tasks read; run --lock FILE then reads exactly those.")
    lock.add_argument("--tasks", required=True, help="comma-separated task names, or paper / all")
    lock.add_argument("--model", help="also lock this model's checkpoint (registered name or alias)")
    lock.add_argument("--data-root", type=Path,
                      help="folder with local hub snapshots (ORG/NAME, or a hub cache); or EAGLE_EVAL_DATA_ROOT")
    lock.add_argument("--model-path", type=Path, help="local checkpoint folder instead of the hub id")
    lock.add_argument("--revision", help="hub revision of the checkpoint to resolve (default: the preset's)")
    lock.add_argument("-o", "--output", type=Path, metavar="FILE", default=DEFAULT_LOCK_FILE, help=f"default {DEFAULT_LOCK_FILE}")
    lock.set_defaults(handler=cmd_lock)
    return {"lock": lock}


def cmd_lock(args: argparse.Namespace) -> int:
    from eagle_eval.api.registry import get_model_entry, get_task
    from eagle_eval.core.output_files import check_writable_file
    from eagle_eval.data.loading import resolve_data_root
    from eagle_eval.data.locking import ModelToLock, build_lock
    from eagle_eval.provenance.lockfile import write_lock
    from eagle_eval.run.config import command_string, expand_task_names

    tasks = [(name, get_task(name).sources) for name in expand_task_names(args.tasks)]
    check_writable_file(args.output, "--output")  # before hashing datasets and checkpoints
    model = None
    if args.model is not None:
        entry = get_model_entry(args.model)
        revision = args.revision or entry.revision
        model = ModelToLock(entry.name, entry.hub_id, str(revision) if revision else None, args.model_path)
    lock = build_lock(tasks, model, resolve_data_root(args.data_root), command_string(args.argv))
    write_lock(args.output, lock)
    rows = [[f"{d.repo} {d.config or ''} {d.split}".replace("  ", " "), d.revision, d.commit, _short(d.content_hash),
             ", ".join(d.tasks)] for d in lock.datasets]
    rows += [[f"model {m.name}", m.revision or "-", m.commit, _short(m.content_hash), ""] for m in lock.models]
    print(tabulate(rows, headers=["source", "revision", "commit", "content", "tasks"], tablefmt="github"))
    if model is not None and not lock.models:
        out_console.print(f"model {model.name}: no checkpoint of its own to lock (no hub id); lock a local one with "
                          "--model-path DIR", markup=False)
    out_console.print(f"lock: {args.output}", markup=False)
    return EXIT_OK


def _short(content_hash: str) -> str:
    return content_hash[:19] if content_hash.startswith("sha256:") else content_hash
