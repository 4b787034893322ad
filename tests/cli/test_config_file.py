"""run --config run.yaml: any run flag from a YAML mapping; the command line wins; bad keys exit 2."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from eagle_eval.cli.app import build_parser
from eagle_eval.cli.config_file import with_config_file
from tests.conftest import one_line_exit_2


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_a_config_file_runs_and_the_command_line_wins(toy_world, eagle, tmp_path):
    config = _write(tmp_path / "run.yaml", f"""
model: toy
tasks: [toyqa, toypope]
limit: 4
gen-kwargs: {{max_new_tokens: 3}}
output_dir: {tmp_path / 'runs'}
no_progress: true
model_arg: {{}}
""")
    result = eagle("run", "--config", str(config), "--limit", "2")
    assert result.code == 0, result.err
    (run_dir,) = list((tmp_path / "runs").iterdir())
    results = json.loads((run_dir / "results.json").read_text())
    assert results["settings"]["limit"] == 2 and results["settings"]["gen_kwargs"] == {"max_new_tokens": 3}
    assert set(results["results"]) == {"toyqa", "toypope"}
    # The recorded command is explicit: the file's flags, then the command line's.
    assert "--tasks toyqa,toypope" in results["command"] and results["command"].endswith("--limit 2")
    assert "--limit 4" not in results["command"]


def test_repeatable_flags_and_switches_expand_and_the_command_line_replaces_them(tmp_path):
    _, commands = build_parser()
    config = _write(tmp_path / "run.yaml", "model: eagle-tiny\ntasks: pope\nmodel_arg: {truncate_inputs: false}\n"
                                           "ablate_expert: [sam, clip]\nblind: false\npredict_only: true\n")
    expanded = with_config_file(["run", "--config", str(config)], commands["run"])
    assert expanded == ["run", "--model", "eagle-tiny", "--tasks", "pope", "--model-arg", "truncate_inputs=false",
                        "--ablate-expert", "sam", "--ablate-expert", "clip", "--predict-only", "--config", str(config)]
    overridden = with_config_file(["run", "--config", str(config), "--model-arg", "vision_batch_size=2"], commands["run"])
    assert "truncate_inputs=false" not in overridden and overridden[-2:] == ["--model-arg", "vision_batch_size=2"]
    assert with_config_file(["tasks", "--config", "x"], commands["run"]) == ["tasks", "--config", "x"]


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("model: toy\ntasks: toyqa\ntemperature: 0.2\n", "unknown key 'temperature'"),
        ("model: toy\ntasks: toyqa\nlimit: lots\n", "--limit"),
        ("model: toy\ntasks: toyqa\npredict_only: maybe\n", "'predict_only' is a switch"),
        ("- model\n- toy\n", "expected a mapping"),
        ("model: [toy\n", "not valid YAML (line"),
        ("model: toy\ntasks: toyqa\ngen_kwargs: {temprature: 1}\n", "temprature"),
    ],
)
def test_bad_config_files_exit_2_naming_the_problem(toy_world, eagle, tmp_path, text, named):
    config = _write(tmp_path / "run.yaml", text)
    result = eagle("run", "--config", str(config), "--output-dir", str(tmp_path / "runs"), "--no-progress")
    assert named in one_line_exit_2(result)


def test_a_missing_config_file_exits_2(eagle, tmp_path):
    result = eagle("run", "--config", str(tmp_path / "absent.yaml"))
    assert result.code == 2 and "absent.yaml: file not found" in result.err
