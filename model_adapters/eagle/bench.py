"""Throughput benchmark: the Eagle architecture with random weights, synthetic images, TextVQA-length prompts.

    python -m eagle_eval.model_adapters.eagle.bench                      # Eagle-X5-7B on the GPU
    python -m eagle_eval.model_adapters.eagle.bench --preset eagle-tiny --device cpu --samples 8   # smoke

Every answer is forced to `--new-tokens` tokens (no EOS), so both paths do the same work. It prints:
(a) batch 1 with transformers' `generate(inputs_embeds=…)`, vision and preprocessing per sample, as the
paper's harness ran; (b) our batched path (batched experts, batched left-padded greedy loop) at each
batch size, and the best; their ratio; time to first token; peak GPU memory; the fraction of the FLOP
roofline (27.6 TFLOP per Eagle-X5-7B sample); and the share of samples whose tokens at the best batch
size equal those at batch size 1 (bf16 rounding differs with the batch shape, so this is measured,
not assumed). `--ablation` adds the time each knocked-out vision expert saves (bench_ablation.py).
"""

from __future__ import annotations

import argparse
import json
import time
from collections import defaultdict
from dataclasses import dataclass
from typing import Any, cast

import numpy as np
import torch
import transformers
from accelerate.utils import set_module_tensor_to_device
from PIL import Image

from eagle_eval.model_adapters.eagle.bench_options import parse_bench_args
from eagle_eval.model_adapters.eagle.checkpoint import build_empty_model, parse_dtype, place_buffers
from eagle_eval.model_adapters.eagle.flops import SampleFlops, count_sample_flops
from eagle_eval.model_adapters.eagle.generation import RowSpec
from eagle_eval.model_adapters.eagle.modeling import EagleForCausalLM
from eagle_eval.model_adapters.eagle.pipeline import BatchedPipeline, BatchWork, default_vision_batch_size
from eagle_eval.model_adapters.eagle.preprocessing import images_to_uint8, normalize_uint8
from eagle_eval.model_adapters.eagle.presets import get_preset
from eagle_eval.model_adapters.eagle.templates import IMAGE_TOKEN_INDEX
from eagle_eval.model_adapters.eagle.vision_tower import EagleVisionTower

# The figure the project's speed target was set with; the benchmark also counts FLOPs from the modules.
NOMINAL_FLOP_PER_SAMPLE_X5_7B = 27.6e12
# Template (~45 tokens) + a TextVQA question with the paper's suffix (~25 tokens), around one image slot.
PROMPT_TEXT_TOKENS = (40, 30)


class _TokenIdsText:
    """The benchmark compares token ids and has no tokenizer; answers are rendered as id lists."""

    def decode(self, ids: list[int], skip_special_tokens: bool = True) -> str:
        return " ".join(map(str, ids))


def random_model(preset_name: str, device: torch.device, dtype: torch.dtype, seed: int) -> EagleForCausalLM:
    """The preset's architecture with random weights made directly on `device` (no 7B init on the CPU)."""
    model = build_empty_model(get_preset(preset_name).eagle_config())
    generator = torch.Generator(device=device).manual_seed(seed)
    for name, param in list(model.named_parameters()):
        value = torch.empty(param.shape, device=device, dtype=dtype)
        if param.dim() == 1:
            # Norm scales at one and biases at zero keep activations in range, so answers vary by input.
            value.fill_(1.0 if "norm" in name or name.endswith("gamma") else 0.0)
        else:
            value.normal_(0.0, 0.02, generator=generator)
        set_module_tensor_to_device(model, name, device, value=value, dtype=dtype)
    place_buffers(model, lambda _name: device)
    tower = cast(EagleVisionTower, model.vision_tower)  # built from the preset: the full tower
    tower.recompute_buffers()
    if device.type == "cuda":
        tower.use_channels_last()
    return model.eval()


@dataclass
class Sample:
    image: Image.Image
    prompt: list[int]


