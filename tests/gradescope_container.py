"""Running the shipped autograder zip as Gradescope does, as closely as this machine allows.

`run_in_container` unpacks the zip into an /autograder tree and runs `/autograder/run_autograder`
exactly as shipped (no environment variable, no PATH of ours) inside:

- a cgroup of Gradescope's default size: 768 MB of memory, a CPU quota of 50 ms per 100 ms
  (v1 here; v2 where that is what the machine mounts), and a 10-minute wall limit;
- a private mount namespace where /root is a fresh 0700 tmpfs, as in a new image, and the Python
  environment lies where setup.sh puts it (/root/miniforge3/envs/otter-env): a self-contained
  CPython 3.11 install (the one the project's .venv was made from) with the project's pinned
  site-packages (built from requirements.txt and constraints.txt by `make venv`), both mounted
  there (site-packages read-only), since nothing can be downloaded here. setup.sh's own step on
  it, `chmod o+x /root`, is then run; /autograder is a bind of the run's folder.

With `run_setup` the zip's setup.sh itself builds that image first, as root, with only its
downloads stubbed (apt-get, wget and the Miniforge installer, whose `mamba env create` mounts the
environment); its pip install then runs for real with no index, on the read-only pins: it passes
only if the shipped requirements and constraints are exactly the tested environment.

At the `uid` level the container forbids namespaces: `bwrap` is replaced inside the mount
namespace by one that fails the way bubblewrap does there, so the grader finds the level itself.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path

MEMORY_BYTES = 768 * 2**20
CPU_QUOTA_US, CPU_PERIOD_US = 50_000, 100_000
WALL_SECONDS = 600
ENVIRONMENT = Path("/root/miniforge3/envs/otter-env")
CGROUP = Path("/sys/fs/cgroup")

FAILING_BWRAP = """#!/bin/sh
echo "bwrap: No permissions to creating new namespace, likely because the kernel does not allow non-privileged user namespaces." >&2
exit 1
"""


class NoContainer(Exception):
    """This machine cannot make the container (not root, no writable cgroups, no unshare)."""


@dataclass
class Run:
    """One run of run_autograder in the container."""

    results: dict | None
    seconds: float
    output: str
    peak_memory: int | None = None
    oom_kills: int | None = None


class Cgroup:
    """A cgroup of Gradescope's size (v1 memory and cpu controllers, or v2), made and removed."""

    def __init__(self, name: str):
        self.name = name
        self.v2 = (CGROUP / "cgroup.controllers").exists()
        if self.v2:
            self.folders = [CGROUP / name]
        else:
            self.folders = [CGROUP / "memory" / name, CGROUP / "cpu" / name]

    def __enter__(self) -> "Cgroup":
        try:
            for folder in self.folders:
                folder.mkdir()
            if self.v2:
                (CGROUP / "cgroup.subtree_control").write_text("+memory +cpu")
                self._write("memory.max", MEMORY_BYTES)
                self._write("memory.swap.max", 0, optional=True)
                (self.folders[0] / "cpu.max").write_text(f"{CPU_QUOTA_US} {CPU_PERIOD_US}")
            else:
                self._write("memory.limit_in_bytes", MEMORY_BYTES)
                self._write("memory.memsw.limit_in_bytes", MEMORY_BYTES, optional=True)
                (self.folders[1] / "cpu.cfs_period_us").write_text(str(CPU_PERIOD_US))
                (self.folders[1] / "cpu.cfs_quota_us").write_text(str(CPU_QUOTA_US))
        except OSError as error:
            self.__exit__()
            raise NoContainer(f"cannot make a cgroup of Gradescope's size: {error}") from error
        return self

    def _write(self, name: str, value: int, optional: bool = False) -> None:
        file = self.folders[0] / name
        if optional and not file.exists():
            return
        file.write_text(str(value))

    def enter_command(self) -> str:
        """Shell that moves the current shell into the cgroup."""
        return " && ".join(f"echo $$ > {folder / 'cgroup.procs'}" for folder in self.folders)

    def processes(self) -> list[int]:
        try:
            return [int(pid) for pid in (self.folders[0] / "cgroup.procs").read_text().split()]
        except OSError:
            return []

    def peak_memory(self) -> int | None:
        for name in ("memory.max_usage_in_bytes", "memory.peak"):
            file = self.folders[0] / name
            if file.exists():
                return int(file.read_text())
        return None

    def oom_kills(self) -> int | None:
        for name in ("memory.oom_control", "memory.events"):
            file = self.folders[0] / name
            if file.exists():
                for line in file.read_text().splitlines():
                    if line.startswith("oom_kill "):
                        return int(line.split()[1])
        return None

    def __exit__(self, *exc) -> None:
        for _ in range(50):
            pids = self.processes()
            if not pids:
                break
            for pid in pids:
                try:
                    os.kill(pid, 9)
                except ProcessLookupError:
                    pass
            time.sleep(0.1)
        for folder in self.folders:
            try:
                folder.rmdir()
            except OSError:
                pass


