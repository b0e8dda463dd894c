"""autograder.course.report: the instructors' report.html, from records of hand-made grades."""

from __future__ import annotations

import base64
import re
from pathlib import Path

from autograder.course import gradebook
from autograder.checks import QUESTIONS as CHECKS
from autograder.grading.grades import QUESTIONS, Grade
from autograder.course.report import summarize, write_report
from autograder.course.submissions import Submission

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def first_check_title(question: str) -> str:
    return CHECKS[question].checks[0].title


def record(out: Path, name: str, grade: Grade, notes=()) -> dict:
    submission = Submission(name, out / f"{name}.zip")
    return gradebook.write_record(out, submission, "key", grade, list(notes), 1.0)


def images(page: str) -> list[bytes]:
    return [base64.b64decode(data)
            for data in re.findall(r"data:image/png;base64,([A-Za-z0-9+/=]+)", page)]


def test_report_builds_with_its_plots(tmp_path, make_grade):
    message = "batchnorm_backward's dx is wrong <script>alert(1)</script>"
    record(tmp_path, "reference", make_grade(ratio=0.98))
    for i in range(3):
        record(tmp_path, f"student {i}", make_grade({first_check_title("bn_backward"): message},
                                                    ratio=1.1 + i))
    record(tmp_path, "broken", make_grade(status="corrupt zip"))
    record(tmp_path, "Zoë Dupont", make_grade(ratio=None), ["notebook is not valid JSON"])
    records = [gradebook.load_record(tmp_path, Submission(path.name, path))
               for path in sorted(tmp_path.iterdir()) if path.is_dir()]
    assert all(records) and len(records) == 6

    path = write_report(records, tmp_path)
    assert path == tmp_path / gradebook.REPORT
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
    assert summary["count"] == 6 and sorted(summary["series"]["alt_time_ratio"][0]) == [0.98, 1.1, 2.1, 3.1]
    rates = {name: (full, mean) for name, full, mean in summary["rates"]}
    assert list(rates) == list(QUESTIONS)
    assert rates["bn_forward_train"] == (5 / 6, 5 / 6)
    assert rates["bn_backward"][0] == 2 / 6


def test_report_without_speed_measurements_or_submissions(tmp_path, make_grade):
    record(tmp_path, "a", make_grade(ratio=None))
    records = [gradebook.load_record(tmp_path, Submission("a", tmp_path / "a.zip"))]
    page = write_report(records, tmp_path).read_text()
    assert "Measured:" not in page and len(images(page)) == 2
    page = write_report([], tmp_path / "empty").read_text()
    assert "No submissions graded." in page and not images(page)
