"""A client for OpenAI-compatible chat-completions endpoints: disk cache, bounded retries, fail-fast.

Two callers share it: the LLM judge (eagle_eval/judge/llm_judge.py) and the `openai:` model adapter
(model_adapters/openai_api/). Both need the same guarantees, so they live once, here:

- every answer is cached on disk under a hash of the endpoint (credentials left out) and the whole
  request, so a re-score or a resumed run never pays twice, while another endpoint serving a model of
  the same name is asked afresh; failures are not cached;
- rate limits (429), timeouts and server errors (5xx) are retried with exponential back-off, inside
  one wall-clock bound per call;
- after `max_consecutive_failures` failed calls in a row the client stops calling and fails fast, so
  a dead endpoint costs seconds, not hours;
- the API key is sent only as the Authorization header, over plain http only to this machine
  (loopback), and never written: caches, results and messages hold the redacted URL alone.

The client is safe to share between threads (the adapter sends requests concurrently).
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx

from eagle_eval.core.urls import check_secret_transport, redact_url, redact_urls_in_text

# Status codes worth another attempt: rate limits, timeouts and server-side errors.
RETRYABLE_STATUS = frozenset({408, 409, 425, 429, 500, 502, 503, 504})
Payload = dict[str, Any]


class ChatUnavailable(RuntimeError):
    """The endpoint gave no answer within the client's bounds (the message says why, without secrets)."""


@dataclass(frozen=True)
class ChatEndpoint:
    """Where to send chat requests and how hard to try. `api_key` never appears in a repr or a record."""

    base_url: str
    model: str
    api_key: str | None = field(default=None, repr=False)
    max_tries: int = 3
    timeout_s: float = 60.0
    backoff_s: float = 1.0
    max_consecutive_failures: int = 5
    cache_dir: Path | None = None

    def check_transport(self, setting: str) -> None:
        """Refuse (InsecureURLError) to send the key in the clear to another machine."""
        check_secret_transport(self.base_url, setting, sends_secret=bool(self.api_key))

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


@dataclass
class ChatStats:
    requests: int = 0  # HTTP requests sent (attempts, not calls)
    retries: int = 0  # attempts after the first of a call
    cache_hits: int = 0
    answered: int = 0
    failed: int = 0

    def to_json(self) -> dict[str, int]:
        return dict(vars(self))