def check_machine() -> None:
    """Raise NoContainer unless this machine can run the container."""
    if os.geteuid() != 0:
        raise NoContainer("needs root (cgroups and mount namespaces)")
    if shutil.which("unshare") is None:
        raise NoContainer("needs util-linux's unshare")
    base = Path(sys.base_prefix)
    laid_out = [base / "bin" / "python", base / "lib/python3.11/os.py",
                base / "lib/python3.11/site-packages",
                Path(sys.prefix) / "lib/python3.11/site-packages"]
    if not all(path.exists() for path in laid_out):
        raise NoContainer(f"needs a self-contained CPython 3.11 (a conda-like prefix: bin/python, "
                          f"lib/python3.11/site-packages) under {base}, as pyenv makes")


def lay_out(root: Path, autograder_zip: Path, lay_out_submission) -> None:
    """Gradescope's /autograder: source/ (the zip), submission/ (the upload), results/."""
    for folder in ("source", "submission", "results"):
        (root / folder).mkdir(parents=True)
    with zipfile.ZipFile(autograder_zip) as bundle:
        for info in bundle.infolist():  # keep the modes (run_autograder and setup.sh: 0755)
            path = Path(bundle.extract(info, root / "source"))
            path.chmod((info.external_attr >> 16) or 0o644)
    shutil.copyfile(root / "source" / "run_autograder", root / "run_autograder")
    (root / "run_autograder").chmod(0o755)
    lay_out_submission(root / "submission")


# Stand-ins for setup.sh's downloads (nothing can be downloaded here): the Miniforge installer
# makes a `mamba` whose `env create` mounts the environment described above.
STUB_APT_GET = """#!/bin/sh
echo "apt-get $*" >> {log}
[ -z "${{FAIL_APT:-}}" ] || exit 100
"""
STUB_WGET = """#!/bin/sh
echo "wget $*" >> {log}
while [ $# -gt 0 ]; do [ "$1" = "-O" ] && out=$2; shift; done
cp {stubs}/miniforge-installer "$out"
"""
STUB_INSTALLER = """#!/bin/sh
echo "miniforge $*" >> {log}
[ "$1 $2" = "-b -p" ] || exit 2
mkdir -p "$3/bin" && cp {stubs}/mamba "$3/bin/mamba"
"""
STUB_MAMBA = """#!/bin/sh
echo "mamba $*" >> {log}
[ "$1 $2 $3" = "env create -f" ] && grep -q "name: otter-env" "$4" || exit 2
{mounts}
"""


def environment_mounts(hold_base: Path, hold_site: Path) -> list[str]:
    """The Python environment where setup.sh puts it; its site-packages read-only (the pins are
    the project's .venv: a pip that wanted to change them fails)."""
    site = ENVIRONMENT / "lib/python3.11/site-packages"
    return [f"mkdir -p {ENVIRONMENT}", f"mount --bind {hold_base} {ENVIRONMENT}",
            f"mount --bind {hold_site} {site}", f"mount -o remount,bind,ro {site}"]


def write_stubs(folder: Path, log: Path, mounts: list[str]) -> None:
    folder.mkdir()
    texts = {"apt-get": STUB_APT_GET, "wget": STUB_WGET, "miniforge-installer": STUB_INSTALLER,
             "mamba": STUB_MAMBA}
    for name, text in texts.items():
        (folder / name).write_text(text.format(log=log, stubs=folder, mounts="\n".join(mounts)))
        (folder / name).chmod(0o755)


