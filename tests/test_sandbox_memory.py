"""Fitting workers' memory to the container: cgroup limits read (v1, v2), caps chosen, OOM order."""

import subprocess
import sys
from pathlib import Path

from autograder.sandbox import memory
from autograder.settings import Limits

MB = 2**20


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text + "\n")


def test_v1_takes_the_smallest_limit_along_the_path(tmp_path):
    write(tmp_path / "memory/memory.limit_in_bytes", str(2**63 - 4096))  # v1's "unlimited"
    write(tmp_path / "memory/outer/memory.limit_in_bytes", str(2048 * MB))
    write(tmp_path / "memory/outer/inner/memory.limit_in_bytes", str(768 * MB))
    proc = "5:cpu:/outer/inner\n4:memory:/outer/inner\n"
    assert memory.container_limit(tmp_path, proc) == 768 * MB


def test_v1_container_whose_own_cgroup_is_mounted_at_the_root(tmp_path):
    # Docker without a cgroup namespace: /proc/self/cgroup names a path that is not mounted.
    write(tmp_path / "memory/memory.limit_in_bytes", str(768 * MB))
    assert memory.container_limit(tmp_path, "4:memory:/docker/0123abcd\n") == 768 * MB


def test_v2_reads_memory_max_and_ignores_max(tmp_path):
    write(tmp_path / "memory.max", "max")
    write(tmp_path / "gradescope/memory.max", str(768 * MB))
    write(tmp_path / "gradescope/run/memory.max", "max")
    assert memory.container_limit(tmp_path, "0::/gradescope/run\n") == 768 * MB


def test_no_limit_anywhere(tmp_path):
    write(tmp_path / "memory.max", "max")
    assert memory.container_limit(tmp_path, "0::/\n") is None
    assert memory.container_limit(tmp_path / "absent", "4:memory:/x\n") is None


def test_workers_get_the_container_minus_the_judges_share():
    limits, note = memory.fit_to_container(Limits(), 768 * MB)
    assert limits.memory_bytes == 768 * MB - memory.JUDGE_RESERVE
    assert "768 MiB" in note and "512 MiB" in note
    assert limits.cpu_seconds == Limits().cpu_seconds  # nothing else changes


def test_a_smaller_cap_than_the_container_is_kept():
    limits, _ = memory.fit_to_container(Limits(memory_bytes=300 * MB), 8 * 2**30)
    assert limits.memory_bytes == 300 * MB


def test_no_container_limit_keeps_the_cap():
    limits, note = memory.fit_to_container(Limits(), None)
    assert limits == Limits() and "no container memory limit" in note


def test_a_tiny_container_warns_and_keeps_a_floor():
    limits, note = memory.fit_to_container(Limits(), 300 * MB)
    assert limits.memory_bytes == memory.WORKER_FLOOR
    assert "WARNING" in note


def test_a_worker_is_the_oom_killers_first_choice():
    code = ("from autograder.sandbox.memory import prefer_to_kill_me; prefer_to_kill_me(); "
            "print(open('/proc/self/oom_score_adj').read())")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=Path(__file__).resolve().parent.parent, check=True)
    assert done.stdout.strip() == "1000"
