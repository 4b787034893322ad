"""eagle-eval's adapters as an lmms-eval model: `lmms-eval --model eagle_eval --model_args pretrained=DIR`.

lmms-eval (0.7.3 and later) discovers models through the `lmms_eval.models` entry-point group; ours
points at `manifest`, so after `pip install eagle-eval` any lmms-eval task can run through our
adapters, with their batch invariance and strict checkpoint checks:

    python -m lmms_eval --model eagle_eval --model_args pretrained=/ckpt/Eagle-X5-7B --tasks pope

`--model_args` keys: `model` (an eagle-eval model name, default eagle-x5-7b, whose architecture and
template the checkpoint must match), `pretrained` (a local checkpoint folder or hub id; default the
model's own), `revision`, `device`, `dtype`, `batch_size` (default 1; answers never depend on it) and
any `--model-arg` the model's adapter takes (e.g. `truncate_inputs=false`), checked by the adapter.

Each lmms-eval request becomes one eagle-eval `Request`: the task's context as the text (our adapter
adds its template and image placement), the task's `doc_to_visual` images, and its `max_new_tokens`
and `until` stop strings; a task (or `--gen_kwargs`) that samples, with temperature > 0 or
`do_sample`, samples with its temperature, top_p and top_k, checked as our `--gen-kwargs` are, each answer
from its own generator (`--model_args sample_seed=N`, default 1234). Only generation is offered: Eagle was evaluated on generated answers, and
lmms-eval's loglikelihood tasks raise a clear error rather than a made-up score.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from lmms_eval.api.model import lmms
from lmms_eval.models.registry_v2 import ModelManifest

from eagle_eval.api.registry import ModelOptions, get_model_entry
from eagle_eval.core.records import GenerationSettings, Request
from eagle_eval.generation.gen_kwargs import check_gen_kwargs

MODEL_ID = "eagle_eval"
DEFAULT_MODEL = "eagle-x5-7b"
DEFAULT_MAX_NEW_TOKENS = 1024  # lmms-eval's own default for generate_until when a task gives none


def manifest() -> ModelManifest:
    """The entry point's payload: lmms-eval builds `EagleEvalLMM` for `--model eagle_eval`."""
    return ModelManifest(model_id=MODEL_ID, simple_class_path=f"{__name__}.EagleEvalLMM")


class EagleEvalLMM(lmms):
    is_simple = True

    def __init__(self, model: str = DEFAULT_MODEL, pretrained: str | None = None, revision: str | None = None,
                 device: str | None = None, dtype: str | None = None, batch_size: int | str = 1,
                 sample_seed: int | str = 1234, **model_args: Any) -> None:
        super().__init__()
        entry = get_model_entry(model)
        extra = {key: str(value) for key, value in model_args.items()}
        entry.check_model_args(extra)
        self.batch_size = int(batch_size)
        self.sample_seed = int(sample_seed)  # seeds each sampled answer's own generator, with the doc (eagle_eval.generation.gen_kwargs)
        self.adapter = entry.factory(ModelOptions(device=device, dtype=dtype, batch_size=self.batch_size,
                                                  model_path=pretrained, revision=revision, extra=extra))

    def generate_until(self, requests: list) -> list[str]:
        ours = [self._request(instance) for instance in requests]
        answers: list[str] = []
        for start in range(0, len(ours), self.batch_size):
            answers.extend(self.adapter.generate(ours[start : start + self.batch_size]))
        return answers

    def _request(self, instance: Any) -> Request:
        context, generation_kwargs, doc_to_visual, doc_id, task, split = instance.args
        images = [image.convert("RGB") for image in (doc_to_visual(self.task_dict[task][split][doc_id]) or [])]
        until = generation_kwargs.get("until") or ()
        until = (until,) if isinstance(until, str) else tuple(stop for stop in until if stop)
        settings = GenerationSettings(
            max_new_tokens=int(generation_kwargs.get("max_new_tokens", DEFAULT_MAX_NEW_TOKENS)), until=until
        )
        request = Request(task=task, split=split, doc_id=int(doc_id), text=context, images=images, generation=settings)
        return self._sampled(request, generation_kwargs)

    def _sampled(self, request: Request, generation_kwargs: dict) -> Request:
        """Sampling when lmms-eval asks for it (temperature > 0 or do_sample), checked as our --gen-kwargs
        are; greedy otherwise, whatever top_p a greedy task's YAML carries."""
        temperature = generation_kwargs.get("temperature") or 0
        if not (temperature > 0 or generation_kwargs.get("do_sample") is True):
            return request
        keys = ("temperature", "top_p", "top_k", "do_sample")
        sampling = check_gen_kwargs({k: generation_kwargs[k] for k in keys if generation_kwargs.get(k) is not None})
        return replace(sampling, seed=self.sample_seed).apply(request)

    def loglikelihood(self, requests: list) -> list:
        raise NotImplementedError(
            "eagle_eval offers generation only (generate_until tasks); run loglikelihood tasks with another model"
        )

    def generate_until_multi_round(self, requests: list) -> list[str]:
        raise NotImplementedError("eagle_eval offers single-round generation only (generate_until tasks)")
