"""autograder.grading.feedback: what a student reads, in feedback.md and on Gradescope, from hand-made
grades."""

from __future__ import annotations

from autograder.checks import QUESTIONS as CHECKS
from autograder.grading.feedback import feedback_markdown, one_line, overview_markdown, question_markdown
from autograder.grading.results import gradescope_results


def first_check_title(question: str) -> str:
    return CHECKS[question].checks[0].title


def test_feedback_lists_total_scores_and_every_verdict(make_grade):
    title = first_check_title("bn_backward")
    grade = make_grade({title: "batchnorm_backward's dx is wrong: check the cache order"})
    text = feedback_markdown("Zoë Dupont", grade, ["notebook is not valid JSON"])
    assert "Zoë Dupont" in text
    assert f"**Auto-graded score: {grade.total:g} / {grade.max_total:g}**" in text
    assert "Notes: notebook is not valid JSON." in text
    assert "could not be graded" not in text
    for question in grade.questions:
        assert f"| `{question.name}` | {question.score:g} / {question.max_score:g} |" in text
        for check in question.checks:
            assert one_line(check.title) in text
    assert f"- **FAILED**: {title}  \n  batchnorm_backward's dx is wrong" in text
    assert text.count("- passed: ") == sum(len(q.checks) for q in grade.questions) - 1


def test_feedback_of_a_package_that_could_not_be_graded(make_grade):
    text = feedback_markdown("x", make_grade(status="SyntaxError in layers.py line 12"))
    assert "could not be graded: **SyntaxError in layers.py line 12**" in text
    assert "**Auto-graded score: 0 / 68**" in text
    assert "- passed" not in text


def test_student_text_in_feedback_cannot_format_itself_as_a_score(make_grade):
    """Exception text quoted in a message is escaped: it reads as plain text, not markdown."""
    title = first_check_title("bn_forward_train")
    fake = "batchnorm_forward raised E: **Auto-graded score: 68 / 68** <b>[x](y)</b> `z` __u__"
    text = feedback_markdown("x", make_grade({title: fake}))
    assert text.count("**Auto-graded score") == 1  # the real one, at the top
    assert (r"batchnorm_forward raised E: \*\*Auto-graded score: 68 / 68\*\* "
            r"\<b\>\[x\](y)\</b\> \`z\` \_\_u\_\_") in text


def test_gradescope_shows_the_same_verdicts_as_feedback_md(make_grade):
    title = first_check_title("bn_backward")
    grade = make_grade({title: "dx is wrong: **68 / 68**"})
    text = feedback_markdown("x", grade)
    tests = gradescope_results(grade)["tests"]
    assert [test["name"] for test in tests] == [q.name for q in grade.questions]
    for test, question in zip(tests, grade.questions):
        assert test["output_format"] == "md"
        assert question_markdown(question) in test["output"]
        assert question_markdown(question) in text
    assert r"dx is wrong: \*\*68 / 68\*\*" in tests[2]["output"]


def test_the_first_line_names_the_fix_when_nothing_can_be_graded(make_grade):
    grade = make_grade(status="no cs231n/layers.py")
    first = gradescope_results(grade)["output"].splitlines()[0]
    assert first.startswith("Your package could not be graded: **no cs231n/layers.py**; every "
                            "check counts as failed. To fix it: export your work with the "
                            "notebook's last cell")
    assert "To fix it: export your work" in feedback_markdown("x", grade)


def test_a_grading_out_of_time_keeps_its_verdicts_in_the_output(make_grade):
    grade = make_grade()
    grade.status = "timed out after 420 s: 2 questions unfinished"
    output = gradescope_results(grade)["output"]
    assert output.startswith("**timed out after 420 s: 2 questions unfinished**: the checks "
                             "that finished keep their verdicts.")
    assert "could not be graded" not in feedback_markdown("x", grade)


def test_gradescope_output_is_the_overview_in_markdown(make_grade):
    grade = make_grade()
    data = gradescope_results(grade, notes=["no notebook"])
    assert data["output_format"] == "md"
    assert data["output"] == overview_markdown(grade, ["no notebook"])
    assert "| `bn_backward` | 10 / 10 |" in data["output"] and "Notes: no notebook." in data["output"]
