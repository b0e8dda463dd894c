"""Timing student code by the CPU time the kernel counts, with the worker kept to one process of
one thread.

The speed check's view of a worker, from outside: a `TimedWorker` wraps a `WorkerClient` (duck
typing: `ensure_started()`, `request()`, and a `process` with `pid`, `uid` and `processes()`)
and reads everything from /proc (autograder.sandbox.procfs), so student code cannot fake it. A timed
request's CPU time is the worker's own process's, read before and after the request. Before
timing, `isolate()` asks the worker to give up starting processes and threads (a hard
RLIMIT_NPROC of 0 it can never raise), ends what it started earlier, and verifies the result;
where the kernel cannot enforce that (a worker running as root), `single()`, `zombies()` and
`children_cpu_ticks()` let the speed check watch the worker around every round instead.

Without /proc (macOS) nothing here can be measured: `isolate()`, `cpu_ns()` and
`timed_calls()` raise `NotMeasured`, a check that needs a person, rather than time the student
as 0 ns or blame them for processes nobody could count.
"""

from __future__ import annotations

import os
import signal
import time

from autograder.checks.base import NeedsReview
from autograder.sandbox import procfs

NOT_MEASURED = ("CPU time not measured: this system has no /proc to read it from (grade on "
                "Linux for the speed check)")


class NotMeasured(NeedsReview):
    """The kernel's CPU time cannot be read here: the speed check decides nothing."""


def require_procfs() -> None:
    """Raise NotMeasured where /proc cannot be read."""
    if not procfs.available():
        raise NotMeasured(NOT_MEASURED)


class TimedWorker:
    """A worker client as the speed check times it; `client.process` may be restarted between
    checks, and everything here is about the worker process running now."""

    def __init__(self, client):
        self.client = client
        self._main: tuple[object, int | None] | None = None  # (process, its main pid)

    @property
    def process(self):
        return self.client.process

    # The worker's own process -------------------------------------------------------------------

    @property
    def main_pid(self) -> int | None:
        """The worker's own process among its processes: the one that started first (found
        once per worker process)."""
        process = self.process
        if self._main is None or self._main[0] is not process:
            started = {pid: procfs.start_ticks(pid) for pid in process.processes()}
            started = {pid: ticks for pid, ticks in started.items() if ticks is not None}
            main = min(started, key=lambda pid: (started[pid], pid)) if started else None
            self._main = (process, main)
        return self._main[1]

    def main_cpu_ns(self) -> int:
        """CPU time of the worker's own process only (all of its threads), in ns: a quick read
        of /proc, for when the worker is known to be one process."""
        require_procfs()
        return procfs.cpu_ns(self.main_pid) if self.main_pid is not None else 0

    def cpu_ns(self) -> int:
        """CPU time the worker and every process it started have used so far, in ns, as the
        kernel counts it."""
        require_procfs()
        self.client.ensure_started()
        pid = self.process.pid
        return sum(procfs.cpu_ns(each) for each in [pid, *procfs.descendants(pid)])

    # One process, one thread ----------------------------------------------------------------

    def threads(self) -> int:
        """How many threads the worker's processes have (1: one process of one thread)."""
        return sum(procfs.thread_count(pid) for pid in self.process.processes())

    def single(self) -> bool:
        """Whether the worker is now one process of one thread."""
        return len(self.process.processes()) == 1 and self.threads() == 1

    def end_strays(self, attempts: int = 50) -> bool:
        """Kill every process of the worker but the worker itself (what it started earlier);
        whether only the worker is left."""
        for _ in range(attempts):
            strays = [pid for pid in self.process.processes() if pid != self.main_pid]
            if not strays:
                return True
            for pid in strays:
                try:
                    os.kill(pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass
            time.sleep(0.01)
        return not [pid for pid in self.process.processes() if pid != self.main_pid]

    def zombies(self) -> set[int]:
        """The worker's children that have exited but were not waited for (their CPU time is
        counted nowhere else)."""
        return set(procfs.zombie_children(self.main_pid))

    def children_cpu_ticks(self) -> int | None:
        """CPU time of the children the worker has waited for (cutime + cstime), in clock
        ticks; None if unreadable."""
        fields = procfs.stat_fields(self.main_pid)
        return int(fields[13]) + int(fields[14]) if fields else None

    def forks_blocked(self) -> bool:
        """Whether the worker is one process that can start no other: its hard RLIMIT_NPROC is
        0 (set by the worker itself; only a capability it lacks could raise it again) and its
        uid is not root (which the kernel exempts). The judge cannot set another uid's limits
        here (no CAP_SYS_RESOURCE), so it asks the worker and verifies the result."""
        pids = self.process.processes()
        if len(pids) != 1:
            return False
        found = procfs.owner_and_limits(pids[0])
        if found is None:
            return False
        uid, limits = found
        line = next((line for line in limits.splitlines() if line.startswith("Max processes")), "")
        return uid != 0 and line.split()[3:4] == ["0"]

    # Requests -------------------------------------------------------------------------------

    def timed_calls(self, target: str | None, cache, seed: int, shape: tuple[int, int],
                    calls: int):
        """One timed request of the speed check (worker.timed_calls): its checksums, as sent,
        and the CPU ns the worker spent on it, read here from /proc before and after. The
        request gets a call timeout for each of its calls (a hang is caught by an untimed call
        first; an honest Python loop over every entry takes 1.2 s a call at half a CPU)."""
        require_procfs()
        self.client.ensure_started()
        before = self.main_cpu_ns()
        sums = self.client.request("timed_calls", timeout=calls * self.client.call_timeout,
                                   target=target, cache=cache, seed=seed, shape=list(shape),
                                   calls=calls)
        return sums, self.main_cpu_ns() - before

    def isolate(self) -> bool:
        """Ask the worker to start no more processes or threads (worker.op_no_new_processes),
        end the processes it started before, and tell whether the kernel now keeps it to one
        process of one thread (forks_blocked). False where the kernel cannot enforce it (a root
        worker, at the `limits` level run as root). NotMeasured where nothing can be checked."""
        require_procfs()
        self.client.request("no_new_processes")
        self.end_strays()
        return self.forks_blocked() and self.threads() == 1
