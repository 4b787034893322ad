"""A small Hugging Face Hub for tests: the endpoints the installed huggingface_hub and datasets call, on 127.0.0.1.

The code under test keeps its real hub client; only the address changes (`hub_server` in conftest points
`HF_ENDPOINT` here, with a private `HF_HOME` and a test token). Repos are built from files (the bundled
hub-layout snapshots under data/hub, or a few bytes) at given commit shas, and every request is recorded
(method, path, query, repo, revision, body), so a test asserts what was actually asked, not what a stub
was told.

Answered as the Hub answers them (URLs, headers and JSON read from huggingface_hub's hf_api.py,
file_download.py and _commit_api.py):

    HEAD|GET /                                            the reachability probe (eagle_eval.data.hub_reach)
    GET  /api/agent-harnesses                             huggingface_hub's user-agent registry: empty
    GET  /api/{models|datasets}/ORG/NAME[/revision/REV]   repo info: id, sha, siblings, gated, private
    POST /api/{type}s/ORG/NAME/paths-info/REV             form `paths`: the entries that exist, with lfs
    GET  /api/{type}s/ORG/NAME/tree/REV[/PATH]            a folder's entries (`recursive`), one page
    HEAD|GET /[datasets/]ORG/NAME/resolve/REV/PATH        a file: X-Repo-Commit, ETag, Content-Length,
                                                          ranges; an LFS file redirects (302, X-Linked-Etag,
                                                          X-Linked-Size) to /cdn-lfs/SHA256 on a second
                                                          port, another origin, as to the Hub's CDN
    POST /api/repos/create                                a repo (409 when it exists), with .gitattributes
    POST /api/{type}s/ORG/NAME/preupload/REV              upload modes: regular, lfs for binary suffixes
    POST /api/{type}s/ORG/NAME/commit/REV                 ndjson commit of regular files onto branch REV

Errors carry the Hub's X-Error-Code, which huggingface_hub turns into its typed errors: RepoNotFound (404),
RevisionNotFound (404), EntryNotFound (404, with X-Repo-Commit), GatedRepo (401 without a token, 403 with
one, on file content of a gated repo; its info and file list stay visible, as on the Hub). Writes without
a token get 401. A request for an endpoint not listed is answered 404 and kept in `unhandled`, so a test
never passes on an error the real Hub would not give.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

TOKEN = "hf_local_test_token"
LFS_SUFFIXES = (".parquet", ".arrow", ".safetensors", ".bin", ".pt", ".png", ".jpg", ".zip")
_REPO = r"(?P<org>[^/]+)/(?P<name>[^/]+)"
_ROUTES = [
    ("info", re.compile(rf"/api/(?P<kind>models|datasets)/{_REPO}(?:/revision/(?P<rev>[^/]+))?")),
    ("paths-info", re.compile(rf"/api/(?P<kind>models|datasets)/{_REPO}/paths-info/(?P<rev>[^/]+)")),
    ("tree", re.compile(rf"/api/(?P<kind>models|datasets)/{_REPO}/tree/(?P<rev>[^/]+)(?:/(?P<path>.*))?")),
    ("preupload", re.compile(rf"/api/(?P<kind>models|datasets)/{_REPO}/preupload/(?P<rev>[^/]+)")),
    ("commit", re.compile(rf"/api/(?P<kind>models|datasets)/{_REPO}/commit/(?P<rev>[^/]+)")),
    ("create", re.compile(r"/api/repos/create")),
    ("agent-harnesses", re.compile(r"/api/agent-harnesses")),
    ("cdn", re.compile(r"/cdn-lfs/(?P<sha256>[0-9a-f]{64})")),
    ("resolve", re.compile(rf"/(?:(?P<kind>datasets)/)?{_REPO}/resolve/(?P<rev>[^/]+)/(?P<path>.+)")),
    ("probe", re.compile(r"/")),
]


def git_blob_oid(content: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(content) + content).hexdigest()


def lfs_pointer(content: bytes) -> bytes:
    digest = hashlib.sha256(content).hexdigest()
    return f"version https://git-lfs.github.com/spec/v1\noid sha256:{digest}\nsize {len(content)}\n".encode()


def is_lfs(path: str) -> bool:
    return path.endswith(LFS_SUFFIXES)


def snapshot_files(directory: Path) -> dict[str, bytes]:
    """{path in repo: bytes} of a folder laid out as `hf download --local-dir` leaves it (its .cache left out)."""
    directory = Path(directory)
    return {p.relative_to(directory).as_posix(): p.read_bytes() for p in sorted(directory.rglob("*"))
            if p.is_file() and p.relative_to(directory).parts[0] != ".cache"}  # fmt: skip


@dataclass
class HubRepo:
    repo_id: str
    repo_type: str  # "model" or "dataset"
    commits: dict[str, dict[str, bytes]] = field(default_factory=dict)
    refs: dict[str, str] = field(default_factory=dict)  # branch or tag -> commit
    gated: bool = False
    private: bool = False

    def commit_of(self, revision: str) -> str | None:
        if revision in self.commits:
            return revision
        return self.refs.get(revision)


@dataclass(frozen=True)
class HubRequest:
    """One request as the server saw it. `revision` is unquoted (`refs/pr/1`, not `refs%2Fpr%2F1`)."""

    method: str
    endpoint: str  # the route's name: info, paths-info, tree, resolve, cdn, create, preupload, commit, probe
    path: str
    query: dict[str, list[str]]
    repo: str | None
    repo_type: str | None
    revision: str | None
    file: str | None
    authorization: str | None
    body: bytes


@dataclass(frozen=True)
class ReceivedCommit:
    repo: str
    repo_type: str
    branch: str
    summary: str
    files: dict[str, bytes]  # what the commit added, decoded
    oid: str


class HubError(Exception):
    def __init__(self, status: int, code: str | None, message: str, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status, self.code, self.message, self.headers = status, code, message, headers or {}


class HubServer:
    """The hub's state and an HTTP server over it; `start()` it, point the libraries at `url`, `stop()` it."""

    def __init__(self) -> None:
        self.repos: dict[tuple[str, str], HubRepo] = {}
        self.requests: list[HubRequest] = []
        self.unhandled: list[HubRequest] = []
        self.received: list[ReceivedCommit] = []
        self.lock = threading.Lock()
        self._servers: list[ThreadingHTTPServer] = []
        self.url = self.cdn_url = ""

    # --- building repos --------------------------------------------------------------------------------

    def add_repo(self, repo_id: str, files: dict[str, bytes], commit: str, *, repo_type: str = "dataset",
                 refs: tuple[str, ...] = ("main",), gated: bool = False) -> HubRepo:
        """Add (or extend) a repo with `files` at `commit`, each of `refs` pointing to it."""
        repo = self.repos.setdefault((repo_type, repo_id), HubRepo(repo_id, repo_type))
        repo.gated = repo.gated or gated
        repo.commits[commit] = dict(files)
        repo.refs.update(dict.fromkeys(refs, commit))
        return repo

    def add_snapshot(self, directory: Path, repo_id: str, commit: str, **kwargs: Any) -> HubRepo:
        """A repo whose files at `commit` are those of a local snapshot folder (e.g. data/hub/ORG/NAME)."""
        return self.add_repo(repo_id, snapshot_files(directory), commit, **kwargs)

    def of(self, endpoint: str, method: str | None = None) -> list[HubRequest]:
        """The requests one route received, in order (optionally only those of one HTTP method)."""
        return [r for r in self.requests if r.endpoint == endpoint and (method is None or r.method == method)]

    # --- running ---------------------------------------------------------------------------------------

    def start(self) -> HubServer:
        hub = self

        class Handler(_Handler):
            server_state = hub

        # The Hub and, on a port of its own (another origin, as cdn-lfs.hf.co is), the CDN its LFS files
        # redirect to: huggingface_hub follows a redirect only within an origin, and sends no token off it.
        self._servers = [ThreadingHTTPServer(("127.0.0.1", 0), Handler) for _ in ("hub", "cdn")]
        for server in self._servers:
            server.daemon_threads = True
            threading.Thread(target=server.serve_forever, args=(0.02,), name="test hub", daemon=True).start()
        self.url, self.cdn_url = (f"http://127.0.0.1:{server.server_port}" for server in self._servers)
        return self

    def stop(self) -> None:
        for server in self._servers:
            server.shutdown()
            server.server_close()

    # --- answering -------------------------------------------------------------------------------------

    def repo(self, kind: str | None, org: str, name: str) -> HubRepo:
        repo_type = "dataset" if kind == "datasets" else "model"
        found = self.repos.get((repo_type, f"{org}/{name}"))
        if found is None:
            raise HubError(404, "RepoNotFound", "Repository not found")
        return found

    def commit(self, repo: HubRepo, revision: str) -> str:
        commit = repo.commit_of(revision)
        if commit is None:
            raise HubError(404, "RevisionNotFound", f"Invalid rev id: {revision}")
        return commit

    def entry(self, repo: HubRepo, commit: str, path: str) -> dict[str, Any] | None:
        files = repo.commits[commit]
        if path in files:
            content = files[path]
            found: dict[str, Any] = {"type": "file", "size": len(content), "path": path}
            if is_lfs(path):
                pointer = lfs_pointer(content)
                found["oid"] = git_blob_oid(pointer)
                found["lfs"] = {"oid": hashlib.sha256(content).hexdigest(), "size": len(content),
                                "pointerSize": len(pointer)}
            else:
                found["oid"] = git_blob_oid(content)
            return found
        inside = sorted(p for p in files if p.startswith(path.rstrip("/") + "/")) if path else sorted(files)
        if not inside:
            return None
        tree_oid = hashlib.sha1(repr([(p, files[p]) for p in inside]).encode()).hexdigest()
        return {"type": "directory", "oid": tree_oid, "size": 0, "path": path}

    def create_commit(self, repo: HubRepo, branch: str, summary: str, added: dict[str, bytes],
                      deleted: list[str]) -> str:
        parent = self.commit(repo, branch)
        if branch not in repo.refs:
            raise HubError(400, None, f"Cannot commit to {branch}: not a branch")
        files = {p: c for p, c in repo.commits[parent].items() if p not in deleted}
        files.update(added)
        oid = hashlib.sha1(json.dumps([parent, summary, sorted((p, git_blob_oid(c)) for p, c in added.items())])
                           .encode()).hexdigest()  # fmt: skip
        repo.commits[oid] = files
        repo.refs[branch] = oid
        self.received.append(ReceivedCommit(repo.repo_id, repo.repo_type, branch, summary, dict(added), oid))
        return oid


