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
password or key in it (`eagle_eval.urls.redact_url`) and the model (`JudgeClient.describe()`).
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx

from eagle_eval.records import JudgeUnavailable
from eagle_eval.urls import InsecureURLError, check_secret_transport, redact_url, redact_urls_in_text

ENV_BASE_URL = "EAGLE_EVAL_JUDGE_BASE_URL"
ENV_MODEL = "EAGLE_EVAL_JUDGE_MODEL"
ENV_API_KEY = "EAGLE_EVAL_JUDGE_API_KEY"
ENV_MAX_TRIES = "EAGLE_EVAL_JUDGE_MAX_TRIES"
ENV_TIMEOUT_S = "EAGLE_EVAL_JUDGE_TIMEOUT_S"
ENV_MAX_CONSECUTIVE_FAILURES = "EAGLE_EVAL_JUDGE_MAX_CONSECUTIVE_FAILURES"
ENV_CACHE = "EAGLE_EVAL_CACHE"

# Status codes worth another attempt: rate limits, timeouts and server-side errors.
_RETRYABLE_STATUS = {408, 409, 425, 429, 500, 502, 503, 504}
Message = dict[str, str]


class JudgeConfigError(ValueError):
    """The judge environment variables are set inconsistently; the message names the fix."""


@dataclass(frozen=True)
class JudgeConfig:
    base_url: str
    model: str
    api_key: str | None = field(default=None, repr=False)  # repr=False keeps it out of logs and tracebacks
    max_tries: int = 3
    timeout_s: float = 60.0
    backoff_s: float = 1.0
    max_consecutive_failures: int = 5
    cache_dir: Path | None = None

    def __post_init__(self) -> None:
        try:
            check_secret_transport(self.base_url, ENV_BASE_URL, sends_secret=bool(self.api_key))
        except InsecureURLError as err:
            raise JudgeConfigError(str(err)) from None

    @property
    def endpoint(self) -> str:
        parts = urlsplit(self.base_url)  # a query (Azure's api-version=...) stays after the path
        path = parts.path.rstrip("/")
        path = path if path.endswith("/chat/completions") else f"{path}/chat/completions"
        return urlunsplit(parts._replace(path=path))

    @property
    def recorded_base_url(self) -> str:
        """The base URL as results, caches and messages may show it: no credentials."""
        return redact_url(self.base_url)

    @property
    def recorded_endpoint(self) -> str:
        return redact_url(self.endpoint)


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


@dataclass
class JudgeStats:
    requests: int = 0  # HTTP requests sent (attempts, not calls)
    cache_hits: int = 0
    answered: int = 0
    failed: int = 0


