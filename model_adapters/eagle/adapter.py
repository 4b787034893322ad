"""`EagleAdapter`: requests in, answers out, for any Eagle (v1) checkpoint.

Per call: build each prompt (template + image placeholders) and tokenize it; sort by prompt length and
cut into batches (similar lengths waste less padding; answers do not depend on the grouping); for each
batch run the vision experts on all its images at once, splice, and decode greedily. The CPU half of
image preprocessing (PIL pad + bicubic resize) for the next batch runs in a worker thread while the
current batch is on the GPU; the arithmetic half (normalisation) runs on the GPU.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor

import torch
from PIL import Image

from eagle_eval.model_adapters.eagle.checkpoint import LoadedEagle
from eagle_eval.model_adapters.eagle.generation import RowSpec, greedy_generate
from eagle_eval.model_adapters.eagle.preprocessing import images_to_uint8, normalize_uint8
from eagle_eval.model_adapters.eagle.templates import (
    IMAGE_TOKEN_INDEX,
    get_template,
    place_images,
    tokenize_with_images,
)
from eagle_eval.records import ModelInfo, Request


class EagleAdapter:
    def __init__(self, name: str, loaded: LoadedEagle, hub_id: str | None = None, revision: str | None = None,
                 batch_size: int | None = None, vision_batch_size: int | None = None) -> None:
        self.name = name
        self.loaded = loaded
        self.model = loaded.model
        self.tokenizer = loaded.tokenizer
        self.config = loaded.config
        self.template = get_template(loaded.config.template)
        self.hub_id = hub_id
        self.revision = revision
        self.device = loaded.device
        self._batch_size = batch_size
        on_gpu = self.device.type == "cuda"
        self.vision_batch_size = vision_batch_size or (16 if on_gpu else 8)
        self.last_stats: dict[str, float] = {}
        self._workers = ThreadPoolExecutor(max_workers=1, thread_name_prefix="eagle-preprocess")

    # --- the ModelAdapter contract ----------------------------------------------------------------------

    def info(self) -> ModelInfo:
        return ModelInfo(
            name=self.name,
            hub_id=self.hub_id,
            revision=self.revision,
            dtype=str(self.loaded.dtype).removeprefix("torch."),
            device=str(self.device),
            extra={"template": self.config.template, "experts": self.config.vision.mm_vision_tower,
                   "checkpoint_dir": str(self.loaded.checkpoint_dir)},
        )

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
        answers: list[str] = [""] * len(requests)
        first_token_s: float | None = None
        prefill_s = decode_s = 0.0
        pending = self._submit(requests, batches[0]) if batches else None
        for number, batch in enumerate(batches):
            pixels_uint8 = pending.result() if pending is not None else None
            pending = self._submit(requests, batches[number + 1]) if number + 1 < len(batches) else None
            image_embeds = self._encode(pixels_uint8)
            inputs = self.model.build_inputs([prompts[i] for i in batch], image_embeds)
            specs = [RowSpec(requests[i].generation.max_new_tokens, tuple(requests[i].generation.until))
                     for i in batch]
            result = greedy_generate(self.model, self.tokenizer, inputs, specs, self.loaded.eos_token_ids)
            if first_token_s is None:
                first_token_s = time.perf_counter() - start - result.decode_s
            prefill_s += result.prefill_s
            decode_s += result.decode_s
            for i, text in zip(batch, result.texts, strict=True):
                answers[i] = text
        elapsed = time.perf_counter() - start
        self.last_stats = {
            "time_to_first_token_s": first_token_s or 0.0,
            "seconds": elapsed,
            "prefill_s": prefill_s,
            "decode_s": decode_s,
            "batches": float(len(batches)),
            "samples_per_s": len(requests) / elapsed if elapsed > 0 else 0.0,
        }
        return answers

    # --- pieces ---------------------------------------------------------------------------------------

    def prompt_ids(self, request: Request) -> list[int]:
        text = place_images(request.text, len(request.images))
        ids = tokenize_with_images(self.template.prompt(text), self.tokenizer)
        if sum(1 for t in ids if t == IMAGE_TOKEN_INDEX) != len(request.images):
            raise ValueError(f"request {request.key}: the tokenized prompt lost an image slot; the template "
                             f"{self.template.name} must not contain '<image>' itself")
        return ids

    def _submit(self, requests: Sequence[Request], batch: list[int]) -> Future | None:
        images: list[Image.Image] = [image for i in batch for image in requests[i].images]
        if not images:
            return None
        return self._workers.submit(images_to_uint8, images, self.config.vision.image_size)

    def _encode(self, pixels_uint8: torch.Tensor | None) -> torch.Tensor | None:
        if pixels_uint8 is None:
            return None
        device = self.model.embed_device if self.device.type == "cpu" else self._vision_device()
        dtype = self.model.vision_dtype()
        chunks = []
        for begin in range(0, pixels_uint8.shape[0], self.vision_batch_size):
            part = pixels_uint8[begin:begin + self.vision_batch_size]
            if device.type == "cuda":
                part = part.pin_memory().to(device, non_blocking=True)
            chunks.append(self.model.encode_images(normalize_uint8(part.to(device), dtype)))
        return torch.cat(chunks)

    def _vision_device(self) -> torch.device:
        return next(self.model.vision_tower.parameters()).device
