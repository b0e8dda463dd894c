"""What grading produces: the auto-graded questions, and a submission's `Grade`, as plain data.

Everything that reads or writes grades (the gradebook, results.json, feedback, the report, otter's
test files) depends on this module alone, never on the judge that makes them. `Grade.to_dict` and
`Grade.from_dict` are the one serialization, used by the child that grades a submission and by the
records make grade keeps.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from autograder import manifest


def questions():
    """The current assignment's auto-graded questions ({name: manifest.QuestionSpec}), in the
    gradebook's order: its manifest declares them, with their points and titles."""
    return manifest.current().questions


def __getattr__(name: str):
    if name == "QUESTIONS":  # the current assignment's, as of the moment it is asked for
        return questions()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# The start of the status of a grading that ran out of time: the checks that finished stand.
OUT_OF_TIME = "timed out after"


@dataclass
class CheckResult:
    title: str
    weight: float
    passed: bool
    message: str = ""
    review: str = ""  # why no rule could decide this check (flagged for a person to look)


@dataclass
class QuestionResult:
    name: str
    title: str
    max_score: float
    checks: list[CheckResult] = field(default_factory=list)

    @property
    def review(self) -> str:
        """Why this question is flagged for review ("" if it is not)."""
        return "; ".join(check.review for check in self.checks if check.review)

    @property
    def score(self) -> float:
        """The question's points, shared among its checks in proportion to their weights."""
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
    def partly_graded(self) -> bool:
        """The grading ran out of time: some checks have verdicts, the rest are unfinished."""
        return self.status.startswith(OUT_OF_TIME)

    @property
    def reviews(self) -> dict[str, str]:
        """The questions flagged for review, with why."""
        return {q.name: q.review for q in self.questions if q.review}

    @property
    def max_total(self) -> float:
        return sum(question.max_score for question in self.questions)

    def to_dict(self) -> dict:
        """Plain data (JSON-ready), with each question's score and the total written out."""
        data = asdict(self)
        for question, result in zip(data["questions"], self.questions):
            question["score"] = result.score
        data["total"] = self.total
        return data

    @classmethod
    def from_dict(cls, data: dict) -> "Grade":
        """The inverse of `to_dict` (the written-out scores are recomputed, not trusted)."""
        return cls(
            data["status"],
            [QuestionResult(q["name"], q["title"], q["max_score"],
                            [CheckResult(**check) for check in q["checks"]])
             for q in data["questions"]],
            data.get("seconds", 0.0), data.get("worker_starts", 0),
            data.get("measurements") or {})
