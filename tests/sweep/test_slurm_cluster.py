"""Jobs on a real Slurm (tests/slurm_cluster.py), through submitit as the sweeps submit them: a function
and a two-task array come back with their results and sacct reports them COMPLETED; a job cancelled with
scancel is reported CANCELLED by submitit, which learns it from accounting (no result file is written).
One cluster for the module: its bring-up is paid once."""

from __future__ import annotations

import time
from typing import Any

import pytest
import submitit

pytestmark = pytest.mark.slow


def executor_for(cluster: Any, folder: Any) -> submitit.AutoExecutor:
    executor = submitit.AutoExecutor(folder=folder, cluster="slurm")
    executor.update_parameters(timeout_min=5, slurm_partition=cluster.partition, cpus_per_task=1, mem_gb=1)
    return executor


def wait_until(what: str, ready: Any, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not ready():
        assert time.monotonic() < deadline, f"{what}: not within {timeout:g} s"
        time.sleep(0.5)


def test_a_function_and_a_job_array_come_back_and_sacct_says_completed(slurm_cluster, tmp_path):
    def square(x: int) -> int:  # local, so cloudpickle sends it by value: the job imports nothing of the tests
        return x * x

    executor = executor_for(slurm_cluster, tmp_path / "jobs")
    job = executor.submit(square, 7)
    array = executor.map_array(square, [2, 3])
    assert len({j.job_id.split("_")[0] for j in array}) == 1  # one array job, two tasks
    for one in (job, *array):
        wait_until(f"job {one.job_id} done", one.done)
    assert job.result() == 49
    assert [j.result() for j in array] == [4, 9]
    assert slurm_cluster.wait_for_sacct(job.job_id, "COMPLETED") == {job.job_id: "COMPLETED"}
    array_id = array[0].job_id.split("_")[0]
    tasks = slurm_cluster.wait_for_sacct(array_id, "COMPLETED", count=2)
    assert {task: state for task, state in tasks.items() if "_" in task} == {f"{array_id}_0": "COMPLETED",
                                                                            f"{array_id}_1": "COMPLETED"}  # fmt: skip


def test_a_job_cancelled_with_scancel_is_cancelled_for_submitit(slurm_cluster, tmp_path):
    def sleep_long() -> None:
        import time

        time.sleep(300)

    job = executor_for(slurm_cluster, tmp_path / "jobs").submit(sleep_long)
    wait_until(f"job {job.job_id} running", lambda: job.state == "RUNNING")
    slurm_cluster.command("scancel", job.job_id)
    wait_until(f"submitit seeing job {job.job_id} cancelled", lambda: job.state.startswith("CANCELLED"))
    assert job.done()  # so a sweep waiting on it moves on (its result() would say that it was cancelled)
    assert slurm_cluster.sacct_states(job.job_id)[job.job_id].startswith("CANCELLED")
