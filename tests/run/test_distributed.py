"""Scale-out: sharding, rank files, folding, resume across world sizes, and a real 2-process torchrun.

The torchrun test runs the CLI under `torchrun --nproc-per-node 2` (gloo on CPU) with the replay
model on fixture snapshots of POPE and TextVQA, and compares with a single-process run of the same
command: the same prediction for every doc, the same headlines, and rank files folded away.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from eagle_eval.api.task import Doc
from eagle_eval.data.fixtures import pope as pope_fixture
from eagle_eval.data.fixtures import textvqa as textvqa_fixture
from eagle_eval.results.samples import SampleRecord, read_samples
from eagle_eval.run.distributed import (
    DistContext,
    DistributedError,
    context_from_env,
    device_for_rank,
    fold_rank_files,
    rank_files,
    rank_samples_path,
    shard_docs,
)
from eagle_eval.run.runner import RunConfig, run_evaluation
from tests.conftest import only_run_dir

from ..launches import finish_launch, start_launch

REPO_ROOT = Path(__file__).resolve().parents[2]
# torchrun is `python -m torch.distributed.run`: the module needs no console script on PATH.
TORCHRUN = [sys.executable, "-m", "torch.distributed.run"]


def docs_of(n: int, split: str = "test") -> list[Doc]:
    return [Doc(split, i, {}) for i in range(n)]


# --- pure helpers --------------------------------------------------------------------------------


def test_context_from_env_reads_the_launcher_variables():
    assert context_from_env({}) == DistContext(0, 1, 0)
    ctx = context_from_env({"RANK": "3", "WORLD_SIZE": "4", "LOCAL_RANK": "1"})
    assert (ctx.rank, ctx.world_size, ctx.local_rank, ctx.is_distributed, ctx.is_main) == (3, 4, 1, True, False)
    with pytest.raises(DistributedError, match="RANK=4, WORLD_SIZE=4"):
        context_from_env({"RANK": "4", "WORLD_SIZE": "4"})
    with pytest.raises(DistributedError, match="WORLD_SIZE='two'"):
        context_from_env({"WORLD_SIZE": "two"})


def test_each_rank_gets_its_own_gpu():
    ctx = DistContext(rank=5, world_size=8, local_rank=1)
    assert device_for_rank(None, ctx, cuda_available=True) == "cuda:1"
    assert device_for_rank("cuda", ctx, cuda_available=True) == "cuda:1"
    assert device_for_rank(None, ctx, cuda_available=False) is None  # the adapter's CPU default
    assert device_for_rank("cpu", ctx, cuda_available=True) == "cpu"
    assert device_for_rank("cuda:1", DistContext(), cuda_available=True) == "cuda:1"  # one process: as asked
    with pytest.raises(DistributedError, match="same GPU"):
        device_for_rank("cuda:0", ctx, cuda_available=True)


def test_shards_cover_every_doc_once_and_split_the_remaining_work_evenly():
    docs = docs_of(10)
    done = {("test", i) for i in range(6)}  # a resumed run: 4 docs left
    shards = [shard_docs(docs, done, DistContext(r, 3, r)) for r in range(3)]
    assert sorted(d.doc_id for shard in shards for d in shard) == list(range(10))
    pending = [[d.doc_id for d in shard if ("test", d.doc_id) not in done] for shard in shards]
    assert pending == [[6, 9], [7], [8]]  # i % world == rank over the docs still to do
    assert shard_docs(docs, done, DistContext()) == docs  # one process: everything, in order


def write_lines(path: Path, records: list[SampleRecord], torn_tail: str = "") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(r.to_line() for r in records) + torn_tail)


def test_fold_appends_rank_lines_in_doc_order_whatever_the_world_size(tmp_path):
    docs = docs_of(6)
    merged = tmp_path / "samples" / "pope.jsonl"

    def record(i: int, prediction: str = "yes", error: str | None = None) -> SampleRecord:
        return SampleRecord("pope", "test", i, f"fp{i}", None if error else prediction, error)

    write_lines(merged, [record(0)])
    # A world-2 run wrote docs 1..5; rank 1 retried doc 3 after a failure and was killed mid-line.
    write_lines(rank_samples_path(merged, 0), [record(4), record(2)])
    write_lines(rank_samples_path(merged, 1), [record(3, error="boom"), record(5), record(3, "no")], '{"task": "po')
    write_lines(rank_samples_path(merged, 10), [record(1)])  # rank 10 sorts after rank 1
    assert [p.name for p in rank_files(merged)] == ["pope.rank0.jsonl", "pope.rank1.jsonl", "pope.rank10.jsonl"]
    assert fold_rank_files(merged, docs) == 6
    assert rank_files(merged) == []
    lines = [(r.doc_id, r.prediction, r.error) for r in read_samples(merged)]
    assert lines == [(0, "yes", None), (1, "yes", None), (2, "yes", None), (3, None, "boom"), (3, "no", None),
                     (4, "yes", None), (5, "yes", None)]
    assert fold_rank_files(merged, docs) == 0  # nothing left to fold


# --- resume across world sizes (in-process, the toy model) ---------------------------------------


def test_single_process_resumes_from_a_killed_torchrun_run(toy_world, tmp_path):
    config = RunConfig(model="toy-model", tasks=["toyqa"], output_dir=tmp_path, show_progress=False)
    reference = run_evaluation(config)
    run_dir = reference.run_dir
    samples = run_dir / "samples" / "toyqa.jsonl"
    lines = samples.read_text().splitlines(keepends=True)
    by_doc = {json.loads(line)["doc_id"]: line for line in lines}
    # A killed world-3 run: the merged file holds docs 0-2, rank files hold 3-6 (one torn), 7-9 are lost.
    samples.write_text("".join(by_doc[i] for i in range(3)))
    rank_samples_path(samples, 0).write_text(by_doc[3] + by_doc[6])
    rank_samples_path(samples, 2).write_text(by_doc[4] + by_doc[5] + by_doc[7][:20])

    adapter = toy_world.new_adapter()
    resumed = run_evaluation(config)
    assert sorted(key[2] for key in adapter.generated_keys) == [7, 8, 9]
    assert rank_files(samples) == []
    assert resumed.results.results["toyqa"].headline == reference.results.results["toyqa"].headline
    assert {r.doc_id: r.prediction for r in read_samples(samples)} == {
        json.loads(line)["doc_id"]: json.loads(line)["prediction"] for line in lines
    }


# --- a real torchrun ----------------------------------------------------------------------------


@pytest.fixture
def replay_setup(tmp_path):
    root = tmp_path / "hub"
    pope_fixture.write(root)
    textvqa_fixture.write(root)
    predictions = tmp_path / "predictions.jsonl"
    rows = [{"task": "pope", "split": "test", "doc_id": i, "prediction": "yes" if i % 3 else "No"} for i in range(12)]
    # TextVQA doc 4 has no prediction: that sample fails on whichever rank holds it.
    rows += [{"task": "textvqa", "doc_id": i, "prediction": ["nikon", "23", "3", "stop"][i % 4]} for i in range(9) if i != 4]
    predictions.write_text("".join(json.dumps(row) + "\n" for row in rows))
    return root, predictions


def cli_args(root: Path, predictions: Path, output: Path) -> list[str]:
    return [
        "run", "--model", "replay", "--predictions", str(predictions), "--tasks", "pope,textvqa",
        "--data-root", str(root), "--output-dir", str(output), "--no-progress", "--batch-size", "2",
    ]  # fmt: skip


def predictions_by_key(run_dir: Path, task: str) -> dict:
    return {(r.split, r.doc_id): (r.prediction, r.error is not None) for r in read_samples(run_dir / "samples" / f"{task}.jsonl")}


def subprocess_env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("RANK", "WORLD_SIZE", "LOCAL_RANK")}
    env.update(OMP_NUM_THREADS="1", EAGLE_EVAL_CACHE=str(tmp_path / "cache"), HF_DATASETS_CACHE=str(tmp_path / "hf"))
    env["EAGLE_EVAL_DIST_TIMEOUT_S"] = "90"  # a stuck rank gives up instead of waiting at a barrier for hours
    return env


def run_bounded(command: list[str], env: dict[str, str], timeout: float = 120) -> subprocess.CompletedProcess:
    """Run a command in its own process group and kill the whole group (torchrun's workers too) on timeout."""
    return finish_launch(start_launch(command, env), timeout)


@pytest.mark.slow
def test_torchrun_two_processes_match_a_single_process_run(replay_setup, tmp_path):
    root, predictions = replay_setup
    env = subprocess_env(tmp_path)
    single = run_bounded([sys.executable, "-m", "eagle_eval", *cli_args(root, predictions, tmp_path / "single")], env)
    assert single.returncode == 3, single.stderr  # textvqa doc 4 has no prediction
    dist = run_bounded(
        [*TORCHRUN, "--standalone", "--nproc-per-node", "2", "-m", "eagle_eval",
         *cli_args(root, predictions, tmp_path / "dist")],
        env,
    )  # fmt: skip
    # torchrun reports a worker's non-zero exit (rank 0's 3: samples failed) as a failed launch.
    assert dist.returncode != 0 and re.search(r"exitcode\s*:\s*3\b", dist.stderr), dist.stderr

    a, b = only_run_dir(tmp_path / "single"), only_run_dir(tmp_path / "dist")
    assert a.name == b.name  # same run id whatever the world size, so either can resume the other
    assert sorted(p.name for p in (b / "samples").iterdir()) == ["pope.jsonl", "textvqa.jsonl"]
    for task in ("pope", "textvqa"):
        assert predictions_by_key(a, task) == predictions_by_key(b, task)
        assert (a / "scores" / f"{task}.jsonl").read_bytes() == (b / "scores" / f"{task}.jsonl").read_bytes()
    single_results = json.loads((a / "results.json").read_text())
    dist_results = json.loads((b / "results.json").read_text())
    for task in ("pope", "textvqa"):
        for key in ("headline", "metrics", "n_samples", "n_errors", "extraction"):
            assert dist_results["results"][task][key] == single_results["results"][task][key], (task, key)
    assert dist_results["n_errors"] == 1 and dist_results["hardware"]["processes"] == 2
    # POPE: answers "No" for doc_ids 0, 3, 6, 9, "yes" otherwise; truths are yes,yes,no,no,yes,no,yes,no,no,yes,yes,no.
    # TP = docs 1, 4, 10 (3), FP = 2, 5, 7, 8, 11 (5), FN = 0, 6, 9 (3): F1 = 6 / (6 + 5 + 3) = 42.857 %.
    assert dist_results["results"]["pope"]["headline"]["value"] == pytest.approx(600 / 14)

    # Resume with the other world size: nothing is redone, the samples files do not change.
    before = {task: (b / "samples" / f"{task}.jsonl").read_bytes() for task in ("pope", "textvqa")}
    shutil.rmtree(a)
    again = run_bounded([sys.executable, "-m", "eagle_eval", *cli_args(root, predictions, tmp_path / "dist")], env)
    assert again.returncode == 3, again.stderr
    assert (b / "samples" / "pope.jsonl").read_bytes() == before["pope"]
    # Only the failed TextVQA sample is retried (and fails again): one more line.
    after = (b / "samples" / "textvqa.jsonl").read_bytes()
    assert after.startswith(before["textvqa"]) and after.count(b"\n") == before["textvqa"].count(b"\n") + 1
