"""The setup's system packages: each checked on its own, only the missing ones asked for, each once.

scripts/install_system_packages.sh (run by scripts/setup_env.sh) runs here against a fake machine: a
fake `apt-get` on PATH that records every call and "installs" a package by creating its proof file
under a fake system root (EAGLE_EVAL_SYSTEM_ROOT), and a fake `id` that says who runs it. PATH holds
only these and the two tools the script uses, so "no apt-get" is a machine without one.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import ROOT

SCRIPT = ROOT / "scripts" / "install_system_packages.sh"
LIST = ROOT / "scripts" / "system-packages.txt"

FAKE_APT_GET = r"""#!/bin/sh
# Records its arguments, one call a line; `install` creates each package's proof file (from the list).
echo "$*" >>"$FAKE_CALLS"
[ "$1" = install ] || exit 0
for arg in "$@"; do
    case $arg in install|-*) continue ;; esac
    proof=$(awk -v p="$arg" '$1 == p { print $2 }' "$FAKE_LIST")
    [ -n "$proof" ] || { echo "E: Unable to locate package $arg" >&2; exit 100; }
    [ -n "$FAKE_BROKEN" ] && continue
    mkdir -p "$(dirname "$EAGLE_EVAL_SYSTEM_ROOT$proof")" && touch "$EAGLE_EVAL_SYSTEM_ROOT$proof"
