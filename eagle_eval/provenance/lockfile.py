"""The lock file: the resolved commit and content hash of every dataset split and checkpoint a run reads.

`eagle-eval lock` writes it once; `eagle-eval run --lock FILE` then reads exactly those revisions and
stops on any drift (docs/reproducibility.md). It is the place a team keeps the commits the task specs
leave at `main`. The format is JSON:

    {"lock_version": 1, "created_at": ..., "command": ...,
     "datasets": [{"repo", "config", "split", "revision", "commit", "content_hash", "files", "tasks"}],
     "models": [{"name", "hub_id", "revision", "commit", "content_hash", "files"}]}

`revision` is what was asked for (`main`); `commit` what it resolved to; either `commit` or
`content_hash` may be `unknown` (a local snapshot without download metadata is locked by its bytes).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from eagle_eval.core import text_input
from eagle_eval.core.output_files import write_text_atomic
from eagle_eval.core.text_input import not_utf8_message
from eagle_eval.provenance.revisions import UNKNOWN, Provenance, is_commit

LOCK_VERSION = 1
DEFAULT_LOCK_FILE = Path("eagle-eval.lock.json")


class LockError(ValueError):
    """A lock file that cannot be read or used; the message names the file and the fix (exit 2)."""


@dataclass(frozen=True)
class LockedDataset:
    repo: str
    config: str | None
    split: str
    revision: str
    commit: str = UNKNOWN
    content_hash: str = UNKNOWN
    files: tuple[str, ...] = ()
    tasks: tuple[str, ...] = ()

    @property
    def key(self) -> tuple[str, str | None, str]:
        return (self.repo, self.config, self.split)

    def describe(self) -> str:
        return f"dataset {self.repo} (config {self.config!r}, split {self.split!r})"


@dataclass(frozen=True)
class LockedModel:
    name: str
    hub_id: str | None = None
    revision: str | None = None
    commit: str = UNKNOWN
    content_hash: str = UNKNOWN
    files: tuple[str, ...] = ()

    def describe(self) -> str:
        return f"model {self.name}" + (f" ({self.hub_id})" if self.hub_id else "")


@dataclass
class Lock:
    datasets: list[LockedDataset] = field(default_factory=list)
    models: list[LockedModel] = field(default_factory=list)
    created_at: str = ""
    command: str = ""
    path: Path | None = None  # where it was read from, for messages

    def dataset(self, repo: str, config: str | None, split: str) -> LockedDataset | None:
        return next((d for d in self.datasets if d.key == (repo, config, split)), None)

    def model(self, name: str) -> LockedModel | None:
        return next((m for m in self.models if m.name == name), None)

    def to_json(self) -> dict[str, Any]:
        return {"lock_version": LOCK_VERSION, "created_at": self.created_at, "command": self.command,
                "datasets": [asdict(d) for d in self.datasets], "models": [asdict(m) for m in self.models]}


def locked_dataset(source: Any, found: Provenance, tasks: tuple[str, ...]) -> LockedDataset:
    return LockedDataset(source.repo, source.config, source.split, source.revision, found.commit,
                         found.content_hash, found.files, tasks)


def drift(commit: str, content_hash: str, found: Provenance) -> str | None:
    """Why `found` is not the locked snapshot, or None when it is.

    Known values must agree; at least one of commit and hash must be known on both sides and agree,
    since a lock that nothing confirms pins nothing.
    """
    problems = []
    if commit != UNKNOWN and found.commit != UNKNOWN and commit != found.commit:
        problems.append(f"commit {found.commit} read, {commit} locked")
    if content_hash != UNKNOWN and found.content_hash != UNKNOWN and content_hash != found.content_hash:
        problems.append(f"content {found.content_hash} read, {content_hash} locked")
    if problems:
        return "; ".join(problems)
    confirmed = (commit != UNKNOWN and commit == found.commit) or (
        content_hash != UNKNOWN and content_hash == found.content_hash)
    if not confirmed:
        why = f" ({found.note})" if found.note else ""
        return f"neither the commit nor the content hash of what was read is known{why}"
    return None


def write_lock(path: Path, lock: Lock) -> None:
    write_text_atomic(Path(path), json.dumps(lock.to_json(), indent=2) + "\n")


def read_lock(path: Path | str) -> Lock:
    path = Path(path)
    fix = "write one with: eagle-eval lock --tasks ... --model ..."
    try:
        data = text_input.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as err:
        raise LockError(f"lock file {path} not found; {fix}") from err
    except IsADirectoryError as err:
        raise LockError(f"lock file {path} is a folder; pass the file `eagle-eval lock --output` wrote") from err
    except UnicodeDecodeError as err:
        raise LockError(not_utf8_message(path, err)) from None
    except (OSError, ValueError) as err:
        raise LockError(f"lock file {path} is not readable JSON ({err}); {fix}") from err
    if not isinstance(data, dict) or data.get("lock_version") != LOCK_VERSION:
        version = data.get("lock_version") if isinstance(data, dict) else None
        raise LockError(f"lock file {path} has lock_version {version!r}; this eagle-eval reads {LOCK_VERSION}. {fix}")
    try:
        datasets = [_dataset(entry) for entry in data.get("datasets") or []]
        models = [_model(entry) for entry in data.get("models") or []]
    except (TypeError, KeyError, ValueError) as err:
        raise LockError(f"lock file {path} has a malformed entry ({err}); {fix}") from err
    return Lock(datasets, models, str(data.get("created_at") or ""), str(data.get("command") or ""), path)


def _checked(value: Any, what: str) -> str:
    text = str(value or UNKNOWN)
    if what == "commit" and text != UNKNOWN and not is_commit(text):
        raise ValueError(f"commit {text!r} is not a 40-hex commit id")
    if what == "content_hash" and text != UNKNOWN and not text.startswith("sha256:"):
        raise ValueError(f"content_hash {text!r} is not sha256:<hex>")
    return text


def _dataset(entry: dict[str, Any]) -> LockedDataset:
    return LockedDataset(repo=str(entry["repo"]), config=entry.get("config"), split=str(entry["split"]),
                         revision=str(entry.get("revision") or "main"),
                         commit=_checked(entry.get("commit"), "commit"),
                         content_hash=_checked(entry.get("content_hash"), "content_hash"),
                         files=tuple(entry.get("files") or ()), tasks=tuple(entry.get("tasks") or ()))


def _model(entry: dict[str, Any]) -> LockedModel:
    return LockedModel(name=str(entry["name"]), hub_id=entry.get("hub_id"), revision=entry.get("revision"),
                       commit=_checked(entry.get("commit"), "commit"),
                       content_hash=_checked(entry.get("content_hash"), "content_hash"),
                       files=tuple(entry.get("files") or ()))
