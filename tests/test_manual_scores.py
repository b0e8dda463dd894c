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


IDENTITY = "First Name,Last Name,SID,Email,Total Score,Max Points,Status"


def test_untitled_questions_are_read_by_their_numbers_in_order():
    """`N (X pts)`: no title, so the numbers map to the written questions in declared order
    (this header used to stop make grade: no question column)."""
    manual = parse(f"{IDENTITY},1 (2.0 pts),2 (2.0 pts),3 (2.0 pts),4 (2.0 pts)\n"
                   "Zoë,Dupont,1,z@x,7.5,8.0,Graded,2.0,1.0,1.5,2.0\n")
    assert manual.columns == {f"inline_q{n}": f"{n} (2.0 pts)" for n in range(1, 5)}
    assert manual.find(email="z@x").scores == {"inline_q1": 2.0, "inline_q2": 1.0,
                                               "inline_q3": 1.5, "inline_q4": 2.0}


def test_sub_questions_are_summed_into_their_question_and_shift_nothing():
    """1.1 + 1.2 -> question 1; question 2 stays question 2 (each part used to be read as a
    question of its own, shifting every later score by one)."""
    manual = parse(f"{IDENTITY},1.1: a (1.0 pts),1.2: b (1.0 pts),2: Inline Question 2 (2.0 pts),"
                   "3 (2.0 pts),4.1: x (0.5 pts),4.2: y (1.5 pts)\n"
                   "Zoë,Dupont,1,z@x,6,8.0,Graded,1.0,0.5,2.0,1.5,0.5,\n"
                   "Ana,Lima,2,a@x,,8.0,Missing,,,,,,\n")
    assert manual.columns == {"inline_q1": "1.1: a (1.0 pts) + 1.2: b (1.0 pts)",
                              "inline_q2": "2: Inline Question 2 (2.0 pts)",
                              "inline_q3": "3 (2.0 pts)",
                              "inline_q4": "4.1: x (0.5 pts) + 4.2: y (1.5 pts)"}
    assert manual.find(email="z@x").scores == {"inline_q1": 1.5, "inline_q2": 2.0,
                                               "inline_q3": 1.5, "inline_q4": 0.5}
    assert manual.find(email="a@x").scores == {f"inline_q{n}": None for n in range(1, 5)}


def test_titles_number_questions_whatever_their_order_and_parts():
    manual = parse(f"{IDENTITY},1: Inline Question 2 (2.0 pts),2.1: Inline Question 1 (1.0 pts),"
                   "2.2: more (1.0 pts)\nZoë,Dupont,1,z@x,4,8.0,Graded,2.0,1.0,0.25\n")
    assert manual.find(email="z@x").scores == {"inline_q1": 1.25, "inline_q2": 2.0}


def test_an_ambiguous_mapping_is_refused_naming_the_columns():
    with pytest.raises(ManualScoresError) as error:
        parse(f"{IDENTITY},1 (2.0 pts),2 (2.0 pts),3.1: a (1.0 pts),3.2: b (1.0 pts),"
              "4 (1.0 pts),5 (1.0 pts)\nZoë,Dupont,1,z@x,4,8.0,Graded,1,1,1,1,1,1\n")
    message = str(error.value)
    assert "cannot be told apart" in message and "5 questions" in message
    assert "'3.1: a (1.0 pts)' + '3.2: b (1.0 pts)'" in message and "'5 (1.0 pts)'" in message
    assert "declares 4 (inline_q1, inline_q2, inline_q3, inline_q4)" in message
