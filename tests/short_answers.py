"""Cap every task's answer length while a test's runs go through the real model.

eagle-tiny has random weights and almost never emits EOS, so each answer runs to its task's
max_new_tokens: 1,024 tokens for six tasks, which is most of an end-to-end run's time. Tests that
check the pipeline around the answers (every task runs, tables, re-scoring, the ablation records)
learn nothing more from 1,024 tokens of noise than from 16, so they cap the length with
`new_tokens_capped()`. Full-length greedy decoding stays covered: tests/run/test_determinism.py runs
textvqa at its 1,024 tokens in fresh processes and compares the bytes.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from eagle_eval.api.task import Task

CAP = 16


@contextmanager
def new_tokens_capped(cap: int = CAP) -> Iterator[None]:
    """Within the block, every request asks for at most `cap` new tokens (stop strings kept)."""
    uncapped = Task.generation_for

    def capped(self: Task, doc):
        settings = uncapped(self, doc)
        return dataclasses.replace(settings, max_new_tokens=min(cap, settings.max_new_tokens))

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Task, "generation_for", capped)
        yield
