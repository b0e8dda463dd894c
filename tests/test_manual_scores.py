"""autograder.course.manual_scores: Gradescope's grades CSV of the written questions, matched to
students."""

from __future__ import annotations

import pytest

from autograder.course.manual_scores import ManualScoresError, parse

GRADESCOPE_CSV = """\ufeffFirst Name,Last Name,SID,Email,Sections,Total Score,Max Points,Status,\
Submission ID,Submission Time,Lateness (H:M:S),View Count,Submission Count,\
1: Inline Question 1 (2.0 pts),2: Inline Question 2 (2.0 pts),3: Inline Question 3 (2.0 pts),\
4: Inline Question 4 (2.0 pts)
Zoë,Dupont,2024001,ZOE@example.edu,,7.5,8.0,Graded,1,2026-03-02,0:00:00,1,1,2.0,2.0,1.5,2.0
Ana,Lima,2024002,ana.other@example.edu,,6.0,8.0,Graded,2,2026-03-02,0:00:00,1,1,2.0,2.0,2.0,0.0
Someone,Else,2099999,else@example.edu,,4.0,8.0,Graded,3,2026-03-02,0:00:00,1,1,1.0,1.0,1.0,1.0
Nobody,Yet,2024004,nobody@example.edu,,,8.0,Missing,,,,,,,,,
"""


def test_gradescope_columns_and_matching_by_email_or_sid():
    manual = parse(GRADESCOPE_CSV)
    assert manual.columns == {f"inline_q{n}": f"{n}: Inline Question {n} (2.0 pts)"
                              for n in range(1, 5)}
    zoe = manual.find("Zoë Dupont", "999", "zoe@EXAMPLE.edu")  # email, any case
    assert zoe.name == "Zoë Dupont" and zoe.scores["inline_q3"] == 1.5
    ana = manual.find("Ana Lima", "2024002", "ana@example.edu")  # email differs: by SID
    assert ana.scores["inline_q4"] == 0.0
    nobody = manual.find(email="nobody@example.edu")
    assert nobody.scores == {f"inline_q{n}": None for n in range(1, 5)}
    assert [row.describe() for row in manual.unmatched] == [
        "line 4: Someone Else, else@example.edu, 2099999"]


def test_a_full_name_column_questions_in_another_order_and_a_plain_submission():
    manual = parse("Name,SID,Email,Total Score,2: Inline Question 2 (2.0 pts),"
                   "1: Inline Question 1 (2.0 pts)\nAna Lima,7,ana@x,3,1.0,2.0\n")
    assert manual.columns["inline_q1"].startswith("1:")
    row = manual.find(submission="Ana Lima")  # a plain folder's submission, by name
    assert row.scores == {"inline_q1": 2.0, "inline_q2": 1.0}


def test_unusable_csvs_are_clear_errors():
    with pytest.raises(ManualScoresError, match="neither an Email nor a SID"):
        parse("Name,Score\nA,1\n")
    with pytest.raises(ManualScoresError, match="no question column"):
        parse("Name,SID,Email,Total Score\nA,1,a@x,2\n")
    with pytest.raises(ManualScoresError, match="empty"):
        parse("")


def test_a_score_that_is_not_a_number_is_blank_with_a_note():
    manual = parse("SID,1: Inline Question 1 (2.0 pts)\n1,two\n")
    assert manual.rows[0].scores["inline_q1"] is None
    assert manual.notes == ["1 score that is not a number, read as blank"]
