"""`--gen-kwargs`: generation settings that override every task's, in lmms-eval's spelling.

    eagle-eval run --model eagle-x5-7b --tasks pope --gen-kwargs temperature=0.2,max_new_tokens=64

The text is read as lmms-eval reads its `--gen_kwargs` (comma-separated KEY=VALUE; `true`/`false`
are booleans, digits integers, other numbers floats, anything else a string; a quoted value may
hold commas), then checked key by key, so a typo is an error before any model loads rather than a
setting nobody applies. What each key does:

    max_new_tokens  the token budget of every answer (an integer >= 1)
    temperature     > 0 samples (temperature-scaled), 0 decodes greedily as the paper does
    top_p, top_k    nucleus and top-k filtering of the sampled distribution (only with sampling)
    do_sample       true samples at temperature 1 unless one is given; false keeps greedy
    num_beams       1 only (beam search is not offered; 1 is accepted because lmms-eval users write it)
    until           one stop string replacing the task's

Sampling draws each answer from its own random generator, seeded from the run's `--seed` and the
sample's task, split and doc id: an answer depends neither on its batch-mates nor on whether it was
generated before a resume. The overrides enter the run id and every sample's fingerprint
(eagle_eval.run.fingerprints), and each task's record says it left the paper protocol.
"""

from __future__ import annotations

import hashlib
import math
import shlex
from dataclasses import dataclass, replace
from typing import Any

from eagle_eval.core.records import GenerationSettings, Request

KEYS = ("max_new_tokens", "temperature", "top_p", "top_k", "do_sample", "num_beams", "until")


class GenKwargsError(ValueError):
    """A --gen-kwargs text that cannot be applied; the message names the key and the fix."""


@dataclass(frozen=True)
class GenKwargs:
    """Checked overrides; None leaves the task's own setting. `seed` is the run's, for sampling."""

    max_new_tokens: int | None = None
    temperature: float | None = None
    top_p: float | None = None
    top_k: int | None = None
    until: str | None = None
    seed: int = 0

    @property
    def sampling(self) -> bool:
        return bool(self.temperature)

    def to_json(self) -> dict[str, Any]:
        """The overrides in effect, as results.json records them and the run id hashes them."""
        fields = {"max_new_tokens": self.max_new_tokens, "temperature": self.temperature, "top_p": self.top_p,
                  "top_k": self.top_k, "until": self.until}
        return {key: value for key, value in fields.items() if value is not None}

    def describe(self) -> str:
        return ",".join(f"{key}={value}" for key, value in self.to_json().items())

    def settings_for(self, generation: GenerationSettings, key: tuple[str, str, int]) -> GenerationSettings:
        """A task's generation settings with these overrides; a sampled request gets its own seed."""
        changed = replace(
            generation,
            max_new_tokens=self.max_new_tokens if self.max_new_tokens is not None else generation.max_new_tokens,
            until=(self.until,) if self.until is not None else generation.until,
        )
        temperature = self.temperature
        if not temperature:  # greedy (what `sampling` says)
            return changed
        return replace(changed, temperature=float(temperature), top_p=self.top_p if self.top_p is not None else 1.0,
                       top_k=self.top_k or 0, seed=sample_seed(self.seed, key))

    def apply(self, request: Request) -> Request:
        return replace(request, generation=self.settings_for(request.generation, request.key))


def apply_gen_kwargs(request: Request, gen_kwargs: GenKwargs | None) -> Request:
    return request if gen_kwargs is None else gen_kwargs.apply(request)


def sample_seed(run_seed: int, key: tuple[str, str, int]) -> int:
    """A sample's own seed: the same for the same run seed and sample, whatever the batch or order."""
    text = f"{run_seed}:{key[0]}:{key[1]}:{key[2]}"
    return int(hashlib.sha256(text.encode()).hexdigest()[:15], 16)


def departure_message(gen_kwargs: GenKwargs) -> str:
    """The one-line warning a run with overrides prints and writes to its run.log."""
    return (f"--gen-kwargs {gen_kwargs.describe()} leaves the paper protocol (greedy decoding, each task's own "
            "budget): these numbers are not comparable with the paper's, and tables mark them ‡")


