"""What the Eagle family offers the command line beyond evaluation (eagle_eval.api.registry.ModelCapabilities).

Each callable imports torch and the model code only when called, so listing models stays cheap.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial

from eagle_eval.api.registry import ModelCapabilities, SampleFlops

# `eagle-eval bench` with no --model benchmarks the paper's headline model.
BENCH_DEFAULT = "eagle-x5-7b"


def checkpoint_tensors(preset_name: str) -> list[tuple[str, tuple[int, ...]]]:
    from eagle_eval.model_adapters.eagle.state_dict_listing import expected_checkpoint_tensors

    return expected_checkpoint_tensors(preset_name)


def sample_flops(preset_name: str, text_tokens: int, new_tokens: int) -> SampleFlops:
    from eagle_eval.model_adapters.eagle.flops import count_sample_flops
    from eagle_eval.model_adapters.eagle.presets import get_preset

    config = get_preset(preset_name).eagle_config()
    flops = count_sample_flops(config, text_tokens + config.image_tokens, new_tokens)
    return SampleFlops(
        description=f"one image ({config.image_tokens} tokens), {text_tokens} text tokens, {new_tokens} new tokens",
        parts=dict(flops.parts()),
        total=float(flops.total),
    )


def bench(preset_name: str, argv: Sequence[str]) -> int:
    from eagle_eval.model_adapters.eagle.bench_options import parse_bench_args

    # Flags first: `--help` and a bad flag answer before torch and the model code load.
    args = parse_bench_args(["--preset", preset_name, *argv])
    from eagle_eval.model_adapters.eagle.bench import run

    run(args)
    return 0


def capabilities_for(preset_name: str) -> ModelCapabilities:
    return ModelCapabilities(
        checkpoint_tensors=partial(checkpoint_tensors, preset_name),
        sample_flops=partial(sample_flops, preset_name),
        bench=partial(bench, preset_name),
        bench_default=preset_name == BENCH_DEFAULT,
    )
