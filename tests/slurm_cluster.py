"""A private single-node Slurm with accounting, for the tests that submit real jobs (the `slurm_cluster`
fixture, registered as a plugin in tests/conftest.py).

Everything lives in one temp folder per cluster: munged with its own key and socket, a MariaDB server on
127.0.0.1 with its data there, slurmdbd, slurmctld and slurmd, their state, spool, pid and log files.
Accounting is not optional: submitit learns the state of a job that died without writing its result
(scancel, SIGKILL) only from `sacct`, and without it such a job would look unfinished forever.

The facts it follows (docs/sweeps.md, "Testing against a real Slurm"): no systemd, so the daemons run as
plain processes; each pytest-xdist worker has its own port base and folder; scheduler timings are short
so that a job starts in about a second; every wait is bounded. When the cluster cannot start, the test
fails with the reason and each daemon's log tail under CI (and skips with that outside it); when the
packages are missing it skips with the install command (a failure under CI, as every skip is).
Teardown cancels every job while slurmctld is still up, then stops the daemons by their pid files, never
by name.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

PACKAGES = ("slurmctld", "slurmd", "slurm-client", "munge", "slurmdbd", "mariadb-server-core", "mariadb-client-core")
PORT_BASE = 17000  # + 20 per xdist worker, + 200 per retry when a port of that base is taken
# Daemons in the order they start; teardown stops them in the reverse order.
DAEMONS = ("munged", "mariadbd", "slurmdbd", "slurmctld", "slurmd")


class ClusterError(RuntimeError):
    """The cluster could not start: the message says which step and why."""


def wait_for(what: str, ready: Callable[[], bool], timeout: float, interval: float = 0.2) -> None:
    """Poll `ready` until it is true; past `timeout` seconds raise ClusterError naming `what`."""
    deadline = time.monotonic() + timeout
    while not ready():
        if time.monotonic() > deadline:
            raise ClusterError(f"{what}: not within {timeout:g} s")
        time.sleep(interval)


def port_is_free(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def port_is_open(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.5)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def free_port_base() -> int:
    """This worker's port base (4 ports: slurmctld, slurmd, slurmdbd, MariaDB), moved on by 200 while one
    of them is taken (a leftover cluster, another program)."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw")
    first = PORT_BASE + 20 * (int(worker) if worker.isdigit() else 0)
    taken: list[int] = []
    for base in range(first, first + 5 * 200, 200):
        busy = [port for port in range(base, base + 4) if not port_is_free(port)]
        if not busy:
            return base
        taken += busy
    raise ClusterError(f"no free port base from {first}: ports {taken} on 127.0.0.1 are taken")


