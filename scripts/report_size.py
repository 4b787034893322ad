"""How big a report of 5,000 pictured samples gets, and how long it takes to build.

    .venv/bin/python scripts/report_size.py [N_SAMPLES]

Writes a synthetic run of N samples (default 5,000, TextVQA's validation size), gives every sample
its own 640x480 photo-like picture (smooth colour fields with grain, which JPEG compresses about as
badly as photographs), renders the page with the default image budget and prints its size.
"""

from __future__ import annotations

import random
import sys
import tempfile
import time
from pathlib import Path

from PIL import Image

from eagle_eval.report import build_report, render_html
from eagle_eval.report.fixture_runs import write_synthetic_run
from eagle_eval.report.thumbnails import ThumbnailStore


def photo_like(seed: int) -> Image.Image:
    rng = random.Random(seed)
    coarse = Image.frombytes("RGB", (16, 12), bytes(rng.getrandbits(8) for _ in range(16 * 12 * 3)))
    grain = Image.effect_noise((640, 480), 24).convert("RGB")
    return Image.blend(coarse.resize((640, 480), Image.Resampling.BICUBIC), grain, 0.15)


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
    with tempfile.TemporaryDirectory() as tmp:
        run = write_synthetic_run(Path(tmp), n)
        start = time.perf_counter()
        view = build_report(run)
        store = ThumbnailStore()
        for index, row in enumerate(view.samples["pope"]):
            row.images = [store.add(photo_like(index))]
        view.images, view.image_budget = store.finish()
        page = render_html(view)
        seconds = time.perf_counter() - start
    budget = view.image_budget
    print(
        f"{n} samples: page {len(page.encode()) / 1048576:.2f} MiB, images {budget.used_bytes / 1048576:.2f} MiB "
        f"of {budget.budget_bytes / 1048576:.0f} MiB, {budget.n_thumbnails} thumbnails at <= {budget.max_side} px, "
        f"{budget.n_left_out} left out; built in {seconds:.0f} s"
    )


if __name__ == "__main__":
    main()
