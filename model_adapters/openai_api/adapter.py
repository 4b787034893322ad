"""`OpenAIChatAdapter`: requests in, answers out, through an OpenAI-compatible chat-completions server.

Requests of a batch are sent concurrently (at most `max_concurrency` in flight); each answer is
cached by the shared client (eagle_eval/judge/chat_client.py) as soon as it arrives, so when one request of a
batch fails, the runner's one-by-one retry of that batch pays only for the failed one, and a resumed
run pays for nothing it already has. Decoding is greedy: temperature 0, and the run's seed where the
server honours `seed`; `--gen-kwargs temperature=...` sends its temperature, top_p and top_k (and,
without a `seed` model arg, each sample's own seed) instead. Stop strings are sent (the API takes at most four) and also applied here, so
every server cuts the same way. An answer longer than the client keeps (MAX_ANSWER_CHARS) is cut, and
its sample's notes say so: `{"answer_chars": <as received>, "answer_truncated": true}`.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from eagle_eval.api.adapter import CallStats
from eagle_eval.core.records import ModelInfo, Request
from eagle_eval.judge.chat_client import ChatAnswer, ChatClient
from eagle_eval.model_adapters.openai_api.messages import request_messages

API_MAX_STOP_STRINGS = 4


@dataclass(frozen=True)
class OpenAISettings:
    """What changes an answer (these enter the run fingerprint) and how requests are sent."""

    system_prompt: str | None = None
    image_format: str = "png"
    seed: int | None = None
    max_concurrency: int = 8

    def fingerprint_fields(self) -> dict[str, Any]:
        return {"system_prompt": self.system_prompt, "image_format": self.image_format, "seed": self.seed,
                "temperature": 0.0}


class OpenAIChatAdapter:
    def __init__(self, name: str, client: ChatClient, settings: OpenAISettings, batch_size: int | None = None) -> None:
        self.name = name
        self.client = client
        self.settings = settings
        self._batch_size = batch_size
        self._pool = ThreadPoolExecutor(max_workers=settings.max_concurrency, thread_name_prefix="openai-request")
        self._last_call: CallStats | None = None

    def info(self) -> ModelInfo:
        return ModelInfo(
            name=self.name,
            device="api",
            extra={
                "adapter": "openai",
                "model": self.client.endpoint.model,
                "base_url": self.client.endpoint.recorded_base_url,
                "max_concurrency": self.settings.max_concurrency,
                "requests": self.client.stats.to_json(),  # counters so far: retries, cache hits, failures
                **self.settings.fingerprint_fields(),
            },
            settings={"base_url": self.client.endpoint.recorded_base_url, **self.settings.fingerprint_fields()},
        )

    def suggested_batch_size(self) -> int:
        return self._batch_size or 4 * self.settings.max_concurrency

    def payload(self, request: Request) -> dict[str, Any]:
        body: dict[str, Any] = {
            "model": self.client.endpoint.model,
            "messages": request_messages(request, self.settings.system_prompt, self.settings.image_format),
            "max_tokens": request.generation.max_new_tokens,
            "temperature": request.generation.temperature,
        }
        if request.generation.until:
            body["stop"] = list(request.generation.until[:API_MAX_STOP_STRINGS])
        if request.generation.sampling:  # --gen-kwargs: the server's own sampler, seeded per sample
            if request.generation.top_p < 1:
                body["top_p"] = request.generation.top_p
            if request.generation.top_k:
                body["top_k"] = request.generation.top_k  # OpenAI-compatible servers (vLLM, SGLang) take it
        seed = self.settings.seed if self.settings.seed is not None else request.generation.seed
        if seed is not None:
            body["seed"] = seed
        return body

    def _answer(self, request: Request) -> ChatAnswer:
        return self.client.complete_answer(self.payload(request))

    def generate(self, requests: Sequence[Request]) -> list[str]:
        started = time.perf_counter()
        self._last_call = None
        futures = [self._pool.submit(self._answer, request) for request in requests]
        answers: list[ChatAnswer] = []
        first_error: BaseException | None = None
        for future in futures:  # wait for all, so every answer that came is cached before an error is raised
            try:
                answers.append(future.result())
            except Exception as err:  # noqa: BLE001 - re-raised below; the runner isolates the failing sample
                first_error = first_error or err
        if first_error is not None:
            raise first_error
        notes = tuple(answer_notes(answer) for answer in answers)
        self._last_call = CallStats(seconds=time.perf_counter() - started, notes=notes if any(notes) else ())
        return [cut_at_stop_strings(answer.text, request.generation.until)
                for answer, request in zip(answers, requests, strict=True)]

    def last_call_stats(self) -> CallStats | None:
        return self._last_call

    def close(self) -> None:
        self._pool.shutdown(wait=True)
        self.client.close()


def answer_notes(answer: ChatAnswer) -> dict[str, Any] | None:
    """What a sample's notes say of its answer: only that it was cut, and how long it was."""
    return {"answer_chars": answer.received_chars, "answer_truncated": True} if answer.cut else None


def cut_at_stop_strings(text: str, until: Sequence[str]) -> str:
    cut = min((index for index in (text.find(stop) for stop in until if stop) if index >= 0), default=len(text))
    return text[:cut]
