"""The library of the hidden checks: registering checks, comparisons, calls to the worker.

An assignment's checks (assignment/<name>/checks/) register themselves with `@check(question,
title, weight)`; its manifest (autograder/manifest.py) gives each question its points and title.

Every check makes its inputs here (fixed seeds), asks the worker to run the student's code on them,
computes the expected values with the reference in this process, and compares plain arrays. A
failing check raises `CheckFailed` with a message that says what is wrong, names a recognizable
mistake when it sees one, and never reveals the inputs or the expected values.

A question's points are shared among its checks in proportion to their weights.
"""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from autograder import manifest
from autograder.grading.client import StudentError, WorkerClient, WorkerLost


def target(module: str, name: str) -> str:
    """The call target of `name` in `module` of the student's package, as the worker reads it
    ("<package>.<module>:<name>")."""
    return f"{manifest.current().package}.{module}:{name}"


class CheckFailed(Exception):
    """A check's verdict: what the student should fix."""


class NeedsReview(Exception):
    """No rule could decide this check: why, for the person who reads the code. The check
    keeps its points or not as the instructor chose (Settings.review). `show` names the
    student's functions to put side by side in the report, as (file in the package, name)."""

    def __init__(self, reason: str, show: tuple[tuple[str, str], ...] = ()):
        super().__init__(reason)
        self.show = show


class OutOfTime(Exception):
    """The time allowed for grading the submission ran out during a check: no verdict."""


@dataclass(frozen=True)
class Check:
    question: str
    title: str  # what is checked, in the student's words
    weight: float
    run: Callable[["Context"], None]
    # The check leaves the student's worker unusable (e.g. forbidden to start processes): the
    # judge runs it after every other check, so that no second worker has to start.
    confines_worker: bool = False


@dataclass
class Question:
    name: str
    points: float
    title: str
    checks: list[Check] = field(default_factory=list)


# {checks package: {question: [its checks, in the order they were registered]}}
_REGISTRY: dict[str, dict[str, list[Check]]] = {}


def check(question: str, title: str, weight: float = 1.0, confines_worker: bool = False):
    """Register the decorated function as a check of `question` of the assignment whose checks
    package defines it. `confines_worker`: it stops the student's worker or leaves it unable to
    do what other checks need (see Check)."""

    def register(run: Callable[["Context"], None]) -> Callable[["Context"], None]:
        package = run.__module__.split(".")[0]
        _REGISTRY.setdefault(package, {}).setdefault(question, []).append(
            Check(question, title, weight, run, confines_worker))
        return run

    return register


def registered(package: str) -> dict[str, list[Check]]:
    """The checks a checks package registered, by question."""
    return _REGISTRY.get(package, {})


# Comparing ------------------------------------------------------------------------------------

NUMBER = re.compile(r"[-+]?(\d+\.\d*|\.\d+|\d+)([eE][-+]?\d+)?")


def sanitize(text: str, limit: int = 200) -> str:
    """A student exception message safe to show: first line, no decimals (hidden values)."""
    first = (text or "").strip().splitlines()[0] if (text or "").strip() else ""
    first = NUMBER.sub(lambda m: m.group(0) if m.group(0).isdigit() and len(m.group(0)) < 6
                       else "…", first)
    return first[:limit] + ("…" if len(first) > limit else "")


def rel_error(x, y) -> float:
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    return float(np.max(np.abs(x - y) / np.maximum(1e-8, np.abs(x) + np.abs(y)))) if x.size else 0.0


def as_array(value, what: str) -> np.ndarray:
    if not isinstance(value, np.ndarray):
        raise CheckFailed(f"{what} must be a numpy array, got {type(value).__name__}")
    return value


def expect_close(got, expected: np.ndarray, what: str, shape: str, tol: float = 1e-6,
                 hint: str = "") -> None:
    """Fail unless `got` is an array of exactly `expected`'s shape with matching values."""
    got = as_array(got, what)
    if got.shape != expected.shape:
        extra = ""
        if got.size == expected.size:
            extra = (" (same number of entries: did you keep a reduced axis, e.g. keepdims, "
                     "or finish a transpose trick only halfway?)")
        raise CheckFailed(f"{what} has shape {symbolic_shape(got.shape, expected.shape, shape)}; "
                          f"it must have shape {shape}{extra}")
    if got.dtype.kind not in "fc":
        raise CheckFailed(f"{what} must hold floating-point numbers, not {got.dtype}")
    if not np.all(np.isfinite(got)):
        raise CheckFailed(f"{what} contains NaN or infinity")
    if rel_error(got, expected) > tol:
        raise CheckFailed(f"{what} is wrong{': ' + hint if hint else ''}")