def synthetic_samples(count: int, vocab: int, seed: int) -> list[Sample]:
    rng = np.random.default_rng(seed)
    samples = []
    for _ in range(count):
        width, height = int(rng.integers(400, 1024)), int(rng.integers(300, 1024))
        image = Image.fromarray(rng.integers(0, 256, (height, width, 3), dtype=np.uint8))
        before = rng.integers(3, vocab, PROMPT_TEXT_TOKENS[0]).tolist()
        after = rng.integers(3, vocab, int(rng.integers(PROMPT_TEXT_TOKENS[1] - 10, PROMPT_TEXT_TOKENS[1] + 10)))
        samples.append(Sample(image, [1, *before, IMAGE_TOKEN_INDEX, *after.tolist()]))
    return samples


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def _work(samples: list[Sample], batch_size: int, new_tokens: int) -> list[BatchWork]:
    batches = [samples[begin:begin + batch_size] for begin in range(0, len(samples), batch_size)]
    return [BatchWork(prompts=[s.prompt for s in batch], images=[s.image for s in batch],
                      specs=[RowSpec(new_tokens)] * len(batch)) for batch in batches]


def run_batched(model: EagleForCausalLM, samples: list[Sample], batch_size: int, new_tokens: int,
                device: torch.device, vision_batch_size: int) -> tuple[float, float, list[list[int]]]:
    """(seconds, mean time to first token per batch, tokens) for our path over all samples: the adapter's
    own pipeline (preprocessing of the next batch overlapped, experts batched, batched greedy loop)."""
    pipeline = BatchedPipeline(model, vision_batch_size)
    tokens: list[list[int]] = []
    first_tokens = []
    _sync(device)
    start = time.perf_counter()
    for result in pipeline.run(_work(samples, batch_size, new_tokens), _TokenIdsText(), []):
        first_tokens.append(result.extra["first_token_s"])
        tokens.extend(result.token_ids)
    _sync(device)
    return time.perf_counter() - start, float(np.mean(first_tokens)), tokens


def profile_components(model: EagleForCausalLM, samples: list[Sample], batch_size: int, new_tokens: int,
                       device: torch.device, vision_batch_size: int) -> dict[str, float]:
    """Milliseconds per sample in each vision expert, the projector, preprocessing, LLM prefill and decode.

    Each expert and the projector is timed by forward hooks that synchronise the device, so the parts
    add up to a little more than an unprofiled run. Preprocessing runs in a worker thread beside the
    rest; only the time the main loop waited for it is on the critical path."""
    spent: dict[str, float] = defaultdict(float)
    started: dict[str, float] = {}
    hooks = []

    def timed(module: torch.nn.Module, label: str) -> None:
        def before(*_: object) -> None:
            _sync(device)
            started[label] = time.perf_counter()

        def after(*_: object) -> None:
            _sync(device)
            spent[label] += time.perf_counter() - started[label]

        hooks.extend([module.register_forward_pre_hook(before), module.register_forward_hook(after)])

    tower = cast(EagleVisionTower, model.vision_tower)
    for name, expert in zip(model.config.vision.experts, tower.vision_towers, strict=True):
        timed(expert, f"vision: {name}")
    timed(model.mm_projector, "projector")
    pipeline = BatchedPipeline(model, vision_batch_size)
    try:
        for result in pipeline.run(_work(samples, batch_size, new_tokens), _TokenIdsText(), []):
            spent["preprocessing (CPU; overlapped when on GPU)"] += result.extra["preprocess_s"]
            spent["waiting for preprocessing"] += result.extra["wait_s"]
            spent["LLM prefill"] += result.prefill_s
            spent["LLM decode"] += result.decode_s
    finally:
        for hook in hooks:
            hook.remove()
    return {label: 1000 * seconds / len(samples) for label, seconds in spent.items()}


def run_hf_generate(model: EagleForCausalLM, samples: list[Sample], new_tokens: int,
                    device: torch.device) -> tuple[float, float]:
    """(seconds, mean time to first token) at batch 1 with transformers' generate.

    The time to first token is preprocessing + vision + one prefill, timed separately and not counted
    in the seconds."""
    dtype = model.vision_dtype()
    size = model.config.vision.image_size
    total = 0.0
    first_tokens = []
    for sample in samples:
        _sync(device)
        t0 = time.perf_counter()
        pixels = normalize_uint8(images_to_uint8([sample.image], size).to(device), dtype)
        inputs = model.build_inputs([sample.prompt], model.encode_images(pixels))
        _sync(device)
        t1 = time.perf_counter()
        with torch.no_grad():
            model.llm.generate(inputs_embeds=inputs.inputs_embeds, attention_mask=inputs.attention_mask,
                               max_new_tokens=new_tokens, min_new_tokens=new_tokens, do_sample=False,
                               pad_token_id=0)
        _sync(device)
        total += time.perf_counter() - t0
        t2 = time.perf_counter()
        with torch.no_grad():
            model.llm(inputs_embeds=inputs.inputs_embeds, attention_mask=inputs.attention_mask, logits_to_keep=1)
        _sync(device)
        first_tokens.append(t1 - t0 + time.perf_counter() - t2)
    return total, float(np.mean(first_tokens))


