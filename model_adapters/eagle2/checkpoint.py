"""Load an Eagle 2.5-format or original Eagle 2-format (9B, chat_format.py) checkpoint (hub id + revision, or
a local directory), strictly.

The released repositories hold config.json (`model_type "eagle_2_5_vl"`), safetensors shards with
model.safetensors.index.json, NVIDIA's remote code (never run here) and a Qwen2 tokenizer with the image
tokens `<img>`, `</img>`, `<IMG_CONTEXT>` added. The model is built from config.json with empty (meta)
parameters and every stored tensor is placed onto its module by name.

Key names: the released ones are `vision_model.vision_model.…` (transformers 4.51's SigLIP nesting),
`language_model.model.…`, `language_model.lm_head.weight` and `mlp1.{0,1,3}.…`. Our module tree differs
in one place: transformers 5's SigLIP vision model has no inner `vision_model`, so the checkpoint's
`vision_model.vision_model.X` is our `vision_model.X` (`module_key` / `checkpoint_key`).

Strictness: every stored tensor lands on a parameter of the same shape and every parameter is filled.
The one tolerated difference: a checkpoint whose LLM ties its embeddings (Qwen2.5-0.5B/1.5B) may omit
`language_model.lm_head.weight`; if stored, it must equal the embeddings. Anything else raises
`CheckpointError` naming every key and the fix.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from accelerate import init_empty_weights

from eagle_eval.model_adapters.eagle.checkpoint import (
    CheckpointError,
    iter_tensors,
    parse_dtype,
    resolve_checkpoint_dir,
    weight_files,
)
from eagle_eval.model_adapters.eagle.strict_loading import (
    format_keys,
    key_problems,
    place_tensor,
    unset_tensors,
)
from eagle_eval.model_adapters.eagle2.chat_format import (
    CHAT_MODEL_TYPE,
    Eagle2ChatConfig,
    Eagle2ChatModel,
    convnext_head_classes,
)
from eagle_eval.model_adapters.eagle2.config import (
    IMAGE_CONTEXT_TOKEN,
    Eagle2Config,
    Eagle2ConfigError,
    read_checkpoint_json,
)
from eagle_eval.model_adapters.eagle2.modeling import Eagle2Model

__all__ = ["CheckpointError", "LoadedEagle2", "checkpoint_key", "checkpoint_state_dict", "load_eagle2", "module_key"]

_RELEASED_VISION = "vision_model.vision_model."
_MODULE_VISION = "vision_model."
TIED_HEAD = "language_model.lm_head.weight"
EMBEDDINGS = "language_model.model.embed_tokens.weight"


class AnswerDecoder:
    """Decodes answers as NVIDIA's `chat` did under transformers 4.51 (`batch_decode(skip_special_tokens=True)`
    with the slow Qwen2 tokenizer): it drops only the tokenizer's *named* special tokens (eos, pad and
    `additional_special_tokens`: `<img>`, `<IMG_CONTEXT>`, …), keeping other added tokens such as `<tool_call>`,
    which transformers 5 would drop too because their added-token entry says `special`."""

    def __init__(self, tokenizer: Any) -> None:
        self.tokenizer = tokenizer
        self.skipped = set(tokenizer.all_special_ids)

    def decode(self, ids: list[int], skip_special_tokens: bool = True) -> str:
        kept = [i for i in ids if i not in self.skipped] if skip_special_tokens else list(ids)
        return self.tokenizer.decode(kept, skip_special_tokens=False, clean_up_tokenization_spaces=False)


@dataclass
class LoadedEagle2:
    model: Eagle2Model
    tokenizer: Any
    config: Eagle2Config
    eos_token_ids: list[int]
    checkpoint_dir: Path
    dtype: torch.dtype
    device: torch.device

    @property
    def answer_decoder(self) -> AnswerDecoder:
        return AnswerDecoder(self.tokenizer)


def module_key(key: str) -> str:
    """Our module's name for a released checkpoint key."""
    if key.startswith(_RELEASED_VISION):
        return _MODULE_VISION + key[len(_RELEASED_VISION):]
    return key


def checkpoint_key(name: str) -> str:
    """The released checkpoint's key for one of our tensors."""
    if name.startswith(_MODULE_VISION):
        return _RELEASED_VISION + name[len(_MODULE_VISION):]
    return name


def key_maps(model: Eagle2Model) -> tuple[Callable[[str], str], Callable[[str], str]]:
    """(released key → our name, our name → released key) for this model's format."""
    if isinstance(model, Eagle2ChatModel):
        return model.module_key, model.checkpoint_key
    return module_key, checkpoint_key