def alive(pid: int) -> bool:
    """A process that runs: not gone and not a zombie (PID 1 here reaps orphans late, and a zombie still
    answers kill -0)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return False
    return fields[0] not in ("Z", "X")


def stop_pid(pid: int, timeout: float = 10.0) -> None:
    """SIGTERM, then SIGKILL if it still runs after `timeout` seconds."""
    for sig, wait in ((signal.SIGTERM, timeout), (signal.SIGKILL, 5.0)):
        if not alive(pid):
            return
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + wait
        while alive(pid) and time.monotonic() < deadline:
            time.sleep(0.1)


@dataclass
class SlurmCluster:
    """A running cluster: SLURM_CONF for the clients (set in the environment while it runs), its folder,
    node and partition names, and helpers over the client commands."""

    root: Path
    port_base: int
    host: str = field(default_factory=lambda: socket.gethostname().split(".")[0])
    name: str = "eagle"
    partition: str = "debug"
    mariadb: subprocess.Popen | None = None

    @property
    def conf(self) -> Path:
        return self.root / "etc" / "slurm.conf"

    @property
    def env(self) -> dict[str, str]:
        return {**os.environ, "SLURM_CONF": str(self.conf)}

    def command(self, *args: str, timeout: float = 30.0, check: bool = True) -> str:
        """Run a Slurm command (sinfo, squeue, sacct, scancel, ...) against this cluster; its stdout."""
        done = subprocess.run(list(args), env=self.env, capture_output=True, text=True, timeout=timeout)
        if check and done.returncode != 0:
            raise ClusterError(f"{' '.join(args)} exited {done.returncode}: {done.stderr.strip()}")
        return done.stdout

    def sacct_states(self, job_id: str) -> dict[str, str]:
        """{job or array task id: state} from accounting (without the steps)."""
        out = self.command("sacct", "-X", "-n", "-P", "-o", "JobID,State", "-j", job_id, check=False)
        return dict(line.split("|", 1) for line in out.splitlines() if "|" in line)

    def wait_for_sacct(self, job_id: str, state: str, count: int = 1, timeout: float = 30.0) -> dict[str, str]:
        """Poll sacct (which lags squeue by seconds) until `count` entries of `job_id` are in `state`."""
        seen: dict[str, str] = {}

        def reached() -> bool:
            seen.clear()
            seen.update(self.sacct_states(job_id))
            return sum(s.split()[0] == state for s in seen.values()) >= count

        try:
            wait_for(f"sacct reporting {count} of job {job_id} as {state}", reached, timeout, interval=0.5)
        except ClusterError as error:
            raise AssertionError(f"{error}; sacct says {seen}") from None
        return seen

    def log_tails(self, lines: int = 15) -> str:
        parts = []
        for log in sorted((self.root / "log").glob("*.log")):
            tail = log.read_text(errors="replace").splitlines()[-lines:]
            parts.append(f"--- {log.name} (last {len(tail)} lines)\n" + "\n".join(tail))
        return "\n".join(parts) or "(no daemon wrote a log)"

    # --- bring-up ---------------------------------------------------------------------------------

    def start(self) -> None:
        for folder in ("etc", "log", "run", "state", "spool", "munge", "mariadb"):
            (self.root / folder).mkdir(parents=True, exist_ok=True)
        self._start_munged()
        self._start_mariadb()
        self._write_confs()
        self._daemon("slurmdbd", ["slurmdbd"], lambda: port_is_open(self.port_base + 2))
        self._daemon("slurmctld", ["slurmctld", "-i", "-f", str(self.conf)], lambda: port_is_open(self.port_base))
        self._daemon("slurmd", ["slurmd", "-f", str(self.conf), "-N", self.host], lambda: port_is_open(self.port_base + 1))
        wait_for("the node idle in sinfo", lambda: self.command("sinfo", "-h", "-o", "%T", check=False).strip() == "idle", 30)
        wait_for(f"cluster {self.name} registered with slurmdbd",
                 lambda: self.name in self.command("sacctmgr", "-n", "-P", "list", "cluster", "format=cluster", check=False).split(),
                 30)  # fmt: skip

    def _start_munged(self) -> None:
        munge = self.root / "munge"
        for folder in (self.root, munge):
            folder.chmod(0o755)  # munged refuses a socket whose folders others cannot search
        key = munge / "munge.key"
        key.write_bytes(os.urandom(1024))
        key.chmod(0o400)
        self.command("munged", f"--key-file={key}", f"--socket={munge / 'munge.socket'}", f"--pid-file={self.root / 'run' / 'munged.pid'}",
                     f"--seed-file={munge / 'munge.seed'}", f"--log-file={self.root / 'log' / 'munged.log'}", "--force")  # fmt: skip
        wait_for("munged's socket", (munge / "munge.socket").exists, 10)

    def _start_mariadb(self) -> None:
        data = self.root / "mariadb"
        install = subprocess.run(["mariadb-install-db", "--no-defaults", f"--datadir={data}", "--user=root", "--skip-test-db",
                                  "--auth-root-authentication-method=normal"], capture_output=True, text=True, timeout=120)  # fmt: skip
        if install.returncode != 0:
            raise ClusterError(f"mariadb-install-db exited {install.returncode}: {install.stderr.strip()[-2000:]}")
        port = self.port_base + 3
        self.mariadb = subprocess.Popen(
            ["mariadbd", "--no-defaults", "--user=root", f"--datadir={data}", f"--port={port}", "--bind-address=127.0.0.1",
             "--skip-grant-tables", f"--socket={self.root / 'run' / 'mariadb.sock'}", f"--pid-file={self.root / 'run' / 'mariadbd.pid'}",
             f"--log-error={self.root / 'log' / 'mariadbd.log'}"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
        )  # fmt: skip
        wait_for(f"MariaDB on 127.0.0.1:{port}", lambda: port_is_open(port) or self.mariadb.poll() is not None, 30)
        if self.mariadb.poll() is not None:
            raise ClusterError(f"mariadbd exited {self.mariadb.returncode} before it listened on {port}")

    def _daemon(self, name: str, argv: list[str], ready: Callable[[], bool]) -> None:
        """Start a daemon (it forks into the background) and wait until it listens."""
        done = subprocess.run(argv, env=self.env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, text=True, timeout=30)  # fmt: skip
        if done.returncode != 0:
            raise ClusterError(f"{name} exited {done.returncode}: {done.stderr.strip()}")
        wait_for(f"{name} listening", ready, 20)

    def _write_confs(self) -> None:
        sock, run, log = self.root / "munge" / "munge.socket", self.root / "run", self.root / "log"
        node = subprocess.run(["slurmd", "-C"], capture_output=True, text=True, timeout=30).stdout.splitlines()[0]
        node = " ".join(part for part in node.split() if not part.startswith("NodeName="))
        self.conf.write_text(f"""\