class _Handler(BaseHTTPRequestHandler):
    server_state: HubServer
    protocol_version = "HTTP/1.0"  # one request per connection: nothing pooled outlives this server

    def log_message(self, *args: object) -> None:
        pass

    def do_HEAD(self) -> None:  # noqa: N802 - http.server's naming
        self._serve("HEAD")

    def do_GET(self) -> None:  # noqa: N802
        self._serve("GET")

    def do_POST(self) -> None:  # noqa: N802
        self._serve("POST")

    def _serve(self, method: str) -> None:
        hub = self.server_state
        split = urlsplit(self.path)
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        endpoint, match = _route(split.path)
        groups = {k: (unquote(v) if v is not None else None) for k, v in (match.groupdict() if match else {}).items()}
        repo_id = f"{groups['org']}/{groups['name']}" if groups.get("org") else None
        kind = groups.get("kind")
        recorded = HubRequest(method, endpoint, split.path, parse_qs(split.query), repo_id,
                              ("dataset" if kind == "datasets" else "model") if repo_id else None, groups.get("rev"),
                              groups.get("path"), self.headers.get("Authorization"), body)  # fmt: skip
        with hub.lock:
            hub.requests.append(recorded)
            if match is None:
                hub.unhandled.append(recorded)
        try:
            if match is None:
                raise HubError(404, None, f"no route for {method} {split.path}")
            with hub.lock:
                answer = _ANSWERS[endpoint](self, hub, method, groups, recorded)
            status, headers, content = answer
        except HubError as error:
            status, headers = error.status, dict(error.headers)
            content = json.dumps({"error": error.message}).encode()
            headers["Content-Type"] = "application/json"
            if error.code:
                headers["X-Error-Code"] = error.code
            headers["X-Error-Message"] = error.message
        self.send_response(status)
        headers.setdefault("Content-Length", str(len(content)))
        for key, value in headers.items():
            self.send_header(key, value)
        self.end_headers()
        if method != "HEAD":
            self.wfile.write(content)


