"""Shared pytest setup: the reference `cs231n` package under assignment/ is importable; hand-made
grades for the tests of what renders them."""

import sys

from autograder import paths
from autograder.checks import QUESTIONS, speed
from autograder.grades import CheckResult, Grade, QuestionResult
from autograder.judge import not_graded
from autograder.settings import Settings

if str(paths.ASSIGNMENT) not in sys.path:
    sys.path.insert(0, str(paths.ASSIGNMENT))


def make_grade(failing: dict[str, str] = (), ratio: float | None = 1.0,
               status: str = "ok") -> Grade:
    """Every check passes except those named {check title: message}."""
    failing = dict(failing)
    if status != "ok":
        return not_graded(status, Settings())
    questions = []
    for question in QUESTIONS.values():
        questions.append(QuestionResult(question.name, question.title, question.points, [
            CheckResult(check.title, check.weight, check.title not in failing,
                        failing.get(check.title, "")) for check in question.checks]))
    return Grade(status, questions, 5.0, 1,
                 {} if ratio is None else {"alt_time_ratio": ratio,
                                           "alt_time_threshold": speed.SETTINGS.max_ratio})


def first_check(question: str) -> str:
    return QUESTIONS[question].checks[0].title
