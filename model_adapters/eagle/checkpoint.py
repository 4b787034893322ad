"""Load an Eagle (v1) checkpoint: from a hub id (+ revision) or a local directory, strictly.

The released repositories hold config.json (`model_type "eagle_llama"`), sharded weights
(model.safetensors.index.json + shards, or pytorch_model*.bin), the slow Llama tokenizer files and
generation_config.json. transformers' Auto classes cannot load them (no remote code on the hub, and we
never enable it), so the model is built from config.json with empty (meta) parameters and every stored
tensor is placed onto its module by name.

Strictness: every checkpoint key must land on a parameter or buffer, and every parameter must be
filled. The only tolerated difference is the documented one: EVA-02 RoPE tables, computed from the
config, may be stored or absent (`is_recomputed`). Anything else raises
`CheckpointError` naming the keys.
"""

from __future__ import annotations

import importlib
import pickle
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import torch
from accelerate import init_empty_weights
from torch import nn

from eagle_eval.api.adapter import AdapterError
from eagle_eval.model_adapters.eagle import vision_tower
from eagle_eval.model_adapters.eagle.config import EagleConfig, read_checkpoint_json
from eagle_eval.model_adapters.eagle.modeling import EagleForCausalLM
from eagle_eval.model_adapters.eagle.strict_loading import (
    format_keys,
    key_problems,
    place_tensor,
    unset_tensors,
)
from eagle_eval.model_adapters.eagle.tokenization import TextTokenizer, load_text_tokenizer

_TOWER_PREFIX = "model.vision_tower."
_WEIGHT_PATTERNS = ["*.json", "*.model", "*.safetensors", "tokenizer*", "*.tiktoken", "*.txt"]


class CheckpointError(AdapterError, RuntimeError):
    """A checkpoint that does not match the architecture its config.json describes (exit 2)."""


@dataclass
class LoadedEagle:
    model: EagleForCausalLM
    tokenizer: Any  # the transformers tokenizer: vocabulary size, special ids
    config: EagleConfig
    eos_token_ids: list[int]
    checkpoint_dir: Path
    dtype: torch.dtype
    device: torch.device
    # Encodes prompts and decodes answers as the authors' transformers 4.44 path did (tokenization.py).
    text_tokenizer: TextTokenizer | None = None

    def __post_init__(self) -> None:
        if self.text_tokenizer is None:
            self.text_tokenizer = load_text_tokenizer(self.checkpoint_dir, self.tokenizer)


def default_dtype(device: torch.device, released: bool = False) -> torch.dtype:
    """On GPU: fp16 for a released checkpoint, the dtype its paper numbers were produced in (the authors'
    builder loads the LLM in fp16 and their harness casts images to fp16), bf16 otherwise (random test
    and benchmark models); fp32 on CPU, where half-precision matmuls are slow and inexact."""
    if device.type != "cuda":
        return torch.float32
    return torch.float16 if released else torch.bfloat16


def parse_dtype(name: str | None, device: torch.device, released: bool = False) -> torch.dtype:
    if name in (None, "", "auto"):
        return default_dtype(device, released)
    table = {"bf16": torch.bfloat16, "bfloat16": torch.bfloat16, "fp16": torch.float16,
             "float16": torch.float16, "fp32": torch.float32, "float32": torch.float32}
    if name not in table:
        raise ValueError(f"unknown dtype '{name}'; use one of {sorted(table)}")
    return table[name]


# --- where the files are -------------------------------------------------------------------------------

def resolve_checkpoint_dir(source: str | Path, revision: str | None = None) -> Path:
    """A local directory as is; otherwise a hub repository id, downloaded (or read from the hub cache)."""
    path = Path(source).expanduser()
    if path.is_dir():
        return path
    if str(source).startswith((".", "/", "~")):
        raise FileNotFoundError(f"checkpoint directory {source} does not exist")
    from huggingface_hub import snapshot_download

    try:
        local = Path(snapshot_download(str(source), revision=revision, allow_patterns=_WEIGHT_PATTERNS))
        if not _has_safetensors(local):
            local = Path(snapshot_download(str(source), revision=revision,
                                           allow_patterns=_WEIGHT_PATTERNS + ["pytorch_model*.bin"]))
    except Exception as error:  # network, auth, unknown revision: all end the same way for the user
        raise CheckpointError(
            f"could not fetch {source} (revision {revision or 'main'}) from the Hugging Face hub: {error}. "
            "Check the network / HF_TOKEN, or pass a local copy with --model-path DIR"
        ) from error
    return local


def _has_safetensors(directory: Path) -> bool:
    return (directory / "model.safetensors.index.json").exists() or (directory / "model.safetensors").exists()


