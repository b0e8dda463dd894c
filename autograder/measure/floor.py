"""The floor of a grading: what no grader of these checks can go below (`make bench-grade`).

It is two costs added: a fresh interpreter importing numpy (every child of `make grade` pays it),
and the checks' own arithmetic, which is the reference's functions called on the checks' inputs.
The second is measured by grading the reference with the judge's checks, but with the worker's own
code in this process (`InProcessClient`): the same requests and the same wire encoding, but no
process, sandbox or pipe. That grading is unsafe for anything but the trusted reference, and is
used for nothing but this measurement.
"""

from __future__ import annotations

import contextlib
import importlib.util
import statistics
import subprocess
import sys
import time
from pathlib import Path
from unittest import mock

from autograder import manifest, paths
from autograder.grading import client as client_module
from autograder.grading import judge
from autograder.runtime import wire
from autograder.settings import Settings

RUNTIME = paths.ROOT / "autograder" / "runtime"
# Requests that confine the worker's own process (no more children, for timing): run here they
# would confine this one, so the checks that make them cannot be measured in process.
CONFINING = {"no_new_processes"}


def load_worker_module():
    """runtime/worker.py as the sandbox runs it (its own top-level `wire` and `timed_calls`)."""
    if str(RUNTIME) not in sys.path:
        sys.path.insert(0, str(RUNTIME))
    spec = importlib.util.spec_from_file_location("_floor_worker", RUNTIME / "worker.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class InProcessClient(client_module.WorkerClient):
    """A WorkerClient whose worker is `worker.Worker` in this process, fed through the wire."""

    _module = None

    def ensure_started(self) -> None:
        if self.process is None:
            if InProcessClient._module is None:
                InProcessClient._module = load_worker_module()
            module = InProcessClient._module
            module.PACKAGE = manifest.current().package
            if str(self.submission) not in sys.path:
                sys.path.insert(0, str(self.submission))
            self.process = module.Worker(self.submission)
            self.starts += 1

    def stop(self) -> None:
        self.process = None

    def request(self, op: str, timeout: float | None = None, **fields):
        if op in CONFINING:
            raise client_module.WorkerLost(f"'{op}' would confine the measuring process itself")
        self.ensure_started()
        module = InProcessClient._module
        request = module.wire.loads(wire.dumps({"id": 1, "op": op, **fields}))
        try:
            value = self.process.handle(request)
        except Exception as error:  # the reference's own errors, reported as the judge expects
            raise client_module.StudentError(type(error).__name__, str(error), None) from None
        answer = wire.loads(module.wire.dumps({"id": 1, "value": value}))
        return wire.decode(answer["value"])


def numpy_startup_seconds(repeats: int = 5) -> float:
    """Median wall time of `python -c 'import numpy'`."""
    times = []
    for _ in range(repeats):
        start = time.monotonic()
        subprocess.run([sys.executable, "-c", "import numpy"], check=True)
        times.append(time.monotonic() - start)
    return statistics.median(times)


@contextlib.contextmanager
def in_process_workers():
    with mock.patch.object(judge, "WorkerClient", InProcessClient):
        yield


def in_process_questions() -> tuple[str, ...]:
    """The questions whose checks run with an in-process worker: all but those that watch the
    worker's own process (a timing check needs one process it can measure and confine)."""
    with in_process_workers():
        grade = judge.grade(Path(manifest.current().solutions), Settings(sandbox="off"))
    return tuple(question.name for question in grade.questions
                 if question.score == question.max_score)


def checks_seconds(questions: tuple[str, ...], repeats: int = 3) -> float:
    """Median wall time of the checks' arithmetic of `questions` on the reference: a grading
    with in-process workers."""
    settings = Settings(questions=questions, sandbox="off")
    times = []
    with in_process_workers():
        for _ in range(repeats):
            start = time.monotonic()
            grade = judge.grade(Path(manifest.current().solutions), settings)
            times.append(time.monotonic() - start)
            if grade.total != grade.max_total:
                raise RuntimeError(f"the in-process grading of the reference scored "
                                   f"{grade.total:g}/{grade.max_total:g}: the floor is wrong")
    return statistics.median(times)


def grading_seconds(questions: tuple[str, ...] | None = None, repeats: int = 3) -> float:
    """Median wall time of a real grading of the reference (sandboxed workers), in process."""
    times = []
    for _ in range(repeats):
        start = time.monotonic()
        judge.grade(Path(manifest.current().solutions), Settings(questions=questions))
        times.append(time.monotonic() - start)
    return statistics.median(times)
