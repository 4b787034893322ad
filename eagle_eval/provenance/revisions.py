"""What a run actually read: the resolved commit and a content hash of each dataset split and checkpoint.

A task names a revision such as `main`; the number it produces depends on the commit `main` pointed to
on the day and on the bytes of the files read. The commit comes from, in order:

- the hub cache layout (`<cache>/datasets--ORG--NAME/snapshots/<commit>/`, `refs/<ref>` naming it),
  which `snapshot_download` and `from_pretrained` leave;
- the metadata `hf download --local-dir DIR` writes for each file, at
  `DIR/.cache/huggingface/download/<path in repo>.metadata` (three lines: commit, etag, timestamp).
  As in `huggingface_hub`, a file modified after that timestamp no longer counts as downloaded;
- the hub itself (`HfApi.repo_info`) when the data is read from the hub and the network answers.

Where none of these knows, the commit is `unknown`, never the requested ref name. The content hash
(eagle_eval.provenance.hashes) covers exactly the files read, so a parquet replaced under the same revision
is caught even when the commit is unchanged.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from eagle_eval.provenance.hashes import FileHashCache, combined_hash, sha256_of_file

UNKNOWN = "unknown"
_COMMIT = re.compile(r"[0-9a-f]{40}")
_CACHE_REPO_FOLDER = re.compile(r"(models|datasets|spaces)--.+")
# How `datasets` names a hub data file once it has resolved the revision to a commit.
_HF_URL = re.compile(r"hf://(?P<kind>datasets|models|spaces)/(?P<repo>[^/@]+/[^/@]+)@(?P<rev>[^/]+)/(?P<path>.+)")


def is_commit(revision: str | None) -> bool:
    """True for a full 40-hex commit id: the only revision that names the same files forever."""
    return bool(revision) and bool(_COMMIT.fullmatch(str(revision)))


@dataclass(frozen=True)
class Provenance:
    """The commit and bytes behind one source. `commit_from` says how the commit was learned."""

    commit: str = UNKNOWN
    content_hash: str = UNKNOWN
    commit_from: str = "none"  # "hub", "hub cache", "local-dir metadata", "requested commit", "none"
    files: tuple[str, ...] = ()
    note: str | None = None  # why the commit or hash is unknown, when it is

    def to_json(self) -> dict[str, Any]:
        return {"commit": self.commit, "content_hash": self.content_hash, "commit_from": self.commit_from,
                "files": list(self.files), "note": self.note}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Provenance:
        return cls(commit=data.get("commit") or UNKNOWN, content_hash=data.get("content_hash") or UNKNOWN,
                   commit_from=data.get("commit_from") or "none", files=tuple(data.get("files") or ()),
                   note=data.get("note"))


# --- commits of local directories -----------------------------------------------------------------------

def hub_cache_commit(directory: Path) -> str | None:
    """The commit of a `snapshots/<commit>` folder inside a hub cache repo folder, else None."""
    directory = Path(directory)
    if (directory.parent.name == "snapshots" and is_commit(directory.name)
            and _CACHE_REPO_FOLDER.fullmatch(directory.parent.parent.name)):
        return directory.name
    return None


def local_dir_commit(directory: Path, relative_files: Sequence[str]) -> tuple[str, str | None]:
    """(commit, note) from the per-file metadata `hf download --local-dir` leaves.

    Every file read must carry metadata naming one and the same commit; otherwise the snapshot is a
    mixture nobody can name, and the commit is unknown (the note says why).
    """
    directory = Path(directory)
    metadata_root = directory / ".cache" / "huggingface" / "download"
    if not metadata_root.is_dir():
        return UNKNOWN, f"no download metadata under {metadata_root}"
    commits: set[str] = set()
    for relative in relative_files:
        metadata = metadata_root / f"{relative}.metadata"
        try:
            lines = metadata.read_text().splitlines()
            commit, timestamp = lines[0].strip(), float(lines[2])
        except (OSError, IndexError, ValueError):
            return UNKNOWN, f"{relative} has no readable download metadata ({metadata})"
        if not is_commit(commit):
            return UNKNOWN, f"{metadata} names {commit!r}, not a commit"
        if (directory / relative).stat().st_mtime - 1 > timestamp:  # the 1 s slack huggingface_hub allows
            return UNKNOWN, f"{relative} was modified after it was downloaded"
        commits.add(commit)
    if len(commits) > 1:
        return UNKNOWN, f"files come from different commits: {', '.join(sorted(commits))}"
    return (commits.pop(), None) if commits else (UNKNOWN, "no files read")


def _relative(directory: Path, file: Path) -> str:
    try:
        return Path(file).relative_to(directory).as_posix()
    except ValueError:
        return Path(os.path.abspath(file)).relative_to(os.path.abspath(directory)).as_posix()


def directory_provenance(directory: Path, files: Sequence[Path], cache: FileHashCache | None = None) -> Provenance:
    """Commit and content hash of `files` (the ones actually read) inside a local snapshot `directory`."""
    directory = Path(directory)
    relative = sorted(_relative(directory, Path(file)) for file in files)
    commit = hub_cache_commit(directory)
    commit_from, note = ("hub cache", None) if commit else ("local-dir metadata", None)
    if commit is None:
        commit, note = local_dir_commit(directory, relative)
        if commit == UNKNOWN:
            commit_from = "none"
    if not relative:
        return Provenance(commit, UNKNOWN, commit_from, (), note or "no files read")
    cache = cache or FileHashCache()
    digests = {name: cache.sha256(directory / name) for name in relative}
    cache.save()
    return Provenance(commit, combined_hash(digests), commit_from, tuple(relative), note)


# --- commits on the hub -----------------------------------------------------------------------------------

def hub_commit(repo: str, revision: str | None, repo_type: str = "dataset",
               cache_dir: Path | None = None) -> tuple[str, str]:
    """(commit, commit_from) for a hub revision: asked of the hub when online, else read from the cache."""
    from huggingface_hub import HfApi, constants
    from huggingface_hub.file_download import repo_folder_name

    revision = revision or "main"
    if is_commit(revision):
        return revision, "requested commit"
    if not constants.HF_HUB_OFFLINE:
        try:
            sha = HfApi().repo_info(repo, repo_type=repo_type, revision=revision).sha
            return sha or UNKNOWN, "hub"  # an answer without a sha names no commit
        except Exception:  # noqa: BLE001 (offline, auth, gone: all leave the cache as the only witness)
            pass
    cache_root = Path(cache_dir or constants.HF_HUB_CACHE)
    ref = cache_root / repo_folder_name(repo_id=repo, repo_type=repo_type) / "refs" / revision
    try:
        cached = ref.read_text().strip()
    except OSError:
        return UNKNOWN, "none"
    return (cached, "hub cache") if is_commit(cached) else (UNKNOWN, "none")


def parse_hub_url(url: str) -> tuple[str, str, str] | None:
    """(repo, revision, path in repo) of an `hf://datasets/ORG/NAME@REV/PATH` data-file URL."""
    match = _HF_URL.fullmatch(url)
    return (match["repo"], unquote(match["rev"]), match["path"]) if match else None


def hub_files_provenance(urls: Sequence[str], repo_type: str = "dataset") -> Provenance:
    """Provenance of data files `datasets` resolved on the hub (URLs carry the commit).

    The per-file digest is the hub's LFS sha256, which equals sha256 of the bytes, so the hash matches
    the one computed from a local download of the same files. Files kept outside LFS are fetched.
    """
    found = [parse_hub_url(url) for url in urls]
    parsed = [p for p in found if p is not None]
    if not parsed or len(parsed) != len(found):
        return Provenance(note="data files were not resolved on the hub")
    repos = {p[0] for p in parsed}
    commits = {p[1] for p in parsed}
    if len(commits) != 1 or len(repos) != 1 or not is_commit(next(iter(commits))):
        return Provenance(note=f"data files name revisions {sorted(commits)}")
    repo, commit = repos.pop(), commits.pop()
    paths = sorted(p[2] for p in parsed)
    try:
        digests = _hub_digests(repo, commit, paths, repo_type)
    except Exception as error:  # noqa: BLE001 (the commit is still known; say why the hash is not)
        return Provenance(commit, UNKNOWN, "hub", tuple(paths), f"content hash unavailable: {error}")
    return Provenance(commit, combined_hash(digests), "hub", tuple(paths))


def _hub_digests(repo: str, commit: str, paths: list[str], repo_type: str) -> dict[str, str]:
    from huggingface_hub import HfApi, hf_hub_download

    digests: dict[str, str] = {}
    for info in HfApi().get_paths_info(repo, paths, revision=commit, repo_type=repo_type):
        lfs = getattr(info, "lfs", None)
        if lfs is not None:
            digests[info.path] = lfs.sha256
        else:
            local = hf_hub_download(repo, info.path, revision=commit, repo_type=repo_type)
            digests[info.path] = sha256_of_file(Path(local))
    missing = set(paths) - set(digests)
    if missing:
        raise FileNotFoundError(f"the hub lists no {sorted(missing)} at {commit}")
    return digests
