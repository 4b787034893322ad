"""Shared fixtures: a small in-memory task, a deterministic adapter, and an isolated registry.

ToyQA has 10 docs "What is i plus i?" (answer 2i) in one split; ToyPope has yes/no docs in two
splits. ToyAdapter answers from the request text and is wrong on purpose for every doc_id divisible
by 3, so ToyQA's accuracy over the 10 docs is 6/10 (doc_ids 0, 3, 6, 9 wrong): 60.0 percent.

The terminal summary names every test that took longer than SLOW_TEST_S without the `slow` marker,
so a new expensive test is seen (and marked, or made cheaper) before the suite outgrows its budget.

With CI set to a true value no test may skip: a skip (pytest.skip, a skip marker, a module-level
importorskip) fails, with its reason, so a missing dependency or a renamed import cannot pass unseen.

Every test has caches of its own (`private_cache_root`): no test sees another's cached datasets, hub
files, hashes or judge answers, nor the user's ~/.cache; the tiny Eagle checkpoints are built once a
session, into the session's own cache, and read from there.
"""

from __future__ import annotations

import os

# The tests' models are tiny: a second intra-op thread only spins, and on a shared 2-core machine it
# makes their millisecond-sized matmuls many times slower. Set before torch is first imported, and
# inherited by the processes tests launch; an explicit OMP_NUM_THREADS is kept.
os.environ.setdefault("OMP_NUM_THREADS", "1")

import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import pytest
from PIL import Image

from eagle_eval.api import registry
from eagle_eval.api.adapter import CallStats
from eagle_eval.api.task import Doc, ScoredDoc, Source, Task
from eagle_eval.core.records import GenerationSettings, ModelInfo, Request, SampleScore
from eagle_eval.provenance.hashes import HASH_CACHE_ENV
from tests.hub_server import HubServer, point_libraries_at

# pytester: tests/project/test_no_skips_in_ci.py runs pytest on a small suite of its own; tests.slurm_cluster:
# the slurm_cluster fixture, a private single-node Slurm for the tests that submit real jobs.
pytest_plugins = ["pytester", "tests.slurm_cluster"]

SLOW_TEST_S = 5.0  # setup + call + teardown of one test on an idle 2-core machine
ROOT = Path(__file__).resolve().parent.parent
_unmarked_seconds: dict[str, float] = {}


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if "slow" not in report.keywords:
        _unmarked_seconds[report.nodeid] = _unmarked_seconds.get(report.nodeid, 0.0) + report.duration


def pytest_terminal_summary(terminalreporter: Any) -> None:
    over = sorted(((s, node) for node, s in _unmarked_seconds.items() if s > SLOW_TEST_S), reverse=True)
    if over:
        terminalreporter.section(f"over {SLOW_TEST_S:g} s without @pytest.mark.slow")
        for seconds, node in over:
            terminalreporter.write_line(f"{seconds:6.1f}s {node}")


# --- no skips under CI ----------------------------------------------------------------------------

NOT_TRUE = frozenset({"", "0", "false", "no", "off"})


def running_in_ci() -> bool:
    """CI is set to a true value (CI=true, CI=1, ...; not CI=false or CI=0)."""
    return os.environ.get("CI", "").strip().lower() not in NOT_TRUE


def _fail_a_skip_in_ci(report: pytest.TestReport | pytest.CollectReport) -> None:
    """Under CI turn a skipped report into a failed one that says why the test skipped. An xfail is
    no skip: it keeps its outcome."""
    if not report.skipped or hasattr(report, "wasxfail") or not running_in_ci():
        return
    reason = report.longrepr
    if isinstance(reason, tuple):  # (path, line, "Skipped: why")
        path, line, message = reason
        reason = f"{message} ({path}:{line})"
    report.outcome = "failed"
    report.longrepr = f"skipped under CI={os.environ['CI']}, where no test may skip: {reason}"


# The modules whose tests take a minute or more (jobs on a real Slurm, sweeps of real runs) start
# first: the rest of the suite then runs beside them on the other worker, instead of one of them
# ending the run alone at the back of a worker's queue.
_LONG_FIRST = ("tests/sweep/test_slurm_sweep.py", "tests/sweep/test_local_sweep.py")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    items.sort(key=lambda item: 0 if item.nodeid.startswith(_LONG_FIRST) else 1)  # stable: otherwise as collected


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """A skip while running a test: pytest.skip in its body or a fixture, a skip or skipif marker."""
    report = yield
    _fail_a_skip_in_ci(report)
    return report