def _batch_sizes(text: str, samples: int) -> list[int]:
    """The requested sizes, capped at the sample count (a larger batch would repeat the same run)."""
    sizes = sorted({int(s) for s in text.split(",") if s.strip()})
    return sorted({min(size, samples) for size in sizes})


def _roofline_lines(flops: SampleFlops, best_ms: float, peak_tflops: float,
                    nominal_flops: float | None) -> tuple[list[str], dict]:
    vision = sum(flops.vision.values()) + flops.projector
    llm = flops.prefill + flops.decode
    achieved = flops.total / (best_ms / 1000)
    peak = peak_tflops * 1e12
    roofline = f"FLOP roofline: {achieved / 1e12:.2f} TFLOP/s = {100 * achieved / peak:.1f}% of {peak_tflops:g} TFLOP/s"
    figures = {"tflop_per_sample": flops.total / 1e12,
               "tflop_per_sample_by_part": {k: v / 1e12 for k, v in flops.parts().items()},
               "achieved_tflops": achieved / 1e12, "roofline_fraction": achieved / peak}
    if nominal_flops is not None:
        nominal = nominal_flops / (best_ms / 1000) / peak
        roofline += f" ({100 * nominal:.1f}% at the nominal {nominal_flops / 1e12:.1f} TFLOP/sample)"
        figures["roofline_fraction_nominal"] = nominal
    lines = [f"FLOPs per sample (counted from the modules): {flops.total / 1e12:.4g} TFLOP "
             f"(vision tower + projector {vision / 1e12:.4g}, LLM {llm / 1e12:.4g})", roofline]
    return lines, figures


def _time_hf_batch1(model: Any, samples: list, args: argparse.Namespace, device: torch.device,
                    figures: dict) -> float:
    """(a) transformers' generate one sample at a time; its milliseconds per sample."""
    hf_samples = samples[: max(1, min(args.hf_samples, len(samples)))]
    hf_seconds, hf_ttft = run_hf_generate(model, hf_samples, args.new_tokens, device)
    hf_ms = 1000 * hf_seconds / len(hf_samples)
    figures["hf_batch1"] = {"samples_per_s": 1000 / hf_ms, "ms_per_sample": hf_ms, "time_to_first_token_ms": 1000 * hf_ttft,
                            "samples": len(hf_samples)}
    print(f"(a) HF generate, batch 1: {1000 / hf_ms:.2f} samples/s, {hf_ms:.1f} ms/sample, "
          f"time to first token {1000 * hf_ttft:.1f} ms")
    return hf_ms


def _time_batch_sizes(model: Any, samples: list, args: argparse.Namespace, device: torch.device,
                      vision_batch: int) -> dict[int, tuple]:
    """(b) our batched generation at each batch size, up to the first that runs out of memory."""
    results = {}
    for size in _batch_sizes(args.batch_sizes, len(samples)):
        try:
            seconds, ttft, tokens = run_batched(model, samples, size, args.new_tokens, device, vision_batch)
        except torch.cuda.OutOfMemoryError:
            print(f"(b) batch {size}: out of memory")
            torch.cuda.empty_cache()
            break
        results[size] = (seconds, ttft, tokens)
        print(f"(b) ours, batch {size}: {len(samples) / seconds:.2f} samples/s, "
              f"{1000 * seconds / len(samples):.1f} ms/sample, time to first token {1000 * ttft:.1f} ms")
    if not results:
        raise SystemExit("every batch size ran out of memory; try smaller --batch-sizes or --vision-batch-size")
    return results