done
"""


def listed(path: Path = LIST) -> dict[str, tuple[str, str]]:
    """{package: (proof, extras)} of a package list."""
    rows = [line.split(maxsplit=3) for line in path.read_text().splitlines() if line.strip() and not line.startswith("#")]
    return {row[0]: (row[1], row[2]) for row in rows}


@dataclass
class Run:
    code: int
    out: str
    err: str
    calls: list[list[str]]

    def installs(self) -> list[str]:
        """Every package apt-get was asked to install, in order (a package asked twice appears twice)."""
        return [arg for call in self.calls if call[0] == "install" for arg in call[1:] if not arg.startswith("-")]

    def updates(self) -> int:
        return sum(call[0] == "update" for call in self.calls)


class Machine:
    """A fake machine: its system root, who runs the setup, and whether it has apt-get."""

    def __init__(self, tmp_path: Path, root: bool = True, apt_get: bool = True, package_list: Path = LIST):
        self.dir, self.package_list = tmp_path, package_list
        self.system_root = tmp_path / "system"
        self.system_root.mkdir()
        self.bin = tmp_path / "bin"
        self.bin.mkdir()
        for tool in ("basename", "dirname", "awk", "mkdir", "touch"):
            (self.bin / tool).symlink_to(shutil.which(tool))
        (self.bin / "id").write_text(f"#!/bin/sh\necho {0 if root else 1000}\n")
        if apt_get:
            (self.bin / "apt-get").write_text(FAKE_APT_GET)
        for tool in self.bin.iterdir():
            if not tool.is_symlink():
                tool.chmod(0o755)
        self.calls = tmp_path / "apt-get-calls"

    def install(self, *packages: str) -> None:
        """Put packages on the machine beforehand, as their proof files."""
        proofs = listed(self.package_list)
        for package in packages:
            proof = self.system_root / proofs[package][0].lstrip("/")
            proof.parent.mkdir(parents=True, exist_ok=True)
            proof.touch()

    def has(self, package: str) -> bool:
        return (self.system_root / listed(self.package_list)[package][0].lstrip("/")).exists()

    def setup(self, *args: str, broken_apt: bool = False) -> Run:
        """The setup step as scripts/setup_env.sh runs it (or --check), on this machine."""
        self.calls.write_text("")
        env = {
            "PATH": str(self.bin),
            "HOME": str(self.dir),
            "EAGLE_EVAL_SYSTEM_ROOT": str(self.system_root),
            "FAKE_CALLS": str(self.calls),
            "FAKE_LIST": str(self.package_list),
            "FAKE_BROKEN": "1" if broken_apt else "",
        }
        if self.package_list != LIST:
            env["EAGLE_EVAL_SYSTEM_PACKAGES"] = str(self.package_list)
        done = subprocess.run([shutil.which("bash"), str(SCRIPT), *args], env=env, capture_output=True, text=True,
                              timeout=60)  # fmt: skip
        calls = [line.split() for line in self.calls.read_text().splitlines()]
        return Run(done.returncode, done.stdout, done.stderr, calls)


TEST_PACKAGES = [name for name, (_, extras) in listed().items() if "test" in extras.split(",")]
# The browser scenarios below start from a machine that has every other test package (the Slurm ones),
# so that what they check is the browser and its driver alone.
BESIDE_THE_BROWSER = [name for name in TEST_PACKAGES if name not in ("chromium", "chromium-driver")]


def test_the_list_names_the_browser_and_its_driver_each_with_its_own_proof():
    packages = listed()
    assert {"chromium", "chromium-driver"} <= set(TEST_PACKAGES)
    assert packages["chromium"][0] == "/usr/bin/chromium"
    assert packages["chromium-driver"][0] == "/usr/bin/chromedriver"
    proofs = [proof for proof, _ in packages.values()]
    assert all(proof.startswith("/") for proof in proofs) and len(set(proofs)) == len(proofs)
    setup_env = (ROOT / "scripts" / "setup_env.sh").read_text()
    assert 'bash scripts/install_system_packages.sh "$1"' in setup_env  # the setup runs this step with its extras


def test_nothing_installed_installs_every_package_once_after_one_update(tmp_path):
    machine = Machine(tmp_path)
    run = machine.setup("test")
    assert run.code == 0, run.err
    assert run.updates() == 1 and run.calls[0][0] == "update"
    assert run.installs() == TEST_PACKAGES
    assert all(machine.has(package) for package in TEST_PACKAGES)
    assert f"installed {' '.join(TEST_PACKAGES)} in " in run.err
    again = machine.setup("test")  # idempotent: a second setup finds everything and asks for nothing
    assert (again.code, again.calls, again.err) == (0, [], "")


def test_a_browser_without_its_driver_installs_just_the_driver(tmp_path):
    machine = Machine(tmp_path)
    machine.install("chromium", *BESIDE_THE_BROWSER)
    run = machine.setup("test")
    assert run.code == 0, run.err
    assert run.updates() == 1
    assert run.installs() == ["chromium-driver"]
    assert machine.has("chromium-driver")


def test_everything_installed_calls_apt_get_not_at_all(tmp_path):
    machine = Machine(tmp_path)
    machine.install(*TEST_PACKAGES)
    run = machine.setup("test")
    assert (run.code, run.calls, run.out, run.err) == (0, [], "", "")


@pytest.mark.parametrize("present", [(), ("chromium",)], ids=["nothing", "browser-only"])
def test_not_root_installs_nothing_and_prints_the_command_for_just_the_missing(tmp_path, present):
    machine = Machine(tmp_path, root=False)
    machine.install(*present)
    missing = [package for package in TEST_PACKAGES if package not in present]
    run = machine.setup("test")
    assert run.code == 0  # the setup goes on; the tests that need the packages say the command
    assert run.calls == []
    assert not any(machine.has(package) for package in missing)
    assert run.err.strip().splitlines()[-1] == (
        f"install_system_packages.sh: not root, so nothing was installed; install with: sudo apt-get install -y "
        f"{' '.join(missing)}"
    )
    for package in missing:
        assert f"missing {package} (" in run.err


def test_no_apt_get_prints_the_command_too(tmp_path):
    machine = Machine(tmp_path, apt_get=False)
    machine.install("chromium", *BESIDE_THE_BROWSER)
    run = machine.setup("test")
    assert run.code == 0
    assert run.err.strip().splitlines()[-1].endswith("no apt-get, so nothing was installed; install with: "
                                                     "apt-get install -y chromium-driver")


def test_an_install_that_leaves_a_proof_file_missing_fails_the_setup(tmp_path):
    machine = Machine(tmp_path)
    run = machine.setup("test", broken_apt=True)
    assert run.code == 1
    assert "apt-get installed chromium-driver, but /usr/bin/chromedriver is not there" in run.err


@pytest.mark.parametrize(
    ("root", "present", "code", "last"),
    [
        (True, (), 1, f"missing: {' '.join(TEST_PACKAGES)}; install with: apt-get install -y {' '.join(TEST_PACKAGES)}"),
        (True, ("chromium",), 1, "missing: chromium-driver; install with: apt-get install -y chromium-driver"),
        (True, ("chromium", "chromium-driver"), 0, None),
        (False, ("chromium",), 1, "missing: chromium-driver; install with: sudo apt-get install -y chromium-driver"),
    ],
    ids=["nothing", "browser-without-driver", "everything", "not-root"],
)
def test_check_reports_each_package_and_installs_nothing(tmp_path, root, present, code, last):
    machine = Machine(tmp_path, root=root)
    if present:
        present = (*present, *BESIDE_THE_BROWSER)
    machine.install(*present)
    run = machine.setup("--check", "test")
    assert (run.code, run.calls) == (code, [])
    lines = run.out.strip().splitlines()
    states = {line.split()[1]: line.split()[0] for line in lines if line.split()[0] in ("present", "missing")}
    assert states == {package: "present" if package in present else "missing" for package in TEST_PACKAGES}
    assert "Selenium drives chromium" in run.out  # each line says why the package is needed
    if last is not None:
        assert lines[-1] == last
    only = machine.setup("--check", "test", "chromium")  # a test asks for just the packages it needs
    assert only.code == (0 if "chromium" in present else 1) and "chromium-driver" not in only.out


def test_each_feature_gets_its_own_packages_from_one_list_each_once(tmp_path):
    (tmp_path / "list.txt").write_text(
        "# package  proof  extra  why\n"
        "browser   /usr/bin/browser  test        the browser tests\n"
        "munge     /usr/sbin/munged  test,sweep  the sweep tests and their daemons\n"
        "slurmd    /usr/sbin/slurmd  sweep       the sweep tests\n"
        "mariadb   /usr/sbin/mariadbd  sweep     slurmdbd's accounting store"  # no newline at the end
    )
    for extras, expected in [("test", ["browser", "munge"]), ("sweep", ["munge", "slurmd", "mariadb"]),
                             ("test,sweep", ["browser", "munge", "slurmd", "mariadb"])]:  # fmt: skip
        (tmp_path / extras).mkdir()
        machine = Machine(tmp_path / extras, package_list=tmp_path / "list.txt")
        machine.install("munge")  # already there: never asked for
        run = machine.setup(extras)
        assert run.code == 0, run.err
        wanted = [package for package in expected if package != "munge"]
        assert run.installs() == wanted and run.updates() == 1
        assert all(count == 1 for count in Counter(run.installs()).values())


def test_an_unknown_package_or_flag_is_a_usage_error(tmp_path):
    machine = Machine(tmp_path)
    assert machine.setup("--check", "test", "no-such-package").code == 2
    assert machine.setup("--force").code == 2


def test_the_readiness_check_of_this_machine_runs(tmp_path):
    """The README's readiness command, on the real machine: exit 0 or 1, one line per test package."""
    done = subprocess.run(["bash", str(SCRIPT), "--check", "test"], capture_output=True, text=True, timeout=60,
                          env={**os.environ, "EAGLE_EVAL_SYSTEM_ROOT": ""})  # fmt: skip
    assert done.returncode in (0, 1), done.stderr
    assert [line.split()[1] for line in done.stdout.splitlines()[: len(TEST_PACKAGES)]] == TEST_PACKAGES
