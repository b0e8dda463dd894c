"""The library the hidden checks are written with (`base`) and their CPU timing (`timing`).

An assignment's own checks live in its folder (assignment/<name>/checks/) and register
themselves with `base.check`; `questions()` gives the current assignment's questions, each with
its points (from the manifest) and its registered checks.
"""

from autograder import manifest
from autograder.checks.base import Check, CheckFailed, Context, Question


def questions() -> dict[str, Question]:
    """{name: Question} of the current assignment, in the gradebook's order."""
    return {question.name: question for question in manifest.current().graded_questions()}


def __getattr__(name: str):
    if name == "QUESTIONS":  # the current assignment's, as of the moment it is asked for
        return questions()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["Check", "CheckFailed", "Context", "Question", "questions"]
