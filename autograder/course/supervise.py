"""Grade one submission in a child process of its own, and never let it outlive its deadline.

The batch starts one child per submission (launch.py: forked from a warm fork server on Linux,
`python -m autograder.course.supervise` elsewhere; its own session, a private folder); the child
grades through the pipeline and writes its `Outcome` as JSON. The judge stops by itself when the
submission's time is up (settings.timeout), keeping the verdicts reached; a child still running
KILL_GRACE seconds later is killed together with every process it started (workers run in
sessions of their own), and whatever it left running from its folder is killed too. Nothing a
submission does can stop the batch.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from autograder.course import launch
from autograder.grading import pipeline, results
from autograder.sandbox import procfs
from autograder.grading.grades import Grade
from autograder.settings import Settings

LOG_TAIL_BYTES = 20_000
# The judge stops by itself when the submission's time is up, keeping its verdicts; a child
# still running this much later is stuck in the grader itself and is killed.
KILL_GRACE = 60.0


@dataclass
class Child:
    """A running child: the submission it grades, its process, its folder and its deadline."""

    name: str
    process: launch.Handle
    scratch: Path
    started: float
    deadline: float

    @property
    def result_file(self) -> Path:
        return self.scratch / "result.json"

    def overdue(self) -> bool:
        return self.process.poll() is None and time.monotonic() > self.deadline

    def done(self) -> bool:
        return self.process.poll() is not None


@dataclass
class Finished:
    """What became of a child: its outcome, or None and the tail of its log if it failed."""

    outcome: pipeline.Outcome | None
    seconds: float
    timed_out: bool = False
    exit_code: int | None = None
    log: str = ""


def start(name: str, source: Path, settings: Settings, scratch: Path,
          launcher: launch.Launcher) -> Child:
    """Start grading `source` in a child whose private folder is `scratch`."""
    (scratch / "tmp").mkdir(parents=True)
    env = launch.python_environment(dict(os.environ, TMPDIR=str(scratch / "tmp"),
                                         PYTHONDONTWRITEBYTECODE="1"))
    process = launcher.start(
        "autograder.course.supervise",
        ["--source", str(Path(source).resolve()), "--result", str(scratch / "result.json"),
         "--settings", settings.to_json(), "--batch", str(os.getpid())],
        env, scratch, scratch / "child.log")
    now = time.monotonic()
    return Child(name, process, scratch, now, now + settings.timeout + KILL_GRACE)


def finish(child: Child) -> Finished:
    """Kill what is left of `child` (all of it when overdue), read its outcome, remove its folder."""
    timed_out = child.overdue()
    kill_tree(child.process)
    seconds = time.monotonic() - child.started
    finished = Finished(None, seconds, timed_out, child.process.returncode)
    if not timed_out:
        try:
            data = json.loads(child.result_file.read_text(encoding="utf-8"))
            finished.outcome = pipeline.Outcome(Grade.from_dict(data["grade"]),
                                                list(data["notes"]))
        except (OSError, ValueError, KeyError, TypeError):
            log = (child.scratch / "child.log").read_bytes()[-LOG_TAIL_BYTES:]
            finished.log = log.decode("utf-8", "replace")
    kill_leftovers(child.scratch)
    shutil.rmtree(child.scratch, ignore_errors=True)
    return finished


def stop(child: Child) -> None:
    """Kill a child that is still running (the batch was interrupted)."""
    kill_tree(child.process)
    kill_leftovers(child.scratch)


def kill_tree(process: launch.Handle) -> None:
    """SIGKILL a running child, every process it started and their process groups (workers run
    in sessions of their own, so killing the child's group alone would leave them running).
    The tree is read while the child is alive: once it exits, its orphans are out of reach."""
    own = {os.getpid(), os.getpgrp()}
    while process.poll() is None:
        pids = [process.pid, *procfs.descendants(process.pid)]
        groups = set()
        for pid in pids:
            with contextlib.suppress(OSError):
                groups.add(os.getpgid(pid))
        for group in groups - own:
            with contextlib.suppress(OSError):
                os.killpg(group, signal.SIGKILL)
        for pid in set(pids) - own:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=5)


def kill_leftovers(scratch: Path) -> None:
    """Kill what a child left running from its private folder (e.g. a worker whose judge was
    killed by the submission itself, now an orphan out of reach of kill_tree)."""
    own = {os.getpid(), os.getpgrp()}
    for _ in range(5):
        found = [pid for pid in procfs.processes_in(scratch) if pid not in own]
        if not found:
            return
        for pid in found:
            with contextlib.suppress(OSError):
                group = os.getpgid(pid)
                if group not in own:
                    os.killpg(group, signal.SIGKILL)
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
        time.sleep(0.05)


# The child ------------------------------------------------------------------------------------

def die_with_parent(batch: int) -> None:
    """Get SIGTERM when the parent dies (Linux: the batch, or for a forked child the fork
    server, which ends with the batch), and exit cleanly on SIGTERM. Without prctl (macOS) the
    child only checks at the start that the batch is still there."""
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    with contextlib.suppress(Exception):  # AttributeError where libc has no prctl
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    if not launch.exists(batch):
        sys.exit(143)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Grade one submission for make grade (started "
                                                 "by autograder.course.batch, not by hand).")
    parser.add_argument("--source", type=Path, required=True)
    parser.add_argument("--result", type=Path, required=True)
    parser.add_argument("--settings", type=Settings.from_json, required=True)
    parser.add_argument("--batch", type=int, required=True, help="the batch's pid")
    args = parser.parse_args(argv)
    die_with_parent(args.batch)
    with tempfile.TemporaryDirectory(prefix="bn-batch-one-") as scratch:
        outcome = pipeline.grade_submission(args.source, Path(scratch), args.settings)
    results.write_json_atomic(args.result, {"grade": outcome.grade.to_dict(),
                                            "notes": outcome.notes})
    return 0


if __name__ == "__main__":
    sys.exit(main())