Answer = tuple[int, dict[str, str], bytes]


def _route(path: str) -> tuple[str, re.Match[str] | None]:
    for endpoint, pattern in _ROUTES:
        match = pattern.fullmatch(path)
        if match:
            return endpoint, match
    return "unknown", None


def _json(value: Any, status: int = 200) -> Answer:
    return status, {"Content-Type": "application/json"}, json.dumps(value).encode()


def _probe(handler: _Handler, hub: HubServer, method: str, groups: dict, request: HubRequest) -> Answer:
    return 200, {"Content-Type": "text/html"}, b"<html>test hub</html>"


def _agent_harnesses(handler: _Handler, hub: HubServer, method: str, groups: dict, request: HubRequest) -> Answer:
    return _json({"standardEnvVars": [], "harnesses": {}})  # huggingface_hub's user-agent registry, left empty


def _info(handler: _Handler, hub: HubServer, method: str, groups: dict, request: HubRequest) -> Answer:
    repo = hub.repo(groups["kind"], groups["org"], groups["name"])
    commit = hub.commit(repo, groups["rev"] or "main")
    siblings = [{"rfilename": path} for path in sorted(repo.commits[commit])]
    return _json({"_id": hashlib.sha1(repo.repo_id.encode()).hexdigest()[:24], "id": repo.repo_id,
                  "author": repo.repo_id.split("/")[0], "sha": commit, "private": repo.private,
                  "gated": "manual" if repo.gated else False, "disabled": False, "tags": [],
                  "lastModified": "2025-01-01T00:00:00.000Z", "siblings": siblings})  # fmt: skip