def weight_files(directory: Path) -> list[Path]:
    """The weight files the checkpoint's index names (safetensors preferred), in a fixed order."""
    for index_name, single in (("model.safetensors.index.json", "model.safetensors"),
                               ("pytorch_model.bin.index.json", "pytorch_model.bin")):
        index = directory / index_name
        if index.exists():
            weight_map = read_checkpoint_json(index).get("weight_map") if index.stat().st_size else None
            if not isinstance(weight_map, dict):
                raise CheckpointError(f"{index} has no 'weight_map' object naming the shards; the checkpoint is "
                                      "damaged or incomplete: download it again")
            names = sorted({str(name) for name in weight_map.values()})
            missing = [n for n in names if not (directory / n).exists()]
            if missing:
                raise CheckpointError(f"{index} names shard(s) {missing} that are not in {directory}; "
                                      "the download is incomplete: fetch it again")
            return [directory / n for n in names]
        if (directory / single).exists():
            return [directory / single]
    raise CheckpointError(f"no weights in {directory}: expected model.safetensors.index.json (+ shards), "
                          "model.safetensors or pytorch_model*.bin")


def iter_tensors(files: list[Path]) -> Iterator[tuple[str, torch.Tensor]]:
    from safetensors import SafetensorError, safe_open

    for file in files:
        try:
            if file.suffix == ".safetensors":
                with safe_open(str(file), framework="pt") as handle:
                    for key in handle.keys():  # noqa: SIM118 (safe_open is not a mapping)
                        yield key, handle.get_tensor(key)
            else:
                # weights_only: a .bin file is a pickle; never let it run code.
                state = torch.load(file, map_location="cpu", weights_only=True)
                yield from state.items()
                del state
        except (SafetensorError, pickle.UnpicklingError, EOFError, RuntimeError, OSError) as error:
            raise CheckpointError(f"corrupt weight file {file} ({error}); the download is damaged or was cut "
                                  "short: download the checkpoint again") from error


# --- key names ------------------------------------------------------------------------------------------

def is_recomputed(key: str) -> bool:
    """Stored EVA-02 RoPE tables: computed from the config, never loaded, allowed to be absent."""
    return key.startswith(_TOWER_PREFIX) and vision_tower.is_recomputed_buffer(key[len(_TOWER_PREFIX):])


def module_key(key: str) -> str:
    """The module's name for a checkpoint key (ConvNeXt's layer scale is `weight` on disk, timm's `gamma`)."""
    if key.startswith(_TOWER_PREFIX):
        return _TOWER_PREFIX + vision_tower.module_key_from_checkpoint(key[len(_TOWER_PREFIX):])
    return key


def checkpoint_key(key: str) -> str:
    if key.startswith(_TOWER_PREFIX):
        return _TOWER_PREFIX + vision_tower.checkpoint_key_from_module(key[len(_TOWER_PREFIX):])
    return key


def checkpoint_state_dict(model: EagleForCausalLM) -> dict[str, torch.Tensor]:
    """The model's tensors under the released checkpoint's key names."""
    return {checkpoint_key(k): v for k, v in model.state_dict().items()}


# --- building and filling ------------------------------------------------------------------------------

def build_empty_model(config: EagleConfig) -> EagleForCausalLM:
    """Parameters on the meta device (no memory, no init cost); buffers real, computed from the config."""
    with init_empty_weights(include_buffers=False):
        model = EagleForCausalLM(config)
    return model.eval()


def place_buffers(model: nn.Module, device_for: Callable[[str], Any]) -> None:
    """Move every buffer to `device_for(buffer name)`, in place (parameters are placed by the loader)."""
    for name, buffer in list(model.named_buffers()):
        module_name, _, leaf = name.rpartition(".")
        model.get_submodule(module_name)._buffers[leaf] = buffer.to(device_for(name))


def load_weights(model: EagleForCausalLM, files: list[Path], dtype: torch.dtype,
                 device_for: Any = None, source: str = "checkpoint") -> None:
    """Fill `model` from `files`, strictly. `device_for(key)` picks each tensor's device (default CPU)."""
    expected = model.state_dict(keep_vars=True)
    loaded: set[str] = set()
    unexpected: list[str] = []
    mismatched: list[str] = []
    for key, tensor in iter_tensors(files):
        if is_recomputed(key):
            continue
        name = module_key(key)
        if name not in expected:
            unexpected.append(key)
            continue
        mismatch = place_tensor(model, name, expected[name], tensor, dtype, device_for)
        if mismatch is None:
            loaded.add(name)
        else:
            mismatched.append(f"{key}: {mismatch}")
    missing = [checkpoint_key(k) for k, v in expected.items()
               if k not in loaded and (v.is_meta or isinstance(v, torch.nn.Parameter))]
    missing = [k for k in missing if not is_recomputed(k)]
    problems = key_problems(unexpected, missing, mismatched)
    if problems:
        raise CheckpointError(
            f"{source} does not match the architecture its config.json describes: " + "; ".join(problems)
            + ". Fix: check that config.json (mm_vision_tower, layer counts, sizes) belongs to these weights "
            "and that no key was renamed; `eagle-eval models show NAME --state-dict` lists the expected keys"
        )
    leftovers = unset_tensors(model)
    if leftovers:
        raise CheckpointError(f"tensors left unset after loading {source}: {format_keys(leftovers)}")


