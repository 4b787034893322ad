"""The speed benchmark reports every figure it promises (values are machine-dependent, so not checked)."""

from __future__ import annotations

import re

import pytest

from eagle_eval.cli import main

pytestmark = pytest.mark.slow


def test_bench_reports_both_paths_ratio_profile_and_agreement(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["bench", "--preset", "eagle-tiny", "--device", "cpu", "--samples", "4", "--hf-samples", "1",
            "--batch-sizes", "1,4", "--new-tokens", "3", "--profile"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert re.search(r"\(a\) HF generate, batch 1: [\d.]+ samples/s, [\d.]+ ms/sample, time to first token", out)
    assert re.search(r"\(b\) ours, batch 4: [\d.]+ samples/s", out)
    assert re.search(r"best batch size \d+: [\d.]+ ms/sample, [\d.]+x faster than \(a\)", out)
    for part in ("clip-448", "convnext-1024", "sam-1024", "det-1024", "pix2struct-1024", "LLM prefill", "LLM decode"):
        assert part in out
    # Greedy fp32 decoding on the CPU is batch-invariant: every answer agrees.
    assert re.search(r"identical answers, batch 1 vs batch 4: 4/4 \(100%\)", out)
