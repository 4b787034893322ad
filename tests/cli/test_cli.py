"""The command line: score, replay, listing, errors and exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from eagle_eval.api import registry
from tests.conftest import one_line_exit_2, only_run_dir


def headline(path: Path, task: str = "toyqa") -> dict:
    return json.loads(path.read_text())["results"][task]["headline"]


def test_score_on_a_runs_samples_reproduces_its_headline(toy_world, toy_run, eagle, tmp_path):
    assert toy_run("--limit", "7").code == 0
    run_dir = only_run_dir(tmp_path / "runs")
    output = tmp_path / "scored.json"
    # The samples of a --limit run cover part of the task: scoring them says so (--allow-subset).
    result = eagle("score", "--task", "toyqa", "--predictions", run_dir / "samples" / "toyqa.jsonl", "--output", output,
                   "--allow-subset")  # fmt: skip
    assert result.code == 0, result.err
    assert headline(output) == headline(run_dir / "results.json")
    # docs 0..6: 0, 3, 6 wrong → 4/7.
    assert headline(output)["value"] == pytest.approx(400 / 7)
    scored = json.loads(output.read_text())
    assert scored["model"]["name"] == "replay" and scored["results"]["toyqa"]["subset"] is True
    assert "57.1" in result.out


def test_score_accepts_lmms_eval_log_samples(toy_world, eagle, tmp_path):
    log = tmp_path / "lmms_eval_samples_toyqa.jsonl"
    rows = [
        {"doc_id": 1, "target": "2", "filtered_resps": ["2"], "resps": [["2"]]},
        {"doc_id": 2, "target": "4", "filtered_resps": [["4"]], "resps": [["4"]]},
        {"doc_id": 3, "target": "6", "filtered_resps": ["7"], "resps": [["7"]]},
    ]
    log.write_text("".join(json.dumps(r) + "\n" for r in rows))
    output = tmp_path / "out.json"
    result = eagle("score", "--task", "toyqa", "--predictions", log, "--output", output, "--allow-subset")
    assert result.code == 0, result.err
    # 2 of the 3 right.
    assert headline(output)["value"] == pytest.approx(200 / 3)


def test_score_needs_split_for_multi_split_tasks(toy_world, eagle, tmp_path):
    predictions = tmp_path / "p.jsonl"
    predictions.write_text('{"doc_id": 0, "prediction": "no"}\n')
    result = eagle("score", "--task", "toypope", "--predictions", predictions)
    assert result.code == 2 and f"{predictions}:1" in result.err and "split" in result.err
    predictions.write_text('{"doc_id": 1, "split": "random", "prediction": "yes"}\n{"doc_id": 9, "split": "random", "prediction": "yes"}\n')
    result = eagle("score", "--task", "toypope", "--predictions", predictions)
    assert result.code == 2 and f"{predictions}:2: doc_id 9 is not among the" in result.err


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ('{"doc_id": 0, "prediction": "0"}\n{"doc_id": 1, "prediction": \n', ":2: invalid JSON"),
        ('{"doc_id": 0, "prediction": "0"}\n["x"]\n', ":2: expected a JSON object"),
        ('{"doc_id": "zero", "prediction": "0"}\n', ":1: 'doc_id' must be a non-negative integer"),
        ('{"doc_id": 0, "answer": "0"}\n', ":1: no 'prediction'"),
    ],
)
def test_malformed_predictions_exit_2_naming_file_and_line(toy_world, eagle, tmp_path, content, problem):
    predictions = tmp_path / "bad.jsonl"
    predictions.write_text(content)
    result = eagle("score", "--task", "toyqa", "--predictions", predictions)
    assert f"{predictions}{problem}" in one_line_exit_2(result)


def test_missing_predictions_file_exits_2(toy_world, eagle, tmp_path):
    result = eagle("score", "--task", "toyqa", "--predictions", tmp_path / "nope.jsonl")
    assert result.code == 2 and "not found" in result.err


def test_replay_model_reproduces_a_run(toy_world, toy_run, tmp_path):
    assert toy_run(output_dir=tmp_path / "a").code == 0
    original = only_run_dir(tmp_path / "a")
    result = toy_run("--predictions", original, model="replay", output_dir=tmp_path / "b")
    assert result.code == 0, result.err
    replayed = only_run_dir(tmp_path / "b")
    assert replayed.name.startswith("replay__")
    assert headline(replayed / "results.json") == headline(original / "results.json")


def test_replay_missing_prediction_is_a_sample_error(toy_world, toy_run, tmp_path):
    predictions = tmp_path / "p.jsonl"
    predictions.write_text("".join(json.dumps({"doc_id": i, "prediction": str(2 * i)}) + "\n" for i in range(9)))
    result = toy_run("--predictions", predictions, model="replay")
    assert result.code == 3
    samples = (only_run_dir(tmp_path / "runs") / "samples" / "toyqa.jsonl").read_text().splitlines()
    errors = [json.loads(s) for s in samples if json.loads(s)["error"]]
    assert [e["doc_id"] for e in errors] == [9] and "no prediction for toyqa split validation doc_id 9" in errors[0]["error"]


def test_replay_without_predictions_exits_2(toy_world, toy_run):
    result = toy_run(model="replay")
    assert result.code == 2 and "--predictions" in result.err


def test_tasks_json_shape(toy_world, eagle):
    result = eagle("tasks", "--json")
    assert result.code == 0
    tasks = json.loads(result.out)
    assert [t["name"] for t in tasks] == ["toypope", "toyqa"]
    qa = tasks[1]
    assert qa["paper_column"] == "TextVQA" and qa["headline_metric"] == "accuracy" and qa["units"] == "percent"
    assert qa["sources"] == [{"repo": "test/toyqa", "config": None, "split": "validation", "revision": "0" * 40}]


def test_models_json_lists_aliases(toy_world, eagle):
    result = eagle("models", "--json")
    assert result.code == 0
    models = {m["name"]: m for m in json.loads(result.out)}
    assert set(models) == {"replay", "toy-model"}
    assert models["toy-model"] == {
        "name": "toy-model", "hub_id": "test/toy-model", "aliases": ["toy"], "description": "deterministic test model"
    }


def test_models_show_state_dict(toy_world, eagle, monkeypatch):
    def listing() -> list[tuple[str, tuple[int, ...]]]:
        return [("model.mm_projector.0.weight", (4096, 7680)), ("model.norm.weight", (4096,))]

    registry.register_model(
        registry.ModelEntry("eagle-x5-7b", factory=lambda o: None, hub_id="NVEagle/Eagle-X5-7B", aliases=("eagle-x5",),
                            capabilities=registry.ModelCapabilities(checkpoint_tensors=listing))
    )
    result = eagle("models", "show", "eagle-x5", "--state-dict")
    assert result.code == 0, result.err
    assert result.out.splitlines() == ["model.mm_projector.0.weight\t[4096, 7680]", "model.norm.weight\t[4096]"]
    result = eagle("models", "show", "toy", "--state-dict")
    assert result.code == 2 and "cannot list its checkpoint's tensors" in result.err and "eagle-x5-7b" in result.err
    result = eagle("models", "show", "replay", "--state-dict")
    assert result.code == 0 and "has no checkpoint" in result.out
    result = eagle("models", "show", "toy", "--json")
    assert json.loads(result.out)["name"] == "toy-model"


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["run", "--model", "toy-model", "--tasks", "toyq"], "unknown task 'toyq'. Did you mean toyqa"),
        (["run", "--model", "toy-modle", "--tasks", "toyqa"], "unknown model 'toy-modle'. Did you mean toy-model"),
        (["score", "--task", "toypop", "--predictions", "x.jsonl"], "Did you mean toypope"),
        (["run", "--model", "toy", "--tasks", "toyqa", "--limt", "3"], "--limt (did you mean --limit?)"),
        (["rnu"], "did you mean run?"),
        (["table", "x", "--reference", "eagle-x9-7b"], "unknown reference 'eagle-x9-7b'"),
        (["run", "--model", "toy", "--tasks", "toyqa", "--batch-size", "many"], "--batch-size"),
    ],
)
def test_unknown_names_and_flags_exit_2_with_a_hint(toy_world, eagle, tmp_path, monkeypatch, argv, expected):
    monkeypatch.chdir(tmp_path)
    if argv[0] == "table":
        (tmp_path / "x").mkdir()
        (tmp_path / "x" / "results.json").write_text("{}")
    result = eagle(*argv)
    assert expected in one_line_exit_2(result)


def test_data_errors_exit_2(toy_world, toy_run):
    from eagle_eval.data.loading import DataError

    class NoData(registry._TASKS["toyqa"]):
        def load_docs(self, data_root=None):
            raise DataError("dataset test/toyqa not found under the data root: looked at /x. Fetch it with: ...")

    registry.register_task(NoData)
    result = toy_run()
    assert result.code == 2 and "dataset test/toyqa not found" in result.err


@pytest.mark.slow  # two interpreters importing the CLI
def test_python_dash_m_runs_the_cli():
    done = subprocess.run([sys.executable, "-m", "eagle_eval", "compare", "--help"], capture_output=True, text=True)
    assert done.returncode == 0 and "--max-drop" in done.stdout
    done = subprocess.run([sys.executable, "-m", "eagle_eval", "bogus"], capture_output=True, text=True)
    assert done.returncode == 2 and "eagle-eval: error:" in done.stderr


def test_task_groups_paper_and_all():
    from eagle_eval.api.registry import get_task, task_names
    from eagle_eval.results.reference import PAPER_COLUMNS
    from eagle_eval.run.config import expand_task_names

    paper = expand_task_names("paper")
    assert sorted(get_task(name).paper_column for name in paper) == sorted(PAPER_COLUMNS)
    assert {"vqav2", "vizwiz", "textvqa"} <= set(paper) and not {"vqav2_val", "textvqa_noocr"} & set(paper)
    assert expand_task_names("all") == task_names()
    assert expand_task_names("pope,paper")[0] == "pope" and len(expand_task_names("pope,paper")) == 13
