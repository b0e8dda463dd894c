"""The trusted judge: grade one submission folder by running every hidden check against it.

The judge holds the reference and the hidden inputs. The submission's code runs only in a worker
process (see client.py); one worker serves all questions and is restarted after a crash, an exit
or a timeout. An import-time failure gives a clear status and zero auto-graded points.
"""

from __future__ import annotations

import argparse
import sys
import time
import traceback
from dataclasses import asdict, dataclass, field
from pathlib import Path

from autograder import paths, reference, sandbox
from autograder.checks import QUESTIONS, CheckFailed, Context
from autograder.client import StudentError, WorkerClient, WorkerLost

# What the worker imports first: a failure here means the package cannot be graded at all.
MODULES = ["cs231n.layers", "cs231n.classifiers.fc_net"]
REQUIRED_FILES = ["cs231n/layers.py", "cs231n/classifiers/fc_net.py"]


@dataclass
class CheckResult:
    title: str
    weight: float
    passed: bool
    message: str = ""


@dataclass
class QuestionResult:
    name: str
    title: str
    max_score: float
    checks: list[CheckResult] = field(default_factory=list)

    @property
    def score(self) -> float:
        total = sum(check.weight for check in self.checks)
        earned = sum(check.weight for check in self.checks if check.passed)
        return round(self.max_score * earned / total, 4) if total else 0.0


@dataclass
class Grade:
    status: str  # "ok", or why the package could not be graded
    questions: list[QuestionResult]
    seconds: float = 0.0
    worker_starts: int = 0
    measurements: dict = field(default_factory=dict)

    @property
    def total(self) -> float:
        return round(sum(question.score for question in self.questions), 4)

    @property
    def max_total(self) -> float:
        return sum(question.max_score for question in self.questions)

    def to_dict(self) -> dict:
        data = asdict(self)
        for question, result in zip(data["questions"], self.questions):
            question["score"] = result.score
        data["total"] = self.total
        return data


@dataclass(frozen=True)
class Settings:
    """How hard the judge may push one submission."""

    call_timeout: float = 60.0
    import_timeout: float = 60.0
    limits: sandbox.Limits = sandbox.Limits()


def import_status(worker: WorkerClient, timeout: float) -> str:
    """'ok' if the package imports in the worker, else a short reason for the gradebook."""
    try:
        worker.request("import", timeout, modules=MODULES)
    except StudentError as error:
        where = error.where or ""
        file, _, line = where.rpartition(":")
        if error.type in ("SyntaxError", "IndentationError", "TabError") and file:
            return f"{error.type} in {Path(file).name} line {line}"
        return f"{error.type} at import" + (f" ({where})" if where else "")
    except WorkerLost as lost:
        reason = str(lost)
        if reason.startswith("timed out"):
            return "timed out at import"
        return f"crashed at import: {reason}"
    return "ok"


def run_check(check, context: Context) -> CheckResult:
    try:
        check.run(context)
    except CheckFailed as failure:
        return CheckResult(check.title, check.weight, False, str(failure))
    except Exception:  # a bug in the judge must not pass silently, nor crash the batch
        detail = traceback.format_exc(limit=3).strip().splitlines()[-1]
        return CheckResult(check.title, check.weight, False,
                           f"the grader could not run this check ({detail}); "
                           "please report this to the course staff")
    return CheckResult(check.title, check.weight, True)


def empty_results(message: str) -> list[QuestionResult]:
    return [
        QuestionResult(q.name, q.title, q.points,
                       [CheckResult(c.title, c.weight, False, message) for c in q.checks])
        for q in QUESTIONS.values()
    ]


def grade(submission: Path, settings: Settings = Settings(),
          reference_dir: Path = paths.SOLUTIONS / paths.PACKAGE_NAME,
          only: list[str] | None = None) -> Grade:
    """Grade the `cs231n` package found directly in `submission`."""
    start = time.monotonic()
    missing = [name for name in REQUIRED_FILES if not (submission / name).is_file()]
    if missing:
        status = f"no {missing[0]}"
        return Grade(status, empty_results(f"not graded: {status}"), time.monotonic() - start)
    ref = reference.load(reference_dir)
    with WorkerClient(submission, settings.limits, settings.call_timeout) as worker:
        status = import_status(worker, settings.import_timeout)
        if status != "ok":
            return Grade(status, empty_results(f"not graded: {status}"),
                         time.monotonic() - start, worker.starts)
        context = Context(worker, ref, reference_dir)
        results = []
        for question in QUESTIONS.values():
            if only and question.name not in only:
                continue
            results.append(QuestionResult(question.name, question.title, question.points,
                                          [run_check(c, context) for c in question.checks]))
        return Grade("ok", results, time.monotonic() - start, worker.starts,
                     context.measurements)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Grade one submission folder (holding cs231n/).")
    parser.add_argument("submission", type=Path)
    parser.add_argument("--only", nargs="*", help="question names to grade (default: all)")
    args = parser.parse_args(argv)
    result = grade(args.submission.resolve(), only=args.only)
    for question in result.questions:
        print(f"{question.name:24s} {question.score:6.2f} / {question.max_score:g}")
        for check in question.checks:
            if not check.passed:
                print(f"    - {check.title}: {check.message}")
    if result.measurements:
        print(f"measurements: {result.measurements}")
    print(f"status: {result.status}; total {result.total:g} / {result.max_total:g} "
          f"({result.seconds:.1f} s, {result.worker_starts} worker start(s))")
    return 0


if __name__ == "__main__":
    sys.exit(main())
