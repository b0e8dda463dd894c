"""One submission, from a zip or folder as handed in to a `Grade`: the one grading path.

make grade's children, Gradescope's entry point and the benchmarks all grade through
`grade_submission`: take what grading needs out of the submission (extract.py: never the
submission itself, never through a symbolic link), find the package and check that it is whole,
then let the judge grade the questions the settings ask for.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

from autograder import manifest
from autograder.grading import extract, judge
from autograder.grading.grades import Grade
from autograder.settings import Settings


def required_files() -> tuple[str, ...]:
    """Files without which nothing can be graded: the ones a student hands in (the worker
    imports them first)."""
    return tuple(manifest.current().student_files.values())


def probe_question() -> str:
    """What the grader's self-check grades the reference on: the manifest's quick question."""
    return manifest.current().self_check


def no_package_message(missing: str) -> str:
    return (f"not graded: the submission holds no {missing} (export it with the notebook's "
            "last cell)")


@dataclass
class Outcome:
    """A graded submission: its grade, and remarks on the files that did not stop grading."""

    grade: Grade
    notes: list[str] = field(default_factory=list)


def missing_file(root: Path | None) -> str | None:
    """The first required file missing under `root` (all of them when there is no root)."""
    for name in required_files():
        if root is None or not (root / name).is_file():
            return name
    return None


def grade_submission(source: Path, scratch: Path, settings: Settings = Settings(),
                     reference_dir: Path | None = None,
                     handout_dir: Path | None = None) -> Outcome:
    """Copy what grading needs out of `source` into `scratch`, and grade it there.
    `handout_dir` (the handout's package; default the current assignment's) completes a
    submission of loose files."""
    start = time.monotonic()
    handout_dir = handout_dir or manifest.current().handout_package
    prepared = extract.prepare(source, Path(scratch) / "submission")
    extract.complete_from_loose_files(prepared, handout_dir)
    extract.complete_package(prepared, handout_dir)
    root = prepared.package_root()
    missing = missing_file(root)
    if prepared.problem:
        grade = judge.not_graded(prepared.problem, settings)
    elif missing:
        grade = judge.not_graded(f"no {missing}", settings,
                                 no_package_message(missing) if root is None else None)
    else:
        grade = judge.grade(root, settings, reference_dir, start)
    grade.seconds = time.monotonic() - start
    return Outcome(grade, prepared.notes)


class GraderBroken(Exception):
    """The grader cannot grade here: the reference itself does not score full marks."""


def self_check_settings(settings: Settings) -> Settings:
    """The settings the grader checks itself with: one quick question, a short budget."""
    return replace(settings, questions=(probe_question(),), timeout=min(settings.timeout, 120))


def verify_self_check(grade: Grade, settings: Settings) -> None:
    """Raise GraderBroken, naming what went wrong, unless the reference scored full marks."""
    if grade.status == "ok" and grade.total == grade.max_total:
        return
    failed = next((c.message for q in grade.questions for c in q.checks if not c.passed), "")
    raise GraderBroken(
        f"the grader cannot grade here: the reference package itself scored "
        f"{grade.total:g}/{grade.max_total:g} on {probe_question()} (status {grade.status!r}"
        f"{'; ' + failed if failed else ''}) at sandbox level {settings.sandbox or 'auto'}. "
        "Nothing was graded. The worker must be able to read the Python environment "
        f"({sys.prefix}) and start there; BN_SANDBOX=off grades without isolation")


def check_the_grader(settings: Settings, scratch: Path,
                     reference_dir: Path | None = None) -> None:
    """Grade the reference on one quick question at `settings`' sandbox level, in this process,
    and raise GraderBroken unless it scores full marks. Run before grading anyone, so that a
    grader that cannot work here is never recorded as every student's crash."""
    reference_dir = reference_dir or manifest.current().reference_package
    grade = grade_submission(reference_dir.parent, scratch, self_check_settings(settings),
                             reference_dir).grade
    verify_self_check(grade, settings)
