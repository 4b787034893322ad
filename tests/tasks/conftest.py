"""What the task and parity tests share: each benchmark's bundled sample and its docs, and a stub judge.

A test module names the task its `docs` are of: `DOCS_OF = POPE`, or `DOCS_OF = {"val": VizWizVal, "test":
VizWizTest}` for a dict of doc lists. The sample is the fixture module of the task's name
(eagle_eval.data.fixtures.pope for eagle_eval.tasks.pope), written once per test module.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import datasets
import pytest

from eagle_eval.api.task import Doc, JudgeUnavailable, Task


class Bundled:
    """The bundled samples of one test module, under `base`: each benchmark written once, each task's
    docs loaded once."""

    def __init__(self, base: Path) -> None:
        self.base = base
        self._docs: dict[type[Task], list[Doc]] = {}

    def root(self, task: type[Task]) -> Path:
        """The data root holding `task`'s sample, written on first use."""
        name = task.__module__.rsplit(".", 1)[-1]
        root = self.base / name
        if not root.exists():
            importlib.import_module(f"eagle_eval.data.fixtures.{name}").write(root)
        return root

    def docs(self, task: type[Task]) -> list[Doc]:
        if task not in self._docs:
            root = self.root(task)
            # datasets caches a local snapshot under a key that ignores its path, so a snapshot of the same
            # repo loaded earlier could be served instead; a private cache dir keeps each load honest.
            with pytest.MonkeyPatch.context() as patch:
                patch.setattr(datasets.config, "HF_DATASETS_CACHE", str(root / "hf-cache"))
                self._docs[task] = task().load_docs(root)
        return self._docs[task]


@pytest.fixture(scope="module")
def bundled(tmp_path_factory: pytest.TempPathFactory) -> Bundled:
    return Bundled(tmp_path_factory.mktemp("hub"))


@pytest.fixture(scope="module")
def docs(request: pytest.FixtureRequest, bundled: Bundled) -> Any:
    """The docs of the module's DOCS_OF: a list for a task, a dict of lists for a dict of tasks."""
    of = request.module.DOCS_OF
    if isinstance(of, Mapping):
        return {key: bundled.docs(task) for key, task in of.items()}
    return bundled.docs(of)


def mathvista_response_in(prompt: str, response: str) -> bool:
    """MathVista's extraction prompt ends with the model's response."""
    return prompt.endswith(f"\n\n{response}\n\nExtracted answer: ")


def mmbench_answer_in(prompt: str, answer: str) -> bool:
    """MMBench's matching prompt quotes the model's answer."""
    return f"Answer: {answer}\nYour output: " in prompt


class StubJudge:
    """An LLM judge that answers from a table and records every prompt it is asked.

    `replies` maps a key to the judge's reply: by default the key is the whole prompt; with `asks`, a prompt
    gets the reply of the first key for which `asks(prompt, key)` holds. A prompt without a reply raises
    JudgeUnavailable, as a judge that cannot answer does, or with `strict` fails the test (for parity
    tests, which know every prompt beforehand).
    """

    def __init__(
        self, replies: Mapping[str, str], asks: Callable[[str, str], bool] | None = None, strict: bool = False
    ) -> None:
        self.replies = dict(replies)
        self.asks = asks
        self.strict = strict
        self.prompts: list[str] = []

    @property
    def calls(self) -> int:
        return len(self.prompts)

    def ask(self, prompt: str) -> str:
        self.prompts.append(prompt)
        if self.asks is None:
            reply = self.replies.get(prompt)
        else:
            reply = next((r for key, r in self.replies.items() if self.asks(prompt, key)), None)
        if reply is not None:
            return reply
        if self.strict:
            pytest.fail(f"unexpected judge prompt: {prompt[-160:]!r}")
        raise JudgeUnavailable("no reply")
