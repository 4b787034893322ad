"""A client for OpenAI-compatible chat-completions endpoints: disk cache, bounded retries, fail-fast.

Two callers share it: the LLM judge (eagle_eval/judge/llm_judge.py) and the `openai:` model adapter
(model_adapters/openai_api/). Both need the same guarantees, so they live once, here:

- every answer is cached on disk under a hash of the endpoint (credentials left out) and the whole
  request, so a re-score or a resumed run never pays twice, while another endpoint serving a model of
  the same name is asked afresh; failures are not cached;
- rate limits (429), timeouts and server errors (5xx) are retried inside one wall-clock bound per
  call, after the wait the server asks for (`Retry-After`, in seconds or as an HTTP date; a wait longer
  than the time left ends the call at once) or else an exponential back-off, each with jitter;
- an empty answer (`content: ""`) is an answer; only a response without a message is a failure;
- an answer is kept up to MAX_ANSWER_CHARS characters, and a cut answer says so (`ChatAnswer`); a
  response body over MAX_BODY_BYTES is not read further and fails the call;
- after `max_consecutive_failures` failed calls in a row the client stops calling and fails fast, so
  a dead endpoint costs seconds, not hours;
- the API key is sent only as the Authorization header, over plain http only to this machine
  (loopback), and never written: caches, results and messages hold the redacted URL alone, and every
  text the server sends back (error bodies, answers) has each known secret (the key, credentials in
  the URL) replaced by `***` before it is kept or shown.

The client is safe to share between threads (the adapter sends requests concurrently).
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import threading
import time
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx

from eagle_eval.core.urls import (
    REDACTED,
    check_secret_transport,
    redact_secrets,
    redact_url,
    replace_secrets,
    url_secrets,
)

# Status codes worth another attempt: rate limits, timeouts and server-side errors.
RETRYABLE_STATUS = frozenset({408, 409, 425, 429, 500, 502, 503, 504})
# What is kept of one answer (characters) and read of one response body (bytes).
MAX_ANSWER_CHARS = 65_536
MAX_BODY_BYTES = 16 * 1024 * 1024
# Secrets shorter than this are not replaced inside answers: a placeholder key such as "EMPTY" must not
# change a prediction that holds the word. Error texts have every secret replaced, however short.
MIN_SECRET_IN_ANSWER = 8
Payload = dict[str, Any]


@dataclass(frozen=True)
class ChatAnswer:
    """An answer's text as kept, and its length as received (longer than `text` when it was cut)."""

    text: str
    received_chars: int

    @property
    def cut(self) -> bool:
        return self.received_chars > len(self.text)


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

    def secrets(self) -> list[str]:
        """Every secret this endpoint knows: the key and the credentials in its URL."""
        return [secret for secret in (self.api_key, *url_secrets(self.base_url)) if secret and secret != REDACTED]


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
        self._secrets = endpoint.secrets()
        self._sleep = time.sleep
        self._lock = threading.Lock()
        headers = {"Content-Type": "application/json"}
        if endpoint.api_key:
            headers["Authorization"] = f"Bearer {endpoint.api_key}"
        self._http = httpx.Client(headers=headers, transport=transport)

    def _who(self) -> str:
        return f"{self._label} {self.endpoint.model} at {self.endpoint.recorded_endpoint}"

    @property
    def last_failure(self) -> str:
        """Why the latest failed call failed (no secrets), or "" when none has."""
        return self._last_failure

    def redact(self, text: str) -> str:
        """Text from outside (an error body, an exception) as it may be kept or shown: no known secret in it."""
        return redact_secrets(text, self._secrets)

    def _redact_answer(self, text: str) -> str:
        """An answer without the known secrets; URLs in it are left as the model wrote them."""
        return replace_secrets(text, (s for s in self._secrets if len(s) >= MIN_SECRET_IN_ANSWER))

    def _count(self, name: str, by: int = 1) -> None:
        with self._lock:
            setattr(self.stats, name, getattr(self.stats, name) + by)

    def complete(self, payload: Payload) -> str:
        """The answer's text for a full request body (model, messages, sampling settings)."""
        return self.complete_answer(payload).text

    def complete_answer(self, payload: Payload) -> ChatAnswer:
        """The answer for a full request body, with whether it was cut to MAX_ANSWER_CHARS."""
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

    def _post_with_retries(self, payload: Payload) -> ChatAnswer:
        deadline = time.monotonic() + self.endpoint.timeout_s
        last_error = "no attempt made"
        for attempt in range(self.endpoint.max_tries):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            self._count("requests")
            if attempt:
                self._count("retries")
            answer, last_error, asked_wait = self._attempt(payload, remaining)
            if answer is not None:
                return answer
            if attempt + 1 < self.endpoint.max_tries:
                self._pause(attempt, asked_wait, deadline, last_error)
        raise self._unavailable(
            f"{self._who()} gave no answer within {self.endpoint.max_tries} tries / "
            f"{self.endpoint.timeout_s:g} s (last: {last_error})"
        )

    def _attempt(self, payload: Payload, remaining: float) -> tuple[ChatAnswer | None, str, float | None]:
        """One HTTP request: its answer, or why it failed and how long the server asked to wait.
        Raises the client's error for a failure another try would not mend."""
        try:
            with self._http.stream("POST", self.endpoint.endpoint, json=payload, timeout=remaining) as response:
                body = _read_bounded(response, MAX_BODY_BYTES, time.monotonic() + remaining)
        except httpx.HTTPError as err:  # timeouts and connection errors are worth another try
            return None, self.redact(f"{type(err).__name__}: {err}"), None
        if body is None:
            raise self._unavailable(f"{self._who()} sent a response body over {MAX_BODY_BYTES} bytes; not read further")
        if response.status_code == 200:
            answer = answer_text(body)
            if answer is None:
                return None, "the response held no message content", None
            # Redacted whole, then cut: a secret across the cut would otherwise leave its first part.
            return ChatAnswer(self._redact_answer(answer)[:MAX_ANSWER_CHARS], len(answer)), "", None
        if response.status_code in RETRYABLE_STATUS:
            return None, f"HTTP {response.status_code}", retry_after_s(response.headers)
        hint = f"; {self._fix_hint}" if self._fix_hint else ""
        text = self.redact(body.decode(errors="replace"))[:200]  # redacted whole, then cut, as answers are
        raise self._unavailable(f"{self._who()} answered HTTP {response.status_code} ({text!r}){hint}")

    def _pause(self, attempt: int, asked_wait: float | None, deadline: float, last_error: str) -> None:
        """Wait before the next attempt: the server's Retry-After (plus up to 10 %), or an exponential
        back-off less up to 25 % (the official OpenAI client's jitter); never past the call's bound."""
        left = deadline - time.monotonic()
        if asked_wait is not None:
            if asked_wait > left:
                raise self._unavailable(
                    f"{self._who()} asked to wait {asked_wait:g} s before trying again (Retry-After), more than "
                    f"the {max(left, 0):.1f} s left of this call's {self.endpoint.timeout_s:g} s bound "
                    f"(last: {last_error})"
                )
            pause = asked_wait * (1 + 0.1 * random.random())  # noqa: S311 - jitter, not a secret
        else:
            pause = self.endpoint.backoff_s * 2**attempt * (1 - 0.25 * random.random())  # noqa: S311
        pause = min(pause, left)
        if pause > 0:
            self._sleep(pause)

    # --- cache ----------------------------------------------------------------------------------
    def _cache_path(self, key: str) -> Path | None:
        return self.cache_dir / key[:2] / f"{key}.json" if self.cache_dir is not None else None

    def _read_cache(self, key: str) -> ChatAnswer | None:
        path = self._cache_path(key)
        if path is None or not path.is_file():
            return None
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
            text = self._redact_answer(record["response"])[:MAX_ANSWER_CHARS]
            return ChatAnswer(text, max(int(record.get("received_chars", 0)), len(record["response"])))
        except (ValueError, KeyError, TypeError, AttributeError):  # JSON or UTF-8 errors included
            return None  # a torn write from a killed run: ask again and overwrite it

    def _write_cache(self, key: str, payload: Payload, answer: ChatAnswer) -> None:
        path = self._cache_path(key)
        if path is None:
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        record = {"request": _without_inline_data(payload), "response": answer.text,
                  "endpoint": self.endpoint.recorded_endpoint}
        if answer.cut:
            record["received_chars"] = answer.received_chars
        temporary = path.with_suffix(f".{os.getpid()}.{threading.get_ident()}.tmp")
        # ASCII with \u escapes: an answer holding a lone surrogate (which UTF-8 cannot encode) is kept
        # exactly as the server sent it; the run's record makes it valid text (eagle_eval.run.scoring.Outcome).
        try:
            temporary.write_text(json.dumps(record, ensure_ascii=True), encoding="utf-8")
            os.replace(temporary, path)  # atomic, so parallel writers never leave half a file
        finally:
            temporary.unlink(missing_ok=True)

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