class JudgeClient:
    """Chat completions with a disk cache, bounded retries and a fail-fast switch for dead endpoints."""

    def __init__(self, config: JudgeConfig, transport: httpx.BaseTransport | None = None) -> None:
        self.config = config
        self.cache_dir = config.cache_dir or default_cache_dir()
        self.stats = JudgeStats()
        self._consecutive_failures = 0
        headers = {"Content-Type": "application/json"}
        if config.api_key:
            headers["Authorization"] = f"Bearer {config.api_key}"
        self._http = httpx.Client(headers=headers, transport=transport)

    # --- what results record --------------------------------------------------------------------
    def describe(self) -> dict[str, str]:
        """What results and caches may record about the judge: never the key."""
        return {"base_url": self.config.recorded_base_url, "model": self.config.model}

    # --- calls ----------------------------------------------------------------------------------
    def ask(self, prompt: str, *, max_tokens: int = 256, temperature: float = 0.0) -> str:
        """One user message in, the judge's text out; raises JudgeUnavailable when it does not answer."""
        return self.complete(
            [{"role": "user", "content": prompt}], max_tokens=max_tokens, temperature=temperature
        )

    def complete(self, messages: list[Message], *, max_tokens: int = 256, temperature: float = 0.0) -> str:
        payload = {
            "model": self.config.model,
            "messages": messages,
            "max_tokens": max_tokens,
            "temperature": temperature,
        }
        key = _cache_key(self.config.recorded_endpoint, payload)
        cached = self._read_cache(key)
        if cached is not None:
            self.stats.cache_hits += 1
            return cached
        if self._consecutive_failures >= self.config.max_consecutive_failures:
            self.stats.failed += 1
            raise JudgeUnavailable(
                f"judge {self.config.model} at {self.config.recorded_base_url} failed {self._consecutive_failures} calls "
                "in a row; not calling it again in this run (check the endpoint, then re-score)"
            )
        try:
            answer = self._post_with_retries(payload)
        except JudgeUnavailable:
            self._consecutive_failures += 1
            self.stats.failed += 1
            raise
        self._consecutive_failures = 0
        self.stats.answered += 1
        self._write_cache(key, payload, answer)
        return answer

    def _post_with_retries(self, payload: dict[str, Any]) -> str:
        deadline = time.monotonic() + self.config.timeout_s
        last_error = "no attempt made"
        for attempt in range(self.config.max_tries):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            try:
                self.stats.requests += 1
                response = self._http.post(self.config.endpoint, json=payload, timeout=remaining)
            except httpx.HTTPError as err:  # timeouts and connection errors are worth another try
                last_error = redact_urls_in_text(f"{type(err).__name__}: {err}")
            else:
                if response.status_code == 200:
                    answer = _answer_text(response)
                    if answer is not None:
                        return answer
                    last_error = "the response held no message content"
                elif response.status_code in _RETRYABLE_STATUS:
                    last_error = f"HTTP {response.status_code}"
                else:
                    raise JudgeUnavailable(
                        f"judge {self.config.model} at {self.config.recorded_endpoint} answered HTTP {response.status_code}"
                        f" ({response.text[:200]!r}); check {ENV_BASE_URL}, {ENV_MODEL} and {ENV_API_KEY}"
                    )
            pause = min(self.config.backoff_s * 2**attempt, deadline - time.monotonic())
            if attempt + 1 < self.config.max_tries and pause > 0:
                time.sleep(pause)
        raise JudgeUnavailable(
            f"judge {self.config.model} at {self.config.recorded_endpoint} gave no answer within "
            f"{self.config.max_tries} tries / {self.config.timeout_s:g} s (last: {last_error})"
        )

    # --- cache ----------------------------------------------------------------------------------
    def _cache_path(self, key: str) -> Path:
        return self.cache_dir / key[:2] / f"{key}.json"

    def _read_cache(self, key: str) -> str | None:
        path = self._cache_path(key)
        if not path.is_file():
            return None
        try:
            return json.loads(path.read_text())["response"]
        except (json.JSONDecodeError, KeyError):
            return None  # a torn write from a killed run: ask again and overwrite it

    def _write_cache(self, key: str, payload: dict[str, Any], answer: str) -> None:
        path = self._cache_path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        record = {"request": payload, "response": answer, "endpoint": self.config.recorded_endpoint}
        temporary = path.with_suffix(f".{os.getpid()}.tmp")
        temporary.write_text(json.dumps(record, ensure_ascii=False))
        os.replace(temporary, path)  # atomic, so parallel scorers never read half a file

    def close(self) -> None:
        self._http.close()


def _cache_key(endpoint: str, payload: dict[str, Any]) -> str:
    """The endpoint (credentials left out: they say who asks, not who answers) and the whole request."""
    keyed = {"endpoint": endpoint, "request": payload}
    return hashlib.sha256(json.dumps(keyed, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def _answer_text(response: httpx.Response) -> str | None:
    try:
        content = response.json()["choices"][0]["message"]["content"]
    except (ValueError, KeyError, IndexError, TypeError):
        return None
    if not isinstance(content, str) or not content.strip():
        return None
    return content.strip()
