"""The wheel maps tasks/ and model_adapters/ under the eagle_eval namespace and ships every module."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCE_FOLDERS = {"eagle_eval": "eagle_eval", "tasks": "eagle_eval/tasks", "model_adapters": "eagle_eval/model_adapters"}


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
    assert "eagle_eval/reference/eagle_readme_tables.csv" in names
    assert "eagle_eval/reference/comparison_models.csv" in names
    for asset in ("report.html", "report.css", "report.js"):
        assert f"eagle_eval/report/assets/{asset}" in names

    # The installed wheel imports on its own, from outside the source tree.
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(target), str(wheel)], check=True)
    probe = (
        "import eagle_eval.tasks, eagle_eval.model_adapters.eagle.presets, eagle_eval.registry as r;"
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