def read_config(path: Path) -> Eagle2Config:
    """config.json of either format: Eagle 2.5 (`eagle_2_5_vl`) or the original Eagle 2 (`eagle_chat`, 9B)."""
    data = read_checkpoint_json(path)
    if not isinstance(data, dict):
        raise Eagle2ConfigError(f"{path}: expected a JSON object, got {type(data).__name__}")
    if data.get("model_type") == CHAT_MODEL_TYPE:
        return Eagle2ChatConfig.from_json_dict(data, source=str(path))
    return Eagle2Config.from_json_dict(data, source=str(path))


def stored_shapes(files: list[Path]) -> dict[str, tuple[int, ...]]:
    """Every stored tensor's shape, from the safetensors headers (nothing loaded)."""
    from safetensors import safe_open

    shapes: dict[str, tuple[int, ...]] = {}
    for file in files:
        if file.suffix == ".safetensors":
            with safe_open(str(file), framework="pt") as handle:
                names = list(handle.keys())
                shapes.update({k: tuple(handle.get_slice(k).get_shape()) for k in names})
    return shapes


def checkpoint_state_dict(model: Eagle2Model) -> dict[str, torch.Tensor]:
    """The model's tensors under the released key names (the tied head left out, as save_pretrained does)."""
    to_checkpoint = key_maps(model)[1]
    state = {to_checkpoint(k): v for k, v in model.state_dict().items()}
    if model.config.tie_word_embeddings:
        state.pop(TIED_HEAD, None)
    return state


def expected_checkpoint_tensors(config: Eagle2Config) -> list[tuple[str, tuple[int, ...]]]:
    """(released key, shape) of every tensor a checkpoint of `config` stores, built on the meta device."""
    model = build_empty_model(config)
    return [(k, tuple(v.shape)) for k, v in checkpoint_state_dict(model).items()]


def build_empty_model(config: Eagle2Config) -> Eagle2Model:
    """Parameters on the meta device; buffers (RoPE frequencies, position ids) real, from the config."""
    with init_empty_weights(include_buffers=False):
        model = Eagle2ChatModel(config) if isinstance(config, Eagle2ChatConfig) else Eagle2Model(config)
    return model.eval()


def load_weights(model: Eagle2Model, files: list[Path], dtype: torch.dtype,
                 device_for: Callable[[str], Any] | None = None, source: str = "checkpoint") -> None:
    """Fill `model` from `files`, strictly; `device_for(name)` picks each tensor's device (default CPU)."""
    expected = model.state_dict(keep_vars=True)
    to_module, to_checkpoint = key_maps(model)
    tied = model.config.tie_word_embeddings
    loaded: set[str] = set()
    unexpected: list[str] = []
    mismatched: list[str] = []
    stored_head: torch.Tensor | None = None
    for key, tensor in iter_tensors(files):
        name = to_module(key)
        if to_checkpoint(name) != key:
            unexpected.append(key)  # our module name, not the released one (e.g. SigLIP without its inner nesting)
            continue
        if tied and key == TIED_HEAD:
            stored_head = tensor  # compared with the embeddings once they are in
            continue
        if name not in expected:
            unexpected.append(key)
            continue
        mismatch = place_tensor(model, name, expected[name], tensor, dtype, device_for)
        if mismatch is None:
            loaded.add(name)
        else:
            mismatched.append(f"{key}: {mismatch}")
    if tied:
        model.tie_weights()
        loaded.add(to_module(TIED_HEAD))
    missing = [to_checkpoint(k) for k, v in expected.items()
               if k not in loaded and (v.is_meta or isinstance(v, torch.nn.Parameter))]
    _raise_problems(source, unexpected, missing, mismatched)
    if stored_head is not None and not torch.equal(stored_head.to(dtype).cpu(),
                                                   model.language_model.lm_head.weight.detach().cpu()):
        raise CheckpointError(f"{source}: config.json ties the LLM's embeddings (tie_word_embeddings) but the stored "
                              f"{TIED_HEAD} differs from {EMBEDDINGS}. Fix: set text_config.tie_word_embeddings "
                              "to false for these weights")
    leftovers = unset_tensors(model)
    if leftovers:
        raise CheckpointError(f"tensors left unset after loading {source}: {format_keys(leftovers)}")


def _raise_problems(source: str, unexpected: list[str], missing: list[str], mismatched: list[str]) -> None:
    problems = key_problems(unexpected, missing, mismatched)
    if problems:
        raise CheckpointError(
            f"{source} does not match the architecture its config.json describes: " + "; ".join(problems)
            + ". Fix: check that config.json (vision_config, text_config sizes, vision_use_head, "
            "tie_word_embeddings) belongs to these weights and that no key was renamed; `eagle-eval models show "
            "NAME --state-dict` lists the expected keys"
        )


