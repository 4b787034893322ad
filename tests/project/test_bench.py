"""The speed benchmark reports every figure it promises, consistent with each other (the times themselves are
machine-dependent, so not checked)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from eagle_eval.cli import main
from eagle_eval.model_adapters.eagle.bench import PROMPT_TEXT_TOKENS
from eagle_eval.model_adapters.eagle.flops import count_sample_flops
from eagle_eval.model_adapters.eagle.presets import get_preset

pytestmark = pytest.mark.slow


def test_bench_reports_both_paths_ratio_profile_and_agreement(capsys: pytest.CaptureFixture[str],
                                                               tmp_path: Path) -> None:
    figures_path = tmp_path / "bench.json"
    argv = ["bench", "--preset", "eagle-tiny", "--device", "cpu", "--samples", "4", "--hf-samples", "1",
            "--batch-sizes", "1,4,64", "--new-tokens", "3", "--profile", "--json", str(figures_path)]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert re.search(r"\(a\) HF generate, batch 1: [\d.]+ samples/s, [\d.]+ ms/sample, time to first token", out)
    assert re.search(r"\(b\) ours, batch 4: [\d.]+ samples/s", out)
    assert re.search(r"best batch size \d+: [\d.]+ ms/sample, [\d.]+x faster than \(a\)", out)
    for part in ("clip-448", "convnext-1024", "sam-1024", "det-1024", "pix2struct-1024", "LLM prefill", "LLM decode"):
        assert part in out
    # Greedy fp32 decoding on the CPU is batch-invariant: every answer agrees.
    assert re.search(r"identical answers, batch 1 vs batch 4: 4/4 \(100%\)", out)
    assert re.search(r"FLOPs per sample \(counted from the modules\): [\d.e+-]+ TFLOP", out)
    assert re.search(r"FLOP roofline: [\d.]+ TFLOP/s = [\d.]+% of 989 TFLOP/s$", out, re.MULTILINE)
    figures = json.loads(figures_path.read_text())
    # 64 is capped at the 4 samples: it would only repeat batch 4.
    assert sorted(figures["ours"]) == ["1", "4"] and "batch 64" not in out
    assert figures["identical_answers"] == {"batch_sizes": [1, 4], "same": 4, "of": 4}
    # The times are the machine's; how the figures follow from them is not. Rates and times per sample
    # are reciprocals, the best batch size is the fastest one, and the speed-up is (a)'s ms over its ms.
    hf, ours = figures["hf_batch1"], figures["ours"]
    for timed in (hf, *ours.values()):
        assert timed["samples_per_s"] == pytest.approx(1000 / timed["ms_per_sample"])
    best = figures["best_batch_size"]
    assert str(best) == min(ours, key=lambda size: ours[size]["ms_per_sample"])
    best_ms = ours[str(best)]["ms_per_sample"]
    assert figures["speedup_vs_hf_batch1"] == pytest.approx(hf["ms_per_sample"] / best_ms)
    # ... and the printed lines carry the same figures at their printed precision.
    printed = re.search(r"best batch size (\d+): ([\d.]+) ms/sample, ([\d.]+)x faster than \(a\)", out)
    assert printed.groups() == (str(best), f"{best_ms:.1f}", f"{hf['ms_per_sample'] / best_ms:.1f}")
    printed_hf = re.search(r"\(a\) HF generate, batch 1: ([\d.]+) samples/s, ([\d.]+) ms/sample", out)
    assert printed_hf.groups() == (f"{1000 / hf['ms_per_sample']:.2f}", f"{hf['ms_per_sample']:.1f}")
    # The roofline: FLOPs per sample over the best time per sample, against the 989 TFLOP/s peak.
    achieved = figures["tflop_per_sample"] / (best_ms / 1000)
    assert figures["achieved_tflops"] == pytest.approx(achieved)
    assert figures["roofline_fraction"] == pytest.approx(achieved / 989)
    tiny = count_sample_flops(get_preset("eagle-tiny").eagle_config(), 1 + PROMPT_TEXT_TOKENS[0] + PROMPT_TEXT_TOKENS[1] + 64, 3)
    assert figures["tflop_per_sample"] == pytest.approx(tiny.total / 1e12, rel=0.05)
    assert set(figures["profile_ms_per_sample"]) >= {"LLM prefill", "LLM decode", "vision: sam-1024"}


def test_bench_prints_the_time_saved_per_knocked_out_expert(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    figures_path = tmp_path / "bench.json"
    argv = ["bench", "--preset", "eagle-tiny", "--device", "cpu", "--samples", "2", "--hf-samples", "1",
            "--batch-sizes", "2", "--new-tokens", "2", "--ablation", "--ablation-rounds", "1",
            "--json", str(figures_path)]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert re.search(r"time saved per knocked-out expert at batch 2 \(fastest of 1 rounds; full model [\d.]+ ms/sample",
                     out)
    for label, name in (("CLIP", "clip-448"), ("ConvNeXt", "convnext-1024"), ("SAM", "sam-1024"),
                        ("EVA-02", "det-1024"), ("Pix2Struct", "pix2struct-1024")):
        assert re.search(rf"−{label} +\({name} *\) +[\d.]+ ms/sample, saved +-?[\d.]+ ms", out), label
    ablation = json.loads(figures_path.read_text())["ablation"]
    assert set(ablation["experts"]) == {"clip-448", "convnext-1024", "sam-1024", "det-1024", "pix2struct-1024"}
    for expert in ablation["experts"].values():
        assert expert["saved_ms_per_sample"] == pytest.approx(ablation["full_ms_per_sample"] - expert["ms_per_sample"])
        assert 0 < expert["flop_share"] < 1
