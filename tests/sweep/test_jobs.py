"""Jobs sized to fit: cells packed per model to 80% of the time limit from measured or assumed speeds;
Slurm times and flags as submitit takes them; the local executor's GPU slots."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from eagle_eval.sweep import jobs as sweep_jobs
from eagle_eval.sweep.jobs import Speed, pack_jobs
from eagle_eval.sweep.local import ExecutorError, slots
from eagle_eval.sweep.plan import Cell
from eagle_eval.sweep.slurm import extra_parameters, slurm_parameters
from eagle_eval.sweep.spec import Executor, SweepFileError, load_sweep, slurm_seconds

DATA = Path(__file__).resolve().parents[2] / "data" / "hub"


def _sweep_file(tmp_path: Path, executor: dict[str, Any], tasks: Any = ("pope", "textvqa", "chartqa")) -> Path:
    path = tmp_path / "sweep.yaml"
    path.write_text(json.dumps({"output_root": "out", "models": ["eagle-tiny"], "tasks": list(tasks),
                                "settings": {"data_root": str(DATA)}, "executor": executor}))
    return path


class _Sizes:
    def __init__(self, sizes: dict[str, int]) -> None:
        self.sizes = sizes

    def size(self, name: str) -> int | None:
        return self.sizes.get(name)


def _new_cells(run_id: str, tasks: list[str]) -> list[Cell]:
    return [Cell("eagle-tiny", task, run_id, "new", "no run folder") for task in tasks]


@pytest.mark.parametrize(("text", "seconds"), [("30", 1800), ("10:30", 630), ("04:00:00", 14400),
                                               ("1-00", 86400), ("1-02:03", 93780), ("2-00:00:05", 172805)])
def test_slurm_times_in_seconds(text: str, seconds: float) -> None:
    assert slurm_seconds(text) == seconds


def test_cells_are_packed_to_eighty_percent_of_the_time_limit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # 10 s load + 1 s a sample; limit 100 s -> budget 80 s: 50 + 20 fit in one job (80 s), 30 more does not.
    sweep = load_sweep(_sweep_file(tmp_path, {"kind": "local", "gpus_per_job": 0, "time_limit": "01:40"}))
    monkeypatch.setattr(sweep_jobs, "model_speed", lambda sweep, run_id: Speed(1.0, 10.0, False))
    run_id = sweep_jobs._run_id_of(sweep, sweep.models[0])
    jobs = pack_jobs(sweep, _new_cells(run_id, ["pope", "textvqa", "chartqa"]),
                     _Sizes({"pope": 50, "textvqa": 20, "chartqa": 30}))  # type: ignore[arg-type]
    assert [(job.tasks, job.samples, job.seconds) for job in jobs] == [(("pope", "textvqa"), 70, 80.0),
                                                                       (("chartqa",), 30, 40.0)]


def test_a_cell_larger_than_the_budget_gets_a_job_of_its_own(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    sweep = load_sweep(_sweep_file(tmp_path, {"kind": "local", "gpus_per_job": 0, "time_limit": "01:40"}))
    monkeypatch.setattr(sweep_jobs, "model_speed", lambda sweep, run_id: Speed(1.0, 10.0, False))
    run_id = sweep_jobs._run_id_of(sweep, sweep.models[0])
    jobs = pack_jobs(sweep, _new_cells(run_id, ["pope", "textvqa", "chartqa"]),
                     _Sizes({"pope": 500, "textvqa": 1, "chartqa": 1}))  # type: ignore[arg-type]
    assert [job.tasks for job in jobs] == [("pope",), ("textvqa", "chartqa")]


def test_without_a_time_limit_a_model_is_one_job_and_done_or_busy_cells_are_left_out(tmp_path: Path) -> None:
    sweep = load_sweep(_sweep_file(tmp_path, {"kind": "local", "gpus_per_job": 0}))
    run_id = sweep_jobs._run_id_of(sweep, sweep.models[0])
    cells = _new_cells(run_id, ["pope", "textvqa", "chartqa"])
    cells[0] = Cell("eagle-tiny", "pope", run_id, "done", "scored")
    jobs = pack_jobs(sweep, cells, _Sizes({"textvqa": 9, "chartqa": 8}),  # type: ignore[arg-type]
                     busy={(run_id, "chartqa")})
    assert [(job.tasks, job.samples) for job in jobs] == [(("textvqa",), 9)]


def test_a_partial_cell_counts_only_its_missing_samples_and_rescore_cells_make_a_job_without_a_model(tmp_path: Path) -> None:
    sweep = load_sweep(_sweep_file(tmp_path, {"kind": "local", "gpus_per_job": 0}))
    run_id = sweep_jobs._run_id_of(sweep, sweep.models[0])
    cells = [Cell("eagle-tiny", "pope", run_id, "partial", "4/12", 4, 12),
             Cell("eagle-tiny", "textvqa", run_id, "rescore", "scorer changed", 9, 9)]
    scoring, job = pack_jobs(sweep, cells, _Sizes({}))  # type: ignore[arg-type]
    assert (scoring.tasks, scoring.rescore_only, scoring.samples, scoring.seconds) == (("textvqa",), True, 0, 0.0)
    assert (job.tasks, job.rescore_only, job.samples) == (("pope",), False, 8)
    assert job.seconds == pytest.approx(sweep.executor.load_seconds + 8 * sweep.executor.seconds_per_sample)


def test_the_measured_speed_of_an_earlier_run_replaces_the_assumed_one(tmp_path: Path) -> None:
    sweep = load_sweep(_sweep_file(tmp_path, {"kind": "local", "gpus_per_job": 0}))
    run_id = sweep_jobs._run_id_of(sweep, sweep.models[0])
    results = {"schema_version": 1, "results": {"pope": {"timings": {"generation_seconds": 6.0, "samples_generated": 3}},
                                                "textvqa": {"timings": {"generation_seconds": 2.0, "samples_generated": 1}}}}
    (sweep.output_root / run_id).mkdir(parents=True)
    (sweep.output_root / run_id / "results.json").write_text(json.dumps(results))
    monkeypatch = pytest.MonkeyPatch()
    try:
        monkeypatch.setattr(sweep_jobs, "load_results", lambda path: _Timed(json.loads(Path(path).read_text())))
        speed = sweep_jobs.model_speed(sweep, run_id)
    finally:
        monkeypatch.undo()
    assert speed == Speed(2.0, sweep.executor.load_seconds, True)  # (6 + 2) s / (3 + 1) samples


class _Timed:
    """The part of a results document model_speed reads."""

    def __init__(self, data: dict[str, Any]) -> None:
        from types import SimpleNamespace

        self.results = {task: SimpleNamespace(timings=SimpleNamespace(**entry["timings"]))
                        for task, entry in data["results"].items()}


def test_slurm_parameters_from_the_executor() -> None:
    executor = Executor(kind="slurm", gpus_per_job=8, partition="a100", account="vision", qos="normal",
                        time_limit="04:00:00", memory="200G", extra_flags=("--exclusive", "--constraint=h100"))
    assert slurm_parameters(executor) == {
        "job_name": "eagle-eval-sweep", "time": 240, "ntasks_per_node": 1, "mem": "200G", "partition": "a100",
        "account": "vision", "qos": "normal", "gpus_per_node": 8,
        "additional_parameters": {"exclusive": True, "constraint": "h100"}}
    assert slurm_parameters(Executor(kind="slurm", gpus_per_job=0))["time"] == 0  # the partition's limit
    assert "gpus_per_node" not in slurm_parameters(Executor(kind="slurm", gpus_per_job=0))
    assert extra_parameters(["--gres=gpu:2", "--requeue"]) == {"gres": "gpu:2", "requeue": True}


def test_local_slots_give_each_job_its_own_gpus() -> None:
    executor = Executor(gpus_per_job=2, gpus=("0", "1", "2", "3", "4"))
    assert [slot.visible_devices for slot in slots(executor)] == ["0,1", "2,3"]
    assert [slot.visible_devices for slot in slots(Executor(gpus_per_job=1), {"CUDA_VISIBLE_DEVICES": "5,7"})] == ["5", "7"]
    assert [slot.gpus for slot in slots(Executor(gpus_per_job=0, max_jobs=3))] == [(), (), ()]
    with pytest.raises(ExecutorError, match="needs 2 GPU.*has 1.*gpus_per_job: 0"):
        slots(Executor(gpus_per_job=2), {"CUDA_VISIBLE_DEVICES": "0"})


@pytest.mark.parametrize(("executor", "message"), [
    ({"max_jobs": 0}, "'executor.max_jobs' must be a whole number"),
    ({"gpus": "a"}, None),
    ({"gpus": [True]}, "'executor.gpus' must list GPU ids"),
    ({"seconds_per_sample": -1}, "'executor.seconds_per_sample' must be a number of seconds"),
])
def test_executor_keys_are_checked(tmp_path: Path, executor: dict[str, Any], message: str | None) -> None:
    path = _sweep_file(tmp_path, executor)
    if message is None:
        assert load_sweep(path).executor.gpus == ("a",)
        return
    with pytest.raises(SweepFileError, match=message):
        load_sweep(path)


def test_a_refused_submission_is_one_line_and_leaves_no_job_files(eagle, tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.conftest import one_line_exit_2

    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    sbatch = bin_dir / "sbatch"
    sbatch.write_text("#!/bin/sh\necho 'sbatch: error: invalid partition specified: nope' >&2\nexit 1\n")
    sbatch.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:{__import__('os').environ['PATH']}")
    path = _sweep_file(tmp_path, {"kind": "slurm", "gpus_per_job": 0, "partition": "nope"}, tasks=["pope"])
    line = one_line_exit_2(eagle("sweep", "run", path))
    assert "sbatch refused the jobs (sbatch: error: invalid partition specified: nope)" in line
    assert "executor.partition" in line
    assert not list((tmp_path / "out").glob(".sweep/*/*.json"))  # nothing left that looks submitted
