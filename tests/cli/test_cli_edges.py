"""The command line a new user meets: abbreviated flags, task names in any case, the small gaps."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import one_line_exit_2


@pytest.mark.parametrize(
    ("argv", "typed", "meant"),
    [
        (["run", "--model", "toy", "--tasks", "toyqa", "--output", "runs/x"], "--output", "--output-dir"),
        (["run", "--task", "toyqa", "--model", "toy"], "--task", "--tasks"),
        (["compare", "a", "--base", "b"], "--base", "--baseline"),
        (["models", "show", "toy", "--state"], "--state", "--state-dict"),
    ],
)
def test_an_abbreviated_flag_is_an_error_with_the_flag_meant(eagle, toy_world, tmp_path, monkeypatch, argv, typed, meant):
    monkeypatch.chdir(tmp_path)
    line = one_line_exit_2(eagle(*argv))
    assert f"unrecognized arguments: {typed} (did you mean {meant}?)" in line
    assert not (tmp_path / "runs").exists()


def test_every_parser_refuses_prefixes():
    from eagle_eval.cli import build_parser

    parser, commands = build_parser()
    assert parser.allow_abbrev is False
    assert all(command.allow_abbrev is False for command in commands.values())


def test_task_names_match_without_regard_to_case(toy_run, toy_world, tmp_path):
    result = toy_run("--limit", "2", tasks="ToyQA,TOYPOPE")
    assert result.code == 0, result.err
    (run_dir,) = (tmp_path / "runs").iterdir()
    assert set(json.loads((run_dir / "results.json").read_text())["results"]) == {"toyqa", "toypope"}


def test_a_task_name_miss_suggests_the_closest(toy_run, toy_world):
    line = one_line_exit_2(toy_run(tasks="ToyQ"))
    assert "unknown task 'ToyQ'" in line and "Did you mean toyqa" in line


def test_score_takes_the_table_spelling(eagle, toy_world, tmp_path):
    predictions = tmp_path / "p.jsonl"
    predictions.write_text("".join(json.dumps({"doc_id": i, "prediction": str(2 * i)}) + "\n" for i in range(10)))
    result = eagle("score", "--task", "ToyQA", "--predictions", predictions, "--no-progress")
    assert result.code == 0, result.err


def test_version(eagle):
    result = eagle("--version")
    assert result.code == 0 and result.out.startswith("eagle-eval ")


def test_run_help_titles_the_ablation_group_plainly(eagle):
    result = eagle("run", "--help")
    assert result.code == 0
    assert "Ablations:" in result.out and "docs/ablations.md" in result.out
    assert "Docs/Ablations.Md" not in result.out


def test_models_show_reads_as_a_listing_and_json_on_request(eagle, toy_world):
    listing = eagle("models", "show", "toy")
    assert listing.code == 0, listing.err
    assert not listing.out.lstrip().startswith("{")
    lines = listing.out.splitlines()
    assert lines[0].split() == ["name", "toy-model"] and ["aliases", "toy"] in [line.split() for line in lines]
    assert "model args (--model-arg KEY=VALUE): none" in lines
    shown = json.loads(eagle("models", "show", "toy", "--json").out)
    assert shown["name"] == "toy-model" and shown["aliases"] == ["toy"]


def test_the_readme_quick_start_compares_the_folders_run_writes(eagle, toy_world, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for run_id in ("main", "new"):
        assert eagle("run", "--model", "toy", "--tasks", "toyqa", "--run-id", run_id, "--no-progress").code == 0
    assert (tmp_path / "results" / "new" / "results.json").is_file()
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    assert "eagle-eval compare results/new --baseline results/main" in readme
    assert eagle("compare", "results/new", "--baseline", "results/main").code == 0


def test_the_tiny_hf_writer_is_a_command(capsys):
    from eagle_eval.model_adapters.hf.tiny import main

    with pytest.raises(SystemExit) as exit_:
        main(["--help"])
    assert exit_.value.code == 0 and "--kind" in capsys.readouterr().out


def test_one_spelling_for_the_written_file_and_for_json():
    from eagle_eval.cli import build_parser

    _, commands = build_parser()
    for name in ("score", "lock", "report", "compare", "table"):
        options = commands[name]._option_string_actions
        assert options["-o"] is options["--output"], name
    for name in ("tasks", "models", "compare", "table"):
        action = commands[name]._option_string_actions["--json"]
        assert action.nargs in (0, "?"), name  # a switch (compare's also takes the older FILE form)
    from eagle_eval.model_adapters.eagle.bench_options import build_parser as bench_parser

    bench = bench_parser()._option_string_actions
    assert bench["-o"] is bench["--output"]


@pytest.fixture
def two_runs(toy_run, toy_world, tmp_path):
    for run_id in ("old", "new"):
        assert toy_run("--run-id", run_id).code == 0
    return tmp_path / "runs" / "new", tmp_path / "runs" / "old"


def test_compare_writes_with_output_and_prints_json_with_the_switch(eagle, two_runs, tmp_path):
    new, old = two_runs
    written = eagle("compare", new, "--baseline", old, "-o", tmp_path / "c.json")
    assert written.code == 0, written.err
    document = json.loads((tmp_path / "c.json").read_text())
    printed = eagle("compare", new, "--baseline", old, "--json")
    assert printed.code == 0 and json.loads(printed.out) == document
    older = eagle("compare", new, "--baseline", old, "--json", tmp_path / "d.json")
    assert older.code == 0 and json.loads((tmp_path / "d.json").read_text()) == document


def test_table_writes_to_output_and_json_is_the_json_format(eagle, two_runs, tmp_path):
    new, _ = two_runs
    on_stdout = eagle("table", new, "--json")
    assert on_stdout.code == 0 and json.loads(on_stdout.out) == json.loads(eagle("table", new, "--format", "json").out)
    written = eagle("table", new, "-o", tmp_path / "t.md")
    assert written.code == 0 and written.out == ""
    assert (tmp_path / "t.md").read_text() == eagle("table", new).out


def test_a_samples_file_given_to_table_is_named_as_such(eagle, two_runs):
    new, _ = two_runs
    line = one_line_exit_2(eagle("table", new / "samples" / "toyqa.jsonl"))
    assert "is a samples file (one sample a line), not a results file; pass its run folder " + str(new) in line


def test_an_output_folder_holding_one_run_means_that_run(eagle, toy_run, toy_world, tmp_path):
    assert toy_run("--run-id", "only").code == 0
    output = tmp_path / "runs"
    compared = eagle("compare", output, "--baseline", output / "only")
    assert compared.code == 0, compared.err
    assert eagle("power", output).code == 0
    report = eagle("report", output, "--no-images")
    assert report.code == 0, report.err
    assert (output / "only" / "report.html").is_file()


def test_an_output_folder_holding_several_runs_lists_them(eagle, two_runs):
    new, old = two_runs
    for argv in (["compare", new.parent, "--baseline", old], ["report", new.parent]):
        line = one_line_exit_2(eagle(*argv))
        assert f"{new.parent} holds 2 runs, not one; pass one of them: {new}, {old}" in line


@pytest.mark.parametrize("command", [["table"], ["compare", "--baseline", "."], ["report"], ["power"]])
def test_a_path_that_does_not_exist_says_so(eagle, tmp_path, command):
    missing = tmp_path / "nope"
    line = one_line_exit_2(eagle(command[0], missing, *command[1:]))
    assert f"results file not found: {missing} (no such file or folder)" in line
