"""Docs keep image columns encoded until used, so a split's pictures are never all decoded at once."""

from __future__ import annotations

from pathlib import Path

import datasets
from PIL import Image

from eagle_eval.data.fixtures.hub_snapshot import write_snapshot
from eagle_eval.data.fixtures.images import draw_image
from eagle_eval.api.task import LazyRow, Source, Task, lazy_rows


def _dataset(n: int) -> datasets.Dataset:
    features = datasets.Features(
        {"question": datasets.Value("string"), "image": datasets.Image(), "frames": datasets.List(datasets.Image())}
    )
    rows = {
        "question": [f"q{i}" for i in range(n)],
        "image": [draw_image(i) for i in range(n)],
        "frames": [[draw_image(100 + i), draw_image(200 + i)] for i in range(n)],
    }
    return datasets.Dataset.from_dict(rows, features=features)


def test_image_columns_decode_on_access_and_are_not_kept() -> None:
    rows = lazy_rows(_dataset(3))
    row = rows[1]
    assert dict.__contains__(row, "question") and not dict.__contains__(row, "image")
    assert row["question"] == "q1" and "image" in row and "frames" in row
    first, second = row["image"], row["image"]
    assert isinstance(first, Image.Image) and first is not second  # decoded anew, nothing cached
    assert first.tobytes() == draw_image(1).tobytes()
    assert [frame.tobytes() for frame in row["frames"]] == [draw_image(101).tobytes(), draw_image(201).tobytes()]
    assert list(row) == ["question", "image", "frames"] and len(row) == 3
    assert {**row}.keys() == {"question", "image", "frames"}
    assert row.get("missing", "default") == "default"


def test_setting_a_lazy_column_replaces_it() -> None:
    row = LazyRow({"a": 1}, {"image": lambda: "decoded"})
    assert row["image"] == "decoded"
    row["image"] = "given"
    assert row["image"] == "given" and len(row) == 2


def test_task_docs_use_lazy_rows(tmp_path: Path) -> None:
    write_snapshot(tmp_path, "org/toy", {"default": {"test": _dataset(2)}})

    class Toy(Task):
        name = "toy-lazy"
        headline_metric = "accuracy"
        sources = (Source("org/toy", "default", "test", "main"),)

    docs = Toy().load_docs(tmp_path)
    assert [doc.doc_id for doc in docs] == [0, 1]
    assert all(isinstance(doc.row, LazyRow) for doc in docs)
    assert docs[1].row["image"].tobytes() == draw_image(1).tobytes()