def _paths_info(handler: _Handler, hub: HubServer, method: str, groups: dict, request: HubRequest) -> Answer:
    repo = hub.repo(groups["kind"], groups["org"], groups["name"])
    commit = hub.commit(repo, groups["rev"])
    form = parse_qs(request.body.decode())
    found = [hub.entry(repo, commit, path) for path in form.get("paths", [])]
    return _json([entry for entry in found if entry is not None])


def _tree(handler: _Handler, hub: HubServer, method: str, groups: dict, request: HubRequest) -> Answer:
    repo = hub.repo(groups["kind"], groups["org"], groups["name"])
    commit = hub.commit(repo, groups["rev"])
    folder = (groups.get("path") or "").strip("/")
    if folder and (hub.entry(repo, commit, folder) or {}).get("type") != "directory":
        raise HubError(404, "EntryNotFound", f"{folder} does not exist on {groups['rev']}")
    recursive = request.query.get("recursive", ["false"])[0].lower() in ("1", "true")
    names: set[str] = set()
    for path in repo.commits[commit]:
        if folder and not path.startswith(folder + "/"):
            continue
        parts = path[len(folder) + 1 if folder else 0:].split("/")
        depth = len(parts) if recursive else 1
        names.update("/".join(filter(None, [folder, *parts[:level]])) for level in range(1, depth + 1))
    return _json([hub.entry(repo, commit, name) for name in sorted(names)])


