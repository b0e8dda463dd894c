"""The trusted judge: grade one submission folder by running every hidden check against it.

The judge holds the reference and the hidden inputs. The submission's code runs only in a worker
process (see client.py); one worker serves all questions and is restarted after a crash, an exit
or a timeout. An import-time failure gives a clear status and zero auto-graded points.
"""

from __future__ import annotations

import argparse
import ast
import sys
import time
import traceback
from pathlib import Path

from threadpoolctl import threadpool_limits

from autograder import manifest
from autograder.grading import reference
from autograder.checks import CheckFailed, Context, Question, questions
from autograder.checks.base import Check, NeedsReview, OutOfTime
from autograder.grading.client import StudentError, WorkerClient, WorkerLost
from autograder.grading.grades import OUT_OF_TIME, CheckResult, Grade, QuestionResult
from autograder.settings import Settings

UNFINISHED = ("not graded: the {seconds:g} s allowed for grading this submission ran out before "
              "this check finished (the checks before it keep their verdicts)")
def import_status(worker: WorkerClient, timeout: float) -> str:
    """'ok' if the package imports in the worker, else a short reason for the gradebook."""
    try:
        # The assignment's modules first: a failure here means nothing can be graded.
        worker.request("import", timeout, modules=list(manifest.current().import_modules))
    except StudentError as error:
        where = error.where or ""
        file, _, line = where.rpartition(":")
        if error.type in ("SyntaxError", "IndentationError", "TabError") and file:
            return f"{error.type} in {Path(file).name} line {line}"
        return f"{error.type} at import" + (f" ({where})" if where else "")
    except WorkerLost as lost:
        reason = str(lost)
        if lost.timed_out or lost.out_of_time:
            return "timed out at import"
        return f"crashed at import: {reason}"
    return "ok"


def function_source(path: Path, name: str) -> str:
    """The source of top-level function `name` in the student's file `path` (its last
    definition, the one Python keeps), read as text and never run, for a person reviewing it."""
    try:
        source = path.read_text(encoding="utf-8", errors="replace")
        found = [node for node in ast.parse(source).body
                 if isinstance(node, ast.FunctionDef) and node.name == name]
    except (OSError, SyntaxError, ValueError):
        found = []
    if not found:
        return f"({name} not found in {path.name})"
    return ast.get_source_segment(source, found[-1]) or ""


def run_check(check, context: Context, unfinished_message: str,
              review: str = "keep") -> CheckResult:
    """The check's verdict; `unfinished_message` once the grading's time is up (not run, or
    cut while running). A check no rule could decide is flagged, its points kept or withheld
    as `review` says (Settings.review)."""
    unfinished = CheckResult(check.title, check.weight, False, unfinished_message)
    if context.out_of_time():
        return unfinished
    try:
        check.run(context)
    except OutOfTime:
        return unfinished
    except CheckFailed as failure:
        return CheckResult(check.title, check.weight, False, str(failure))
    except NeedsReview as undecided:
        context.measurements.setdefault("review_code", {})[check.question] = {
            name: function_source(context.package_root / file, name)
            for file, name in undecided.show}
        kept = review == "keep"
        message = "" if kept else f"withheld until the course staff review it: {undecided}"
        return CheckResult(check.title, check.weight, kept, message, review=str(undecided))
    except Exception:  # a bug in the judge must not pass silently, nor crash the batch
        detail = traceback.format_exc(limit=3).strip().splitlines()[-1]
        return CheckResult(check.title, check.weight, False,
                           f"the grader could not run this check ({detail}); "
                           "please report this to the course staff")
    return CheckResult(check.title, check.weight, True)


def load_everything() -> None:
    """Import what grading the current assignment needs, without grading anyone: its checks and
    its reference (a fork server does this once for all its children)."""
    questions()
    reference.load(manifest.current().reference_package)


def selected_questions(settings: Settings) -> list[Question]:
    """The questions `settings` asks for, in the gradebook's order (all by default)."""
    return [question for question in questions().values()
            if not settings.questions or question.name in settings.questions]


def in_running_order(selected: list[Question]) -> list[Check]:
    """The checks of `selected` in the gradebook's order, except that those which confine the
    worker come last: every other check then shares the one worker started for the grading."""
    checks = [check for question in selected for check in question.checks]
    return sorted(checks, key=lambda check: check.confines_worker)  # a stable sort


def not_graded(status: str, settings: Settings, message: str | None = None,
               seconds: float = 0.0) -> Grade:
    """A grade of zero: every check of the selected questions failed with `message`."""
    message = message or f"not graded: {status}"
    return Grade(status, [
        QuestionResult(q.name, q.title, q.points,
                       [CheckResult(c.title, c.weight, False, message) for c in q.checks])
        for q in selected_questions(settings)
    ], seconds)


def grade(package_root: Path, settings: Settings = Settings(),
          reference_dir: Path | None = None, start: float | None = None) -> Grade:
    """Grade the package in `package_root` (the pipeline has checked it is there).

    The grading ends `settings.timeout` seconds after `start` (time.monotonic(), default now):
    the verdicts reached by then stand, and every check left is marked unfinished.
    """
    start = time.monotonic() if start is None else start
    reference_dir = reference_dir or manifest.current().reference_package
    ref = reference.load(reference_dir)
    # The judge's own arithmetic (reference calls, checksums) is small: BLAS threads would only
    # contend with the workers and the batch's other gradings (a dot product measured 10x slower
    # with them under load). Workers get one thread from their environment.
    with threadpool_limits(limits=1), WorkerClient(
            package_root, settings.limits, settings.call_timeout, settings.sandbox or None,
            deadline=start + settings.timeout) as worker:
        status = import_status(worker, settings.import_timeout)
        if status != "ok":
            grade = not_graded(status, settings, seconds=time.monotonic() - start)
            grade.worker_starts = worker.starts
            return grade
        context = Context(worker, ref, reference_dir, package_root=Path(package_root) / manifest.current().package)
        message = UNFINISHED.format(seconds=settings.timeout)
        selected = selected_questions(settings)
        verdicts = {check: run_check(check, context, message, settings.review)
                    for check in in_running_order(selected)}
        results = [QuestionResult(question.name, question.title, question.points,
                                  [verdicts[check] for check in question.checks])
                   for question in selected]
        unfinished = [q.name for q in results if any(c.message == message for c in q.checks)]
        status = (f"{OUT_OF_TIME} {settings.timeout:g} s: {len(unfinished)} question"
                  f"{'s' if len(unfinished) > 1 else ''} unfinished" if unfinished else "ok")
        return Grade(status, results, time.monotonic() - start, worker.starts,
                     context.measurements)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Grade one submission folder (holding the assignment's package).")
    parser.add_argument("submission", type=Path)
    parser.add_argument("--only", nargs="*", choices=list(manifest.current().questions),
                        help="question names to grade (default: all)")
    args = parser.parse_args(argv)
    result = grade(args.submission.resolve(), Settings(questions=args.only))
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
