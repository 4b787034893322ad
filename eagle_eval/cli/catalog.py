"""`tasks`, `models` and `models show`: what is registered, and the details of one model."""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING, Any

from rich.table import Table

from eagle_eval.cli.common import EXIT_OK, AddCommand, UsageError, int_between, out_console
from eagle_eval.core.help_format import HelpFormatter

MAX_SEQUENCE = 65536  # tokens; --flops runs one forward per new token, so a bound keeps a typo from hanging

if TYPE_CHECKING:
    from eagle_eval.api.registry import ModelEntry


def add_commands(command: AddCommand) -> dict[str, argparse.ArgumentParser]:
    tasks = command("tasks", "List the registered tasks.")
    tasks.add_argument("--json", action="store_true", help="print a JSON list")
    tasks.set_defaults(handler=cmd_tasks)

    models = command("models", "List the registered models, or show one.")
    models.add_argument("--json", action="store_true", help="print a JSON list")
    models.set_defaults(handler=cmd_models)
    models_sub = models.add_subparsers(dest="models_command", metavar="show", required=False,
                                       help="show NAME: one model's details; without it, the list of models")
    show = models_sub.add_parser("show", help="details of one model", formatter_class=HelpFormatter,
                                 description="The details of one model: its registry entry, and on request the "
                                             "tensors of its checkpoint or the FLOPs of one sample.")
    show.add_argument("name", help="model name or alias")
    show.add_argument("--json", action="store_true", help="print the entry as one JSON object")
    show.add_argument("--state-dict", action="store_true", help="list the checkpoint's tensors: key<TAB>[shape]")
    show.add_argument("--flops", action="store_true",
                      help="FLOPs of one sample by part (one image, --text-tokens of prompt, --new-tokens)")
    show.add_argument("--text-tokens", type=int_between(0, MAX_SEQUENCE, "more exceeds any Eagle context"), default=70, help="prompt tokens besides the image (default 70)")
    show.add_argument("--new-tokens", type=int_between(1, MAX_SEQUENCE, "more exceeds any Eagle context"), default=16, help="generated tokens (default 16)")
    show.set_defaults(handler=cmd_models_show)
    return {"tasks": tasks, "models": models}


def cmd_tasks(args: argparse.Namespace) -> int:
    from eagle_eval.api.registry import get_task, task_names

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
    from eagle_eval.api.registry import model_entries, model_schemes

    entries: list[dict[str, Any]] = [
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
    for scheme, target in model_schemes().items():
        out_console.print(f"also: --model {scheme}:<{target}>", markup=False)
    return EXIT_OK


def cmd_models_show(args: argparse.Namespace) -> int:
    from eagle_eval.api.registry import get_model_entry

    entry = get_model_entry(args.name)
    if args.flops:
        return _show_flops(entry, args.text_tokens, args.new_tokens)
    if args.state_dict:
        return _show_state_dict(entry)
    details = {
        "name": entry.name,
        "hub_id": entry.hub_id,
        "aliases": list(entry.aliases),
        "description": entry.description,
        "details": entry.describe(),
    }
    if args.json:
        print(json.dumps(details, indent=2, default=str))
    else:
        _print_entry(details)
    return EXIT_OK


def _print_entry(entry: dict[str, Any]) -> None:
    """`models show NAME` for a reader: one field a line, lists joined, the model's settings and notes indented."""
    details = dict(entry["details"])
    settings = details.pop("model_args", None) or {}
    notes = details.pop("notes", None) or []
    fields: dict[str, Any] = {"name": entry["name"], "aliases": entry["aliases"] or "-",
                              "hub id": entry["hub_id"] or "-", "description": entry["description"], **details}
    width = max(len(key) for key in fields) + 2
    for key, value in fields.items():
        print(f"{key.replace('_', ' '):<{width}}{_shown(value)}")
    print("model args (--model-arg KEY=VALUE):" + ("" if settings else " none"))
    for key, meaning in settings.items():
        print(f"  {key}: {meaning}")
    if notes:
        print("notes:")
    for note in notes:
        print(f"  - {note}")


def _shown(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list | tuple):
        return ", ".join(map(str, value)) or "-"
    return "-" if value is None or value == "" else str(value)


def _show_state_dict(entry: ModelEntry) -> int:
    listing = entry.capabilities.checkpoint_tensors
    if listing is None:
        if not entry.loads_weights:
            print(f"model {entry.name} has no checkpoint (it loads no weights)")
            return EXIT_OK
        raise UsageError(f"model {entry.name} cannot list its checkpoint's tensors (--state-dict); "
                         f"models that can: {_offering('state-dict')}")
    for key, shape in listing():
        print(f"{key}\t[{', '.join(str(d) for d in shape)}]")
    return EXIT_OK


def _show_flops(entry: ModelEntry, text_tokens: int, new_tokens: int) -> int:
    count = entry.capabilities.sample_flops
    if count is None:
        raise UsageError(f"model {entry.name} offers no FLOP count (--flops); models that do: {_offering('flops')}")
    flops = count(text_tokens, new_tokens)
    print(f"# {entry.name}: {flops.description}; TFLOP per sample (multiply-add = 2)")
    for part, value in flops.parts.items():
        print(f"{part}\t{value / 1e12:.3f}")
    print(f"total\t{flops.total / 1e12:.3f}")
    return EXIT_OK


def _offering(capability: str) -> str:
    from eagle_eval.api.registry import model_entries

    names = [e.name for e in model_entries() if capability in e.capabilities.offered()]
    return ", ".join(names) or "none"
