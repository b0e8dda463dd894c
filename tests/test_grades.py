"""autograder.grading.grades: scores from weighted checks, and the one serialization of a Grade."""

from __future__ import annotations

import json

from autograder.grading.grades import QUESTIONS, CheckResult, Grade, QuestionResult


def test_points_are_shared_by_weight():
    question = QuestionResult("q", "a question", 6, [
        CheckResult("a", 1, True), CheckResult("b", 2, False, "wrong"), CheckResult("c", 3, True)])
    assert question.score == 4
    assert QuestionResult("empty", "no checks", 5).score == 0


def test_round_trip_through_json():
    grade = Grade("ok", [
        QuestionResult("bn_backward", "staged", 10, [CheckResult("dx", 1, True),
                                                     CheckResult("dgamma", 1, False, "wrong")]),
        QuestionResult("ln_forward", "ln", 6, [CheckResult("out", 2, True)]),
    ], seconds=1.5, worker_starts=2, measurements={"alt_time_ratio": 1.2})
    data = json.loads(json.dumps(grade.to_dict()))
    assert data["total"] == 11 and data["questions"][0]["score"] == 5
    assert Grade.from_dict(data) == grade


def test_a_forged_total_is_recomputed():
    grade = Grade("ok", [QuestionResult("q", "t", 4, [CheckResult("c", 1, False, "no")])])
    data = grade.to_dict()
    data["total"], data["questions"][0]["score"] = 99, 99
    assert Grade.from_dict(data).total == 0


def test_the_catalogue_totals_68_points():
    assert sum(spec.points for spec in QUESTIONS.values()) == 68
    assert list(QUESTIONS)[0] == "bn_forward_train"
