"""The sweep file: what it reads, and one error line naming the key and the fix for each problem."""

from __future__ import annotations

from pathlib import Path

import pytest

from eagle_eval.sweep.spec import SweepFileError, load_sweep
from tests.conftest import one_line_exit_2

GOOD = """\
output_root: runs
models:
  - name: eagle-x5-7b
  - {name: hf:NVEagle/Eagle-X5-13B, revision: main, label: X5-13B main}
  - {name: eagle-x5-7b, model_path: ckpt/step-2000, model_args: {truncate_inputs: false}}
  - {name: replay, predictions: preds.jsonl}
tasks: [pope, TextVQA, pope]
settings: {data_root: data, lock: eagle.lock, batch_size: 8, limit: 0.5, seed: 7, gen_kwargs: {max_new_tokens: 16}}
executor: {kind: slurm, gpus_per_job: 8, processes_per_job: 8, partition: a100, account: vision, qos: high,
           time_limit: "04:00:00", memory: 200G, extra_flags: ["--exclusive"]}
"""


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "sweep.yaml"
    path.write_text(text)
    return path


def test_a_full_file_reads_with_paths_from_its_folder(tmp_path: Path) -> None:
    sweep = load_sweep(_write(tmp_path, GOOD))
    assert sweep.output_root == tmp_path / "runs"
    assert [m.display for m in sweep.models] == ["eagle-x5-7b", "X5-13B main", "eagle-x5-7b", "replay"]
    assert sweep.models[2].model_path == str(tmp_path / "ckpt/step-2000")
    assert sweep.models[2].model_args == {"truncate_inputs": "false"}
    assert sweep.models[3].predictions == tmp_path / "preds.jsonl"
    assert sweep.tasks == ("pope", "textvqa")
    assert sweep.settings.limit == 0.5 and sweep.settings.seed == 7 and sweep.settings.batch_size == 8
    assert sweep.settings.gen_kwargs is not None and sweep.settings.gen_kwargs.to_json() == {"max_new_tokens": 16}
    assert sweep.executor.kind == "slurm" and sweep.executor.gpus_per_job == 8
    assert sweep.executor.time_limit == "04:00:00" and sweep.executor.extra_flags == ("--exclusive",)


def test_paper_expands_to_the_thirteen_columns(tmp_path: Path) -> None:
    sweep = load_sweep(_write(tmp_path, "output_root: r\nmodels: [eagle-x5-7b]\ntasks: paper\n"))
    assert len(sweep.tasks) == 13 and sweep.executor.kind == "local"


BAD = [
    ("output_root: r\nmodels: [eagle-x5-7b]\ntasks: pope\nsetting: {}\n", "unknown key 'setting'"),
    ("models: [eagle-x5-7b]\ntasks: pope\n", "'output_root' is missing"),
    ("output_root: r\ntasks: pope\n", "'models' is missing"),
    ("output_root: r\nmodels: []\ntasks: pope\n", "'models' must be a non-empty list"),
    ("output_root: r\nmodels: [eagle-x5-7b]\n", "'tasks' is missing"),
    ("output_root: r\nmodels: [eagel-x5-7b]\ntasks: pope\n", "'models[0].name': unknown model 'eagel-x5-7b'"),
    ("output_root: r\nmodels: [{name: eagle-x5-7b, weights: x}]\ntasks: pope\n", "unknown key 'models[0].weights'"),
    ("output_root: r\nmodels: [{name: eagle-x5-7b, model_args: [a]}]\ntasks: pope\n", "'models[0].model_args' must be"),
    ("output_root: r\nmodels: [eagle-x5-7b, eagle-x5-7b]\ntasks: pope\n", "'models[1]' repeats models[0]"),
    ("output_root: r\nmodels: [eagle-x5-7b]\ntasks: [popee]\n", "'tasks': unknown task 'popee'"),
    ("output_root: r\nmodels: [eagle-x5-7b]\ntasks: pope\nsettings: {limit: 0}\n", "'settings.limit' must be"),
    ("output_root: r\nmodels: [eagle-x5-7b]\ntasks: pope\nsettings: {batch_size: big}\n", "'settings.batch_size'"),
    ("output_root: r\nmodels: [eagle-x5-7b]\ntasks: pope\nsettings: {gen_kwargs: {temp: 1}}\n",
     "'settings.gen_kwargs'"),
    ("output_root: r\nmodels: [eagle-x5-7b]\ntasks: pope\nexecutor: {kind: k8s}\n", "'executor.kind' must be one of"),
    ("output_root: r\nmodels: [eagle-x5-7b]\ntasks: pope\nexecutor: {time_limit: 4:00:00}\n",
     "'executor.time_limit'"),
    ("output_root: r\nmodels: [eagle-x5-7b]\ntasks: pope\nexecutor: {memory: lots}\n", "'executor.memory'"),
    ("output_root: r\nmodels: [eagle-x5-7b]\ntasks: pope\nexecutor: {gpus_per_job: -1}\n", "'executor.gpus_per_job'"),
    ("output_root: r\nmodels: [eagle-x5-7b]\ntasks: pope\nexecutor: {extra_flags: --x}\n", "'executor.extra_flags'"),
    ("- a\n- b\n", "expected a mapping"),
    ("output_root: [\n", "not valid YAML (line"),
]


@pytest.mark.parametrize(("text", "names"), BAD, ids=[names for _, names in BAD])
def test_each_problem_is_one_line_naming_the_key(tmp_path: Path, text: str, names: str) -> None:
    with pytest.raises(SweepFileError) as caught:
        load_sweep(_write(tmp_path, text))
    message = str(caught.value)
    assert names in message and "\n" not in message and message.startswith(str(tmp_path / "sweep.yaml"))


def test_the_cli_exits_2_with_the_line(eagle, tmp_path: Path) -> None:
    path = _write(tmp_path, "output_root: r\nmodels: [eagle-x5-7b]\ntasks: pope\nexecutor: {kind: k8s}\n")
    line = one_line_exit_2(eagle("sweep", "plan", path))
    assert "'executor.kind' must be one of local, slurm" in line
    assert "file not found" in one_line_exit_2(eagle("sweep", "plan", tmp_path / "nope.yaml"))


def test_every_sweep_file_in_the_docs_is_valid(tmp_path: Path) -> None:
    import re

    text = (Path(__file__).resolve().parents[2] / "docs" / "sweeps.md").read_text()
    blocks = re.findall(r"```yaml\n(.*?)```", text, re.S)
    assert len(blocks) >= 3
    kinds = []
    for index, block in enumerate(blocks):
        path = tmp_path / f"sweep{index}.yaml"
        path.write_text(block)
        kinds.append(load_sweep(path).executor.kind)
    assert {"local", "slurm"} <= set(kinds)