# --- the public entry point ----------------------------------------------------------------------------

def check_sentencepiece_reader(directory: Path) -> None:
    """A `tokenizer.model` is read through sentencepiece's protobuf module; when that import fails,
    transformers quietly tries to read the file as a tiktoken vocabulary instead and fails with an
    unrelated parse error (or, worse, succeeds). Say what is wrong before that happens."""
    if not (directory / "tokenizer.model").exists():
        return
    try:
        importlib.import_module("sentencepiece.sentencepiece_model_pb2")
    except Exception as error:  # any import-time failure (VersionError, ImportError) means the same fix
        raise CheckpointError(
            f"{directory / 'tokenizer.model'} needs sentencepiece's protobuf module, which failed to import "
            f"({type(error).__name__}: {error}); install a matching pair, e.g. "
            "pip install 'sentencepiece<0.2.3' (protobuf 4-6) or 'protobuf>=7' (sentencepiece 0.2.3)") from error


def load_tokenizer(directory: Path) -> Any:
    from transformers import AutoTokenizer
    from transformers.utils import logging as hf_logging

    check_sentencepiece_reader(directory)

    # use_fast=False: the released Vicuna checkpoints were trained with the slow (sentencepiece) tokenizer.
    # transformers reads config.json on the way and warns that it does not know `eagle_llama`: expected.
    verbosity = hf_logging.get_verbosity()
    hf_logging.set_verbosity_error()
    try:
        tokenizer = AutoTokenizer.from_pretrained(str(directory), use_fast=False, trust_remote_code=False)
    except Exception as error:  # transformers' errors for damaged tokenizer files are of many types
        raise CheckpointError(f"cannot read the tokenizer files in {directory} ({type(error).__name__}: {error}); "
                              "they are damaged or missing: download the checkpoint again") from error
    finally:
        hf_logging.set_verbosity(verbosity)
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.unk_token if tokenizer.unk_token is not None else tokenizer.eos_token
    return tokenizer


def read_eos_token_ids(directory: Path, tokenizer: Any, config: EagleConfig) -> list[int]:
    """generation_config.json's eos ids (what the paper's `generate` stopped on), else the tokenizer's."""
    path = directory / "generation_config.json"
    eos: Any = None
    if path.exists():
        data = read_checkpoint_json(path)
        eos = data.get("eos_token_id") if isinstance(data, dict) else None
    if eos is None:
        eos = config.llm.eos_token_id if config.llm.eos_token_id is not None else tokenizer.eos_token_id
    ids = eos if isinstance(eos, list) else [eos]
    if not ids or any(i is None for i in ids):
        raise CheckpointError(f"no eos_token_id in {path} nor in the tokenizer; add one to generation_config.json")
    return [int(i) for i in ids]


FIRST_DEVICE_MODULES = ("model.embed_tokens", "model.vision_tower", "model.mm_projector")
LAST_DEVICE_MODULES = ("model.norm", "model.rotary_emb", "lm_head")


