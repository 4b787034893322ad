"""The `eagle-eval` command line (docs/cli.md): one module per command group.

    common.py   exit codes, consoles, UsageError, shared flag types (imports no command module)
    app.py      the parser, dispatch, and which errors are the user's input (exit 2)
    run.py      run, score
    catalog.py  tasks, models, models show
    tables.py   table
    compare.py  compare, power
    server.py   record-server-score
    bench.py    bench (the model's own speed benchmark, through its registry entry)

Exit codes: 0 success; 1 `compare` found a regression; 2 usage or input error (unknown task,
model or flag, unreadable or invalid file), printed as one line with the fix, never a traceback;
3 the run completed but some samples failed (recorded in samples/<task>.jsonl and n_errors) or the
judge failed to read some (extraction judge_failed);
4 `compare` is incomplete: a task of the baseline is missing from the new run (and nothing regressed).

The top layer: may import every package of eagle_eval; nothing imports it (pyproject's import contracts).
"""

from eagle_eval.cli.app import build_parser, main
from eagle_eval.cli.common import (
    EXIT_INCOMPLETE,
    EXIT_OK,
    EXIT_REGRESSION,
    EXIT_SAMPLE_ERRORS,
    EXIT_USAGE,
    UsageError,
)

__all__ = [
    "EXIT_INCOMPLETE",
    "EXIT_OK",
    "EXIT_REGRESSION",
    "EXIT_SAMPLE_ERRORS",
    "EXIT_USAGE",
    "UsageError",
    "build_parser",
    "main",
]
