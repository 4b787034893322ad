"""What a resumed run says and keeps: reused counts, throughput and time to first token, sample seconds."""

from __future__ import annotations

import itertools
import json
import types
from pathlib import Path

import pytest

from eagle_eval.results.document import Timings
from eagle_eval.run import batching
from eagle_eval.run.batching import GenerationStats
from eagle_eval.run.log import RUN_LOG_FILENAME
from tests.conftest import only_run_dir


def timings_of(run_dir: Path, task: str = "toyqa") -> dict:
    return json.loads((run_dir / "results.json").read_text())["results"][task]["timings"]


def test_a_resumed_task_says_how_many_samples_it_reused(toy_world, toy_run, tmp_path):
    first = toy_run("--limit", "6", "--batch-size", "2")
    assert first.code == 0 and "reused" not in first.err  # a fresh task has nothing to say
    toy_world.new_adapter()
    again = toy_run("--batch-size", "2")
    assert again.code == 0, again.err
    run_dir = only_run_dir(tmp_path / "runs")
    line = f"toyqa: 6 of 10 samples reused from {run_dir}, 4 to generate"
    assert line in again.err.splitlines()  # shown with --no-progress too: it is not a bar
    assert line in (run_dir / RUN_LOG_FILENAME).read_text()


def test_the_reused_message_names_retried_and_stale_samples(toy_world, toy_run, tmp_path):
    toy_world.new_adapter(fail_doc_ids={4, 5})
    assert toy_run("--batch-size", "4").code == 3
    toy_world.new_adapter()
    result = toy_run("--batch-size", "4")
    assert result.code == 0, result.err
    run_dir = only_run_dir(tmp_path / "runs")
    assert f"toyqa: 8 of 10 samples reused from {run_dir}, 2 to generate (2 failed before)" in result.err


def test_a_task_with_nothing_new_keeps_its_throughput_and_time_to_first_token(toy_world, toy_run, tmp_path):
    assert toy_run("--batch-size", "4").code == 0
    run_dir = only_run_dir(tmp_path / "runs")
    first = timings_of(run_dir)
    # ToyAdapter reports 0.25 s to the first token per call; 10 docs at batch 4 are 3 calls.
    assert first["samples_per_second"] > 0 and first["time_to_first_token_s"] == 0.25
    assert (first["samples_generated"], first["ttft_calls"], first["launches"], first["samples_reused"]) == (10, 3, 1, 0)

    adapter = toy_world.new_adapter()
    assert toy_run("--batch-size", "4").code == 0
    assert adapter.calls == []
    kept = timings_of(run_dir)
    for key in ("samples_per_second", "time_to_first_token_s", "tokens_generated", "tokens_per_second",
                "samples_generated", "generation_seconds", "ttft_calls", "launches"):  # fmt: skip
        assert kept[key] == first[key], key
    assert kept["samples_reused"] == 10


@pytest.fixture
def half_second_calls(monkeypatch):
    """Every adapter call takes 0.5 s by the generator's clock (it reads the clock once before, once after)."""
    ticks = itertools.count()
    monkeypatch.setattr(batching, "time", types.SimpleNamespace(perf_counter=lambda: 0.5 * next(ticks)))


def test_a_launch_that_generates_more_adds_to_the_figures(toy_world, toy_run, tmp_path, half_second_calls):
    assert toy_run("--limit", "6", "--batch-size", "2").code == 0
    run_dir = only_run_dir(tmp_path / "runs")
    first = timings_of(run_dir)
    assert (first["samples_per_second"], first["generation_seconds"]) == (4.0, 1.5)  # 6 docs in 3 calls of 0.5 s
    toy_world.new_adapter()
    assert toy_run("--batch-size", "4").code == 0
    both = timings_of(run_dir)
    # Then 4 more in one call: 10 samples over 2.0 s; 4 calls, 2 tokens per request (ToyAdapter).
    assert (both["samples_generated"], both["ttft_calls"], both["launches"], both["samples_reused"]) == (10, 4, 2, 6)
    assert (both["samples_per_second"], both["generation_seconds"]) == (5.0, 2.0)
    assert both["tokens_generated"] == 20 and both["tokens_per_second"] == 10.0 and both["time_to_first_token_s"] == 0.25
    seconds = sorted(json.loads(line)["seconds"] for line in (run_dir / "samples" / "toyqa.jsonl").read_text().splitlines())
    assert seconds == [0.125] * 4 + [0.25] * 6  # each sample's share of its call


def test_samples_seconds_carry_throughput_when_the_results_entry_was_lost(toy_world, toy_run, tmp_path, half_second_calls):
    """A launch killed after generating a task but before writing its entry still counts, through `seconds`."""
    assert toy_run("--batch-size", "5").code == 0  # 2 calls of 0.5 s: 0.1 s per sample, 10 samples/s
    run_dir = only_run_dir(tmp_path / "runs")
    (run_dir / "results.json").unlink()
    toy_world.new_adapter()
    assert toy_run("--batch-size", "5").code == 0
    timings = timings_of(run_dir)
    assert (timings["samples_generated"], timings["samples_per_second"], timings["samples_reused"]) == (10, 10.0, 10)
    assert timings["time_to_first_token_s"] is None  # adapter calls are not in the samples lines


def test_a_failed_sample_records_the_seconds_its_attempt_took(toy_world, toy_run, tmp_path):
    toy_world.new_adapter(fail_doc_ids={4})
    assert toy_run("--batch-size", "4").code == 3
    lines = [json.loads(line) for line in (only_run_dir(tmp_path / "runs") / "samples" / "toyqa.jsonl").read_text().splitlines()]
    (failed,) = [line for line in lines if line["error"]]
    assert failed["doc_id"] == 4 and failed["seconds"] >= 0
    assert all(line["seconds"] > 0 for line in lines if not line["error"])


def test_timings_are_totals_over_totals():
    """Derived by hand: 10 samples in 5 s + 5 in 5 s = 1.5/s; TTFT (2 x 0.2 + 0.5) / 3 calls = 0.3 s."""
    earlier = Timings(samples_per_second=2.0, time_to_first_token_s=0.2, wall_seconds=9.0, tokens_generated=100,
                      tokens_per_second=20.0, samples_generated=10, generation_seconds=5.0, ttft_calls=2, launches=1)  # fmt: skip
    stats = GenerationStats(n_generated=5, seconds=5.0, ttft=[0.5], tokens_generated=50, n_reused=10)
    combined = stats.timings(7.0, earlier)
    assert combined == Timings(samples_per_second=1.5, time_to_first_token_s=0.3, wall_seconds=7.0, tokens_generated=150,
                               tokens_per_second=15.0, samples_generated=15, generation_seconds=10.0, ttft_calls=3,
                               launches=2, samples_reused=10)  # fmt: skip


def test_timings_of_a_file_older_than_the_counters_are_kept_when_nothing_is_generated():
    older = Timings(samples_per_second=3.0, time_to_first_token_s=0.1, wall_seconds=40.0)
    kept = GenerationStats(n_reused=12).timings(1.0, older)
    assert (kept.samples_per_second, kept.time_to_first_token_s, kept.wall_seconds, kept.samples_reused) == (3.0, 0.1, 1.0, 12)
    # With new work, figures without their counts cannot be combined: this launch's alone.
    fresh = GenerationStats(n_generated=4, seconds=2.0, ttft=[0.4], n_reused=12).timings(3.0, older)
    assert (fresh.samples_per_second, fresh.time_to_first_token_s, fresh.launches) == (2.0, 0.4, 1)
