"""What a results document records about the software and hardware that produced it.

Versions come from installed package metadata, so recording them never imports torch. GPUs are
listed only when torch is already imported (a model ran): a replay or score run reports none.
"""

from __future__ import annotations

import os
import platform
import sys
from importlib.metadata import PackageNotFoundError, version
from typing import Any

RECORDED_PACKAGES = (
    "eagle-eval",
    "torch",
    "transformers",
    "timm",
    "datasets",
    "pandas",
    "numpy",
    "pillow",
    "accelerate",
    "lmms-eval",
)


def package_version(name: str) -> str | None:
    try:
        return version(name)
    except PackageNotFoundError:
        return None


def software_versions() -> dict[str, Any]:
    versions: dict[str, Any] = {
        "python": platform.python_version(),
        "platform": platform.platform(),
    }
    for name in RECORDED_PACKAGES:
        key = "eagle_eval" if name == "eagle-eval" else name.replace("-", "_")
        versions[key] = package_version(name)
    torch = sys.modules.get("torch")
    if torch is not None:
        versions["cuda"] = getattr(torch.version, "cuda", None)
    return versions


def cpu_name() -> str:
    """The CPU model name (/proc/cpuinfo on Linux; platform.processor elsewhere)."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def gpu_list() -> list[dict[str, Any]]:
    torch = sys.modules.get("torch")
    if torch is None or not torch.cuda.is_available():
        return []
    gpus = []
    for index in range(torch.cuda.device_count()):
        props = torch.cuda.get_device_properties(index)
        gpus.append(
            {
                "index": index,
                "name": props.name,
                "memory_gib": round(props.total_memory / 2**30, 1),
                "capability": f"{props.major}.{props.minor}",
            }
        )
    return gpus


def hardware_summary() -> dict[str, Any]:
    return {
        "cpu": cpu_name(),
        "cpu_count": os.cpu_count(),
        "machine": platform.machine(),
        "gpus": gpu_list(),
    }