def plan_device_map(model: EagleForCausalLM, dtype: torch.dtype,
                    max_memory: dict[int, int | str] | None = None) -> dict[str, int]:
    """Spread a model over several GPUs: the embeddings, the whole vision tower and the projector on the
    first, whole decoder layers over all of them in order, the final norm and the head on the last, each
    GPU within one layer of an equal share.

    `max_memory` maps GPU index -> bytes (or "40GiB") the weights may take; by default each visible
    GPU's free memory less 20% for activations and the KV cache. accelerate's `infer_auto_device_map`
    fills devices in module order and cannot keep the tower (registered after the layers) beside the
    embeddings, so the split is made here from accelerate's module sizes.
    """
    from accelerate.utils import compute_module_sizes, convert_file_size_to_int

    if max_memory is None:
        max_memory = {i: int(0.8 * torch.cuda.mem_get_info(i)[0]) for i in range(torch.cuda.device_count())}
    budget = {int(gpu): convert_file_size_to_int(limit) if isinstance(limit, str) else int(limit)
              for gpu, limit in max_memory.items()}
    gpus = sorted(budget)
    if not gpus:
        raise CheckpointError("--device auto needs at least one GPU; pass --device cpu to run on the CPU")
    sizes = compute_module_sizes(model, dtype=dtype)
    layers = [name for name, _ in model.model.layers.named_children()]
    placed = {name: gpus[0] for name in FIRST_DEVICE_MODULES}
    placed.update({name: gpus[-1] for name in LAST_DEVICE_MODULES})
    load = dict.fromkeys(gpus, 0)
    for name, gpu in placed.items():
        load[gpu] += sizes.get(name, 0)
    layer_sizes = [sizes[f"model.layers.{name}"] for name in layers]
    # Lay the model out in order (first-device modules, layers, last-device modules) and cut it into
    # equal shares: a layer goes to the GPU whose share holds its midpoint, so each cut is within half a
    # layer of the ideal one.
    share = (sum(load.values()) + sum(layer_sizes)) / len(gpus)
    position = float(load[gpus[0]])
    for name, size in zip(layers, layer_sizes, strict=True):
        gpu = gpus[min(int((position + size / 2) // share), len(gpus) - 1)]
        placed[f"model.layers.{name}"] = gpu
        load[gpu] += size
        position += size
    over = {gpu: (load[gpu], budget[gpu]) for gpu in gpus if load[gpu] > budget[gpu]}
    if over:
        detail = ", ".join(f"GPU {gpu} needs {need / 2**30:.1f} GiB of {have / 2**30:.1f} GiB"
                           for gpu, (need, have) in over.items())
        total = sum(load.values()) / 2**30
        raise CheckpointError(f"the {total:.1f} GiB of weights do not fit on the visible GPUs ({detail}); "
                              "free GPU memory, add GPUs, or load in a smaller dtype")
    return placed


def _device_lookup(device_map: dict[str, Any]):
    def device_for(key: str) -> Any:
        matches = [k for k in device_map if k == "" or key == k or key.startswith(k + ".")]
        if not matches:
            raise CheckpointError(f"the device map places no module holding {key}")
        return device_map[max(matches, key=len)]

    return device_for


def load_eagle(source: str | Path, revision: str | None = None, device: str | None = None,
               dtype: str | torch.dtype | None = None, device_map: dict[str, Any] | None = None,
               released_preset: bool = True) -> LoadedEagle:
    """Load a checkpoint onto `device` ("cuda", "cuda:1", "cpu", or "auto" = all GPUs via accelerate).

    `device_map` (module name -> device, e.g. from `plan_device_map` with a memory cap) overrides `device`.
    Without a `dtype`, a released checkpoint (`released_preset`) runs in fp16 on GPU, as the paper's
    numbers were produced; the tiny test checkpoints in bf16 (`default_dtype`).
    """
    directory = resolve_checkpoint_dir(source, revision)
    config_path = directory / "config.json"
    if not config_path.exists():
        raise CheckpointError(f"{directory} has no config.json; is it an Eagle checkpoint directory?")
    config = EagleConfig.from_file(config_path)
    spread = device == "auto"
    if device in (None, "", "auto"):
        device = "cuda" if torch.cuda.is_available() else "cpu"
    target = torch.device(device)
    run_dtype = dtype if isinstance(dtype, torch.dtype) else parse_dtype(dtype, target, released_preset)
    model = build_empty_model(config)
    if device_map is None and spread and torch.cuda.device_count() > 1:
        device_map = plan_device_map(model, run_dtype)
    if device_map is not None:
        device_for = _device_lookup(device_map)
        target = torch.device(device_for("model.embed_tokens.weight"))
    else:
        device_for = lambda _key: target  # noqa: E731
    load_weights(model, weight_files(directory), run_dtype, device_for, source=str(source))
    place_buffers(model, device_for)  # buffers were built on the CPU; move each next to its module
    tower = cast(vision_tower.EagleVisionTower, model.vision_tower)  # build_empty_model builds the full tower
    tower.recompute_buffers()
    if target.type == "cuda":
        tower.use_channels_last()  # ConvNeXt's convolutions run faster channels-last on GPU
    if device_map is not None:
        from accelerate import dispatch_model

        dispatch_model(model, device_map=device_map)
    tokenizer = load_tokenizer(directory)
    if len(tokenizer) > config.llm.vocab_size:
        raise CheckpointError(f"the tokenizer in {directory} has {len(tokenizer)} tokens but the LLM's vocab is "
                              f"{config.llm.vocab_size}; the tokenizer files do not belong to these weights")
    eos = read_eos_token_ids(directory, tokenizer, config)
    return LoadedEagle(model=model, tokenizer=tokenizer, config=config, eos_token_ids=eos,
                       checkpoint_dir=directory, dtype=run_dtype, device=target)
