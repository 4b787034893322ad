"""Built-in benchmarks, one module per benchmark. Importing a module registers its tasks."""

import importlib
import pkgutil


def register_builtin_tasks() -> None:
    for module in pkgutil.iter_modules(__path__):
        if not module.name.startswith("_"):
            importlib.import_module(f"{__name__}.{module.name}")
