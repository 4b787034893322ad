"""Bad input never kills a run: broken rows fail their own sample; broken datasets and files fail fast.

Per-sample failures (undecodable, truncated or oversized image, null value) are recorded in the
samples file with the reason, counted in n_errors, and the run exits 3. Problems with the whole input
(missing column, missing split, malformed predictions line, checkpoint keys that do not match) stop
the command with one line naming the thing and the fix, exit 2.
"""

from __future__ import annotations

import io
import json
import shutil
import struct
import zlib
from pathlib import Path

import datasets
import pytest
from PIL import Image

from eagle_eval.data.fixtures import pope as pope_fixture
from eagle_eval.data.fixtures.hub_snapshot import write_snapshot
from eagle_eval.data.fixtures.images import png_bytes
from eagle_eval.data.images import (
    MAX_PIXELS_ENV,
    ImageDecodeError,
    check_pixels,
    decode_image,
)
from tests.conftest import one_line_exit_2, only_run_dir

# POPE truths by doc_id (eagle_eval/data/fixtures/pope.py).
TRUTHS = ["yes", "yes", "no", "no", "yes", "no", "yes", "no", "no", "yes", "yes", "no"]


def png_header_only(width: int, height: int) -> bytes:
    """A PNG that claims width x height (1-bit grey) but holds almost no pixel data."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" * 10)) + chunk(b"IEND", b"")
    )


def write_pope(root: Path, mutate=None, split: str = "test", drop: str | None = None) -> None:
    columns = pope_fixture.rows()
    if mutate is not None:
        mutate(columns)
    features = pope_fixture.FEATURES
    if drop is not None:
        columns.pop(drop)
        features = datasets.Features({k: v for k, v in features.items() if k != drop})
    dataset = datasets.Dataset.from_dict(columns, features=features)
    write_snapshot(root, pope_fixture.REPO, {"default": {split: dataset}})


def break_rows(columns: dict) -> None:
    good = columns["image"][2]["bytes"]
    columns["image"][1] = {"bytes": b"this is not an image", "path": None}  # undecodable
    columns["image"][2] = {"bytes": good[: len(good) // 2], "path": None}  # truncated
    columns["image"][3] = {"bytes": png_header_only(30_000, 30_000), "path": None}  # a decompression bomb
    columns["question"][5] = None  # null in a needed column
    columns["image"][6] = None
    big = Image.new("RGB", (200, 100), (10, 20, 30))  # 20,000 pixels: over the limit the test sets
    columns["image"][8] = {"bytes": png_bytes(big), "path": None}


def write_predictions(path: Path, overrides: dict[int, str]) -> Path:
    rows = [{"doc_id": i, "prediction": overrides.get(i, truth)} for i, truth in enumerate(TRUTHS)]
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    return path


def jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


# --- per-sample failures -------------------------------------------------------------------------


def test_broken_rows_fail_their_own_samples_and_the_run_completes(eagle, tmp_path, monkeypatch):
    monkeypatch.setenv(MAX_PIXELS_ENV, "10000")  # the fixture pictures are 96x64 = 6,144 pixels
    write_pope(tmp_path / "hub", break_rows)
    predictions = write_predictions(tmp_path / "predictions.jsonl", {7: ""})  # doc 7: an empty answer
    result = eagle(
        "run", "--model", "replay", "--predictions", predictions, "--tasks", "pope",
        "--data-root", tmp_path / "hub", "--output-dir", tmp_path / "runs", "--no-progress",
    )  # fmt: skip
    assert result.code == 3, result.err
    assert "6 sample(s) failed" in result.err
    assert "Traceback" not in result.err and len(result.err.strip().splitlines()) == 1, result.err
    run_dir = only_run_dir(tmp_path / "runs")
    samples = {line["doc_id"]: line for line in jsonl(run_dir / "samples" / "pope.jsonl")}
    assert sorted(samples) == list(range(12))
    errors = {i: line["error"] for i, line in samples.items() if line["error"] is not None}
    assert sorted(errors) == [1, 2, 3, 5, 6, 8]
    assert all(samples[i]["prediction"] is None for i in errors)
    assert "ImageDecodeError" in errors[1] and "cannot decode the image" in errors[1] and "re-fetch the dataset" in errors[1]
    assert "truncated" in errors[2]
    assert "DecompressionBombError" in errors[3] or "decompression bomb" in errors[3].lower()
    assert "null in column(s) question" in errors[5] and "(pope test/5" in errors[5]
    assert "null in column(s) image" in errors[6]
    assert "200x100 = 20,000 pixels, over the limit of 10,000" in errors[8] and MAX_PIXELS_ENV in errors[8]
    # The empty prediction is a prediction: recorded, scored as wrong (unresolved), not an error.
    assert samples[7]["prediction"] == "" and samples[7]["error"] is None
    scores = {line["doc_id"]: line for line in jsonl(run_dir / "scores" / "pope.jsonl")}
    assert scores[7]["prediction"] == "" and scores[7]["extraction"] == "unresolved"
    assert scores[7]["values"] == {"accuracy": 0.0}

    pope = json.loads((run_dir / "results.json").read_text())["results"]["pope"]
    assert pope["n_samples"] == 12 and pope["n_errors"] == 6
    # 6 failed + 1 empty are unresolved; the other 5 (docs 0, 4, 9, 10, 11) are right: accuracy 5/12.
    assert pope["extraction"] == {"rule": 5, "judge": 0, "unresolved": 7, "fallback": 0, "judge_failed": 0}
    assert pope["metrics"]["accuracy"] == pytest.approx(5 / 12)
    assert pope["metrics"]["n_unparsed"] == 7


def test_the_pixel_limit_and_image_bombs():
    picture = png_bytes(Image.new("RGB", (40, 30)))
    assert decode_image(picture, max_pixels=1200).size == (40, 30)
    with pytest.raises(ImageDecodeError, match=r"doc 7: image is 40x30 = 1,200 pixels, over the limit of 1,199"):
        decode_image(picture, where="doc 7", max_pixels=1199)
    # 900 million pixels: Pillow's own bomb guard fires from the header, before any pixel is decoded.
    with pytest.raises(ImageDecodeError, match="decompression bomb|over the limit"):
        check_pixels(png_header_only(30_000, 30_000), max_pixels=89_478_485)
    with pytest.raises(ImageDecodeError, match="truncated"):
        decode_image(picture[: len(picture) // 2])
    with pytest.raises(ImageDecodeError, match="cannot decode the image"):
        decode_image(b"GIF89a but not really")


def test_invalid_pixel_limit_setting_is_a_usage_error(eagle, tmp_path, monkeypatch):
    monkeypatch.setenv(MAX_PIXELS_ENV, "lots")
    write_pope(tmp_path / "hub")
    predictions = write_predictions(tmp_path / "predictions.jsonl", {})
    result = eagle(
        "run", "--model", "replay", "--predictions", predictions, "--tasks", "pope",
        "--data-root", tmp_path / "hub", "--output-dir", tmp_path / "runs", "--no-progress",
    )  # fmt: skip
    assert result.code == 2 and f"{MAX_PIXELS_ENV}='lots' is not an integer" in result.err


# --- whole-input failures: exit 2, one line, the fix ---------------------------------------------


def test_missing_column_names_it_and_the_fetch_command(eagle, tmp_path):
    write_pope(tmp_path / "hub", drop="category")
    predictions = write_predictions(tmp_path / "predictions.jsonl", {})
    line = one_line_exit_2(eagle("score", "--task", "pope", "--predictions", predictions, "--data-root", tmp_path / "hub"))
    assert "lacks column(s) category" in line and "hf download" in line


def test_data_root_without_the_split_says_how_to_fetch_it(eagle, tmp_path):
    write_pope(tmp_path / "hub", split="validation")  # POPE is read from its test split
    predictions = write_predictions(tmp_path / "predictions.jsonl", {})
    result = eagle(
        "run", "--model", "replay", "--predictions", predictions, "--tasks", "pope",
        "--data-root", tmp_path / "hub", "--output-dir", tmp_path / "runs", "--no-progress",
    )  # fmt: skip
    assert result.code == 2
    assert "has no split 'test'" in result.err
    assert "hf download --repo-type dataset lmms-lab/POPE" in result.err


def test_malformed_predictions_line_names_file_and_line(eagle, tmp_path):
    write_pope(tmp_path / "hub")
    predictions = write_predictions(tmp_path / "predictions.jsonl", {})
    lines = predictions.read_text().splitlines(keepends=True)
    lines[2] = '{"doc_id": 2, "prediction": "yes"\n'  # missing brace
    predictions.write_text("".join(lines))
    line = one_line_exit_2(eagle("score", "--task", "pope", "--predictions", predictions, "--data-root", tmp_path / "hub"))
    assert f"{predictions}:3: invalid JSON" in line


@pytest.mark.slow
def test_checkpoint_with_mismatched_keys_names_them(eagle, tmp_path):
    from safetensors.torch import load_file, save_file

    from eagle_eval.model_adapters.eagle.tiny import ensure_tiny_checkpoint

    checkpoint = tmp_path / "checkpoint"
    shutil.copytree(ensure_tiny_checkpoint("eagle-tiny"), checkpoint)
    index_path = checkpoint / "model.safetensors.index.json"
    index = json.loads(index_path.read_text())
    old = sorted(k for k in index["weight_map"] if k.startswith("model.layers.0.") and k.endswith("weight"))[0]
    new = old.replace(".weight", ".wieght")
    shard = checkpoint / index["weight_map"][old]
    tensors = load_file(str(shard))
    tensors[new] = tensors.pop(old)
    save_file(tensors, str(shard), metadata={"format": "pt"})
    index["weight_map"][new] = index["weight_map"].pop(old)
    index_path.write_text(json.dumps(index))

    write_pope(tmp_path / "hub")
    result = eagle(
        "run", "--model", "eagle-tiny", "--model-path", checkpoint, "--tasks", "pope", "--limit", "1",
        "--data-root", tmp_path / "hub", "--output-dir", tmp_path / "runs", "--no-progress",
    )  # fmt: skip
    message = one_line_exit_2(result)
    assert old in message and new in message and "missing key" in message and "unexpected key" in message


def test_broken_image_bytes_are_still_valid_png_for_the_control(tmp_path):
    # Guard for the fixtures above: the untouched rows decode, so failures come only from the breakage.
    good = pope_fixture.rows()["image"][0]["bytes"]
    assert Image.open(io.BytesIO(good)).size == (96, 64)


def test_missing_data_of_a_later_task_stops_before_any_generation(eagle, tmp_path):
    write_pope(tmp_path / "hub")  # POPE is there, TextVQA is not
    predictions = write_predictions(tmp_path / "predictions.jsonl", {})
    result = eagle(
        "run", "--model", "replay", "--predictions", predictions, "--tasks", "pope,textvqa",
        "--data-root", tmp_path / "hub", "--output-dir", tmp_path / "runs", "--no-progress",
    )  # fmt: skip
    assert result.code == 2 and "lmms-lab/textvqa" in result.err and "hf download" in result.err
    assert not list((tmp_path / "runs").rglob("*.jsonl"))  # nothing generated for POPE first
