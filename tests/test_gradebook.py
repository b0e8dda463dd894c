"""autograder.course.gradebook.Class: the gradebook's rows from the submissions' rows, per student."""

from __future__ import annotations

from autograder.course import gradebook
from autograder.course.manual_scores import parse
from autograder.course.roster import Roster, Student

MANUAL = ("SID,Email,1: Inline Question 1 (2.0 pts),2: Inline Question 2 (2.0 pts)\n"
          "1,a@x,2,1.5\n2,b@x,,\n")


def submission_row(name: str, total: str = "60", status: str = "ok") -> dict:
    return {**gradebook.empty_row(name, status), "total": total}


def test_plain_submissions_keep_one_row_each_and_match_manual_scores_by_name():
    people = gradebook.Class(manual=parse("Name,SID,1: Inline Question 1 (2.0 pts)\n"
                                          "alice,7,2\n"))
    rows = people.rows([submission_row("alice"), submission_row("bob")])
    assert [(r["submission"], r["inline_q1"], r["total"], r["status"]) for r in rows] == [
        ("alice", "2", "62", "ok"), ("bob", "", "60", "ok; " + gradebook.NO_MANUAL)]
    assert people.header()[0] == "submission"


def test_a_group_shares_the_auto_scores_and_keeps_its_own_written_ones():
    roster = Roster(members={"submission_1": [Student("A", "1", "a@x"), Student("B", "2", "b@x")]},
                    notes={"submission_1": []})
    people = gradebook.Class(roster, parse(MANUAL))
    first, second = people.rows([submission_row("submission_1")])
    assert (first["name"], first["total"], first["inline_q2"]) == ("A", "63.5", "1.5")
    assert (second["name"], second["total"], second["status"]) == (
        "B", "60", "ok; " + gradebook.NO_WRITTEN)
    assert people.header()[:4] == ["name", "sid", "email", "submission"]