@pytest.hookimpl(wrapper=True)
def pytest_make_collect_report(collector: pytest.Collector) -> Any:
    """A skip while collecting a module: a module-level importorskip or pytest.skip(allow_module_level=True)."""
    report = yield
    _fail_a_skip_in_ci(report)
    return report


# --- caches: the session's own, and each test's own -----------------------------------------------

_session_caches: list[Path] = []  # the one folder of this process's session, made in pytest_configure


def cache_environment(root: Path) -> dict[str, str]:
    """The variables that put every cache a test can reach under `root`: the XDG cache, the hub's and
    datasets' (HF_HOME and the folders under it) and eagle_eval's own (tiny checkpoints, judge and chat
    answers under EAGLE_EVAL_CACHE; file hashes under EAGLE_EVAL_HASH_CACHE)."""
    hf = root / "huggingface"
    return {"XDG_CACHE_HOME": str(root), "HF_HOME": str(hf), "HF_HUB_CACHE": str(hf / "hub"),
            "HUGGINGFACE_HUB_CACHE": str(hf / "hub"), "HF_DATASETS_CACHE": str(hf / "datasets"),
            "EAGLE_EVAL_CACHE": str(root / "eagle-eval"),
            HASH_CACHE_ENV: str(root / "eagle_eval" / "file-sha256.json")}  # fmt: skip


def pytest_configure(config: pytest.Config) -> None:
    """Point every cache at a folder of this session before a test module imports datasets or
    huggingface_hub (both read their folders once, at import): module- and session-scoped fixtures,
    which run outside any one test, never reach the user's ~/.cache either."""
    _session_caches.append(Path(tempfile.mkdtemp(prefix="eagle-eval-test-caches-")))
    os.environ.update(cache_environment(_session_caches[0]))
    os.environ.pop("TRANSFORMERS_CACHE", None)


def pytest_unconfigure(config: pytest.Config) -> None:
    while _session_caches:
        shutil.rmtree(_session_caches.pop(), ignore_errors=True)


def _session_eagle_cache() -> Path:
    return _session_caches[0] / "eagle-eval"


@pytest.fixture(scope="session", autouse=True)
def tiny_checkpoints_once_a_session() -> Iterator[None]:
    """ensure_tiny_checkpoint builds a tiny Eagle checkpoint (about 6 s) into the session's cache and every
    test of the session reads that one, whatever its own EAGLE_EVAL_CACHE: a build per test would make the
    suite minutes slower. The checkpoint is keyed by a hand-bumped version, so a copy from an earlier
    session (the user's ~/.cache) could be stale; this one never is."""
    from eagle_eval.model_adapters.eagle import tiny

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(tiny, "cache_root", _session_eagle_cache)
        yield


