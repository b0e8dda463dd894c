"""Half a CPU, as Gradescope's default container gives: this process, and what it starts
meanwhile, in a cgroup whose CPU quota is 50 ms per 100 ms (cgroup v1's cpu controller, or v2's
cpu.max). Needs root; `unavailable()` says why not where it cannot be done."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

V1 = Path("/sys/fs/cgroup/cpu")
V2 = Path("/sys/fs/cgroup")
QUOTA_US, PERIOD_US = 50_000, 100_000


def _version() -> int | None:
    if (V1 / "cpu.cfs_quota_us").exists() or (V1 / "cgroup.procs").exists():
        return 1
    controllers = V2 / "cgroup.controllers"
    if controllers.exists() and "cpu" in controllers.read_text().split():
        return 2
    return None


def unavailable() -> str | None:
    """None if `half_a_cpu()` can run here, else why not."""
    if os.geteuid() != 0:
        return "needs root (a cgroup of its own)"
    version = _version()
    if version is None:
        return "no cgroup cpu controller at /sys/fs/cgroup/cpu (v1) or /sys/fs/cgroup (v2)"
    if version == 2:
        try:
            _delegate_cpu()
        except OSError as error:
            return f"cgroup v2's cpu controller cannot be given to a child group: {error}"
    return None


def _delegate_cpu() -> None:
    """cgroup v2: let child groups of the root set cpu.max (a no-op when they already can)."""
    control = V2 / "cgroup.subtree_control"
    if "cpu" not in control.read_text().split():
        control.write_text("+cpu")


@contextlib.contextmanager
def half_a_cpu(name: str = "bn-half-cpu"):
    """This process (and the processes it starts meanwhile) limited to half a CPU."""
    version = _version()
    parent = V1 if version == 1 else V2
    group = parent / f"{name}-{os.getpid()}"
    group.mkdir(exist_ok=True)
    if version == 1:
        (group / "cpu.cfs_period_us").write_text(str(PERIOD_US))
        (group / "cpu.cfs_quota_us").write_text(str(QUOTA_US))
    else:
        _delegate_cpu()
        (group / "cpu.max").write_text(f"{QUOTA_US} {PERIOD_US}")
    (group / "cgroup.procs").write_text(str(os.getpid()))
    try:
        yield
    finally:
        (parent / "cgroup.procs").write_text(str(os.getpid()))
        with contextlib.suppress(OSError):
            group.rmdir()  # fails while a process started meanwhile still lives: left empty
