"""An LLM judge behind any OpenAI-compatible chat-completions endpoint, configured from the environment.

MMBench and MathVista call the judge only for answers their rules cannot resolve. Settings (all read
from the environment, never from files or the command line, so the key stays out of shell history):

    EAGLE_EVAL_JUDGE_BASE_URL   e.g. https://api.openai.com/v1 (".../chat/completions" is appended)
    EAGLE_EVAL_JUDGE_MODEL      e.g. gpt-3.5-turbo-0613
    EAGLE_EVAL_JUDGE_API_KEY    optional for local servers; sent only as the Authorization header
    EAGLE_EVAL_JUDGE_MAX_TRIES  attempts per call (default 3)
    EAGLE_EVAL_JUDGE_TIMEOUT_S  wall-clock bound of one call, all attempts and back-off included (default 60)
    EAGLE_EVAL_JUDGE_MAX_CONSECUTIVE_FAILURES  after this many failed calls in a row the client stops
                                calling and fails fast, so a dead endpoint costs seconds, not hours (default 5)
    EAGLE_EVAL_CACHE            cache root; judge answers go to $EAGLE_EVAL_CACHE/judge
                                (default ~/.cache/eagle-eval/judge)

Every answer is cached on disk under a hash of the endpoint, the model and the full request, so a
re-score makes no call while another endpoint serving a model of the same name is asked afresh.
Failures are not cached. The API key is never written anywhere, and is sent over plain http only to
this machine (loopback); caches, results and messages hold only the base URL without any user name,
password or key in it (`eagle_eval.core.urls.redact_url`) and the model (`JudgeClient.describe()`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from eagle_eval.core.records import JudgeUnavailable
from eagle_eval.core.urls import InsecureURLError
from eagle_eval.judge.chat_client import ChatClient, ChatEndpoint

ENV_BASE_URL = "EAGLE_EVAL_JUDGE_BASE_URL"
ENV_MODEL = "EAGLE_EVAL_JUDGE_MODEL"
ENV_API_KEY = "EAGLE_EVAL_JUDGE_API_KEY"
ENV_MAX_TRIES = "EAGLE_EVAL_JUDGE_MAX_TRIES"
ENV_TIMEOUT_S = "EAGLE_EVAL_JUDGE_TIMEOUT_S"
ENV_MAX_CONSECUTIVE_FAILURES = "EAGLE_EVAL_JUDGE_MAX_CONSECUTIVE_FAILURES"
ENV_CACHE = "EAGLE_EVAL_CACHE"

Message = dict[str, str]


class JudgeConfigError(ValueError):
    """The judge environment variables are set inconsistently; the message names the fix."""


@dataclass(frozen=True)
class JudgeConfig(ChatEndpoint):
    """The judge's endpoint; refuses at construction to send its key in the clear to another machine."""

    def __post_init__(self) -> None:
        try:
            self.check_transport(ENV_BASE_URL)
        except InsecureURLError as err:
            raise JudgeConfigError(str(err)) from None


def default_cache_dir() -> Path:
    root = os.environ.get(ENV_CACHE)
    base = Path(root).expanduser() if root else Path.home() / ".cache" / "eagle-eval"
    return base / "judge"


def _env_number(name: str, default: float, kind: type) -> Any:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = kind(raw)
    except ValueError as err:
        raise JudgeConfigError(
            f"{name}={raw!r} is not a {kind.__name__}; set it to a positive number"
        ) from err
    if value <= 0:
        raise JudgeConfigError(f"{name}={raw!r} must be positive")
    return value


def config_from_environment() -> JudgeConfig | None:
    """The judge settings from the environment, or None when no judge is configured."""
    base_url = os.environ.get(ENV_BASE_URL, "").strip()
    model = os.environ.get(ENV_MODEL, "").strip()
    if not base_url and not model:
        return None
    if not base_url or not model:
        missing = ENV_BASE_URL if not base_url else ENV_MODEL
        raise JudgeConfigError(
            f"the judge is half configured: {missing} is not set. Set both {ENV_BASE_URL} and {ENV_MODEL} "
            f"(and {ENV_API_KEY} if the endpoint needs a key), or unset both to score with rules only."
        )
    return JudgeConfig(
        base_url=base_url,
        model=model,
        api_key=os.environ.get(ENV_API_KEY) or None,
        max_tries=_env_number(ENV_MAX_TRIES, 3, int),
        timeout_s=_env_number(ENV_TIMEOUT_S, 60.0, float),
        max_consecutive_failures=_env_number(ENV_MAX_CONSECUTIVE_FAILURES, 5, int),
        cache_dir=default_cache_dir(),
    )


def judge_from_environment() -> JudgeClient | None:
    """A client when EAGLE_EVAL_JUDGE_BASE_URL and EAGLE_EVAL_JUDGE_MODEL are set, else None."""
    config = config_from_environment()
    return JudgeClient(config) if config is not None else None


class JudgeClient(ChatClient):
    """The judge: one user message in, its text out; JudgeUnavailable when it does not answer."""

    def __init__(self, config: JudgeConfig, transport: httpx.BaseTransport | None = None) -> None:
        super().__init__(
            config,
            config.cache_dir or default_cache_dir(),
            transport=transport,
            unavailable=JudgeUnavailable,
            label="judge",
            fix_hint=f"check {ENV_BASE_URL}, {ENV_MODEL} and {ENV_API_KEY}",
        )
        self.config = config

    def describe(self) -> dict[str, str]:
        """What results and caches may record about the judge: never the key."""
        return {"base_url": self.config.recorded_base_url, "model": self.config.model}

    def ask(self, prompt: str, *, max_tokens: int = 256, temperature: float = 0.0) -> str:
        return self.chat([{"role": "user", "content": prompt}], max_tokens=max_tokens, temperature=temperature)

    def chat(self, messages: list[Message], *, max_tokens: int = 256, temperature: float = 0.0) -> str:
        payload = {"model": self.config.model, "messages": messages, "max_tokens": max_tokens,
                   "temperature": temperature}
        return self.complete(payload)