ClusterName={self.name}
SlurmctldHost={self.host}(127.0.0.1)
SlurmUser=root
SlurmctldPort={self.port_base}
SlurmdPort={self.port_base + 1}
AuthType=auth/munge
AuthInfo=socket={sock},cred_expire=10
AccountingStorageType=accounting_storage/slurmdbd
AccountingStorageHost=127.0.0.1
AccountingStoragePort={self.port_base + 2}
AccountingStoragePass={sock}
JobAcctGatherType=jobacct_gather/none
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
MpiDefault=none
SchedulerParameters=batch_sched_delay=0,sched_interval=2,bf_interval=1
KillWait=1
StateSaveLocation={self.root / 'state'}
SlurmdSpoolDir={self.root / 'spool'}
SlurmctldPidFile={run / 'slurmctld.pid'}
SlurmdPidFile={run / 'slurmd.pid'}
SlurmctldLogFile={log / 'slurmctld.log'}
SlurmdLogFile={log / 'slurmd.log'}
NodeName={self.host} NodeAddr=127.0.0.1 {node} State=UNKNOWN
PartitionName={self.partition} Nodes=ALL Default=YES MaxTime=INFINITE State=UP
""")
        dbd = self.conf.parent / "slurmdbd.conf"  # slurmdbd reads it beside SLURM_CONF
        dbd.write_text(f"""\
AuthType=auth/munge
AuthInfo=socket={sock}
DbdAddr=127.0.0.1
DbdHost={self.host}
DbdPort={self.port_base + 2}
SlurmUser=root
StorageType=accounting_storage/mysql
StorageHost=127.0.0.1
StoragePort={self.port_base + 3}
StorageUser=root
StorageLoc=slurm_acct_db
LogFile={log / 'slurmdbd.log'}
PidFile={run / 'slurmdbd.pid'}
""")
        dbd.chmod(0o600)  # slurmdbd refuses a readable one

    # --- teardown ---------------------------------------------------------------------------------

    def stop(self) -> None:
        """Cancel every job while slurmctld runs, stop the daemons by their pid files, newest first, then
        any slurmstepd of this cluster (it outlives slurmd)."""
        if (self.root / "run" / "slurmctld.pid").exists():
            self.command("scancel", f"--partition={self.partition}", check=False)
            with contextlib.suppress(ClusterError):  # stopped below all the same
                wait_for("jobs gone", lambda: not self.command("squeue", "-h", "-o", "%i", check=False).strip(), 15)
        for name in reversed(DAEMONS):
            pid_file = self.root / "run" / f"{name}.pid"
            if pid_file.exists() and pid_file.read_text().strip().isdigit():
                stop_pid(int(pid_file.read_text().strip()))
        if self.mariadb is not None:
            stop_pid(self.mariadb.pid)
            self.mariadb.wait(timeout=10)
        for pid in self._stray_stepds():
            stop_pid(pid, timeout=2)

    def _stray_stepds(self) -> list[int]:
        mine = f"SLURM_CONF={self.conf}".encode()
        pids = []
        for proc in Path("/proc").iterdir():
            try:
                if (proc.name.isdigit() and (proc / "comm").read_text().strip() == "slurmstepd"
                        and mine in (proc / "environ").read_bytes().split(b"\0")):  # fmt: skip
                    pids.append(int(proc.name))
            except OSError:
                continue
        return pids


@pytest.fixture(scope="module")
def slurm_cluster() -> Iterator[SlurmCluster]:
    """A running private Slurm for the tests of one module (bring-up takes about 10 s), with SLURM_CONF
    in the environment so that submitit and the client commands reach it."""
    from tests.conftest import require_system_packages, running_in_ci

    require_system_packages("the tests on a real Slurm", *PACKAGES)
    root = Path(tempfile.mkdtemp(prefix="slurm-", dir="/tmp"))  # short: unix socket paths have ~100 bytes
    cluster: SlurmCluster | None = None
    try:
        cluster = SlurmCluster(root, free_port_base())
        cluster.start()
    except (ClusterError, OSError, subprocess.SubprocessError) as error:
        message = f"a private Slurm could not start in {root}: {error}"
        if cluster is not None:
            message += "\n" + cluster.log_tails()
            cluster.stop()
        shutil.rmtree(root, ignore_errors=True)
        if running_in_ci():
            pytest.fail(message, pytrace=False)
        pytest.skip(message + "\n(install the packages with: bash scripts/setup_env.sh test)")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SLURM_CONF", str(cluster.conf))
        try:
            yield cluster
        finally:
            cluster.stop()
            shutil.rmtree(root, ignore_errors=True)
