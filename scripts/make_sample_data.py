"""Regenerate the bundled sample data under data/hub (deterministic: same bytes every run)."""

import argparse
import shutil
from pathlib import Path

from eagle_eval.data.fixtures import write_all

parser = argparse.ArgumentParser(description=__doc__)
parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent.parent / "data" / "hub")
args = parser.parse_args()
if args.out.exists():
    shutil.rmtree(args.out)
write_all(args.out)
print(f"wrote sample data to {args.out}")
