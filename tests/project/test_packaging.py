"""The wheel maps tasks/ and model_adapters/ under the eagle_eval namespace and ships every module."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SOURCE_FOLDERS = {"eagle_eval": "eagle_eval", "tasks": "eagle_eval/tasks", "model_adapters": "eagle_eval/model_adapters"}


@pytest.mark.slow  # builds a wheel
def test_wheel_ships_every_module_under_the_eagle_eval_namespace(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(tmp_path), str(ROOT)],
        check=True,
    )
    (wheel,) = tmp_path.glob("eagle_eval-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    top_levels = {name.split("/")[0] for name in names if not name.startswith("eagle_eval-")}
    assert top_levels == {"eagle_eval"}, f"generic top-level names installed: {top_levels}"
    for folder, installed_as in SOURCE_FOLDERS.items():
        for module in (ROOT / folder).rglob("*.py"):
            if "__pycache__" in module.parts:
                continue
            expected = f"{installed_as}/{module.relative_to(ROOT / folder).as_posix()}"
            assert expected in names, f"{module.relative_to(ROOT)} is missing from the wheel as {expected}"
    assert "eagle_eval/results/published/eagle_readme_tables.csv" in names
    assert "eagle_eval/results/published/comparison_models.csv" in names
    for asset in ("report.html", "report.css", "report.js"):
        assert f"eagle_eval/report/assets/{asset}" in names

    # The installed wheel imports on its own, from outside the source tree.
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(target), str(wheel)], check=True)
    probe = (
        "import eagle_eval.tasks, eagle_eval.model_adapters.eagle.presets, eagle_eval.api.registry as r;"
        "print(eagle_eval.tasks.__file__); print(len(r.task_names()))"
    )
    env = {**os.environ, "PYTHONPATH": str(target)}
    out = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, env=env, check=True, capture_output=True, text=True)
    location, count = out.stdout.split()
    assert Path(location).is_relative_to(target) and int(count) >= 13


def test_console_script_is_declared() -> None:
    from importlib.metadata import entry_points

    (script,) = [ep for ep in entry_points(group="console_scripts") if ep.name == "eagle-eval"]
    assert script.value == "eagle_eval.cli:main"


# What pip does with a build backend: call its hook in a fresh interpreter and keep the warnings it raised
# (pip >= 25 prints them, which is how setuptools' notice reached the terminal).
EDITABLE_BUILD = """
import json, sys, warnings
from setuptools import build_meta
wheel_dir, report = sys.argv[1:]  # setuptools rewrites sys.argv while it builds
with warnings.catch_warnings(record=True) as seen:
    build_meta.build_editable(wheel_dir)
with open(report, "w") as out:
    json.dump([str(w.message).strip().splitlines()[0] for w in seen], out)
"""


def test_setup_env_filters_setuptools_editable_notice_and_nothing_else(tmp_path: Path) -> None:
    setup_env = (ROOT / "scripts" / "setup_env.sh").read_text()
    (warning_filter,) = re.findall(r'PYTHONWARNINGS="\$\{PYTHONWARNINGS:\+\$PYTHONWARNINGS,\}([^"]+)"', setup_env)
    assert warning_filter == "ignore:Editable installation"  # one message, not a category or all warnings

    def editable_build_warnings(name: str, extra_env: dict[str, str]) -> list[str]:
        env = {k: v for k, v in os.environ.items() if k != "PYTHONWARNINGS"} | extra_env
        (tmp_path / name).mkdir()
        report = tmp_path / f"{name}.json"
        subprocess.run([sys.executable, "-c", EDITABLE_BUILD, str(tmp_path / name), str(report)], cwd=ROOT, env=env,
                       check=True, capture_output=True)  # fmt: skip
        return json.loads(report.read_text())

    plain = editable_build_warnings("plain", {})
    assert "Editable installation." in plain  # this layout gets the notice: the filter has work to do
    filtered = editable_build_warnings("filtered", {"PYTHONWARNINGS": warning_filter})
    assert filtered == [message for message in plain if message != "Editable installation."]
