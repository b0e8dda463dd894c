"""Start a worker process for one submission, with limits, and clean up after it.

The worker runs in its own session and process group, in a private scratch directory, with a
minimal environment and resource limits (address space, CPU time, file size, no core dumps), so
that killing it (its group, and any descendant that left the group) removes what it started, and
the scratch directory goes with it. A daemon that detaches from its parents escapes this; the
namespace sandbox of the sandbox issue closes that.
"""

from __future__ import annotations

import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

WORKER_FILES = ("worker.py", "wire.py")
HERE = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Limits:
    """Resource limits of one worker process."""

    memory_bytes: int = 4 * 2**30
    cpu_seconds: int = 600
    file_bytes: int = 64 * 2**20


@dataclass
class WorkerProcess:
    popen: subprocess.Popen
    requests: int  # fd the judge writes requests to
    responses: int  # fd the judge reads answers from
    scratch: Path

    @property
    def pid(self) -> int:
        return self.popen.pid

    def wait(self, timeout: float) -> int | None:
        try:
            return self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            return None

    def kill(self) -> None:
        """Kill the worker and everything it started, close the pipes, remove the scratch."""
        # Descendants that left the process group (a new session) are found by parentage.
        for pid in [self.popen.pid, *descendants(self.popen.pid)]:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        try:
            os.killpg(self.popen.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.popen.wait()
        for fd in (self.requests, self.responses):
            try:
                os.close(fd)
            except OSError:
                pass
        shutil.rmtree(self.scratch, ignore_errors=True)


def descendants(pid: int) -> list[int]:
    """Every live process below `pid`, read from /proc (children before grandchildren)."""
    parents = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            # The command name may hold spaces and parentheses: the fields start after the last ')'.
            parents[int(entry.name)] = int(stat.rpartition(")")[2].split()[1])
    found, frontier = [], [pid]
    while frontier:
        children = [child for child, parent in parents.items() if parent in frontier]
        found.extend(children)
        frontier = children
    return found


def worker_environment(scratch: Path) -> dict[str, str]:
    env = {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "HOME": str(scratch),
        "TMPDIR": str(scratch),
        "LANG": "C.UTF-8",
        "MPLBACKEND": "Agg",
        "PYTHONHASHSEED": "0",
        # One thread: timings mean the same on every machine, and a worker uses one core.
        "OMP_NUM_THREADS": "1",
        "OPENBLAS_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
        # Keep freed numpy buffers in the heap instead of returning them to the kernel, so a
        # timing measures the arithmetic rather than page faults on fresh memory.
        "MALLOC_MMAP_THRESHOLD_": str(2**30),
        "MALLOC_TRIM_THRESHOLD_": str(2**30),
    }
    # Some processors here need these for OpenBLAS to compute correctly.
    for name in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):
        if name in os.environ:
            env[name] = os.environ[name]
    return env


def _apply_limits(limits: Limits):
    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (limits.memory_bytes, limits.memory_bytes))
        resource.setrlimit(resource.RLIMIT_CPU, (limits.cpu_seconds, limits.cpu_seconds))
        resource.setrlimit(resource.RLIMIT_FSIZE, (limits.file_bytes, limits.file_bytes))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))

    return apply


def start_worker(submission: Path, limits: Limits) -> WorkerProcess:
    """Start `worker.py` on `submission` (a folder holding the `cs231n` package)."""
    scratch = Path(tempfile.mkdtemp(prefix="bn-worker-"))
    runtime = scratch / "runtime"
    runtime.mkdir()
    for name in WORKER_FILES:
        shutil.copyfile(HERE / name, runtime / name)
    work = scratch / "work"
    work.mkdir()
    request_read, request_write = os.pipe()
    response_read, response_write = os.pipe()
    log = open(scratch / "worker.log", "wb")
    try:
        popen = subprocess.Popen(
            [sys.executable, "-I", str(runtime / "worker.py"), str(Path(submission).resolve()),
             str(request_read), str(response_write)],
            cwd=work,
            env=worker_environment(work),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=log,
            pass_fds=(request_read, response_write),
            start_new_session=True,
            preexec_fn=_apply_limits(limits),
        )
    finally:
        log.close()
        os.close(request_read)
        os.close(response_write)
    return WorkerProcess(popen, request_write, response_read, scratch)


def cpu_ns(pid: int) -> int:
    """Total on-CPU time of every thread of `pid`, in ns (from /proc/PID/task/*/schedstat)."""
    total = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            total += int((task / "schedstat").read_text().split()[0])
        except (FileNotFoundError, ProcessLookupError, IndexError, ValueError):
            continue
    return total


def signal_hint(number: int) -> str:
    hints = {
        signal.SIGKILL: " (killed: out of memory, or stopped by the grader)",
        signal.SIGXCPU: " (CPU time limit reached)",
        signal.SIGXFSZ: " (file size limit reached)",
        signal.SIGSEGV: " (segmentation fault)",
    }
    return hints.get(number, "")
