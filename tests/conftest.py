"""Shared pytest setup: the tests work on the Batch Normalization assignment unless they say
otherwise (ASSIGNMENT=batchnorm, whatever the shell exported); the course's `cs231n` package under
assignment/ is importable; the attacks' sources (tests/attacks/, read as text by tests/attack_recipes.py) are never collected;
fixtures used by several test files."""

import os
import sys

import pytest

os.environ["ASSIGNMENT"] = "batchnorm"  # before anything asks the manifest which assignment

from autograder import paths, sandbox
from autograder.checks import QUESTIONS
from autograder.grading.grades import CheckResult, Grade, QuestionResult
from autograder.grading.judge import not_graded
from autograder.settings import Settings
from assignments import batchnorm

if str(paths.ASSIGNMENT) not in sys.path:
    sys.path.insert(0, str(paths.ASSIGNMENT))

collect_ignore = ["attacks"]


@pytest.fixture
def sandbox_off(monkeypatch):
    """BN_SANDBOX=off (the `limits` level) for one test: the protections are probed anew with
    it, and again, without it, after the test."""
    with monkeypatch.context() as patch:
        patch.setenv(sandbox.SETTING, "off")
        sandbox.protections.cache_clear()
        yield
    sandbox.protections.cache_clear()


def hand_made_grade(failing: dict[str, str] = (), ratio: float | None = 1.0,
                    status: str = "ok") -> Grade:
    """A grade where every check passes except those named {check title: message}, with a
    speed ratio (None: no measurement), or not graded at all when `status` is not ok."""
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
                                           "alt_time_ratio_threshold": batchnorm("checks.speed").SETTINGS.max_staged_ratio})


@pytest.fixture
def make_grade():
    """`hand_made_grade`, for the tests of what renders grades (feedback, report)."""
    return hand_made_grade