def _sampling_temperature(do_sample: Any, temperature: float | None) -> float | None:
    """The temperature `do_sample` and `temperature` mean together; GenKwargsError when they contradict."""
    if do_sample is not None and not isinstance(do_sample, bool):
        raise GenKwargsError(f"--gen-kwargs: do_sample={do_sample} must be true or false")
    if do_sample is True and temperature is None:
        temperature = 1.0  # what transformers' generate samples at when no temperature is given
    if do_sample is True and temperature == 0:
        raise GenKwargsError("--gen-kwargs: do_sample=true with temperature=0 contradict; give temperature > 0")
    if do_sample is False and temperature:
        raise GenKwargsError(f"--gen-kwargs: do_sample=false with temperature={temperature} contradict; drop one")
    return temperature


def parse_gen_kwargs(text: str) -> GenKwargs:
    """`temperature=0.2,max_new_tokens=64` -> GenKwargs; GenKwargsError names a bad key or value."""
    return check_gen_kwargs(parse_pairs(text, "--gen-kwargs", "temperature=0.2,max_new_tokens=64"))


def check_gen_kwargs(values: dict[str, Any]) -> GenKwargs:
    """Typed values (as lmms-eval's parser or a task YAML gives them) -> GenKwargs, each key checked."""
    unknown = [key for key in values if key not in KEYS]
    if unknown:
        raise GenKwargsError(f"--gen-kwargs: unknown key(s) {', '.join(unknown)}; known: {', '.join(KEYS)}")
    max_new_tokens = _integer(values, "max_new_tokens", minimum=1)
    temperature = _number(values, "temperature")
    if temperature is not None and temperature < 0:
        raise GenKwargsError(f"--gen-kwargs: temperature={temperature} must be >= 0 (0 decodes greedily)")
    top_p = _number(values, "top_p")
    if top_p is not None and not 0 < top_p <= 1:
        raise GenKwargsError(f"--gen-kwargs: top_p={top_p} must be in (0, 1]")
    top_k = _integer(values, "top_k", minimum=0)
    num_beams = _integer(values, "num_beams", minimum=1)
    if num_beams is not None and num_beams != 1:
        raise GenKwargsError(f"--gen-kwargs: num_beams={num_beams}: beam search is not offered; use num_beams=1 or leave it out")
    temperature = _sampling_temperature(values.get("do_sample"), temperature)
    if not temperature and ((top_p is not None and top_p < 1) or top_k):
        given = f"top_p={top_p}" if top_p is not None and top_p < 1 else f"top_k={top_k}"
        raise GenKwargsError(f"--gen-kwargs: {given} has no effect when decoding greedily; add temperature > 0")
    until = values.get("until")
    if until is not None and (not isinstance(until, str) or not until):
        raise GenKwargsError(f"--gen-kwargs: until={until!r} must be a non-empty stop string")
    sampling = bool(temperature)
    return GenKwargs(
        max_new_tokens=max_new_tokens,
        temperature=temperature if temperature is None else float(temperature),
        top_p=top_p if sampling and top_p is not None and top_p < 1 else None,
        top_k=top_k if sampling and top_k else None,
        until=until,
    )


def parse_pairs(text: str, flag: str, example: str) -> dict[str, Any]:
    """lmms-eval's KEY=VALUE,KEY=VALUE text: split on commas outside quotes (shlex), values typed as
    lmms-eval types them. Used by --gen-kwargs, --wandb-args and --hub-log-args."""
    lexer = shlex.shlex(text, posix=True)
    lexer.whitespace, lexer.whitespace_split, lexer.commenters = ",", True, ""
    try:
        items = [item for item in lexer if item.strip()]
    except ValueError as err:  # an unclosed quote
        raise GenKwargsError(f"{flag} {text!r}: {err}") from None
    if not items:
        raise GenKwargsError(f"{flag}: empty; give KEY=VALUE pairs, e.g. {example}")
    values: dict[str, Any] = {}
    for item in items:
        key, equals, value = item.partition("=")
        key = key.strip()
        if not equals or not key:
            raise GenKwargsError(f"{flag}: {item!r} is not KEY=VALUE")
        if key in values:
            raise GenKwargsError(f"{flag}: {key} given more than once; give each key once")
        values[key] = _typed(value)
    return values


def _typed(value: str) -> Any:
    if value.lower() in ("true", "false"):
        return value.lower() == "true"
    if value.isdigit():
        return int(value)
    try:
        return float(value)
    except ValueError:
        return value


def _number(values: dict[str, Any], key: str) -> float | None:
    value = values.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise GenKwargsError(f"--gen-kwargs: {key}={value} must be a number")
    return float(value)


def _integer(values: dict[str, Any], key: str, minimum: int) -> int | None:
    value = values.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise GenKwargsError(f"--gen-kwargs: {key}={value} must be an integer >= {minimum}")
    return value
