"""A full disk or an unwritable output folder: exit 2, one line naming the path and the fix, and nothing
finished is lost; an output folder that cannot be written is refused before any model loads."""

from __future__ import annotations

import builtins
import dataclasses
import errno
import io
import json
from pathlib import Path

import pytest

from eagle_eval.api import registry
from eagle_eval.results.samples import read_samples
from tests.conftest import one_line_exit_2


class _FillingDisk:
    """A file handle whose writes fail with ENOSPC once `budget[0]` writes (shared by every handle of
    one `_Disk.fill`) went through.

    The failing write first puts half its text on disk, as a real full disk can, so the torn line
    a resume must cut off is there too. Like the real error, it carries no file name.
    """

    def __init__(self, handle, budget: list[int]) -> None:
        self._handle, self._budget = handle, budget

    def write(self, text: str) -> int:
        if self._budget[0] == 0:
            self._handle.write(text[: len(text) // 2])
            self._handle.flush()
            raise OSError(errno.ENOSPC, "No space left on device")
        self._budget[0] -= 1
        return self._handle.write(text)

    def __getattr__(self, name: str):
        return getattr(self._handle, name)

    def __enter__(self):
        return self

    def __exit__(self, *exc: object) -> None:
        self._handle.close()


class _Disk:
    """disk.fill("toyqa.jsonl", after=5): writes to files of that name fail after `after` writes;
    disk.free() ends it (a patch of its own, so the toy registry's patches stay)."""

    def __init__(self) -> None:
        self._patch = pytest.MonkeyPatch()

    def fill(self, name: str, after: int = 0) -> None:
        real_open, budget = builtins.open, [after]

        def fake_open(file, mode="r", *args, **kwargs):
            handle = real_open(file, mode, *args, **kwargs)
            writing = any(flag in mode for flag in "wa+")
            target = Path(str(file)).name == name or Path(str(file)).name.startswith(f".{name}.tmp-")
            return _FillingDisk(handle, budget) if writing and target else handle

        self._patch.setattr(builtins, "open", fake_open)
        self._patch.setattr(io, "open", fake_open)

    def free(self) -> None:
        self._patch.undo()


@pytest.fixture
def disk():
    state = _Disk()
    yield state
    state.free()


def test_a_disk_full_mid_run_names_the_file_keeps_what_was_written_and_the_rerun_resumes(
    toy_world, toy_run, tmp_path, disk
):
    disk.fill("toyqa.jsonl", after=5)  # one sample per batch: five samples reach the disk, the sixth tears
    err = one_line_exit_2(toy_run("--batch-size", "1"))
    (run_dir,) = (tmp_path / "runs").iterdir()
    samples = run_dir / "samples" / "toyqa.jsonl"
    assert f"cannot write {samples}: No space left on device" in err
    assert "run the same command again" in err and "resumes" in err
    disk.free()
    # What was written before the disk filled is still there, as whole lines, behind the torn one.
    kept = [json.loads(line) for line in samples.read_text().splitlines(keepends=True) if line.endswith("\n")]
    assert len(kept) == 5 and all(row["error"] is None for row in kept)
    adapter = toy_world.new_adapter()
    assert toy_run("--batch-size", "1").code == 0
    assert len(adapter.generated_keys) == 10 - 5  # only the docs that never reached the disk
    records = read_samples(samples)
    assert sorted(r.doc_id for r in records) == list(range(10)) and all(r.error is None for r in records)


@pytest.mark.parametrize("name", ["results.json", "toyqa.jsonl", "run.lock"])
def test_every_output_file_on_a_full_disk_is_named(toy_world, toy_run, tmp_path, disk, name):
    # results.json is written after generation, the scores file (also toyqa.jsonl, under scores/) after
    # the samples, run.lock first of all: each failure names its own path.
    disk.fill(name, after=0 if name != "toyqa.jsonl" else 10)
    err = one_line_exit_2(toy_run("--batch-size", "4"))
    assert "No space left on device" in err and name in err and "run the same command again" in err
    assert ".tmp-" not in err  # the file the user knows, not the temporary an atomic write goes through


def test_a_full_disk_while_scoring_keeps_every_prediction(toy_world, toy_run, tmp_path, disk):
    disk.fill("results.json")
    one_line_exit_2(toy_run())
    disk.free()
    (run_dir,) = (tmp_path / "runs").iterdir()
    assert len(read_samples(run_dir / "samples" / "toyqa.jsonl")) == 10
    adapter = toy_world.new_adapter()
    assert toy_run().code == 0 and adapter.generated_keys == []  # the rerun only scores
    assert (run_dir / "results.json").is_file()


def _replace_model_factory(monkeypatch, factory) -> None:
    entry = registry.get_model_entry("toy-model")
    monkeypatch.setitem(registry._MODELS, entry.name, dataclasses.replace(entry, factory=factory))


def _forbid_file_creation_in(monkeypatch, folder: Path) -> None:
    """What a read-only folder does to a process (root ignores file modes, so the test cannot chmod)."""
    import os

    real_os_open, real_open = os.open, builtins.open

    def inside(path) -> bool:
        return Path(path).resolve().is_relative_to(folder.resolve())

    def refuse(path):
        raise PermissionError(errno.EACCES, "Permission denied", str(path))

    def guarded_os_open(path, flags, *args, **kwargs):
        return refuse(path) if flags & os.O_CREAT and inside(path) else real_os_open(path, flags, *args, **kwargs)

    def guarded_open(file, mode="r", *args, **kwargs):
        writes = any(flag in mode for flag in "wax+")
        return refuse(file) if writes and inside(file) else real_open(file, mode, *args, **kwargs)

    monkeypatch.setattr(os, "open", guarded_os_open)
    monkeypatch.setattr(builtins, "open", guarded_open)
    monkeypatch.setattr(io, "open", guarded_open)


def test_an_unwritable_output_dir_is_refused_before_data_or_model_load(toy_world, toy_run, tmp_path, monkeypatch):
    from eagle_eval.api.task import Task

    loaded: list[str] = []
    _replace_model_factory(monkeypatch, lambda options: loaded.append("model") or toy_world.adapter)
    monkeypatch.setattr(type(registry.get_task("toyqa")), "load_docs",
                        lambda self, data_root=None: loaded.append("data") or Task.load_docs(self, data_root))
    readonly = tmp_path / "readonly"
    readonly.mkdir()
    _forbid_file_creation_in(monkeypatch, readonly)
    err = one_line_exit_2(toy_run(output_dir=readonly))
    assert f"cannot write the run folder {readonly}/" in err and "Permission denied" in err
    assert "pass a writable --output-dir" in err
    assert loaded == []  # neither the data nor the model was loaded


def test_an_output_dir_that_is_a_file_is_refused_before_the_model_loads(toy_world, toy_run, tmp_path, monkeypatch):
    _replace_model_factory(monkeypatch, lambda options: pytest.fail("the model was loaded"))
    a_file = tmp_path / "results"
    a_file.write_text("not a folder")
    err = one_line_exit_2(toy_run(output_dir=a_file))
    assert f"{a_file} is a file, not a folder; pass a writable --output-dir" in err


@pytest.mark.parametrize(
    ("code", "says"),
    [
        (errno.ENOSPC, "free disk space (or raise the quota), then run the same command again"),
        (errno.EDQUOT, "free disk space (or raise the quota), then run the same command again"),
        (errno.EROFS, "choose a writable location (--output-dir), then run the same command again"),
        (errno.EACCES, "permission denied; make it accessible to this user or choose another path"),
    ],
    ids=["ENOSPC", "EDQUOT", "EROFS", "EACCES"],
)
def test_each_kind_of_failed_write_names_the_file_and_the_fix(tmp_path, code, says):
    from eagle_eval.core.output_files import describe_os_error, writing

    target = tmp_path / "samples" / "pope.jsonl"
    with pytest.raises(OSError) as caught, writing(target):
        raise OSError(code, "the system's words")  # as write() and fsync() raise: no file name
    message = describe_os_error(caught.value)
    assert str(target) in message and says in message and "\n" not in message
