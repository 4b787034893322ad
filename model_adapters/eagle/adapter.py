"""`EagleAdapter`: requests in, answers out, for any Eagle (v1) checkpoint.

Per call: build each prompt (template + image placeholders) and tokenize it; sort by prompt length and
cut into batches (similar lengths waste less padding; answers do not depend on the grouping); hand the
batches to `BatchedPipeline` (pipeline.py), which runs the experts on each batch's images at once,
splices, and decodes greedily, with the next batch's image preprocessing overlapped.

Input length: where the checkpoint's config.json declares `tokenizer_model_max_length`, every row is cut
to that many positions after splicing, as the authors' inference code did; `truncate_inputs=False`
(`--model-arg truncate_inputs=false`) turns that off, and `info()` records which. After each `generate`,
`last_call_stats()` (eagle_eval.api.adapter.CallStats) carries one note per request: `input_positions`
(before any cut) and `input_truncated`, with the call's time to first token and generated tokens.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import cast

import torch
from PIL import Image

from eagle_eval.ablation.spec import ExpertCalibration, VisionExpert
from eagle_eval.api.adapter import CallStats
from eagle_eval.core.records import ModelInfo, Request
from eagle_eval.model_adapters.eagle import knockout
from eagle_eval.model_adapters.eagle.checkpoint import LoadedEagle
from eagle_eval.model_adapters.eagle.generation import RowSpec
from eagle_eval.model_adapters.eagle.pipeline import BatchedPipeline, BatchWork, default_vision_batch_size
from eagle_eval.model_adapters.eagle.templates import get_template, prompt_ids
from eagle_eval.model_adapters.eagle.vision_tower import EagleVisionTower


class EagleAdapter:
    def __init__(self, name: str, loaded: LoadedEagle, hub_id: str | None = None, revision: str | None = None,
                 batch_size: int | None = None, vision_batch_size: int | None = None,
                 truncate_inputs: bool = True) -> None:
        self.name = name
        self.loaded = loaded
        self.model = loaded.model
        self.tokenizer = loaded.tokenizer
        self.text_tokenizer = loaded.text_tokenizer
        self.config = loaded.config
        self.template = get_template(loaded.config.template)
        self.hub_id = hub_id
        self.revision = revision
        self.device = loaded.device
        self._batch_size = batch_size
        self.vision_batch_size = vision_batch_size or default_vision_batch_size(self.device)
        self._last_call: CallStats | None = None
        self.truncate_inputs = truncate_inputs
        self.input_limit = loaded.config.tokenizer_model_max_length if truncate_inputs else None
        self._pipeline = BatchedPipeline(self.model, self.vision_batch_size)

    # --- the ModelAdapter contract ----------------------------------------------------------------------

    def info(self) -> ModelInfo:
        return ModelInfo(
            name=self.name,
            hub_id=self.hub_id,
            revision=self.revision,
            dtype=str(self.loaded.dtype).removeprefix("torch."),
            device=str(self.device),
            extra={"template": self.config.template, "experts": self.config.vision.mm_vision_tower,
                   "checkpoint_dir": str(self.loaded.checkpoint_dir), "input_truncation": self.input_truncation()},
            # Only a checkpoint that declares a limit has a choice to record (and to fingerprint).
            settings=({"input_max_length": self.input_limit if self.input_limit is not None else "off"}
                      if self.config.tokenizer_model_max_length is not None else {}),
        )

    def input_truncation(self) -> dict[str, object]:
        """What happens to inputs longer than the checkpoint's `tokenizer_model_max_length`."""
        declared = self.config.tokenizer_model_max_length
        if declared is None:
            return {"max_length": None, "rule": "none declared by the checkpoint"}
        if not self.truncate_inputs:
            return {"max_length": None, "declared": declared, "rule": "off (truncate_inputs=false)"}
        return {"max_length": declared, "declared": declared, "rule": "keep the first positions after splicing"}

    def suggested_batch_size(self) -> int:
        if self._batch_size:
            return self._batch_size
        if self.device.type != "cuda":
            return 4
        # ~1,100-token prompts: KV cache and activations of a 7B model at batch 32 fit well in 80 GB.
        free_gib = torch.cuda.get_device_properties(self.device).total_memory / 2**30
        hidden = self.config.llm.hidden_size
        return 32 if hidden <= 4096 and free_gib >= 70 else 16 if hidden <= 5120 else 8

    def generate(self, requests: Sequence[Request]) -> list[str]:
        start = time.perf_counter()
        prompts = [self.prompt_ids(r) for r in requests]
        tokens_per_image = self.config.image_tokens
        lengths = [len(p) + (tokens_per_image - 1) * len(r.images) for p, r in zip(prompts, requests, strict=True)]
        order = sorted(range(len(requests)), key=lambda i: (-lengths[i], i))
        size = max(1, self.suggested_batch_size())
        batches = [order[i:i + size] for i in range(0, len(order), size)]
        work = [BatchWork(prompts=[prompts[i] for i in batch],
                          images=[image for i in batch for image in requests[i].images],
                          specs=[RowSpec.of(requests[i].generation) for i in batch],
                          max_length=self.input_limit)
                for batch in batches]
        limit = self.input_limit
        notes = tuple({"input_positions": n, "input_truncated": limit is not None and n > limit} for n in lengths)
        answers: list[str] = [""] * len(requests)
        first_token_s: float | None = None
        prefill_s = decode_s = 0.0
        tokens = 0
        results = self._pipeline.run(work, self.text_tokenizer, self.loaded.eos_token_ids)
        for batch, result in zip(batches, results, strict=True):
            if first_token_s is None:
                first_token_s = time.perf_counter() - start - result.decode_s
            prefill_s += result.prefill_s
            decode_s += result.decode_s
            tokens += sum(len(ids) for ids in result.token_ids)
            for i, text in zip(batch, result.texts, strict=True):
                answers[i] = text
        elapsed = time.perf_counter() - start
        self._last_call = CallStats(
            seconds=elapsed,
            time_to_first_token_s=first_token_s or 0.0,
            tokens_generated=tokens,
            notes=notes,
            timings={"prefill_s": prefill_s, "decode_s": decode_s, "batches": float(len(batches))},
        )
        return answers

    def last_call_stats(self) -> CallStats | None:
        return self._last_call

    # --- expert knock-out (eagle_eval.ablation.spec.SupportsExpertKnockout) ----------------------------------

    @property
    def _tower(self) -> EagleVisionTower:
        return cast(EagleVisionTower, self.model.vision_tower)  # load_eagle builds the full tower

    def vision_experts(self) -> list[VisionExpert]:
        return knockout.tower_experts(self._tower)

    def knock_out_experts(self, experts: Sequence[str], replacement: str,
                          calibration: Sequence[Image.Image]) -> dict[str, ExpertCalibration]:
        return knockout.knock_out(self._tower, experts, replacement, calibration,
                                  self.vision_batch_size)

    # --- pieces ---------------------------------------------------------------------------------------

    def prompt_ids(self, request: Request) -> list[int]:
        try:
            return prompt_ids(self.template, self.text_tokenizer, request.text, len(request.images))
        except ValueError as error:
            raise ValueError(f"request {request.key}: {error}") from error
