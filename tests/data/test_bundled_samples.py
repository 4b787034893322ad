"""The bundled sample snapshot under data/hub is what scripts/make_sample_data.py writes, byte for byte."""

from __future__ import annotations

from pathlib import Path

from eagle_eval.data.fixtures import write_all
from eagle_eval.api.registry import get_task, task_names

BUNDLED = Path(__file__).resolve().parents[2] / "data" / "hub"


def _files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_bundled_samples_are_regenerated_identically(tmp_path: Path) -> None:
    write_all(tmp_path)
    regenerated, bundled = _files(tmp_path), _files(BUNDLED)
    assert regenerated.keys() == bundled.keys(), "run: python scripts/make_sample_data.py"
    changed = [name for name in bundled if bundled[name] != regenerated[name]]
    assert not changed, f"stale bundled samples {changed}; run: python scripts/make_sample_data.py"


def test_every_task_has_bundled_samples() -> None:
    for name in task_names():
        docs = get_task(name).load_docs(BUNDLED)
        assert docs, f"task {name} has no bundled sample rows"