def _compare_answers(results: dict[int, tuple], best: int, n_samples: int, figures: dict) -> None:
    """Whether batch 1 and a batched run gave the same answers (batch invariance, measured)."""
    batched = [size for size in results if size != 1]
    if 1 in results and batched:
        other = best if best != 1 else max(batched, key=lambda size: n_samples / results[size][0])
        same = sum(a == b for a, b in zip(results[1][2], results[other][2], strict=True))
        figures["identical_answers"] = {"batch_sizes": [1, other], "same": same, "of": n_samples}
        print(f"identical answers, batch 1 vs batch {other}: {same}/{n_samples} ({100 * same / n_samples:.0f}%)")


def main(argv: list[str] | None = None) -> dict:
    """Run the benchmark, print its figures and return them (also written to --json if given)."""
    return run(parse_bench_args(argv))


def run(args: argparse.Namespace) -> dict:
    """The benchmark for parsed flags (bench_options.py)."""
    device = torch.device(args.device or ("cuda" if torch.cuda.is_available() else "cpu"))
    dtype = parse_dtype(args.dtype, device)
    vision_batch = args.vision_batch_size or default_vision_batch_size(device)
    model = random_model(args.preset, device, dtype, args.seed)
    samples = synthetic_samples(args.samples, model.config.llm.vocab_size, args.seed)
    figures: dict = {"preset": args.preset, "device": _device_name(device), "dtype": str(dtype).removeprefix("torch."),
                     "samples": args.samples, "new_tokens": args.new_tokens, "vision_batch_size": vision_batch,
                     "torch": torch.__version__, "transformers": transformers.__version__}
    print(f"{args.preset} on {figures['device']} in {dtype}: {args.samples} samples, {args.new_tokens} new tokens each")
    run_batched(model, samples[:2], 2, 2, device, vision_batch)  # warm-up (kernels, allocator)

    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)
    hf_ms = _time_hf_batch1(model, samples, args, device, figures)
    results = _time_batch_sizes(model, samples, args, device, vision_batch)
    figures["ours"] = {str(size): {"samples_per_s": len(samples) / sec, "ms_per_sample": 1000 * sec / len(samples),
                                   "time_to_first_token_ms": 1000 * ttft}
                       for size, (sec, ttft, _) in results.items()}
    best = min(results, key=lambda s: results[s][0])
    best_ms = 1000 * results[best][0] / len(samples)
    figures.update(best_batch_size=best, speedup_vs_hf_batch1=hf_ms / best_ms)
    print(f"best batch size {best}: {best_ms:.1f} ms/sample, {hf_ms / best_ms:.1f}x faster than (a)")
    if device.type == "cuda":
        figures["peak_gpu_memory_gib"] = torch.cuda.max_memory_allocated(device) / 2**30
        print(f"peak GPU memory: {figures['peak_gpu_memory_gib']:.1f} GiB")
    mean_prompt = round(float(np.mean([len(s.prompt) for s in samples]))) - 1 + model.config.image_tokens
    nominal = NOMINAL_FLOP_PER_SAMPLE_X5_7B if get_preset(args.preset).name == "eagle-x5-7b" else None
    flops = count_sample_flops(model.config, mean_prompt, args.new_tokens)
    lines, roofline = _roofline_lines(flops, best_ms, args.peak_tflops, nominal)
    figures.update(roofline)
    print("\n".join(lines))
    if args.profile:
        parts = profile_components(model, samples, best, args.new_tokens, device, vision_batch)
        figures["profile_ms_per_sample"] = parts
        print(f"where the time goes at batch {best} (ms/sample, device synchronised per part):")
        for label, ms in parts.items():
            print(f"  {label:<32} {ms:8.1f}")
    if args.ablation:
        from eagle_eval.model_adapters.eagle.bench_ablation import BenchmarkPass, time_knockouts

        def seconds_at_best() -> float:
            return run_batched(model, samples, best, args.new_tokens, device, vision_batch)[0]

        timed_pass = BenchmarkPass(seconds_at_best, len(samples), best, vision_batch)
        lines, figures["ablation"] = time_knockouts(model, [s.image for s in samples], timed_pass, flops,
                                                    args.ablation_rounds)
        print("\n".join(lines))
    _compare_answers(results, best, len(samples), figures)
    if args.output is not None:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(json.dumps(figures, indent=2) + "\n")
        print(f"figures written to {args.output}")
    return figures


def _device_name(device: torch.device) -> str:
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    return f"cpu ({torch.get_num_threads()} threads)"


if __name__ == "__main__":
    main()