def symbolic_shape(actual: tuple, expected: tuple, names: str) -> str:
    """Write `actual` with the letters of `names` (e.g. "(N, D)") so hidden sizes stay hidden."""
    letters = [name.strip() for name in names.strip("()").split(",") if name.strip()]
    sizes = {size: letter for size, letter in zip(expected, letters)}
    parts = [sizes.get(size, str(size) if size <= 1 else "?") for size in actual]
    return "(" + ", ".join(parts) + ("," if len(parts) == 1 else "") + ")"


def matches(got, candidate, tol: float = 1e-6) -> bool:
    return (isinstance(got, np.ndarray) and got.shape == np.shape(candidate)
            and rel_error(got, candidate) <= tol)


def numbers_match(got: float, expected: float, tol: float = 1e-7) -> bool:
    """Two numbers (e.g. losses) agree, relatively to `expected`, or absolutely near zero."""
    return abs(got - expected) <= tol * max(1.0, abs(expected))


def require_right_output(got, expected, function: str, question: str, what: str,
                         mistake: str = "") -> None:
    """Judge `what` only when the same call computed the right output, or made a known honest
    mistake (`mistake` names it): a stub that returns constants must not earn "leaves its
    inputs alone", nor a zero gradient that agrees with the zero numeric gradient of a constant
    function."""
    if not (matches(got, expected) or mistake):
        raise CheckFailed(f"{what} cannot be judged: {function} gives wrong outputs here "
                          f"(see {question}); fix them first")


# Talking to the student's code ----------------------------------------------------------------

@dataclass
class Context:
    worker: WorkerClient
    ref: object  # the reference modules, see autograder.grading.reference
    reference_dir: Path  # the reference package, for checks that run it in a worker of its own
    package_root: Path = Path()  # the student's package, read as text only (for reviews)
    measurements: dict = field(default_factory=dict)  # figures for the report (e.g. a speed ratio)
    # Student functions that timed out once, with why: later checks do not call them again, so a
    # hang costs the checks that need that function, and the time of one call timeout.
    hung: dict[str, str] = field(default_factory=dict)
    # Those of them that are module functions, by call target ("package.module:function"): every
    # worker started after the hang has them retired (Worker.op_retire), so that other student
    # code calling one (a net's loss calling a layer) fails at once instead of hanging again.
    retire: dict[str, str] = field(default_factory=dict)
    retired_in: int = 0  # the worker start that has them retired

    def call(self, target, *args, what: str | None = None, **kwargs):
        """Call student code; its exceptions and crashes become the check's verdict."""
        name = what or target.split(":")[-1]
        with self.student_code(name, target):
            return self.worker.call(target, *args, **kwargs)

    def request(self, what: str, op: str, **fields):
        with self.student_code(what, fields.get("target")):
            return self.worker.request(op, **fields)

    @contextlib.contextmanager
    def student_code(self, name: str, target=None):
        """Run a request that executes student function `name` (`target`: what it calls, when
        known): StudentError and WorkerLost become CheckFailed, and a function that timed out
        once is not called again."""
        if name in self.hung:
            raise CheckFailed(f"{name} was not called again: {self.hung[name]}")
        try:
            self.retire_hung_functions()
            yield
        except StudentError as error:
            if error.type == "MemoryError":
                # What it allocated may still be held (a module-level list, say): like a hang,
                # it is not called again, and the next check starts from a fresh worker.
                self.hung[name] = "it ran out of memory on an earlier call"
                self.worker.stop()
            raise CheckFailed(describe_error(name, error)) from None
        except WorkerLost as lost:
            if lost.out_of_time:
                raise OutOfTime(str(lost)) from None
            if lost.timed_out:
                self.hung[name] = f"it {lost} on an earlier call"
                if is_module_function(target) and target.partition(":")[2] == name:
                    # (Only under its own name: a model class called under a name that says
                    # how it was configured must not cost its other configurations.)
                    self.retire[target] = self.hung[name]
            raise CheckFailed(f"{name}: {lost}") from None

    def retire_hung_functions(self) -> None:
        """Retire the hung module functions in the worker, if it started since they were."""
        if not self.retire or self.worker.out_of_time():
            return
        self.worker.ensure_started()
        if self.worker.starts != self.retired_in:
            self.worker.request("retire", functions=self.retire)
            self.retired_in = self.worker.starts

    def out_of_time(self) -> bool:
        return self.worker.out_of_time()


def is_module_function(target) -> bool:
    """Whether a call target names something at a module's top level ("package.module:name")."""
    return isinstance(target, str) and ":" in target and "." not in target.partition(":")[2]


def describe_error(name: str, error: StudentError) -> str:
    where = f" at {error.where}" if error.where else ""
    if error.type == "NotImplementedError":
        return f"{name} is not implemented yet (NotImplementedError{where})"
    return f"{name} raised {error.type}{where}: {sanitize(error.message)}"
