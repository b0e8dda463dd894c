"""Half a CPU for a measurement (autograder/measure/cpu_quota.py): the process and what it starts
meanwhile run in a cgroup with Gradescope's default quota; afterwards, back where it was."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from autograder.measure import cpu_quota


def own_cpu_cgroup(pid: int | str = "self") -> str:
    for line in Path(f"/proc/{pid}/cgroup").read_text().splitlines():
        _, controllers, path = line.split(":", 2)
        if "cpu" in controllers.split(",") or controllers == "":
            return path
    return ""


def test_half_a_cpu_holds_the_process_and_its_children_then_lets_go():
    why_not = cpu_quota.unavailable()
    if why_not:
        pytest.skip(why_not)
    before = own_cpu_cgroup()
    with cpu_quota.half_a_cpu("bn-test-quota"):
        inside = own_cpu_cgroup()
        assert inside.endswith(f"bn-test-quota-{os.getpid()}"), inside
        child = subprocess.run([sys.executable, "-c", "print(open('/proc/self/cgroup').read())"],
                               capture_output=True, text=True).stdout
        assert f"bn-test-quota-{os.getpid()}" in child
        folder = (cpu_quota.V1 if (cpu_quota.V1 / "cgroup.procs").exists() else cpu_quota.V2) \
            / inside.lstrip("/")
        quota = (folder / "cpu.cfs_quota_us") if (folder / "cpu.cfs_quota_us").exists() \
            else (folder / "cpu.max")
        assert quota.read_text().split()[0] == str(cpu_quota.QUOTA_US)
    assert own_cpu_cgroup() == before
    assert not folder.exists()


def test_without_root_it_says_why(monkeypatch):
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    assert "root" in cpu_quota.unavailable()