def _resolve(handler: _Handler, hub: HubServer, method: str, groups: dict, request: HubRequest) -> Answer:
    repo = hub.repo(groups["kind"], groups["org"], groups["name"])
    commit = hub.commit(repo, groups["rev"])
    if repo.gated:
        status, detail = (403, "you are not in the authorized list") if request.authorization else (
            401, "you must be authenticated to access it")
        raise HubError(status, "GatedRepo", f"Access to {repo.repo_type} {repo.repo_id} is restricted: {detail}. "
                       f"Visit {hub.url}/{'datasets/' if repo.repo_type == 'dataset' else ''}{repo.repo_id} "
                       "to ask for access.")  # fmt: skip
    path = groups["path"]
    content = repo.commits[commit].get(path)
    if content is None:
        raise HubError(404, "EntryNotFound", "Entry not found", {"X-Repo-Commit": commit})
    headers = {"X-Repo-Commit": commit, "Accept-Ranges": "bytes"}
    if is_lfs(path):
        digest = hashlib.sha256(content).hexdigest()
        headers.update({"Location": f"{hub.cdn_url}/cdn-lfs/{digest}", "X-Linked-Etag": f'"{digest}"',
                        "X-Linked-Size": str(len(content)), "ETag": f'"{git_blob_oid(lfs_pointer(content))}"'})
        return 302, headers, b""
    headers["ETag"] = f'"{git_blob_oid(content)}"'
    return _ranged(handler, content, headers)


def _cdn(handler: _Handler, hub: HubServer, method: str, groups: dict, request: HubRequest) -> Answer:
    for repo in hub.repos.values():
        for files in repo.commits.values():
            for content in files.values():
                if hashlib.sha256(content).hexdigest() == groups["sha256"]:
                    return _ranged(handler, content, {"ETag": f'"{groups["sha256"]}"', "Accept-Ranges": "bytes"})
    raise HubError(404, None, "no such object")


def _ranged(handler: _Handler, content: bytes, headers: dict[str, str]) -> Answer:
    """The file, or the byte range a `Range: bytes=A-B` header asks for (206), as the Hub and its CDN serve."""
    asked = re.fullmatch(r"bytes=(\d*)-(\d*)", handler.headers.get("Range") or "")
    headers["Content-Type"] = "application/octet-stream"
    if asked is None:
        return 200, headers, content
    start_text, end_text = asked.groups()
    if start_text:
        start, end = int(start_text), min(int(end_text) if end_text else len(content) - 1, len(content) - 1)
    else:
        start, end = max(len(content) - int(end_text), 0), len(content) - 1
    if start >= len(content):
        return 416, {"Content-Range": f"bytes */{len(content)}"}, b""
    headers["Content-Range"] = f"bytes {start}-{end}/{len(content)}"
    return 206, headers, content[start:end + 1]


def _require_token(request: HubRequest) -> None:
    if request.authorization != f"Bearer {TOKEN}":
        raise HubError(401, None, "Invalid credentials in Authorization header")


def _create(handler: _Handler, hub: HubServer, method: str, groups: dict, request: HubRequest) -> Answer:
    _require_token(request)
    asked = json.loads(request.body)
    repo_type = asked.get("type") or "model"
    repo_id = f"{asked['organization']}/{asked['name']}" if asked.get("organization") else asked["name"]
    prefix = "datasets/" if repo_type == "dataset" else ""
    if (repo_type, repo_id) in hub.repos:
        return _json({"error": f"You already created this {repo_type} repo", "url": f"{hub.url}/{prefix}{repo_id}"},
                     409)  # fmt: skip
    first = hashlib.sha1(f"initial {repo_type} {repo_id}".encode()).hexdigest()
    repo = hub.add_repo(repo_id, {".gitattributes": b"*.parquet filter=lfs diff=lfs merge=lfs -text\n"}, first,
                        repo_type=repo_type)  # fmt: skip
    repo.private = asked.get("visibility") == "private"
    return _json({"url": f"{hub.url}/{prefix}{repo_id}", "name": repo_id})


def _preupload(handler: _Handler, hub: HubServer, method: str, groups: dict, request: HubRequest) -> Answer:
    _require_token(request)
    repo = hub.repo(groups["kind"], groups["org"], groups["name"])
    commit = hub.commit(repo, groups["rev"])
    answers = []
    for file in json.loads(request.body)["files"]:
        existing = hub.entry(repo, commit, file["path"])
        mode = "lfs" if is_lfs(file["path"]) or file["size"] > 10 * 2**20 else "regular"
        answers.append({"path": file["path"], "uploadMode": mode, "shouldIgnore": False,
                        "oid": existing["oid"] if existing and existing["type"] == "file" else None})
    return _json({"files": answers, "commitOid": commit})


