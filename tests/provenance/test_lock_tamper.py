"""A data file patched in place and re-dated (`touch -r`) is seen as changed: by the hash cache, by
`--lock`, and by the prepared-dataset cache; and a lock that names no commit says how to restore it.

The case: 6 bytes of a parquet file are overwritten in place (same size), and the file's times are
set back to a copy's with `touch -r`, so size and mtime match what was hashed before.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from pathlib import Path

import datasets
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from eagle_eval.data.fixtures.hub_snapshot import mark_local_dir_download, write_snapshot
from eagle_eval.data.loading import DataError, DataReading, Source, load_source, reading, source_provenance
from eagle_eval.provenance import hashes as file_hashes
from eagle_eval.provenance.checkpoint import ModelPinError, check_model
from eagle_eval.provenance.hashes import FileHashCache
from eagle_eval.provenance.lockfile import Lock, LockedModel, locked_dataset
from eagle_eval.provenance.revisions import UNKNOWN, Provenance

REPO = "lmms-lab/tamperset"
SOURCE = Source(REPO, "default", "validation", "main")
SPLIT_FILE = "data/default/validation-00000-of-00001.parquet"
QUESTION, PATCHED = "What is the CAT doing?", "What is the DOG doing?"
COMMIT = "c" * 40


@pytest.fixture(autouse=True)
def _private_hash_cache(tmp_path, monkeypatch):
    monkeypatch.setenv(file_hashes.HASH_CACHE_ENV, str(tmp_path / "hash-cache.json"))


def _snapshot(root: Path, commit: str | None = COMMIT) -> Path:
    split = datasets.Dataset.from_dict({"question": [QUESTION, "Is it raining?"], "answer": ["sleeping", "no"]})
    repo_dir = write_snapshot(root, REPO, {"default": {"validation": split}})
    # Rewritten uncompressed, so the question's bytes can be patched where they lie.
    parquet = repo_dir / SPLIT_FILE
    pq.write_table(pa.Table.from_pydict({"question": [QUESTION, "Is it raining?"], "answer": ["sleeping", "no"]}),
                   parquet, compression="none")
    if commit:
        mark_local_dir_download(repo_dir, commit)
    return repo_dir


def _patch_and_redate(file: Path, tmp_path: Path) -> None:
    """Overwrite 6 bytes of the question in the data page ("CAT do" → "DOG do") in place, and restore
    the times with `touch -r`, as the report describes."""
    reference = tmp_path / "times-reference"
    shutil.copy2(file, reference)
    before = file.stat()
    with open(file, "r+b") as handle:  # in place: same inode, same size
        handle.seek(file.read_bytes().index(b"CAT do"))
        handle.write(b"DOG do")
    subprocess.run(["touch", "-r", str(reference), str(file)], check=True)
    after = file.stat()
    assert (after.st_size, after.st_mtime_ns, after.st_ino) == (before.st_size, before.st_mtime_ns, before.st_ino)


def test_the_hash_cache_sees_a_patched_file_whose_size_and_mtime_were_restored(tmp_path):
    file = tmp_path / "split.parquet"
    file.write_bytes(b"What is the CAT doing?")
    cache_path = tmp_path / "cache.json"
    first = FileHashCache(cache_path)
    assert first.sha256(file) == hashlib.sha256(b"What is the CAT doing?").hexdigest()
    first.save()
    reference = tmp_path / "ref"
    shutil.copy2(file, reference)
    with open(file, "r+b") as handle:  # 6 bytes, in place
        handle.seek(12)
        handle.write(b"DOG do")
    subprocess.run(["touch", "-r", str(reference), str(file)], check=True)
    assert os.stat(file).st_mtime_ns == os.stat(reference).st_mtime_ns
    # A later run reads the cache file; ctime moved with the write and `touch` cannot set it back.
    assert FileHashCache(cache_path).sha256(file) == hashlib.sha256(b"What is the DOG doing?").hexdigest()


def test_an_entry_of_the_older_size_and_mtime_form_is_hashed_again(tmp_path):
    file = tmp_path / "f"
    file.write_bytes(b"abc")
    stat = file.stat()
    cache_path = tmp_path / "cache.json"
    cache_path.write_text(f'{{"{file.resolve()}": [{stat.st_size}, {stat.st_mtime_ns}, "{"0" * 64}"]}}')
    assert FileHashCache(cache_path).sha256(file) == hashlib.sha256(b"abc").hexdigest()


def test_a_patched_and_redated_file_fails_the_lock(tmp_path):
    root = tmp_path / "root"
    repo_dir = _snapshot(root)
    lock = Lock(datasets=[locked_dataset(SOURCE, source_provenance(SOURCE, root), ("toy",))], path=root / "x.lock")
    with reading(DataReading(lock=lock)):
        assert load_source(SOURCE, root)["question"][0] == QUESTION  # prepares datasets' cache too
    _patch_and_redate(repo_dir / SPLIT_FILE, tmp_path)
    with reading(DataReading(lock=lock)), pytest.raises(DataError) as error:
        load_source(SOURCE, root)
    message = str(error.value)
    assert "differs from the lock file" in message and "content" in message and REPO in message


def test_the_prepared_dataset_is_keyed_by_content_not_by_path_and_mtime(tmp_path):
    root = tmp_path / "root"
    repo_dir = _snapshot(root)
    with reading(DataReading()):
        assert load_source(SOURCE, root)["question"][0] == QUESTION
    _patch_and_redate(repo_dir / SPLIT_FILE, tmp_path)
    state = DataReading()
    with reading(state):
        rows = load_source(SOURCE, root)
    # What the model is shown and what results.json records are the same bytes: the patched ones.
    assert rows["question"][0] == PATCHED
    digest = hashlib.sha256((repo_dir / SPLIT_FILE).read_bytes()).hexdigest()
    expected = "sha256:" + hashlib.sha256(f"{SPLIT_FILE}\t{digest}\n".encode()).hexdigest()
    assert state.record(SOURCE)["provenance"]["content_hash"] == expected


def test_a_snapshot_locked_by_hash_only_says_how_to_restore_it(tmp_path):
    root = tmp_path / "root"
    repo_dir = _snapshot(root, commit=None)  # no download metadata: locked by its bytes alone
    found = source_provenance(SOURCE, root)
    assert found.commit == UNKNOWN and found.content_hash != UNKNOWN
    lock = Lock(datasets=[locked_dataset(SOURCE, found, ("toy",))], path=root / "x.lock")
    _patch_and_redate(repo_dir / SPLIT_FILE, tmp_path)
    with reading(DataReading(lock=lock, task="toy")), pytest.raises(DataError) as error:
        load_source(SOURCE, root)
    message = str(error.value)
    assert "--revision" not in message and "hf download" not in message and "unknown" not in message.split(":")[-1]
    assert "restore" in message and SPLIT_FILE in message and found.content_hash in message
    assert f"eagle-eval lock --tasks toy --data-root {root}" in message


def test_a_checkpoint_locked_by_hash_only_says_how_to_restore_it(tmp_path):
    lock = Lock(models=[LockedModel("toy-model", content_hash="sha256:" + "1" * 64)], path=tmp_path / "x.lock")
    found = Provenance(UNKNOWN, "sha256:" + "2" * 64, "none", ("model.safetensors",))
    with pytest.raises(ModelPinError) as error:
        check_model("toy-model", None, found, lock, require_pinned=False)
    message = str(error.value)
    assert "revision (unknown)" not in message and "restore the checkpoint files" in message
    assert "eagle-eval lock --model toy-model" in message
