"""`Eagle2Adapter`: requests in, answers out, for an Eagle 2.5-format checkpoint.

Per call: put each request under the protocol (protocol.py: Eagle 2's published settings by default,
`--model-arg protocol=task` for the task's own prompt and budget); tile its images (tiling.py) and build
its prompt with the image tokens expanded per tile (templates.py); sort by prompt length and cut into
batches (answers do not depend on the grouping); per batch, run the vision model over every tile at once
(in chunks of `vision_batch_size`), splice, and decode greedily with the shared KV-cache loop
(eagle_eval.model_adapters.eagle.generation), which stops each row at `<|im_end|>`.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

import torch

from eagle_eval.api.adapter import CallStats
from eagle_eval.core.records import ModelInfo, Request
from eagle_eval.model_adapters.eagle.generation import RowSpec, greedy_generate
from eagle_eval.model_adapters.eagle2 import protocol as protocols
from eagle_eval.model_adapters.eagle2.checkpoint import LoadedEagle2
from eagle_eval.model_adapters.eagle2.templates import prompt_ids
from eagle_eval.model_adapters.eagle2.tiling import normalize, preprocess_image

PROTOCOLS = ("eagle2", "task")


@dataclass
class PreparedRow:
    ids: list[int]
    tiles: torch.Tensor | None  # uint8 [T, 3, S, S], every image's tiles in order
    spec: RowSpec


@dataclass(frozen=True)
class Eagle2Settings:
    """How the adapter runs: `protocol` eagle2 (NVIDIA's published settings) or task; `max_new_tokens` a cap
    on every request's budget (smoke runs); batch sizes (speed only; None: the defaults)."""

    protocol: str = "eagle2"
    max_new_tokens: int | None = None
    batch_size: int | None = None
    vision_batch_size: int | None = None


class Eagle2Adapter:
    def __init__(self, name: str, loaded: LoadedEagle2, hub_id: str | None = None, revision: str | None = None,
                 settings: Eagle2Settings | None = None) -> None:
        settings = settings or Eagle2Settings()
        if settings.protocol not in PROTOCOLS:
            raise ValueError(f"unknown protocol {settings.protocol!r}; use one of {', '.join(PROTOCOLS)}")
        self.name, self.loaded, self.hub_id, self.revision = name, loaded, hub_id, revision
        self.model, self.tokenizer, self.config = loaded.model, loaded.tokenizer, loaded.config
        self.device = loaded.device
        self._batch_size = settings.batch_size
        self.vision_batch_size = settings.vision_batch_size or (32 if self.device.type == "cuda" else 8)
        self.protocol = settings.protocol
        self.max_new_tokens = settings.max_new_tokens
        self._last_call: CallStats | None = None
        self.decoder = loaded.answer_decoder

    # --- the ModelAdapter contract ----------------------------------------------------------------------

    def info(self) -> ModelInfo:
        settings: dict[str, object] = {"protocol": self.protocol}
        if self.max_new_tokens is not None:
            settings["max_new_tokens_cap"] = self.max_new_tokens
        return ModelInfo(
            name=self.name, hub_id=self.hub_id, revision=self.revision,
            dtype=str(self.loaded.dtype).removeprefix("torch."), device=str(self.device),
            extra={"template": self.config.template, "vision": self.config.vision_type,
                   "tokens_per_tile": self.config.tokens_per_tile, "tile_size": self.config.tile_size,
                   "checkpoint_dir": str(self.loaded.checkpoint_dir)},
            settings=settings,
        )

    def suggested_batch_size(self) -> int:
        if self._batch_size:
            return self._batch_size
        return 8 if self.device.type == "cuda" else 4

    def generate(self, requests: Sequence[Request]) -> list[str]:
        start = time.perf_counter()
        rows = [self.prepare(r) for r in requests]
        order = sorted(range(len(rows)), key=lambda i: (-len(rows[i].ids), i))
        size = max(1, self.suggested_batch_size())
        answers: list[str] = [""] * len(requests)
        first_token_s: float | None = None
        tokens = 0
        prefill_s = decode_s = 0.0
        for begin in range(0, len(order), size):
            batch = order[begin:begin + size]
            inputs = self.model.build_inputs([rows[i].ids for i in batch], self.encode([rows[i].tiles for i in batch]))
            result = greedy_generate(self.model, self.decoder, inputs,  # type: ignore[arg-type]
                                     [rows[i].spec for i in batch], self.loaded.eos_token_ids)
            if first_token_s is None:
                first_token_s = time.perf_counter() - start - result.decode_s
            prefill_s, decode_s = prefill_s + result.prefill_s, decode_s + result.decode_s
            tokens += sum(len(ids) for ids in result.token_ids)
            for i, text in zip(batch, result.texts, strict=True):
                answers[i] = text
        self._last_call = CallStats(
            seconds=time.perf_counter() - start, time_to_first_token_s=first_token_s or 0.0,
            tokens_generated=tokens, notes=tuple({"input_positions": len(row.ids)} for row in rows),
            timings={"prefill_s": prefill_s, "decode_s": decode_s},
        )
        return answers

    def last_call_stats(self) -> CallStats | None:
        return self._last_call

    # --- pieces -----------------------------------------------------------------------------------------

    def prepared_request(self, request: Request) -> protocols.PreparedRequest:
        if self.protocol == "eagle2":
            return protocols.eagle2_request(request, self.max_new_tokens)
        return protocols.task_request(request, self.config.max_dynamic_tiles, self.max_new_tokens)

    def prepare(self, request: Request) -> PreparedRow:
        """Protocol, tiles and token ids of one request."""
        prepared = self.prepared_request(request)
        config = self.config
        tiles = [preprocess_image(image, prepared.max_tiles, config.tile_size, config.min_dynamic_tiles,
                                  config.use_thumbnail, prepared.upscale) for image in request.images]
        try:
            ids = prompt_ids(self.tokenizer, prepared.request.text, [t.shape[0] for t in tiles],
                             config.tokens_per_tile)
        except ValueError as error:
            raise ValueError(f"request {request.key}: {error}") from error
        return PreparedRow(ids, torch.cat(tiles) if tiles else None, RowSpec.of(prepared.request.generation))

    @torch.no_grad()
    def encode(self, tiles: Sequence[torch.Tensor | None]) -> torch.Tensor | None:
        """Every row's uint8 tiles → their image tokens [N, hidden], in row order."""
        present = [t for t in tiles if t is not None]
        if not present:
            return None
        pixels = torch.cat(present)
        device = next(self.model.vision_model.parameters()).device
        dtype = self.model.vision_dtype()
        chunks = [self.model.encode_tiles(normalize(pixels[i:i + self.vision_batch_size].to(device), dtype))
                  for i in range(0, pixels.shape[0], self.vision_batch_size)]
        return torch.cat(chunks).reshape(-1, self.config.text.hidden_size)