def load_tokenizer(directory: Path) -> Any:
    from transformers import AutoTokenizer
    from transformers.utils import logging as hf_logging

    verbosity = hf_logging.get_verbosity()
    hf_logging.set_verbosity_error()  # it reads config.json on the way and does not know eagle_2_5_vl: expected
    try:
        tokenizer = AutoTokenizer.from_pretrained(str(directory), trust_remote_code=False)
    except Exception as error:  # transformers' errors for damaged tokenizer files are of many types
        raise CheckpointError(f"cannot read the tokenizer files in {directory} ({type(error).__name__}: {error}); "
                              "they are damaged or missing: download the checkpoint again") from error
    finally:
        hf_logging.set_verbosity(verbosity)
    return tokenizer


def turn_end_ids(tokenizer: Any) -> list[int]:
    """`<|im_end|>`: the template's separator, which NVIDIA's `chat` sets as the only EOS."""
    token_id = tokenizer.convert_tokens_to_ids("<|im_end|>")
    if token_id is None or token_id == tokenizer.unk_token_id:
        raise CheckpointError("the tokenizer has no <|im_end|> token; the tokenizer files do not belong to an "
                              "Eagle 2.5-format checkpoint")
    return [int(token_id)]


def check_image_token(tokenizer: Any, config: Eagle2Config, directory: Path) -> None:
    token_id = tokenizer.convert_tokens_to_ids(IMAGE_CONTEXT_TOKEN)
    if token_id != config.image_token_index:
        raise CheckpointError(f"{directory}: the tokenizer maps {IMAGE_CONTEXT_TOKEN} to {token_id} but config.json's "
                              f"image_token_index is {config.image_token_index}; the files do not belong together")


def load_eagle2(source: str | Path, revision: str | None = None, device: str | None = None,
                dtype: str | torch.dtype | None = None, released_preset: bool = True) -> LoadedEagle2:
    """Load a checkpoint onto `device` ("cuda", "cuda:1", "cpu"; default: a GPU if there is one).

    Without a `dtype`: bf16 on GPU (NVIDIA's own inference and evaluation load these checkpoints in bf16),
    fp32 on CPU."""
    directory = resolve_checkpoint_dir(source, revision)
    config_path = directory / "config.json"
    if not config_path.exists():
        raise CheckpointError(f"{directory} has no config.json; is it an Eagle 2.5-format checkpoint directory?")
    config = read_config(config_path)
    files = weight_files(directory)
    if isinstance(config, Eagle2ChatConfig):
        convnext_head_classes(config, stored_shapes(files))
    if device in (None, "", "auto"):
        device = "cuda" if torch.cuda.is_available() else "cpu"
    target = torch.device(device)
    if isinstance(dtype, torch.dtype):
        run_dtype = dtype
    elif dtype in (None, "", "auto"):
        run_dtype = torch.bfloat16 if target.type == "cuda" else torch.float32
    else:
        run_dtype = parse_dtype(dtype, target, released_preset)
    model = build_empty_model(config)
    load_weights(model, files, run_dtype, lambda _name: target, source=str(source))
    for name, buffer in list(model.named_buffers()):
        module_name, _, leaf = name.rpartition(".")
        model.get_submodule(module_name)._buffers[leaf] = buffer.to(target)
    tokenizer = load_tokenizer(directory)
    if isinstance(config, Eagle2ChatConfig):  # its config.json does not store the id: the tokenizer decides
        token_id = tokenizer.convert_tokens_to_ids(IMAGE_CONTEXT_TOKEN)
        if token_id is None or token_id == tokenizer.unk_token_id:
            raise CheckpointError(f"the tokenizer in {directory} has no {IMAGE_CONTEXT_TOKEN} token; the files do not "
                                  "belong to an Eagle 2 checkpoint")
        config.image_token_index = int(token_id)
    check_image_token(tokenizer, config, directory)
    if len(tokenizer) > config.text.vocab_size:
        raise CheckpointError(f"the tokenizer in {directory} has {len(tokenizer)} tokens but the LLM's vocab is "
                              f"{config.text.vocab_size}; the tokenizer files do not belong to these weights")
    return LoadedEagle2(model=model, tokenizer=tokenizer, config=config, eos_token_ids=turn_end_ids(tokenizer),
                        checkpoint_dir=directory, dtype=run_dtype, device=target)
