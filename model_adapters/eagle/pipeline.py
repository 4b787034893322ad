"""The batched path shared by the adapter and the benchmark: preprocess, encode, splice, decode.

While batch k is on the accelerator, a worker thread does the CPU half of image preprocessing (PIL pad +
bicubic resize, which releases the GIL) for batch k+1, so preprocessing stays off the critical path;
the arithmetic half (normalisation) runs on the vision tower's device. The experts see each batch's
images in chunks of `vision_batch_size` to bound activation memory.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import torch
from PIL import Image

from eagle_eval.model_adapters.eagle.generation import BatchResult, RowSpec, greedy_generate
from eagle_eval.model_adapters.eagle.modeling import EagleForCausalLM
from eagle_eval.model_adapters.eagle.preprocessing import images_to_uint8, normalize_uint8


@dataclass
class BatchWork:
    """One batch: token ids per row (IMAGE_TOKEN_INDEX at image slots), the images in slot order, specs,
    and the length each row is cut to after splicing (None: no cut)."""

    prompts: list[list[int]]
    images: list[Image.Image]
    specs: list[RowSpec]
    max_length: int | None = None


def default_vision_batch_size(device: torch.device) -> int:
    """Images per vision-tower call: 16 bounds the experts' activations on an 80 GB GPU next to a 7B LLM."""
    return 16 if device.type == "cuda" else 8


def _timed_preprocess(images: list[Image.Image], size: int) -> tuple[torch.Tensor, float]:
    start = time.perf_counter()
    return images_to_uint8(images, size), time.perf_counter() - start


class BatchedPipeline:
    def __init__(self, model: EagleForCausalLM, vision_batch_size: int, overlap: bool | None = None) -> None:
        """`overlap` (default: when the tower is on an accelerator) preprocesses in a worker thread; on a
        CPU-only model the worker would only compete with the model's own threads for the same cores."""
        self.model = model
        self.vision_batch_size = max(1, vision_batch_size)
        if overlap is None:
            overlap = next(model.vision_tower.parameters()).device.type != "cpu"
        self._workers = ThreadPoolExecutor(max_workers=1, thread_name_prefix="eagle-preprocess") if overlap else None

    def run(self, work: Sequence[BatchWork], tokenizer: Any, eos_token_ids: Sequence[int]) -> Iterator[BatchResult]:
        """Yield each batch's result in order. `result.extra` holds `first_token_s` (from the batch's start,
        waiting for its pixels included, to its first token), `preprocess_s` (worker time) and `wait_s`
        (time the batch waited for the worker)."""
        pending = self._submit(work[0]) if work else None
        for number, batch in enumerate(work):
            start = time.perf_counter()
            prepared = pending.result() if pending is not None else None
            waited = time.perf_counter() - start
            pending = self._submit(work[number + 1]) if number + 1 < len(work) else None
            image_embeds = self.encode(prepared[0]) if prepared is not None else None
            inputs = self.model.build_inputs(batch.prompts, image_embeds, batch.max_length)
            result = greedy_generate(self.model, tokenizer, inputs, batch.specs, eos_token_ids)
            result.extra.update(first_token_s=time.perf_counter() - start - result.decode_s,
                                preprocess_s=prepared[1] if prepared is not None else 0.0, wait_s=waited)
            yield result

    def encode(self, pixels_uint8: torch.Tensor) -> torch.Tensor:
        """uint8 [N, 3, S, S] on the CPU -> projected image embeddings [N, tokens, hidden]."""
        device = next(self.model.vision_tower.parameters()).device
        dtype = self.model.vision_dtype()
        chunks = []
        for begin in range(0, pixels_uint8.shape[0], self.vision_batch_size):
            part = pixels_uint8[begin:begin + self.vision_batch_size]
            if device.type == "cuda":
                part = part.pin_memory().to(device, non_blocking=True)
            chunks.append(self.model.encode_images(normalize_uint8(part.to(device), dtype)))
        return torch.cat(chunks)

    def _submit(self, batch: BatchWork) -> Future | None:
        if not batch.images:
            return None
        size = self.model.config.vision.image_size
        if self._workers is None:
            done: Future = Future()
            done.set_result(_timed_preprocess(batch.images, size))
            return done
        return self._workers.submit(_timed_preprocess, batch.images, size)
