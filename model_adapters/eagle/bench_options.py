"""The speed benchmark's flags (`eagle-eval bench --help`), kept apart from the benchmark so that
reading them imports neither torch nor the model code.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

from eagle_eval.core.help_format import help_parser
from eagle_eval.core.option_types import OlderOutputSpelling, device_name, finite_float
from eagle_eval.core.output_files import check_writable_file

DTYPES = ("auto", "bf16", "bfloat16", "fp16", "float16", "fp32", "float32")


def _at_least_one(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return value


def _batch_sizes(text: str) -> str:
    parts = [part.strip() for part in text.split(",") if part.strip()]
    if not parts or not all(part.isdigit() and int(part) >= 1 for part in parts):
        raise argparse.ArgumentTypeError(f"expected positive integers separated by commas, got {text!r}")
    return text


def build_parser() -> argparse.ArgumentParser:
    parser = help_parser(
        "eagle-eval bench",
        "Throughput of an Eagle model with random weights on synthetic images and TextVQA-length prompts: "
        "(a) transformers' generate at batch 1, as the paper's harness ran, against (b) the batched path at "
        "each batch size; time to first token, peak GPU memory, the FLOP roofline fraction, and whether "
        "the answers at the best batch size equal those at batch 1.",
    )
    option = parser.add_argument
    option("--model", "--preset", dest="preset", default="eagle-x5-7b", metavar="NAME",
           help="the Eagle preset to build (eagle-eval models lists them; default eagle-x5-7b)")
    option("--device", default=None, type=device_name,
           help="torch device, e.g. cuda, cuda:1 or cpu (default: cuda when a GPU is available, else cpu)")
    option("--dtype", default=None, choices=DTYPES, metavar="DTYPE",
           help="bf16, fp16 or fp32 (default auto: bf16 on a GPU, fp32 on the CPU)")
    option("--samples", type=_at_least_one, default=64, metavar="N",
           help="synthetic samples each batched pass generates for (default 64)")
    option("--hf-samples", type=_at_least_one, default=8, metavar="N",
           help="samples for the slow batch-1 generate baseline (default 8)")
    option("--batch-sizes", type=_batch_sizes, default="1,8,16,32,64", metavar="N,N,...",
           help="batch sizes of the batched path, each capped at --samples (default 1,8,16,32,64)")
    option("--vision-batch-size", type=_at_least_one, default=None, metavar="N",
           help="images per vision-tower call (default: the adapter's, 16 on a GPU, 8 on the CPU)")
    option("--new-tokens", type=_at_least_one, default=16, metavar="N",
           help="tokens generated per sample, end-of-sequence ignored so both paths do equal work (default 16)")
    option("--peak-tflops", type=finite_float, default=989.0, metavar="TFLOPS",
           help="the device's dense bf16 peak for the roofline fraction (default 989, an H100 SXM)")
    option("--seed", type=int, default=0, help="seed of the random weights and synthetic samples (default 0)")
    option("--profile", action="store_true", help="also time each vision expert and the LLM at the best batch size")
    option("--ablation", action="store_true",
           help="also time the model with each vision expert knocked out, at the best batch size")
    option("--ablation-rounds", type=_at_least_one, default=3, metavar="N",
           help="rounds of the knock-out timing; the fastest counts (default 3)")
    option("-o", "--output", type=Path, default=None, metavar="FILE", help="also write the figures to this JSON file")
    option("--json", dest="output", action=OlderOutputSpelling, metavar="FILE",
           help="the older spelling of --output FILE (still works)")
    return parser


def parse_bench_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    args = build_parser().parse_args(None if argv is None else list(argv))
    if args.output is not None:
        check_writable_file(args.output, getattr(args, "output_flag", "--output"))  # the spelling given  # before minutes of benchmarking, not after
    return args
