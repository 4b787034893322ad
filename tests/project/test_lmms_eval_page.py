"""docs/lmms-eval.md's flag map: every flag of ours it names exists in our CLI, and every lmms-eval flag
it names exists in lmms-eval's own command line (read from its source, without running it)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import lmms_eval

from eagle_eval.cli.app import build_parser

PAGE = Path(__file__).resolve().parents[2] / "docs" / "lmms-eval.md"


def _table_rows() -> list[list[str]]:
    text = PAGE.read_text(encoding="utf-8")
    block = text[text.index("<!-- flag-map:start -->"): text.index("<!-- flag-map:end -->")]
    rows = [[cell.strip() for cell in line.strip().strip("|").split("|")] for line in block.splitlines()
            if line.startswith("|") and not line.startswith("|---")]
    return rows[1:]  # without the header


def _flags(cell: str) -> list[str]:
    return re.findall(r"(?<![\w-])--[a-z][a-z_-]*", " ".join(re.findall(r"`([^`]*)`", cell)))


def _lmms_eval_flags() -> set[str]:
    source = Path(lmms_eval.__file__).with_name("__main__.py").read_text(encoding="utf-8")
    return {arg.value for node in ast.walk(ast.parse(source))
            if isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "add_argument"
            for arg in node.args if isinstance(arg, ast.Constant) and str(arg.value).startswith("--")}


def test_every_flag_on_the_page_exists_on_both_sides():
    _, commands = build_parser()
    theirs = _lmms_eval_flags()
    rows = _table_rows()
    assert len(rows) >= 15
    for lmms, ours, _ in rows:
        assert set(_flags(lmms)) <= theirs, lmms
        for span in re.findall(r"`([^`]*)`", ours):
            command = span.split()[0]
            assert command in commands, span
            options = set(commands[command]._option_string_actions)
            assert set(_flags(span)) <= options, (span, set(_flags(span)) - options)


def test_the_page_names_the_flags_people_reach_for():
    named = {flag for row in _table_rows() for flag in _flags(row[0])}
    wanted = {"--model", "--model_args", "--tasks", "--batch_size", "--limit", "--offset", "--gen_kwargs",
              "--output_path", "--log_samples", "--predict_only", "--config", "--wandb_args", "--hf_hub_log_args",
              "--seed", "--device"}
    assert wanted <= named, wanted - named
    ours = {flag for row in _table_rows() for flag in _flags(row[1])}
    assert {"--gen-kwargs", "--offset", "--predict-only", "--config", "--wandb-args", "--hub-log-args"} <= ours
