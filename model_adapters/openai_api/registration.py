"""Register `openai:<model name>`: any OpenAI-compatible chat server (vLLM, SGLang, TGI, LMDeploy, hosted APIs).

    eagle-eval run --model openai:Qwen2-VL-7B-Instruct --model-arg base_url=http://127.0.0.1:8000/v1 --tasks textvqa

The API key is read from the environment variable named by `api_key_env` (default OPENAI_API_KEY),
never from the command line, and is never written anywhere (results, samples, caches, messages).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from eagle_eval.api.registry import ModelArg, ModelArgError, ModelEntry, ModelOptions, register_model_scheme
from eagle_eval.core.urls import InsecureURLError
from eagle_eval.judge.chat_client import ChatClient, ChatEndpoint

SCHEME = "openai"
DEFAULT_KEY_ENV = "OPENAI_API_KEY"
OPENAI_MODEL_ARGS: dict[str, str] = {
    "base_url": "the server's API root, e.g. http://127.0.0.1:8000/v1 (required)",
    "api_key_env": f"name of the environment variable holding the API key (default {DEFAULT_KEY_ENV}; unset: no key)",
    "max_concurrency": "requests in flight at once (default 8)",
    "max_tries": "attempts per request on 429, 5xx, timeouts and connection errors (default 5)",
    "timeout_s": "wall-clock bound of one request, retries and back-off included (default 300)",
    "max_consecutive_failures": "failed requests in a row after which the run stops calling (default 10)",
    "seed": "seed sent with every request (default: the run's --seed; 'none' sends none)",
    "system_prompt": "text of a system turn put before every request (default: none)",
    "image_format": "png (default, lossless) or jpeg",
    "cache_dir": "where answers are cached (default $EAGLE_EVAL_CACHE/chat or ~/.cache/eagle-eval/chat)",
}
MODEL_ARGS = tuple(ModelArg(key, text) for key, text in OPENAI_MODEL_ARGS.items())


class OpenAIModelArgError(ModelArgError):
    """A bad --model-arg for the openai adapter (one line, exit 2)."""


def default_cache_dir() -> Path:
    root = os.environ.get("EAGLE_EVAL_CACHE")
    return (Path(root).expanduser() if root else Path.home() / ".cache" / "eagle-eval") / "chat"


def _positive(key: str, value: Any, kind: type = int) -> Any:
    try:
        number = kind(value)
    except (TypeError, ValueError):
        number = 0
    if number <= 0:
        raise OpenAIModelArgError(f"--model-arg {key}={value}: expected a positive number")
    return number


def parse_model_args(extra: dict[str, Any], run_seed: int) -> dict[str, Any]:
    """Checked settings from `--model-arg` strings; unknown keys and malformed values raise."""
    unknown = sorted(set(extra) - set(OPENAI_MODEL_ARGS))
    if unknown:
        valid = "; ".join(f"{key}: {what}" for key, what in OPENAI_MODEL_ARGS.items())
        raise OpenAIModelArgError(f"unknown --model-arg {', '.join(unknown)} for the openai adapter; valid keys: {valid}")
    if not str(extra.get("base_url", "")).strip():
        raise OpenAIModelArgError(
            "the openai adapter needs the server's address: add --model-arg base_url=http://HOST:PORT/v1"
        )
    seed_text = str(extra.get("seed", run_seed)).strip().lower()
    if seed_text == "none":
        seed = None
    else:
        try:
            seed = int(seed_text)
        except ValueError:
            raise OpenAIModelArgError(f"--model-arg seed={extra['seed']}: expected an integer or none") from None
    image_format = str(extra.get("image_format", "png")).lower()
    if image_format not in ("png", "jpeg"):
        raise OpenAIModelArgError(f"--model-arg image_format={image_format}: expected png or jpeg")
    return {
        "base_url": str(extra["base_url"]).strip(),
        "api_key_env": str(extra.get("api_key_env", DEFAULT_KEY_ENV)),
        "max_concurrency": _positive("max_concurrency", extra.get("max_concurrency", 8)),
        "max_tries": _positive("max_tries", extra.get("max_tries", 5)),
        "timeout_s": _positive("timeout_s", extra.get("timeout_s", 300), float),
        "max_consecutive_failures": _positive("max_consecutive_failures", extra.get("max_consecutive_failures", 10)),
        "seed": seed,
        "system_prompt": extra.get("system_prompt") or None,
        "image_format": image_format,
        "cache_dir": Path(str(extra["cache_dir"])).expanduser() if extra.get("cache_dir") else default_cache_dir(),
    }


def build_adapter(name: str, model: str, options: ModelOptions):  # -> OpenAIChatAdapter (lazy import)
    from eagle_eval.model_adapters.openai_api.adapter import OpenAIChatAdapter, OpenAISettings

    settings = parse_model_args(options.extra, options.seed)
    endpoint = ChatEndpoint(
        base_url=settings["base_url"],
        model=model,
        api_key=os.environ.get(settings["api_key_env"]) or None,
        max_tries=settings["max_tries"],
        timeout_s=settings["timeout_s"],
        max_consecutive_failures=settings["max_consecutive_failures"],
    )
    try:
        endpoint.check_transport("--model-arg base_url")
    except InsecureURLError as err:
        raise OpenAIModelArgError(str(err)) from None
    client = ChatClient(endpoint, settings["cache_dir"], label="model",
                        fix_hint="check --model-arg base_url, the model name and the API key's variable")
    adapter_settings = OpenAISettings(system_prompt=settings["system_prompt"], image_format=settings["image_format"],
                                      seed=settings["seed"], max_concurrency=settings["max_concurrency"])
    return OpenAIChatAdapter(name, client, adapter_settings, batch_size=options.batch_size)


def entry_for_model(model: str) -> ModelEntry:
    name = f"{SCHEME}:{model}"
    return ModelEntry(
        name=name,
        factory=lambda options: build_adapter(name, model, options),
        description=f"{model} behind an OpenAI-compatible chat-completions server",
        family=SCHEME,
        needs_torch=False,
        loads_weights=False,
        model_args=MODEL_ARGS,
    )


register_model_scheme(SCHEME, entry_for_model)
