"""Built-in model adapters, one package or module per model family."""

import importlib

BUILTIN_MODEL_MODULES = (
    "replay",
    "eagle.registration",
    "eagle2.registration",
    "hf.registration",
    "openai_api.registration",
)


def register_builtin_models() -> None:
    for module in BUILTIN_MODEL_MODULES:
        importlib.import_module(f"eagle_eval.model_adapters.{module}")
