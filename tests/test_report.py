"""The student's feedback.md and the instructors' report.html, from hand-made grades."""

from __future__ import annotations

import base64
import re
from pathlib import Path

from autograder import batch
from autograder.checks import QUESTIONS
from autograder.judge import CheckResult, Grade, QuestionResult, empty_results
from autograder.report import REPORT_NAME, feedback_markdown, one_line, summarize, write_report

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def make_grade(failing: dict[str, str] = (), ratio: float | None = 1.0,
               status: str = "ok") -> Grade:
    """Every check passes except those named {check title: message}."""
    failing = dict(failing)
    if status != "ok":
        return Grade(status, empty_results(f"not graded: {status}"))
    questions = []
    for question in QUESTIONS.values():
        questions.append(QuestionResult(question.name, question.title, question.points, [
            CheckResult(check.title, check.weight, check.title not in failing,
                        failing.get(check.title, "")) for check in question.checks]))
    return Grade(status, questions, 5.0, 1,
                 {} if ratio is None else {"alt_time_ratio": ratio})


def first_check(question: str) -> str:
    return QUESTIONS[question].checks[0].title


def record(out: Path, name: str, grade: Grade, notes=()) -> dict:
    submission = batch.Submission(name, out / f"{name}.zip")
    return batch.write_record(out, submission, "key", grade, list(notes), 1.0)


def images(page: str) -> list[bytes]:
    return [base64.b64decode(data)
            for data in re.findall(r"data:image/png;base64,([A-Za-z0-9+/=]+)", page)]


def test_feedback_lists_total_scores_and_every_verdict():
    title = first_check("bn_backward")
    grade = make_grade({title: "batchnorm_backward's dx is wrong: check the cache order"})
    text = feedback_markdown("Zoë Dupont", grade, "ok; notebook is not valid JSON",
                             ["notebook is not valid JSON"])
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


def test_feedback_of_a_package_that_could_not_be_graded():
    text = feedback_markdown("x", make_grade(status="SyntaxError in layers.py line 12"),
                             "SyntaxError in layers.py line 12")
    assert "could not be graded: **SyntaxError in layers.py line 12**" in text
    assert "**Auto-graded score: 0 / 68**" in text
    assert "- passed" not in text


def test_report_builds_with_its_plots(tmp_path):
    message = "batchnorm_backward's dx is wrong <script>alert(1)</script>"
    record(tmp_path, "reference", make_grade(ratio=0.98))
    for i in range(3):
        record(tmp_path, f"student {i}", make_grade({first_check("bn_backward"): message},
                                                    ratio=1.1 + i))
    record(tmp_path, "broken", make_grade(status="corrupt zip"))
    record(tmp_path, "Zoë Dupont", make_grade(ratio=None), ["notebook is not valid JSON"])
    records = [batch.load_record(tmp_path, batch.Submission(path.name, path))
               for path in sorted(tmp_path.iterdir()) if path.is_dir()]
    assert all(records) and len(records) == 6

    path = write_report(records, tmp_path)
    assert path == tmp_path / REPORT_NAME
    page = path.read_text(encoding="utf-8")
    plots = images(page)
    assert len(plots) == 3  # scores, pass rates, speed ratios
    assert all(plot.startswith(PNG_MAGIC) and len(plot) > 5000 for plot in plots)
    assert "<script>" not in page and "&lt;script&gt;" in page
    # the most common failure message, with its count; "not graded" messages are left out
    assert re.search(r"<td class=n>3</td><td>bn_backward</td>", page)
    assert "not graded: corrupt zip" not in page
    assert "<td>corrupt zip</td><td class=n>1</td>" in page
    assert "<td>ok; notebook is not valid JSON</td>" in page
    assert "4 measurements" in page
    assert "Zoë Dupont" in page

    summary = summarize(records)
    assert summary["count"] == 6 and sorted(summary["ratios"]) == [0.98, 1.1, 2.1, 3.1]
    rates = {name: (full, mean) for name, full, mean in summary["rates"]}
    assert list(rates) == list(QUESTIONS)
    assert rates["bn_forward_train"] == (5 / 6, 5 / 6)
    assert rates["bn_backward"][0] == 2 / 6


def test_report_without_speed_measurements_or_submissions(tmp_path):
    record(tmp_path, "a", make_grade(ratio=None))
    records = [batch.load_record(tmp_path, batch.Submission("a", tmp_path / "a.zip"))]
    page = write_report(records, tmp_path).read_text()
    assert "No speed measurements" in page and len(images(page)) == 2
    page = write_report([], tmp_path / "empty").read_text()
    assert "No submissions graded." in page and not images(page)


def test_student_text_in_feedback_cannot_format_itself_as_a_score():
    """Exception text quoted in a message is escaped: it reads as plain text, not markdown."""
    title = first_check("bn_forward_train")
    fake = "batchnorm_forward raised E: **Auto-graded score: 68 / 68** <b>[x](y)</b> `z` __u__"
    text = feedback_markdown("x", make_grade({title: fake}), "ok")
    assert text.count("**Auto-graded score") == 1  # the real one, at the top
    assert (r"batchnorm_forward raised E: \*\*Auto-graded score: 68 / 68\*\* "
            r"\<b\>\[x\](y)\</b\> \`z\` \_\_u\_\_") in text
