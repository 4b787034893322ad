"""Load a transformers VLM checkpoint and its processor, from the hub or a local folder.

The model class is `AutoModelForImageTextToText` when the config maps to it, else the class the
checkpoint's config names in `architectures` (transformers must define it: remote code runs only
when `trust_remote_code=True` was asked for). Which class loaded is recorded, never guessed silently.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

DTYPES = {"float32": torch.float32, "float16": torch.float16, "bfloat16": torch.bfloat16}


class HFLoadError(OSError):
    """A checkpoint that cannot be loaded as a transformers VLM (the message names it and the fix).

    An OSError, as transformers' own "not found" errors are, so the command line prints one line.
    """


@dataclass
class LoadedVLM:
    model: Any
    processor: Any
    source: str
    revision: str | None  # the hub commit actually loaded, when transformers knows it
    dtype: torch.dtype
    device: torch.device
    model_class: str
    chat_template_sha256: str | None


def resolve_dtype(name: str | None, device: torch.device) -> torch.dtype | str:
    """fp32 on the CPU by default; on an accelerator the dtype stored in the checkpoint ("auto")."""
    if name is None or name == "auto":
        return torch.float32 if device.type == "cpu" else "auto"
    if name not in DTYPES:
        raise HFLoadError(f"unknown dtype {name!r}; choose one of {', '.join(DTYPES)} or auto")
    return DTYPES[name]


def resolve_device(name: str | None) -> torch.device:
    if name:
        return torch.device(name)
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


@dataclass(frozen=True)
class VLMLoading:
    """How `load_vlm` loads: the revision, where and in which dtype, and the `--model-arg` options."""

    revision: str | None = None
    device: str | None = None
    dtype: str | None = None
    trust_remote_code: bool = False
    attn_implementation: str | None = None
    device_map: str | None = None
    chat_template: str | None = None  # a Jinja file replacing the processor's own


def load_vlm(source: str, loading: VLMLoading | None = None) -> LoadedVLM:
    """Processor and model of `source` (hub id or folder), in eval mode, on the device (or device map)."""
    loading = loading or VLMLoading()
    revision, device, dtype = loading.revision, loading.device, loading.dtype
    trust_remote_code, attn_implementation = loading.trust_remote_code, loading.attn_implementation
    device_map, chat_template = loading.device_map, loading.chat_template
    from transformers import AutoConfig, AutoProcessor

    where = torch.device(device) if device else resolve_device(None)
    wanted_dtype = resolve_dtype(dtype, where)
    common: dict[str, Any] = {"revision": revision, "trust_remote_code": trust_remote_code}
    try:
        config = AutoConfig.from_pretrained(source, **common)
        processor = AutoProcessor.from_pretrained(source, **common)
    except (OSError, ValueError) as err:
        hint = "" if Path(source).exists() else " (a hub id needs the network or a filled Hugging Face cache)"
        raise HFLoadError(f"cannot load the transformers checkpoint {source!r}: {_first_line(err)}{hint}") from err
    if chat_template is not None:
        processor.chat_template = Path(chat_template).read_text(encoding="utf-8")
    tokenizer = getattr(processor, "tokenizer", None)
    if tokenizer is None:
        raise HFLoadError(f"the processor of {source!r} has no tokenizer; it is not a text-generating VLM")
    tokenizer.padding_side = "left"  # generation continues every row from its last real token
    model_class = _model_class(config, source, trust_remote_code)
    kwargs: dict[str, Any] = {**common, "dtype": wanted_dtype}
    if attn_implementation:
        kwargs["attn_implementation"] = attn_implementation
    if device_map:
        kwargs["device_map"] = device_map
    try:
        model = model_class.from_pretrained(source, **kwargs)
    except (OSError, ValueError) as err:
        raise HFLoadError(f"cannot load the weights of {source!r}: {_first_line(err)}") from err
    if not device_map:
        model = model.to(where)
    model.eval()
    template = getattr(processor, "chat_template", None)
    return LoadedVLM(
        model=model, processor=processor, source=source,
        revision=getattr(config, "_commit_hash", None) or revision,
        dtype=next(model.parameters()).dtype, device=next(model.parameters()).device,
        model_class=type(model).__name__,
        chat_template_sha256=hashlib.sha256(template.encode()).hexdigest()[:16] if template else None,
    )


def _model_class(config: Any, source: str, trust_remote_code: bool) -> Any:
    import transformers
    from transformers import AutoModelForImageTextToText

    if type(config) in AutoModelForImageTextToText._model_mapping:
        return AutoModelForImageTextToText
    for name in getattr(config, "architectures", None) or ():
        if hasattr(transformers, name):
            return getattr(transformers, name)
    if trust_remote_code and getattr(config, "auto_map", None):
        return AutoModelForImageTextToText
    raise HFLoadError(
        f"{source!r} (model_type {getattr(config, 'model_type', '?')!r}) is not an image-text-to-text model "
        "transformers knows; if the checkpoint ships its own code, pass --model-arg trust_remote_code=true"
    )


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__
