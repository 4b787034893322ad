"""Register `hf:<hub id or folder>` and the named presets with the model registry.

Importing this module is cheap: torch and transformers load only when a factory builds a model.
Adapter-specific settings arrive as `--model-arg KEY=VALUE` strings (in `ModelOptions.extra`); the
keys this adapter knows are `HF_MODEL_ARGS`, and any other key is an error naming the valid ones.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from eagle_eval.api.registry import (
    ModelArg,
    ModelArgError,
    ModelEntry,
    ModelOptions,
    UnknownNameError,
    register_model,
    register_model_scheme,
)
from eagle_eval.model_adapters.hf.presets import HF_PRESETS, HFPreset

if TYPE_CHECKING:
    from eagle_eval.model_adapters.hf.adapter import HFVisionLanguageAdapter

SCHEME = "hf"
HF_MODEL_ARGS: dict[str, str] = {
    "trust_remote_code": "true/false (default false): run Python code shipped with the checkpoint",
    "attn_implementation": "eager, sdpa or flash_attention_2 (default: transformers' choice)",
    "device_map": "e.g. auto: spread a large model over the visible GPUs (accelerate)",
    "chat_template": "path of a Jinja chat template replacing the checkpoint's",
    "system_prompt": "text of a system turn put before every request (default: none)",
    "max_new_tokens": "a cap on every request's token budget, for smoke runs (off the paper's protocol; recorded)",
}
_TRUE, _FALSE = ("true", "1", "yes"), ("false", "0", "no")
# Eagle 2 / 2.5 on the hub ship only remote code written for transformers 4.x (no transformers class
# loads them), so `hf:` would download weights and then fail or run foreign code: each has a native
# preset (model_adapters/eagle2/) instead. Keys are hub ids in lower case.
NATIVE_EAGLE2: dict[str, str] = {
    "nvidia/eagle2-1b": "eagle2-1b",
    "nvidia/eagle2-2b": "eagle2-2b",
    "nvidia/eagle2-9b": "eagle2-9b",
    "nvidia/eagle2.5-8b": "eagle2.5-8b",
}


def _positive(value: Any) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        number = 0
    if number < 1:
        raise ValueError("expected a positive integer")
    return number


def _boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE or text in _FALSE:
        return text in _TRUE
    raise ValueError("expected true or false")


def _template_file(value: Any) -> str:
    if not Path(str(value)).is_file():
        raise ValueError("no such file; give the path of a .jinja template")
    return str(value)


# Each value is checked (and converted) the same way by the registry before anything loads and here.
_CONVERT = {"trust_remote_code": _boolean, "max_new_tokens": _positive, "chat_template": _template_file}
MODEL_ARGS = tuple(ModelArg(key, text, check=_CONVERT.get(key)) for key, text in HF_MODEL_ARGS.items())


class HFModelArgError(ModelArgError):
    """A bad --model-arg for the hf adapter (the command line prints it as one line, exit 2)."""


def parse_model_args(extra: dict[str, Any]) -> dict[str, Any]:
    """Checked settings from `--model-arg` strings; unknown keys and malformed values raise."""
    unknown = sorted(set(extra) - set(HF_MODEL_ARGS))
    if unknown:
        valid = "; ".join(f"{key}: {what}" for key, what in HF_MODEL_ARGS.items())
        raise HFModelArgError(f"unknown --model-arg {', '.join(unknown)} for the hf adapter; valid keys: {valid}")
    settings = dict(extra)
    for key, convert in _CONVERT.items():
        if key in settings:
            try:
                settings[key] = convert(settings[key])
            except ValueError as err:
                raise HFModelArgError(f"--model-arg {key}={settings[key]}: {err}") from err
    return settings


def build_adapter(name: str, source: str, options: ModelOptions, hub_id: str | None = None,
                  revision: str | None = None) -> HFVisionLanguageAdapter:
    """Load `options.model_path` (or `source`) and wrap it in an adapter."""
    import torch

    from eagle_eval.model_adapters.hf.adapter import HFVisionLanguageAdapter
    from eagle_eval.model_adapters.hf.loading import VLMLoading, load_vlm

    settings = parse_model_args(options.extra)
    torch.manual_seed(options.seed)
    trust = bool(settings.get("trust_remote_code", False))
    loading = VLMLoading(revision=options.revision or revision, device=options.device, dtype=options.dtype,
                         trust_remote_code=trust, attn_implementation=settings.get("attn_implementation"),
                         device_map=settings.get("device_map"), chat_template=settings.get("chat_template"))
    loaded = load_vlm(options.model_path or source, loading)
    return HFVisionLanguageAdapter(name, loaded, hub_id=hub_id, batch_size=options.batch_size,
                                   system_prompt=settings.get("system_prompt"), trust_remote_code=trust,
                                   max_new_tokens_cap=settings.get("max_new_tokens"))


def _is_hub_id(source: str) -> bool:
    return not Path(source).expanduser().exists() and source.count("/") == 1


class HFSourceError(UnknownNameError):
    """`hf:<path>` naming a folder that is not there, or a checkpoint with a native adapter (the command
    line prints it as one line, exit 2)."""


def _check_native_eagle2(source: str) -> None:
    """Refused when the entry is made (the run's plan), before any download or remote code runs."""
    native = NATIVE_EAGLE2.get(source.strip().strip("/").lower())
    if native is not None:
        raise HFSourceError(f"model 'hf:{source}': Eagle 2/2.5 checkpoints need remote code written for "
                            f"transformers 4.x; use --model {native} (the native adapter)")


def _looks_local(source: str) -> bool:
    """A path, not a hub id: absolute, relative with ./ ../ ~, or more than one `/` (hub ids are org/name)."""
    return source.startswith(("/", "./", "../", "~", ".\\")) or source.count("/") > 1 or "\\" in source


def _check_local_source(source: str) -> None:
    """Refused when the entry is made (the run's plan), not after transformers' hub-id error at load time."""
    if not _looks_local(source):
        return
    path = Path(source).expanduser()
    if not path.exists():
        raise HFSourceError(f"model 'hf:{source}': no such checkpoint folder {path}; give the folder that "
                            "save_pretrained wrote, or a hub id as org/name")
    if not path.is_dir():
        raise HFSourceError(f"model 'hf:{source}': {path} is a file; give the checkpoint folder it belongs to")


def entry_for_source(source: str) -> ModelEntry:
    """The entry of `hf:<source>`: a hub id (`org/name`) or a local checkpoint folder."""
    _check_native_eagle2(source)
    _check_local_source(source)
    name = f"{SCHEME}:{source}"
    hub_id = source if _is_hub_id(source) else None

    def factory(options: ModelOptions) -> HFVisionLanguageAdapter:
        return build_adapter(name, source, options, hub_id=hub_id)

    return ModelEntry(name=name, factory=factory, hub_id=hub_id,
                      description=f"transformers image-text-to-text checkpoint {source}",
                      family=SCHEME, model_args=MODEL_ARGS)


def _preset_entry(preset: HFPreset) -> ModelEntry:
    def factory(options: ModelOptions) -> HFVisionLanguageAdapter:
        return build_adapter(preset.name, preset.hub_id, options, hub_id=preset.hub_id, revision=preset.revision)

    description = preset.description + (f" [alias: {', '.join(preset.aliases)}]" if preset.aliases else "")
    notes = ("unpinned: the loaded hub commit is recorded; pass --revision to pin",) if preset.revision is None else ()
    return ModelEntry(name=preset.name, factory=factory, description=description, hub_id=preset.hub_id,
                      aliases=preset.aliases, family=SCHEME, preset=preset.name, reference=preset.reference,
                      revision=preset.revision, llm=preset.llm, vision=preset.vision,
                      template="the checkpoint's chat template", notes=notes, model_args=MODEL_ARGS)


def register_hf_models() -> None:
    register_model_scheme(SCHEME, entry_for_source, target="hub id or local folder")
    for preset in HF_PRESETS.values():
        register_model(_preset_entry(preset))


register_hf_models()