def answer_text(body: bytes) -> str | None:
    """The first choice's message text ("" is an answer); None when the body holds no message."""
    try:
        content = json.loads(body)["choices"][0]["message"]["content"]
    except (ValueError, KeyError, IndexError, TypeError):
        return None
    return content.strip() if isinstance(content, str) else None


def retry_after_s(headers: httpx.Headers, now: float | None = None) -> float | None:
    """The wait a response asks for: `retry-after-ms`, or `Retry-After` in seconds or as an HTTP date;
    None when it asks for none (or for nothing this parser understands)."""
    milliseconds = headers.get("retry-after-ms")
    try:
        if milliseconds is not None:
            return max(float(milliseconds) / 1000, 0.0)
    except ValueError:
        pass
    value = (headers.get("retry-after") or "").strip()
    if not value:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    return max(when - (time.time() if now is None else now), 0.0)


def _read_bounded(response: httpx.Response, limit: int, deadline: float) -> bytes | None:
    """The response body, or None once it passes `limit` bytes (the rest is never read). A body still
    arriving at `deadline` is a timeout: each read's own timeout alone lets a server that sends a byte
    now and then hold the call for ever."""
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_bytes():
        if time.monotonic() > deadline:
            raise httpx.ReadTimeout("the response was still arriving when the call's time bound ran out")
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)
