"""Whether two runs of a task read the same data, from the sources their results.json record.

Two numbers are comparable only on the same test set. Runs whose sources all have known content
hashes, and the same ones, read the same data wherever it came from (a mirror). Otherwise each
source is matched by (repo, config, split); the content hashes decide when both are known, else the resolved commits, else (results
written before provenance was recorded) the requested revisions when both are commits. When nothing
on one side is known the pair is not refused, and `unknown_sources` names it for the output.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from eagle_eval.provenance.revisions import UNKNOWN, is_commit


@dataclass(frozen=True)
class SourceDrift:
    task: str
    source: str
    baseline: str
    new: str

    def describe(self) -> str:
        return f"task {self.task}: {self.source} differs (baseline {self.baseline}; new {self.new})"


def _key(record: dict[str, Any]) -> tuple[str, str | None, str]:
    return (str(record.get("repo")), record.get("config"), str(record.get("split")))


def _name(key: tuple[str, str | None, str]) -> str:
    repo, config, split = key
    return f"{repo}" + (f"/{config}" if config else "") + f" {split}"


def read_identity(record: dict[str, Any]) -> tuple[str, str]:
    """(commit, content hash) a source record says was read; legacy records give their pinned revision."""
    provenance = record.get("provenance") or {}
    commit = provenance.get("commit") or UNKNOWN
    if commit == UNKNOWN and not provenance and is_commit(record.get("revision")):
        commit = str(record["revision"])
    return commit, provenance.get("content_hash") or UNKNOWN


def _label(record: dict[str, Any] | None) -> str:
    if record is None:
        return "not read"
    commit, content = read_identity(record)
    return f"revision {record.get('revision')}, commit {commit}, content {content}"


def task_data_drift(task: str, baseline: list[dict[str, Any]], new: list[dict[str, Any]]) -> list[SourceDrift]:
    """Every source whose data differ between the two runs of `task` (known to differ, not merely unknown)."""
    old_hashes = sorted(read_identity(r)[1] for r in baseline)
    new_hashes = sorted(read_identity(r)[1] for r in new)
    if old_hashes and UNKNOWN not in old_hashes + new_hashes and old_hashes == new_hashes:
        return []  # the same bytes, wherever they were read from (a mirror of the same files)
    old_by_key = {_key(r): r for r in baseline}
    new_by_key = {_key(r): r for r in new}
    drifts = []
    for key in sorted(set(old_by_key) | set(new_by_key), key=str):
        old, fresh = old_by_key.get(key), new_by_key.get(key)
        if old is None or fresh is None:
            if baseline and new:  # an old results file without sources says nothing either way
                drifts.append(SourceDrift(task, _name(key), _label(old), _label(fresh)))
            continue
        (old_commit, old_hash), (new_commit, new_hash) = read_identity(old), read_identity(fresh)
        if UNKNOWN not in (old_hash, new_hash):
            differs = old_hash != new_hash
        elif UNKNOWN not in (old_commit, new_commit):
            differs = old_commit != new_commit
        else:
            differs = False
        if differs:
            drifts.append(SourceDrift(task, _name(key), _label(old), _label(fresh)))
    return drifts


def unknown_sources(baseline: list[dict[str, Any]], new: list[dict[str, Any]]) -> list[str]:
    """Sources whose identity one of the runs does not know, so sameness could not be checked."""
    names = []
    for record in [*baseline, *new]:
        if read_identity(record) == (UNKNOWN, UNKNOWN):
            names.append(_name(_key(record)))
    return sorted(set(names))


def record_is_pinned(record: dict[str, Any]) -> bool:
    """Whether a source record was read at a pinned snapshot (older records: a commit revision)."""
    if "pinned" in record:
        return bool(record["pinned"])
    return is_commit(record.get("revision"))
