"""`HFVisionLanguageAdapter`: requests in, answers out, for a transformers image-text-to-text checkpoint.

Per call: each request becomes chat messages (prompts.py) rendered with the checkpoint's template;
requests are sorted by prompt length (similar lengths waste less padding; answers do not depend on
the grouping) and cut into batches; the processor tokenizes each batch padded on the left and
prepares its images; `greedy_generate` decodes it with per-row budgets and stop strings.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import torch

from eagle_eval.api.adapter import CallStats
from eagle_eval.core.records import ModelInfo, Request
from eagle_eval.model_adapters.hf.generation import RowSpec, greedy_generate
from eagle_eval.model_adapters.hf.loading import LoadedVLM
from eagle_eval.model_adapters.hf.prompts import render_prompt, request_messages


class HFVisionLanguageAdapter:
    def __init__(self, name: str, loaded: LoadedVLM, hub_id: str | None = None, batch_size: int | None = None,
                 system_prompt: str | None = None, trust_remote_code: bool = False,
                 max_new_tokens_cap: int | None = None) -> None:
        self.name = name
        self.loaded = loaded
        self.model = loaded.model
        self.processor = loaded.processor
        self.tokenizer = loaded.processor.tokenizer
        self.hub_id = hub_id
        self.system_prompt = system_prompt
        self.trust_remote_code = trust_remote_code
        self._batch_size = batch_size
        self.max_new_tokens_cap = max_new_tokens_cap
        self.eos_token_ids = _eos_token_ids(self.model, self.tokenizer)
        self.pad_token_id = _pad_token_id(self.model, self.tokenizer, self.eos_token_ids)
        self._last_call: CallStats | None = None

    # --- the ModelAdapter contract ----------------------------------------------------------------------

    def info(self) -> ModelInfo:
        return ModelInfo(
            name=self.name,
            hub_id=self.hub_id,
            revision=self.loaded.revision,
            dtype=str(self.loaded.dtype).removeprefix("torch."),
            device=str(self.loaded.device),
            extra={
                "adapter": "hf",
                "source": self.loaded.source,
                "model_class": self.loaded.model_class,
                "processor_class": type(self.processor).__name__,
                "trust_remote_code": self.trust_remote_code,
                **self.prediction_settings(),
            },
            settings=self.prediction_settings(),
        )

    def prediction_settings(self) -> dict[str, object]:
        """What besides the weights changes an answer: they enter the sample fingerprint, so a resumed
        run never reuses answers made with another template, system prompt or token cap."""
        return {"chat_template_sha256": self.loaded.chat_template_sha256, "system_prompt": self.system_prompt,
                "max_new_tokens_cap": self.max_new_tokens_cap}

    def suggested_batch_size(self) -> int:
        if self._batch_size:
            return self._batch_size
        return 8 if self.loaded.device.type == "cuda" else 4

    def generate(self, requests: Sequence[Request]) -> list[str]:
        start = time.perf_counter()
        prompts = [self.prompt(request) for request in requests]
        lengths = [len(self.tokenizer(p, add_special_tokens=False)["input_ids"]) for p in prompts]
        order = sorted(range(len(requests)), key=lambda i: (-lengths[i], i))
        size = max(1, self.suggested_batch_size())
        answers = [""] * len(requests)
        first_token_s: float | None = None
        tokens = 0
        for offset in range(0, len(order), size):
            batch = order[offset:offset + size]
            output = greedy_generate(
                self.model, self.tokenizer, self.batch_inputs([prompts[i] for i in batch], [requests[i] for i in batch]),
                [self.row_spec(requests[i]) for i in batch],
                self.eos_token_ids, self.pad_token_id,
            )
            if first_token_s is None:
                first_token_s = time.perf_counter() - start - output.seconds + output.first_token_s
            tokens += sum(len(ids) for ids in output.token_ids)
            for i, text in zip(batch, output.texts, strict=True):
                answers[i] = text
        elapsed = time.perf_counter() - start
        self._last_call = CallStats(seconds=elapsed, time_to_first_token_s=first_token_s or 0.0,
                                    tokens_generated=tokens)
        return answers

    def last_call_stats(self) -> CallStats | None:
        return self._last_call

    # --- pieces ---------------------------------------------------------------------------------------

    def prompt(self, request: Request) -> str:
        """The prompt text for one request, as the checkpoint's chat template renders it."""
        return render_prompt(self.processor, request_messages(request, self.system_prompt))

    def row_spec(self, request: Request) -> RowSpec:
        budget = request.generation.max_new_tokens
        if self.max_new_tokens_cap is not None:
            budget = min(budget, self.max_new_tokens_cap)
        return RowSpec.of(request.generation, max_new_tokens=budget)

    def batch_inputs(self, prompts: Sequence[str], requests: Sequence[Request]) -> dict[str, Any]:
        """Token ids (left-padded), attention mask and image tensors for one batch, on the model's device."""
        images = [image.convert("RGB") for request in requests for image in request.images]
        # The template already holds the checkpoint's special tokens (BOS included) where it wants them.
        inputs = self.processor(text=list(prompts), images=images or None, padding=True, return_tensors="pt",
                                add_special_tokens=_template_lacks_bos(prompts, self.tokenizer))
        floating = self.loaded.dtype
        return {key: (value.to(self.loaded.device, dtype=floating) if torch.is_floating_point(value)
                      else value.to(self.loaded.device)) for key, value in inputs.items()}


def _template_lacks_bos(prompts: Sequence[str], tokenizer: Any) -> bool:
    bos = getattr(tokenizer, "bos_token", None)
    return not (bos and prompts and prompts[0].startswith(bos))


def _eos_token_ids(model: Any, tokenizer: Any) -> list[int]:
    """EOS ids of the generation config (several for chat models, e.g. Llama-3's <|eot_id|>) and the tokenizer's."""
    configured = getattr(model.generation_config, "eos_token_id", None)
    candidates = configured if isinstance(configured, list) else [configured]
    ids: list[int] = [i for i in candidates if i is not None]
    if tokenizer.eos_token_id is not None and tokenizer.eos_token_id not in ids:
        ids.append(tokenizer.eos_token_id)
    return ids


def _pad_token_id(model: Any, tokenizer: Any, eos_token_ids: Sequence[int]) -> int:
    for candidate in (tokenizer.pad_token_id, getattr(model.generation_config, "pad_token_id", None)):
        if candidate is not None:
            return int(candidate)
    return int(eos_token_ids[0])
