"""Time `eagle-eval sweep plan` and `sweep status` on a 40-model × 13-task sweep: python scripts/bench_sweep_plan.py

The sweep file lists 16 registered models (the first by name), 20 `hf:` models and 4 replay models over the paper's
13 tasks (520 cells) with the bundled data (data/hub) and `limit: 5`. Its output root holds a few
run folders, made first and not timed: each replay model run on POPE and TextVQA (so the plan reads
those tasks' data, builds their requests and checks every stored sample), and one `hf:` model with
a samples file but no results.json. No model is loaded: replay reads stored predictions.

Prints, each the best of --repeats: parse + plan (cells and the jobs a run would submit) and parse +
status (the plan with the jobs that hold cells) in a fresh process once its modules are imported (the
registry's plugins load in the parse; every task's data is read for its size, and the two run tasks'
requests are built), the whole `eagle-eval sweep plan --json` and `sweep status --json` commands, and
`eagle-eval tasks --json` for the start every command pays.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data" / "hub"
RUN_TASKS = "pope,textvqa"


def write_sweep(folder: Path) -> Path:
    from eagle_eval.api.registry import model_entries

    registered = sorted(entry.name for entry in model_entries() if entry.name != "replay")[:16]
    models: list[dict] = [{"name": name} for name in registered]
    models += [{"name": f"hf:bench-org/model-{i:02d}"} for i in range(20)]
    for i in range(4):
        predictions = folder / f"predictions-{i}.jsonl"
        predictions.write_text("".join(json.dumps({"doc_id": d, "prediction": "yes" if (d + i) % 2 else "no"}) + "\n"
                                       for d in range(50)))
        models.append({"name": "replay", "predictions": predictions.name, "label": f"replay-{i}"})
    assert len(models) == 40, len(models)
    path = folder / "sweep.yaml"
    path.write_text(json.dumps({"output_root": "out", "models": models, "tasks": "paper",
                                "settings": {"data_root": str(DATA), "limit": 5}}))
    return path


def make_run_folders(folder: Path) -> None:
    from eagle_eval.cli import main

    for i in range(4):
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            code = main(["run", "--model", "replay", "--predictions", str(folder / f"predictions-{i}.jsonl"),
                     "--tasks", RUN_TASKS, "--limit", "5", "--data-root", str(DATA),
                         "--output-dir", str(folder / "out"), "--no-progress", "--label", f"replay-{i}"])
        assert code == 0, code
    from eagle_eval.run.config import RunConfig
    from eagle_eval.run.fingerprints import compute_run_id

    hf_run = folder / "out" / compute_run_id(RunConfig(model="hf:bench-org/model-00", tasks=[]))
    (hf_run / "samples").mkdir(parents=True)
    source = next((folder / "out").glob("replay__*/samples/pope.jsonl"))
    shutil.copy(source, hf_run / "samples" / "pope.jsonl")


COLD = """
import sys, time
from collections import Counter
from eagle_eval.sweep.launch import plan_jobs
from eagle_eval.sweep.spec import load_sweep
from eagle_eval.sweep.status import sweep_status
start = time.perf_counter()
sweep = load_sweep(__import__("pathlib").Path(sys.argv[1]))
if sys.argv[2] == "plan":
    states = [cell.state for cell in plan_jobs(sweep).cells]
else:
    states = [cell.state for cell in sweep_status(sweep)]
counts = Counter(states)
print(time.perf_counter() - start, " ".join(f"{n}:{s}" for s, n in sorted(counts.items())))
"""


def time_cold(path: Path, what: str, repeats: int) -> tuple[float, str]:
    """Parse + plan (or status) in a fresh process once its modules are imported: no cache of an earlier one helps."""
    best, counts = float("inf"), ""
    for _ in range(repeats):
        done = subprocess.run([sys.executable, "-c", COLD, str(path), what], check=True, capture_output=True,
                              text=True, cwd=ROOT)
        seconds, counts = done.stdout.split(maxsplit=1)
        best = min(best, float(seconds))
    return best, ", ".join(f"{n} {state}" for n, state in (item.split(":") for item in counts.split()))


def time_command(argv: list[str], repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "eagle_eval", *argv], check=True, stdout=subprocess.DEVNULL, cwd=ROOT)
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3, help="timings per figure; the best is printed")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        path = write_sweep(folder)
        make_run_folders(folder)
        seconds, counts = time_cold(path, "plan", args.repeats)
        print(f"sweep plan, 40 models × 13 tasks (520 cells: {counts})")
        print(f"  parse + plan + jobs, fresh process, after imports: {seconds:.2f} s (target < 2 s)")
        seconds, _ = time_cold(path, "status", args.repeats)
        print(f"  parse + status, fresh process, after imports: {seconds:.2f} s (target < 2 s)")
        floor = time_command(["tasks", "--json"], args.repeats)
        for action in ("plan", "status"):
            command = time_command(["sweep", action, str(path), "--json"], args.repeats)
            print(f"  eagle-eval sweep {action} --json, whole command: {command:.2f} s")
        print(f"  eagle-eval tasks --json, the start every command pays: {floor:.2f} s")

if __name__ == "__main__":
    main()
