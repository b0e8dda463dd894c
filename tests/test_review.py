"""A check no rule can decide is flagged for review, never guessed: the judge records why, keeps or
withholds its points as the instructor chose, and every reader shows it (grades.csv's review
column, results.json's extra_data.review, feedback.md, report.html with the code side by side)."""

from __future__ import annotations

import csv
import io
import json

import pytest

from autograder.course import gradebook, report
from autograder.grading import results
from assignments import batchnorm

alt_population = batchnorm("alt_population")
from autograder.grading.judge import grade
from autograder.settings import Settings
from autograder.course.submissions import Submission

SPEED = "bn_backward_alt_speed"


@pytest.fixture(scope="module")
def undecidable(tmp_path_factory):
    """A submission whose cache holds no batch statistics: the algebra cannot be told."""
    member = next(m for m in alt_population.members() if m.name == "recomputing_cache")
    assert member.flagged
    return member.build(tmp_path_factory.mktemp("review") / member.name)


@pytest.mark.parametrize("policy", ["keep", "withhold"])
def test_a_flagged_check_keeps_or_withholds_its_points_as_asked(undecidable, policy):
    result = grade(undecidable, Settings(questions=[SPEED], review=policy))
    question = result.questions[0]
    assert "no batch statistics to move" in question.review
    assert result.reviews == {SPEED: question.review}
    assert question.score == (question.max_score if policy == "keep" else 0)
    code = result.measurements["review_code"][SPEED]
    assert set(code) == {"batchnorm_backward_alt", "batchnorm_backward"}
    assert all(source.startswith("def ") for source in code.values())


def test_every_reader_shows_the_flag(undecidable, tmp_path):
    result = grade(undecidable, Settings(questions=[SPEED]))
    data = gradebook.write_record(tmp_path, Submission("student", undecidable), "key", result,
                                  [], 1.0)
    test = next(t for t in data["tests"] if t["name"] == SPEED)
    assert "no batch statistics" in test["extra_data"]["review"]
    row = gradebook.record_row(data)
    assert row["review"] == SPEED
    text = gradebook.gradebook_text([row])
    assert next(csv.DictReader(io.StringIO(text)))["review"] == SPEED
    feedback = (tmp_path / "student" / gradebook.FEEDBACK).read_text()
    assert "TO BE REVIEWED" in feedback and "points kept" in feedback
    page = report.render(report.summarize([data]), "title")
    assert "Flagged for review" in page and "def batchnorm_backward_alt" in page
    assert "points kept" in results.gradescope_results(result)["tests"][0]["output"]
    json.dumps(data)  # plain data throughout


def test_an_unknown_review_policy_is_refused():
    with pytest.raises(ValueError, match="keep, withhold"):
        Settings(review="maybe")
