"""Choosing the sandbox level: the strongest protections this machine allows, or `BN_SANDBOX`.

`protections()` decides once per process: `BN_SANDBOX` forces a level (`off` means `limits`);
`auto` (the default) probes by starting Python with numpy at the strongest level that could
work here (`full` as root, `namespaces` otherwise), then falls back to `uid` (root without
namespaces) and finally `limits`, saying why nothing stronger worked.
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

LEVELS = ("full", "namespaces", "uid", "limits")
SETTING = "BN_SANDBOX"
NAMESPACED = ("full", "namespaces")  # levels where bwrap starts the worker
OWN_UID = ("full", "uid")  # levels where the worker runs as a uid of its own


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
            "uid": "an unprivileged uid per worker and resource limits; NO namespaces: only "
                   "file permissions (checked as a worker's uid before grading) and a firewall "
                   "rule (where iptables works) keep it from the grader's files and the network",
            "limits": "resource limits and a process group only; NO isolation: student code "
                      "can read what the grader can and use the network",
        }
        text = f"sandbox level '{self.level}': {descriptions[self.level]}"
        return f"{text} ({self.reason})" if self.reason else text


def is_root() -> bool:
    return os.geteuid() == 0


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
    namespaced = "full" if is_root() else "namespaces"
    problem = _probe(namespaced)
    if problem is None:
        return Protections(namespaced)
    if is_root():
        uid_problem = _probe("uid")
        if uid_problem is None:
            return Protections("uid", problem)
        problem = f"{problem}; {uid_problem}"
    return Protections("limits", problem)


def _probe(level: str) -> str | None:
    """None if a worker at `level` can start Python with numpy here, else why it cannot."""
    # Imported here: building the command needs the level names defined above.
    from autograder.sandbox.command import make_scratch, scratch_parent, work_dir, \
        worker_command, worker_environment, worker_uid

    missing = [tool for tool in _tools(level) if shutil.which(tool) is None]
    if missing:
        return f"{' and '.join(missing)} not installed"
    with tempfile.TemporaryDirectory(prefix="bn-probe-", dir=scratch_parent(level)) as folder:
        os.chmod(folder, 0o711)
        uid = worker_uid()
        scratch = make_scratch(Path(folder), level, uid)
        command = worker_command(level, scratch, Limits(), uid, program=["-c", "import numpy"])
        try:
            done = subprocess.run(command, cwd=scratch / "work", capture_output=True,
                                  env=worker_environment(work_dir(scratch, level)), timeout=60,
                                  stdin=subprocess.DEVNULL)
        except (OSError, subprocess.TimeoutExpired) as error:
            return f"{level} sandbox failed to start: {error}"
    if done.returncode != 0:
        lines = (done.stderr or done.stdout).decode(errors="replace").strip().splitlines()
        return f"{level} sandbox unavailable: {lines[-1] if lines else f'exit {done.returncode}'}"
    return None


def _tools(level: str) -> list[str]:
    return {"full": ["bwrap", "setpriv"], "namespaces": ["bwrap"], "uid": ["setpriv"]}.get(level, [])
