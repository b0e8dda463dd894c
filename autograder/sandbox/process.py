"""Starting a worker process and removing every trace of it: its processes, pipes and files.

`start_worker` starts `runtime/worker.py` at a given level (see `levels`) on a copy of one
submission's package; `WorkerProcess.kill` kills it with everything it started (by parentage,
by folder, by uid, and at the `landlock` and `limits` levels the orphans this process adopted as
a subreaper)
and removes its scratch folder and, where it had a uid of its own, that uid's files in /tmp.
"""

from __future__ import annotations

import functools
import os
import shutil
import signal
import subprocess
from dataclasses import dataclass
from pathlib import Path

from autograder.sandbox import procfs
from autograder.sandbox.command import INSIDE, apply_limits, make_scratch, scratch_parent, \
    work_dir, worker_command, worker_environment, worker_uid
from autograder.sandbox.levels import ADOPTING, NAMESPACED, OWN_UID
from autograder.settings import Limits

_live_workers: set[int] = set()  # pids of the workers this process started and has not killed


@dataclass
class WorkerProcess:
    popen: subprocess.Popen
    requests: int  # fd the judge writes requests to
    responses: int  # fd the judge reads answers from
    scratch: Path
    uid: int | None  # the worker's own uid (levels full and uid)
    level: str  # the protection level it was started at
    started: int = 0  # its start time, in clock ticks since boot

    @property
    def wrapped(self) -> bool:
        """Started by bwrap, which exits with 128 + N when the worker dies of signal N."""
        return self.level in NAMESPACED

    @property
    def pid(self) -> int:
        return self.popen.pid

    def wait(self, timeout: float) -> int | None:
        """The worker's exit status (-N: killed by signal N), or None if still running."""
        try:
            code = self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            return None
        return 128 - code if self.wrapped and code > 128 else code

    def processes(self) -> list[int]:
        """The worker's live processes (bwrap's own left out): by uid where it has its own."""
        if self.uid is not None:
            return procfs.processes_of(self.uid)
        return [pid for pid in [self.popen.pid, *procfs.descendants(self.popen.pid)]
                if not (self.wrapped and procfs.command_name(pid) == "bwrap")]

    def kill(self) -> None:
        """Kill the worker and everything it started, close the pipes, remove its files."""
        # bwrap's --die-with-parent takes its pid namespace down with it. Otherwise descendants
        # are found by parentage, orphans by their folder, and processes of its own uid by uid.
        doomed = {self.popen.pid, *procfs.descendants(self.popen.pid),
                  *procfs.processes_in(self.scratch)}
        if self.uid is not None:
            doomed.update(procfs.processes_of(self.uid))
        # Only a subreaper (ADOPTING levels) adopts orphans; elsewhere our other children stay.
        orphans = _adopted_orphans(self.started) if self.level in ADOPTING else []
        for orphan in orphans:
            doomed.update([orphan, *procfs.descendants(orphan)])
        for pid in doomed:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        try:
            os.killpg(self.popen.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        self.popen.wait()
        _live_workers.discard(self.popen.pid)
        for orphan in orphans:  # now our children: reap them
            try:
                os.waitpid(orphan, 0)
            except ChildProcessError:
                pass
        for fd in (self.requests, self.responses):
            try:
                os.close(fd)
            except OSError:
                pass
        if self.uid is not None:
            for pid in procfs.processes_of(self.uid):  # forked while the others were killed
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            remove_files_of(self.uid)
        shutil.rmtree(self.scratch, ignore_errors=True)


@functools.lru_cache(maxsize=None)
def adopt_orphans() -> None:
    """Make this process the reaper of its descendants' orphans (PR_SET_CHILD_SUBREAPER), so a
    daemon that detaches from a worker (double fork, new session) stays in our process tree,
    where kill() finds it. Used at the levels `landlock` and `limits`, where no pid namespace and
    no uid of their own catches such daemons. Linux only: elsewhere (no prctl) such a daemon
    is found only by the folder it runs from (procfs.processes_in)."""
    import ctypes

    prctl = getattr(ctypes.CDLL(None, use_errno=True), "prctl", None)
    if prctl is not None:
        prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER


def _adopted_orphans(since: int) -> list[int]:
    """Our children that we did not start as workers, started since `since`: adopted orphans."""
    own = os.getpid()
    return [pid for pid, (parent, _) in procfs.process_table().items()
            if parent == own and pid not in _live_workers
            and (procfs.start_ticks(pid) or 0) >= since]


def remove_files_of(uid: int) -> None:
    """Remove what `uid` left in the world-writable folders (level uid: no private /tmp)."""
    for folder in ("/tmp", "/var/tmp", "/dev/shm"):
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        for entry in entries:
            try:
                if entry.stat(follow_symlinks=False).st_uid != uid:
                    continue
                if entry.is_dir(follow_symlinks=False):
                    shutil.rmtree(entry.path, ignore_errors=True)
                else:
                    os.unlink(entry.path)
            except OSError:
                pass


def start_worker(submission: Path, limits: Limits, level: str) -> WorkerProcess:
    """Start `worker.py` at `level` (one of levels.LEVELS) on a copy of the submission's package
    found in `submission`."""
    if level in ADOPTING:
        adopt_orphans()
    uid = worker_uid() if level in OWN_UID else None
    scratch = make_scratch(scratch_parent(level), level, uid, Path(submission))
    inside = INSIDE if level in NAMESPACED else scratch
    request_read, request_write = os.pipe()
    response_read, response_write = os.pipe()
    log = open(scratch / "worker.log", "wb")
    program = [str(inside / "runtime" / "worker.py"), str(inside / "submission"),
               str(request_read), str(response_write)]
    try:
        popen = subprocess.Popen(
            worker_command(level, scratch, limits, uid, program),
            cwd=scratch / "work",
            env=worker_environment(work_dir(scratch, level)),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=log,
            pass_fds=(request_read, response_write),
            start_new_session=True,
            preexec_fn=apply_limits(limits, level, scratch),
        )
    finally:
        log.close()
        os.close(request_read)
        os.close(response_write)
    _live_workers.add(popen.pid)
    return WorkerProcess(popen, request_write, response_read, scratch, uid, level,
                         started=procfs.start_ticks(popen.pid) or 0)


def signal_hint(number: int) -> str:
    hints = {
        signal.SIGKILL: " (killed: out of memory, or stopped by the grader)",
        signal.SIGXCPU: " (CPU time limit reached)",
        signal.SIGXFSZ: " (file size limit reached)",
        signal.SIGSEGV: " (segmentation fault)",
    }
    return hints.get(number, "")