class ChatClient:
    """Chat completions for one endpoint. `label` and `fix_hint` shape the error messages
    ("judge gpt-4 at http://host/v1 ... check EAGLE_EVAL_JUDGE_BASE_URL ...")."""

    def __init__(
        self,
        endpoint: ChatEndpoint,
        cache_dir: Path | None,
        *,
        transport: httpx.BaseTransport | None = None,
        unavailable: type[Exception] = ChatUnavailable,
        label: str = "endpoint",
        fix_hint: str = "",
    ) -> None:
        self.endpoint = endpoint
        self.cache_dir = cache_dir
        self.stats = ChatStats()
        self._unavailable = unavailable
        self._label = label
        self._fix_hint = fix_hint
        self._consecutive_failures = 0
        self._last_failure = ""
        self._lock = threading.Lock()
        headers = {"Content-Type": "application/json"}
        if endpoint.api_key:
            headers["Authorization"] = f"Bearer {endpoint.api_key}"
        self._http = httpx.Client(headers=headers, transport=transport)

    def _who(self) -> str:
        return f"{self._label} {self.endpoint.model} at {self.endpoint.recorded_endpoint}"

    def _count(self, name: str, by: int = 1) -> None:
        with self._lock:
            setattr(self.stats, name, getattr(self.stats, name) + by)

    def complete(self, payload: Payload) -> str:
        """The answer's text for a full request body (model, messages, sampling settings)."""
        key = cache_key(self.endpoint.recorded_endpoint, payload)
        cached = self._read_cache(key)
        if cached is not None:
            self._count("cache_hits")
            return cached
        with self._lock:
            dead = self._consecutive_failures >= self.endpoint.max_consecutive_failures
        if dead:
            self._count("failed")
            raise self._unavailable(
                f"{self._who()} failed {self._consecutive_failures} calls in a row (last: {self._last_failure}); "
                "not calling it again in this run (check the endpoint, then run the same command again: "
                "answers so far are kept)"
            )
        try:
            answer = self._post_with_retries(payload)
        except self._unavailable as err:
            with self._lock:
                self._consecutive_failures += 1
                self._last_failure = str(err).removeprefix(self._who()).strip()
                self.stats.failed += 1
            raise
        with self._lock:
            self._consecutive_failures = 0
            self.stats.answered += 1
        self._write_cache(key, payload, answer)
        return answer

    def _post_with_retries(self, payload: Payload) -> str:
        deadline = time.monotonic() + self.endpoint.timeout_s
        last_error = "no attempt made"
        for attempt in range(self.endpoint.max_tries):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            self._count("requests")
            if attempt:
                self._count("retries")
            try:
                response = self._http.post(self.endpoint.endpoint, json=payload, timeout=remaining)
            except httpx.HTTPError as err:  # timeouts and connection errors are worth another try
                last_error = redact_urls_in_text(f"{type(err).__name__}: {err}")
            else:
                if response.status_code == 200:
                    answer = answer_text(response)
                    if answer is not None:
                        return answer
                    last_error = "the response held no message content"
                elif response.status_code in RETRYABLE_STATUS:
                    last_error = f"HTTP {response.status_code}"
                else:
                    hint = f"; {self._fix_hint}" if self._fix_hint else ""
                    raise self._unavailable(
                        f"{self._who()} answered HTTP {response.status_code} ({response.text[:200]!r}){hint}"
                    )
            pause = min(self.endpoint.backoff_s * 2**attempt, deadline - time.monotonic())
            if attempt + 1 < self.endpoint.max_tries and pause > 0:
                time.sleep(pause)
        raise self._unavailable(
            f"{self._who()} gave no answer within {self.endpoint.max_tries} tries / "
            f"{self.endpoint.timeout_s:g} s (last: {last_error})"
        )

    # --- cache ----------------------------------------------------------------------------------
    def _cache_path(self, key: str) -> Path | None:
        return self.cache_dir / key[:2] / f"{key}.json" if self.cache_dir is not None else None

    def _read_cache(self, key: str) -> str | None:
        path = self._cache_path(key)
        if path is None or not path.is_file():
            return None
        try:
            return json.loads(path.read_text())["response"]
        except (json.JSONDecodeError, KeyError):
            return None  # a torn write from a killed run: ask again and overwrite it

    def _write_cache(self, key: str, payload: Payload, answer: str) -> None:
        path = self._cache_path(key)
        if path is None:
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        record = {"request": _without_inline_data(payload), "response": answer,
                  "endpoint": self.endpoint.recorded_endpoint}
        temporary = path.with_suffix(f".{os.getpid()}.{threading.get_ident()}.tmp")
        temporary.write_text(json.dumps(record, ensure_ascii=False))
        os.replace(temporary, path)  # atomic, so parallel writers never leave half a file

    def close(self) -> None:
        self._http.close()


def cache_key(endpoint: str, payload: Payload) -> str:
    """The endpoint (credentials left out: they say who asks, not who answers) and the whole request."""
    keyed = {"endpoint": endpoint, "request": payload}
    return hashlib.sha256(json.dumps(keyed, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def _without_inline_data(value: Any) -> Any:
    """The request as a cache file keeps it: each base64 data URL (an image) replaced by its hash."""
    if isinstance(value, dict):
        return {key: _without_inline_data(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_without_inline_data(item) for item in value]
    if isinstance(value, str) and value.startswith("data:") and ";base64," in value:
        return f"{value.split(',', 1)[0]},sha256:{hashlib.sha256(value.encode()).hexdigest()}"
    return value


def answer_text(response: httpx.Response) -> str | None:
    try:
        content = response.json()["choices"][0]["message"]["content"]
    except (ValueError, KeyError, IndexError, TypeError):
        return None
    if not isinstance(content, str) or not content.strip():
        return None
    return content.strip()
