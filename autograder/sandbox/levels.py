"""Choosing the sandbox level: the strongest protections this machine allows, or `BN_SANDBOX`.

`protections()` decides once per process: `BN_SANDBOX` forces a level (`off` means `limits`);
`auto` (the default) probes by starting Python with numpy at the strongest level that could
work here (`full` as root, `namespaces` otherwise), then falls back to `uid` (root without
namespaces), `landlock` (no root, no namespaces) and finally `limits`, saying why nothing
stronger worked. A probe of a confining level also checks that the worker cannot read a file
every user may read outside its view.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from autograder.settings import Limits

LEVELS = ("full", "namespaces", "uid", "landlock", "limits")
SETTING = "BN_SANDBOX"
NAMESPACED = ("full", "namespaces")  # levels where bwrap starts the worker
OWN_UID = ("full", "uid")  # levels where the worker runs as a uid of its own
ADOPTING = ("landlock", "limits")  # no pid namespace, no uid of its own: the grader adopts orphans
# Run by a probe worker: numpy imports, and (where given) a file every user may read, outside
# the worker's view, does not open.
PROBE = """
import sys, numpy
if sys.argv[1]:
    try:
        open(sys.argv[1]).close()
    except OSError:
        sys.exit(0)
    sys.exit("a file every user may read, outside the worker's view, was readable")
"""


class SandboxError(Exception):
    """The sandbox was asked for something this machine cannot do (a bad BN_SANDBOX)."""


@dataclass(frozen=True)
class Protections:
    """What isolates a worker on this machine, and why nothing stronger does."""

    level: str
    reason: str = ""
    forced: bool = False  # chosen by BN_SANDBOX, not probed

    @property
    def summary(self) -> str:
        descriptions = {
            "full": "bubblewrap namespaces (private filesystem view, no network, own pids) and "
                    "an unprivileged uid per worker; resource limits",
            "namespaces": "bubblewrap namespaces (private filesystem view, no network, own pids) "
                          "under the grader's own uid; resource limits",
            "uid": "an unprivileged uid per worker and resource limits; NO namespaces: " + (
                "Landlock (a filesystem view of /usr, the Python, its package and its scratch; no "
                "TCP; no signals out), seccomp (no new sockets, ptrace or namespaces), file "
                "permissions and a firewall rule (where iptables works)" if _has_landlock() else
                "only file permissions (checked as a worker's uid before grading) and a "
                "firewall rule (where iptables works)") + " keep it from the grader's files "
                "and the network",
            "landlock": "Landlock (a filesystem view of /usr, the Python, its package and its "
                        "scratch; no TCP; no signals or abstract sockets out of it) and seccomp "
                        "(no new sockets, ptrace, namespaces or mounts) under the grader's own "
                        "uid, without capabilities; resource limits; NO pid namespace: it sees "
                        "the machine's process list",
            "limits": "resource limits and a process group only; NO isolation: student code "
                      "can read what the grader can and use the network",
        }
        text = f"sandbox level '{self.level}': {descriptions[self.level]}"
        return f"{text} ({self.reason})" if self.reason else text


def is_root() -> bool:
    return os.geteuid() == 0


def _has_landlock() -> bool:
    from autograder.sandbox import landlock

    return landlock.abi() > 0


@functools.lru_cache(maxsize=None)
def protections() -> Protections:
    """The protections workers get here: `BN_SANDBOX`, or the strongest that works (probed)."""
    wanted = os.environ.get(SETTING, "auto").strip().lower() or "auto"
    if wanted == "off":
        return Protections("limits", f"{SETTING}=off", forced=True)
    if wanted in LEVELS:
        return Protections(wanted, f"{SETTING}={wanted}", forced=True)
    if wanted != "auto":
        raise SandboxError(f"{SETTING}={wanted!r}: expected auto, off, or one of "
                           f"{', '.join(LEVELS)}")
    candidates = ["full", "uid"] if is_root() else ["namespaces"]
    problems = []
    for level in [*candidates, "landlock"]:
        problem = _probe(level)
        if problem is None:
            return Protections(level, "; ".join(problems))
        problems.append(problem)
    return Protections("limits", "; ".join(problems))


def _probe(level: str) -> str | None:
    """None if a worker at `level` can start Python with numpy here, else why it cannot."""
    # Imported here: building the command needs the level names defined above.
    from autograder.sandbox import landlock, seccomp
    from autograder.sandbox.command import apply_limits, confines, make_scratch, \
        python_out_of_reach, scratch_parent, work_dir, worker_command, worker_environment, \
        worker_uid

    missing = [tool for tool in _tools(level) if shutil.which(tool) is None]
    if missing:
        return f"{level}: {' and '.join(missing)} not installed"
    if level == "landlock":
        problem = landlock.unavailable() or seccomp.unavailable()
        if problem:
            return f"landlock sandbox unavailable: {problem}"
    with tempfile.TemporaryDirectory(prefix="bn-probe-", dir=scratch_parent(level)) as folder:
        os.chmod(folder, 0o711)
        outside = Path(folder) / "outside.txt"
        outside.write_text("not for workers\n")
        outside.chmod(0o644)
        uid = worker_uid()
        scratch = make_scratch(Path(folder), level, uid)
        has_view = level != "uid" or confines(level)  # uid without Landlock: permissions only
        command = worker_command(level, scratch, Limits(), uid,
                                 program=["-c", PROBE, str(outside) if has_view else ""])
        try:
            done = subprocess.run(command, cwd=scratch / "work", capture_output=True,
                                  env=worker_environment(work_dir(scratch, level)), timeout=60,
                                  stdin=subprocess.DEVNULL,
                                  preexec_fn=apply_limits(Limits(), level, scratch))
        except (OSError, subprocess.SubprocessError) as error:
            return f"{level} sandbox failed to start: {error}"
    if done.returncode == 0:
        return None
    lines = (done.stderr or done.stdout).decode(errors="replace").strip().splitlines()
    problem = f"{level} sandbox unavailable: {lines[-1] if lines else f'exit {done.returncode}'}"
    closed = python_out_of_reach() if level in OWN_UID else []
    if closed:
        problem += (f" (a worker's own uid cannot enter {', '.join(map(str, closed))}: other "
                    "users may not pass through a folder above the Python environment)")
    return problem


def _tools(level: str) -> list[str]:
    return {"full": ["bwrap", "setpriv"], "namespaces": ["bwrap"], "uid": ["setpriv"],
            "landlock": ["setpriv"] if is_root() else []}.get(level, [])