def _point_loaded_libraries_at(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """datasets and huggingface_hub keep their folders in module constants read at import; set those too."""
    hf = root / "huggingface"
    datasets_config = sys.modules.get("datasets.config")
    if datasets_config is not None:
        for name, value in {"HF_CACHE_HOME": str(hf), "HF_DATASETS_CACHE": hf / "datasets",
                            "HF_MODULES_CACHE": hf / "modules", "DOWNLOADED_DATASETS_PATH": hf / "datasets" / "downloads",
                            "EXTRACTED_DATASETS_PATH": hf / "datasets" / "downloads" / "extracted"}.items():  # fmt: skip
            monkeypatch.setattr(datasets_config, name, value)
    constants = sys.modules.get("huggingface_hub.constants")
    if constants is not None:
        for name, value in {"HF_HOME": hf, "HF_HUB_CACHE": hf / "hub", "HUGGINGFACE_HUB_CACHE": hf / "hub",
                            "HF_ASSETS_CACHE": hf / "assets", "HUGGINGFACE_ASSETS_CACHE": hf / "assets",
                            "HF_TOKEN_PATH": hf / "token", "HF_STORED_TOKENS_PATH": hf / "stored_tokens",
                            "HF_XET_CACHE": hf / "xet"}.items():  # fmt: skip
            monkeypatch.setattr(constants, name, str(value), raising=False)


@pytest.fixture(autouse=True)
def private_cache_root(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """This test's own cache root, empty but for links to the session's tiny checkpoints (for the
    processes the test starts, which read EAGLE_EVAL_CACHE; in this process they are read in place)."""
    root = tmp_path_factory.mktemp("cache")
    for name, value in cache_environment(root).items():
        monkeypatch.setenv(name, value)
    _point_loaded_libraries_at(root, monkeypatch)
    built = [p for p in _session_eagle_cache().glob("eagle-tiny*") if (p / "model.safetensors.index.json").exists()]
    if built:
        (root / "eagle-eval").mkdir()
        for checkpoint in built:
            (root / "eagle-eval" / checkpoint.name).symlink_to(checkpoint, target_is_directory=True)
    return root


class ToyQA(Task):
    name: ClassVar[str] = "toyqa"
    description: ClassVar[str] = "sums, for tests"
    paper_column: ClassVar[str | None] = "TextVQA"
    headline_metric: ClassVar[str] = "accuracy"
    units = "percent"
    sources: ClassVar[tuple[Source, ...]] = (Source("test/toyqa", None, "validation", "0" * 40),)
    generation: ClassVar[GenerationSettings] = GenerationSettings(max_new_tokens=8)
    suffix: ClassVar[str] = "\nAnswer with a number."
    n_docs: ClassVar[int] = 10
    corrupt_images: ClassVar[frozenset[int]] = frozenset()

    def load_docs(self, data_root: Any = None) -> list[Doc]:
        # Question lengths vary ("What is 1 plus 1?" vs a padded one) so sorting by length matters.
        return [
            Doc("validation", i, {"question": f"What is {i} plus {i}?" + " please" * (i % 4), "answer": str(2 * i)})
            for i in range(self.n_docs)
        ]

    def prompt(self, doc: Doc) -> str:
        return doc.row["question"] + self.suffix

    def images(self, doc: Doc) -> list[Image.Image]:
        if doc.doc_id in self.corrupt_images:
            raise OSError(f"cannot identify image file for doc {doc.doc_id}")
        return [Image.new("RGB", (4, 4), (doc.doc_id * 20 % 256, 0, 0))]

    def score(self, doc: Doc, prediction: str, judge: Any = None) -> SampleScore:
        parsed = prediction.strip()
        return SampleScore({"accuracy": float(parsed == doc.row["answer"])}, "rule" if parsed else "unresolved", parsed)

    def aggregate(self, scored: Sequence[ScoredDoc]) -> dict[str, Any]:
        return {"accuracy": sum(s.score.values["accuracy"] for s in scored) / len(scored), "n": len(scored)}


class ToyPope(Task):
    name: ClassVar[str] = "toypope"
    paper_column: ClassVar[str | None] = "POPE"
    headline_metric: ClassVar[str] = "accuracy"
    sources: ClassVar[tuple[Source, ...]] = (
        Source("test/toypope", None, "adversarial", "0" * 40),
        Source("test/toypope", None, "random", "0" * 40),
    )

    def load_docs(self, data_root: Any = None) -> list[Doc]:
        docs = []
        for split in ("adversarial", "random"):
            docs += [Doc(split, i, {"question": f"Is there object {i}?", "answer": "yes" if i % 2 else "no"}) for i in range(4)]
        return docs

    def prompt(self, doc: Doc) -> str:
        return doc.row["question"]

    def images(self, doc: Doc) -> list[Image.Image]:
        return [Image.new("L", (2, 2), doc.doc_id)]

    def score(self, doc: Doc, prediction: str, judge: Any = None) -> SampleScore:
        return SampleScore({"accuracy": float(prediction.lower() == doc.row["answer"])}, "rule", prediction.lower())

    def aggregate(self, scored: Sequence[ScoredDoc]) -> dict[str, Any]:
        return {"accuracy": sum(s.score.values["accuracy"] for s in scored) / len(scored)}


class FakeOutOfMemoryError(RuntimeError):
    """Stands in for torch.cuda.OutOfMemoryError on CPU: the runner recognises it by class name."""


FakeOutOfMemoryError.__name__ = "OutOfMemoryError"


@dataclass
class ToyAdapter:
    """Answers from the request text. Wrong on purpose for doc_ids divisible by 3 (answers "wrong")."""

    revision: str = "r1"
    fail_doc_ids: set[int] = field(default_factory=set)
    oom_above: int | None = None  # raise OOM when a batch is larger than this
    calls: list[list[tuple[str, str, int]]] = field(default_factory=list)
    texts: list[list[str]] = field(default_factory=list)
    call_stats: CallStats | None = None

    def info(self) -> ModelInfo:
        return ModelInfo(name="toy-model", hub_id="test/toy-model", revision=self.revision, dtype="float32", device="cpu")

    def suggested_batch_size(self) -> int:
        return 4

    def generate(self, requests: Sequence[Request]) -> list[str]:
        self.calls.append([r.key for r in requests])
        self.texts.append([r.text for r in requests])
        if self.oom_above is not None and len(requests) > self.oom_above:
            raise FakeOutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")
        for request in requests:
            if request.doc_id in self.fail_doc_ids:
                raise ValueError(f"generation failed on doc {request.doc_id}")
        self.call_stats = CallStats(seconds=0.01, time_to_first_token_s=0.25, tokens_generated=2 * len(requests))
        return [self._answer(r) for r in requests]

    def last_call_stats(self) -> CallStats | None:
        return self.call_stats

    @staticmethod
    def _answer(request: Request) -> str:
        if request.doc_id % 3 == 0:
            return "wrong"
        match = re.search(r"What is (\d+) plus (\d+)", request.text)
        if match:
            return str(int(match.group(1)) + int(match.group(2)))
        return "yes" if request.doc_id % 2 else "no"

    @property
    def generated_keys(self) -> list[tuple[str, str, int]]:
        """Keys of requests answered successfully (calls that raised are excluded)."""
        done: list[tuple[str, str, int]] = []
        for keys in self.calls:
            if self.oom_above is not None and len(keys) > self.oom_above:
                continue
            if any(k[2] in self.fail_doc_ids for k in keys):
                continue
            done.extend(keys)
        return done


@dataclass
class ToyWorld:
    adapter: ToyAdapter

    def new_adapter(self, **kwargs: Any) -> ToyAdapter:
        self.adapter = ToyAdapter(**kwargs)
        return self.adapter


@pytest.fixture
def toy_world(monkeypatch: pytest.MonkeyPatch) -> ToyWorld:
    """A registry holding only ToyQA, ToyPope, the toy model (alias toy) and replay."""
    from eagle_eval.model_adapters.replay import REPLAY_ENTRY

    monkeypatch.setattr(registry, "_TASKS", {})
    monkeypatch.setattr(registry, "_MODELS", {})
    monkeypatch.setattr(registry, "_ALIASES", {})
    monkeypatch.setattr(registry, "_loaded", True)
    world = ToyWorld(adapter=ToyAdapter())
    registry.register_task(ToyQA)
    registry.register_task(ToyPope)
    registry.register_model(
        registry.ModelEntry(
            name="toy-model",
            factory=lambda options: world.adapter,
            description="deterministic test model",
            hub_id="test/toy-model",
            aliases=("toy",),
            needs_torch=False,
        )
    )
    registry.register_model(REPLAY_ENTRY)
    return world


def require_system_packages(needed_by: str, *packages: str) -> None:
    """Skip unless the Debian `packages` are installed, saying the exact command (under CI the skip
    fails, as every skip does).

    The check and the command come from scripts/install_system_packages.sh --check, which reads the
    one list, scripts/system-packages.txt: the same proof files and the same command the setup uses.
    """
    done = subprocess.run(["bash", str(ROOT / "scripts" / "install_system_packages.sh"), "--check", "all", *packages],
                          capture_output=True, text=True, timeout=60)  # fmt: skip
    if done.returncode == 0:
        return
    if done.returncode != 1:  # a package the list does not know: the test is wrong, not the machine
        pytest.fail(f"install_system_packages.sh --check failed: {done.stderr.strip()}")
    last = done.stdout.strip().splitlines()[-1]  # "missing: P...; install with: COMMAND"
    names = " and ".join(filter(None, [", ".join(packages[:-1]), packages[-1]]))
    pytest.skip(f"{needed_by} need Debian's {names}; {last} (or run: bash scripts/setup_env.sh test)")


@pytest.fixture
def hub_server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[HubServer]:
    """A local hub (tests/hub_server.py) that huggingface_hub, datasets and eagle_eval's probe all talk to,
    online, with a private HF_HOME and a test token; its repos are added by the test. Fails the test if
    the code asked for an endpoint the local hub does not implement."""
    from eagle_eval.data.hub_reach import probe

    server = HubServer().start()
    point_libraries_at(monkeypatch, server.url, tmp_path / "hf-home")
    probe.cache_clear()
    yield server
    server.stop()
    probe.cache_clear()
    assert not server.unhandled, [(r.method, r.path) for r in server.unhandled]


@dataclass
class CliResult:
    code: int
    out: str
    err: str


def one_line_exit_2(result: CliResult) -> str:
    """The usage/input error contract: exit 2, no traceback, exactly one line on stderr; returns that line."""
    assert result.code == 2, (result.code, result.err, result.out[-500:])
    assert "Traceback" not in result.err and result.err.count("\n") == 1 and result.err.endswith("\n"), result.err
    return result.err.strip()


@pytest.fixture
def eagle(capsys: pytest.CaptureFixture[str]):
    """Call the CLI in-process: eagle("run", "--model", ...) -> CliResult(code, out, err)."""
    from eagle_eval.cli import main

    def call(*argv: str) -> CliResult:
        capsys.readouterr()
        code = main([str(a) for a in argv])
        captured = capsys.readouterr()
        return CliResult(code, captured.out, captured.err)

    return call


@pytest.fixture
def toy_run(eagle, tmp_path):
    """`eagle-eval run` with the toy model: toy_run("--limit", "3", tasks="toyqa,toypope")."""

    def call(*extra: str, tasks: str = "toyqa", model: str = "toy-model", output_dir: Any = None) -> CliResult:
        out = output_dir if output_dir is not None else tmp_path / "runs"
        return eagle("run", "--model", model, "--tasks", tasks, "--output-dir", out, "--no-progress", *extra)

    return call


@pytest.fixture
def write_run(tmp_path):
    """Write a results.json: write_run("name", {"textvqa": ("TextVQA", 71.5)}, subset={"textvqa"})."""
    from eagle_eval.results.document import (
        Headline,
        ModelRecord,
        RunResults,
        RunSettings,
        TaskResult,
        write_results,
    )

    units_of = {"MME": "mme_points", "OCRBench": "ocrbench_points"}

    def write(
        model: str,
        values: dict[str, tuple[str | None, float | None]],
        subset: frozenset[str] | set[str] = frozenset(),
        server: frozenset[str] | set[str] = frozenset(),
        run_id: str | None = None,
        folder: str | None = None,
    ) -> Path:
        results = {
            task: TaskResult(
                task=task,
                paper_column=column,
                headline=Headline("m", value, units_of.get(column or "", "percent")),
                metrics={"m": value},
                n_samples=10,
                n_errors=0,
                subset=task in subset,
                extraction={"rule": 10, "judge": 0, "unresolved": 0, "fallback": 0},
                server_scored=task in server,
            )
            for task, (column, value) in values.items()
        }
        run = RunResults(
            run_id=run_id or f"{model}__00000000",
            created_at="2025-01-01T00:00:00+00:00",
            command="eagle-eval run",
            seed=1234,
            model=ModelRecord(name=model),
            settings=RunSettings(batch_size=1),
            results=results,
            software={"python": "3.11"},
            hardware={"cpu_count": 1, "gpus": []},
        )
        path = tmp_path / (folder or run.run_id) / "results.json"
        write_results(path, run)
        return path

    return write


def samples_without_seconds(path: Path) -> list[str]:
    """A samples file's lines with `seconds` (the one field timing makes differ run to run) taken out."""
    import json

    lines = []
    for line in path.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        del record["seconds"]
        lines.append(json.dumps(record))
    return lines


def only_run_dir(output_dir: Path, *, among_files: bool = False) -> Path:
    """The one run directory `output_dir` holds, which must hold nothing else (with `among_files`, nothing
    but files beside it: a launch's lock or log)."""
    entries = sorted(output_dir.iterdir())
    run_dirs = [p for p in entries if p.is_dir()] if among_files else entries
    assert len(run_dirs) == 1, entries
    return run_dirs[0]
