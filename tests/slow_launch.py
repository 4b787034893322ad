"""`python -m eagle_eval ...` whose replay model stops at a gate, so that launches overlap for sure.

Tests of run-directory ownership start this script (plain or under torchrun) twice on one output
directory. With EAGLE_EVAL_TEST_GATE=PATH, each process answers EAGLE_EVAL_TEST_GATE_AFTER batches
(default 2), then waits before every further batch until PATH exists (at most 120 s): the test
holds a launch mid-generation while it starts the other, then opens the gate.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from eagle_eval.cli import main
from eagle_eval.model_adapters.replay import ReplayAdapter

_GATE = os.environ.get("EAGLE_EVAL_TEST_GATE")
_AFTER = int(os.environ.get("EAGLE_EVAL_TEST_GATE_AFTER", "2"))
_generate = ReplayAdapter.generate
_batches = 0


def _gated_generate(self, requests):
    global _batches
    _batches += 1
    if _GATE and _batches > _AFTER:
        deadline = time.monotonic() + 120
        while not Path(_GATE).exists() and time.monotonic() < deadline:
            time.sleep(0.05)
    return _generate(self, requests)


ReplayAdapter.generate = _gated_generate

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