def _commit(handler: _Handler, hub: HubServer, method: str, groups: dict, request: HubRequest) -> Answer:
    _require_token(request)
    repo = hub.repo(groups["kind"], groups["org"], groups["name"])
    lines = [json.loads(line) for line in request.body.decode().splitlines() if line.strip()]
    summary, added, deleted = "", {}, []
    for line in lines:
        value = line["value"]
        if line["key"] == "header":
            summary = value["summary"]
        elif line["key"] == "file":
            added[value["path"]] = base64.b64decode(value["content"])
        elif line["key"] in ("deletedFile", "deletedFolder"):
            deleted.append(value["path"])
        else:
            raise HubError(400, None, f"this test hub takes regular files only, not {line['key']}")
    oid = hub.create_commit(repo, groups["rev"], summary, added, deleted)
    prefix = "datasets/" if repo.repo_type == "dataset" else ""
    return _json({"success": True, "commitOid": oid, "commitUrl": f"{hub.url}/{prefix}{repo.repo_id}/commit/{oid}",
                  "hookOutput": ""})  # fmt: skip


_ANSWERS = {"probe": _probe, "agent-harnesses": _agent_harnesses, "info": _info, "paths-info": _paths_info, "tree": _tree, "resolve": _resolve,
            "cdn": _cdn, "create": _create, "preupload": _preupload, "commit": _commit}  # fmt: skip


def point_libraries_at(monkeypatch: Any, url: str, home: Path) -> None:
    """Send huggingface_hub and datasets (in this process and the ones it starts) to `url`, online, with a
    private HF_HOME and the test token. Both libraries read these settings once, at import, into module
    constants, so the constants are set as well as the environment."""
    import datasets
    from huggingface_hub import HfFileSystem, constants

    hub_cache, datasets_cache = home / "hub", home / "datasets"
    for name in ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_HUB_CACHE",
                 "HUGGINGFACE_HUB_CACHE", "HF_DATASETS_CACHE", "HF_TOKEN_PATH", "HF_OIDC_RESOURCE",
                 "HUGGING_FACE_HUB_TOKEN", "EAGLE_EVAL_DATA_ROOT"):  # fmt: skip
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HF_ENDPOINT", url)
    monkeypatch.setenv("HF_HUB_OFFLINE", "0")
    monkeypatch.setenv("HF_HOME", str(home))
    monkeypatch.setenv("HF_TOKEN", TOKEN)
    monkeypatch.setenv("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    for name, value in {"ENDPOINT": url, "HUGGINGFACE_CO_URL_TEMPLATE": url + "/{repo_id}/resolve/{revision}/{filename}",
                        "HF_HUB_OFFLINE": False, "HF_HOME": str(home), "HF_HUB_CACHE": str(hub_cache),
                        "HF_TOKEN_PATH": str(home / "token"), "HF_STORED_TOKENS_PATH": str(home / "stored_tokens"),
                        "HF_XET_CACHE": str(home / "xet"), "AGENT_HARNESSES_PATH": str(home / ".agent_harnesses.json")}.items():  # fmt: skip
        monkeypatch.setattr(constants, name, value, raising=False)
    for name, value in {"HF_ENDPOINT": url, "HUB_DATASETS_URL": url + "/datasets/{repo_id}/resolve/{revision}/{path}",
                        "HF_HUB_OFFLINE": False, "HF_DATASETS_OFFLINE": False, "HF_CACHE_HOME": str(home),
                        "HF_DATASETS_CACHE": datasets_cache, "HF_MODULES_CACHE": home / "modules",
                        "DOWNLOADED_DATASETS_PATH": datasets_cache / "downloads",
                        "EXTRACTED_DATASETS_PATH": datasets_cache / "downloads" / "extracted"}.items():  # fmt: skip
        monkeypatch.setattr(datasets.config, name, value)
    HfFileSystem.clear_instance_cache()  # an earlier test's filesystem (and its listings) on a reused port


def closed_port_url() -> str:
    """An address on 127.0.0.1 where nothing listens: a hub that refuses connections."""
    import socket

    with socket.create_server(("127.0.0.1", 0)) as taken:
        return f"http://127.0.0.1:{taken.getsockname()[1]}"