def mount_script(root: Path, scratch: Path, level: str, run_setup: bool = False) -> str:
    """The shell run in the private mount namespace: the image (setup.sh run with its downloads
    stubbed when `run_setup`, else its result laid out directly), then run_autograder."""
    base, site_packages = Path(sys.base_prefix), Path(sys.prefix) / "lib/python3.11/site-packages"
    hold_base, hold_site = scratch / "hold-base", scratch / "hold-site"
    hold_base.mkdir()
    hold_site.mkdir()
    lines = [
        "set -eu",
        # Held before /root is hidden: they may lie under it (pyenv does).
        f"mount --bind {base} {hold_base}",
        f"mount --bind {site_packages} {hold_site}",
        "mount -t tmpfs -o mode=0700,size=64m tmpfs /root",
        f"mount --bind {root} /autograder",
    ]
    if base.is_relative_to("/root"):
        # An interpreter built with an absolute run path loads libpython from where it was built.
        lines += [f"mkdir -p {base}", f"mount --bind {hold_base} {base}"]
    mounts = environment_mounts(hold_base, hold_site)
    if run_setup:
        stubs = scratch / "stubs"
        write_stubs(stubs, scratch / "downloads.log", mounts)
        lines += [f"PATH={stubs}:$PATH PIP_NO_INDEX=1 bash /autograder/source/setup.sh "
                  f"> {scratch / 'setup.log'} 2>&1"]
    else:
        lines += mounts + ["chmod o+x /root"]  # setup.sh's last step
    if level == "uid":
        fake = scratch / "bwrap"
        fake.write_text(FAILING_BWRAP)
        fake.chmod(0o755)
        lines.append(f"mount --bind {fake} {shutil.which('bwrap')}")
    lines += ["cd /autograder", "exec /autograder/run_autograder"]
    return "\n".join(lines) + "\n"


def run_in_container(autograder_zip: Path, lay_out_submission, scratch: Path, level: str,
                     name: str, run_setup: bool = False, extra_env: dict | None = None) -> Run:
    """Run the zip's run_autograder on one upload, as Gradescope would; return what it wrote.
    `run_setup`: build the image with the zip's setup.sh first (downloads stubbed)."""
    check_machine()
    root = scratch / "autograder"
    lay_out(root, autograder_zip, lay_out_submission)
    script = scratch / "container.sh"
    script.write_text(mount_script(root, scratch, level, run_setup))
    environment = {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                   "HOME": "/root", "LANG": "C.UTF-8", **(extra_env or {})}  # a fresh image's
    with Cgroup(f"bn-gradescope-{os.getpid()}-{name}") as cgroup:
        command = ["sh", "-c", f"{cgroup.enter_command()} && exec unshare --mount "
                               f"--propagation private sh {script}"]
        started = time.monotonic()
        try:
            done = subprocess.run(command, env=environment, capture_output=True, text=True,
                                  timeout=WALL_SECONDS, stdin=subprocess.DEVNULL)
            output = done.stdout + done.stderr
        except subprocess.TimeoutExpired as expired:
            output = f"killed at Gradescope's {WALL_SECONDS} s limit\n{expired.stdout or ''}"
        seconds = time.monotonic() - started
        peak, kills = cgroup.peak_memory(), cgroup.oom_kills()
    results_file = root / "results" / "results.json"
    results = json.loads(results_file.read_text()) if results_file.is_file() else None
    return Run(results, seconds, output, peak, kills)


@contextlib.contextmanager
def ready():
    """This machine checked (NoContainer if it cannot run the container) and /autograder there
    to mount runs on, for the runs made inside; /autograder removed after if this made it."""
    check_machine()
    target = Path("/autograder")
    made = not target.exists()
    if made:
        target.mkdir()
    try:
        yield
    finally:
        if made:
            target.rmdir()


def describe(runs: dict[tuple[str, str], Run]) -> str:
    """A table of the runs, for the test log and the README."""
    rows = ["| level | upload | score | seconds | peak memory | OOM kills |",
            "|---|---|---|---|---|---|"]
    for (level, case), run in sorted(runs.items()):
        score = "no results.json" if run.results is None else f"{run.results['score']:g}"
        peak = "?" if run.peak_memory is None else f"{run.peak_memory / 2**20:.0f} MiB"
        rows.append(f"| {level} | {case} | {score} | {run.seconds:.0f} | {peak} | "
                    f"{run.oom_kills if run.oom_kills is not None else '?'} |")
    return "\n".join(rows)
