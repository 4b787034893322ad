"""`tasks`, `models` and `models show`: what is registered, and the details of one model."""

from __future__ import annotations

import argparse
import json

from rich.table import Table
from rich_argparse import RichHelpFormatter

from eagle_eval.cli.common import EXIT_OK, AddCommand, UsageError, out_console


def add_commands(command: AddCommand) -> dict[str, argparse.ArgumentParser]:
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
    return {"tasks": tasks, "models": models}


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
        raise UsageError(f"model {entry.name} is not an Eagle preset; --flops needs an Eagle architecture") from None
    flops = count_sample_flops(config, text_tokens + config.image_tokens, new_tokens)
    print(f"# {entry.name}: one image ({config.image_tokens} tokens), {text_tokens} text tokens, "
          f"{new_tokens} new tokens; TFLOP per sample (multiply-add = 2)")
    for part, value in flops.parts().items():
        print(f"{part}\t{value / 1e12:.3f}")
    print(f"total\t{flops.total / 1e12:.3f}")
    return EXIT_OK
