"""otter test files for the auto-graded questions, backed by the trusted judge.

The autograder zip carries one otter exception-format test file per question, with one test case
per hidden check (its points are the check's share of the question). A test case does not test
anything itself: it asks the judge's verdict for its check. `score` runs these files with otter's
own test-file machinery, in the trusted grading process, so otter's scoring and the judge's agree
by construction and instructors can read the question layout in otter's familiar format.
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from autograder.checks import questions
from autograder.grading.judge import Grade

if TYPE_CHECKING:
    from otter.test_files.exception_test import ExceptionTestFile

TEMPLATE = '''\
"""{title}: every test case asks the trusted judge (autograder.grading.judge) for one check's verdict."""

from otter.test_files import test_case

OK_FORMAT = False

name = "{name}"
points = {points}  # one entry per test case: the check's share of the question's points
{cases}'''

CASE = '''
@test_case(name={title!r})
def check_{index}(verdict):
    verdict({question!r}, {index})
'''


def write_test_files(folder: Path) -> list[Path]:
    """Write `<question>.py` for every auto-graded question into `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for question in questions().values():
        total = sum(check.weight for check in question.checks)
        shares = [question.points * check.weight / total for check in question.checks]
        cases = "".join(CASE.format(title=check.title, question=question.name, index=index)
                        for index, check in enumerate(question.checks))
        path = folder / f"{question.name}.py"
        path.write_text(TEMPLATE.format(title=question.title, name=question.name,
                                        points=shares, cases=cases))
        written.append(path)
    return written


def score(grade: Grade, folder: Path) -> dict[str, ExceptionTestFile]:
    """Run each question's otter test file against the judge's verdicts in `grade`."""
    verdicts = {question.name: question.checks for question in grade.questions}

    def verdict(question: str, index: int) -> None:
        check = verdicts[question][index]
        assert check.passed, check.message

    files = {}
    with otter_test_files() as test_files:
        for question in grade.questions:
            test_file = test_files.ExceptionTestFile.from_file(str(folder / f"{question.name}.py"))
            test_file.run({"verdict": verdict})
            files[question.name] = test_file
    return files


@contextlib.contextmanager
def otter_test_files():
    """otter's test-file machinery (`otter.test_files`), without otter's package __init__ where
    otter is not imported yet.

    otter/__init__.py imports otter's whole API (nbconvert, pandas, its exporters): 1.1 s of CPU,
    over 2 s of a Gradescope run at half a CPU, none of which scoring uses. While the test
    files load and run (they import `otter.test_files` themselves), an unexecuted module stands
    in for the package; it and what loaded under it are forgotten afterwards, so that a later
    `import otter` in the same process imports otter afresh, in full."""
    if "otter" in sys.modules:
        yield importlib.import_module("otter.test_files")
        return
    sys.modules["otter"] = importlib.util.module_from_spec(importlib.util.find_spec("otter"))
    try:
        yield importlib.import_module("otter.test_files")
    finally:
        for name in [name for name in sys.modules if name == "otter" or name.startswith("otter.")]:
            del sys.modules[name]
