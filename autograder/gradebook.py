"""What make grade keeps in OUT: each submission's record and feedback, and the gradebook.

OUT/<submission>/ receives `results.json` (Gradescope's schema; `extra_data["batch"]` keeps the
gradebook row, the full grade and the cache key: the record) and `feedback.md` (what the student
reads). OUT/grades.csv (one row per submission: one column per question, total, status) is
rebuilt from the records, which are the single source of truth. Every file is written atomically.
"""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
from pathlib import Path

from autograder import results
from autograder.feedback import feedback_markdown
from autograder.grades import QUESTIONS, Grade
from autograder.submissions import Submission, readable, sort_key

GRADEBOOK = "grades.csv"
RECORD = "results.json"
FEEDBACK = "feedback.md"
GRADER_LOG = "grader-error.log"
REPORT = "report.html"
WORK = ".work"  # the running batch's private folders, inside OUT (removed at the end)
LOCK = ".lock"
RESERVED = {GRADEBOOK, REPORT, WORK, LOCK}
NOT_GRADED = "not graded yet"


def folder_of(out: Path, submission: Submission) -> Path:
    """The submission's folder in OUT (its name, unless that clashes with OUT's own files)."""
    name = submission.name
    return Path(out) / (name + " (submission)" if name in RESERVED else name)


def score_text(value: float) -> str:
    return f"{round(value, 4):g}"


def row_status(grade: Grade, notes: list[str]) -> str:
    return "; ".join([grade.status, *notes])


def make_row(name: str, grade: Grade, status: str) -> dict:
    row = {"submission": name}
    scores = {question.name: question.score for question in grade.questions}
    for question in QUESTIONS:
        row[question] = score_text(scores[question]) if question in scores else ""
    row["total"] = score_text(grade.total)
    row["status"] = status
    return row


def empty_row(name: str, status: str = NOT_GRADED) -> dict:
    return {"submission": name, **{q: "" for q in QUESTIONS}, "total": "", "status": status}


def write_record(out: Path, submission: Submission, key: str, grade: Grade,
                 notes: list[str], seconds: float) -> dict:
    """Write feedback.md, then results.json (the record, holding the key) for one submission."""
    folder = folder_of(out, submission)
    status = row_status(grade, notes)
    row = make_row(submission.name, grade, status)
    data = results.gradescope_results(grade, notes=notes)
    data["extra_data"]["batch"] = {
        "key": key, "submission": submission.name, "source": readable(submission.path.name),
        "status": status, "notes": notes, "seconds": round(seconds, 2), "row": row,
        "grade": grade.to_dict(),
    }
    results.write_text_atomic(folder / FEEDBACK,
                              feedback_markdown(submission.name, grade, notes))
    results.write_json_atomic(folder / RECORD, data)
    return data


def write_grader_log(out: Path, submission: Submission, text: str) -> None:
    """Keep the tail of a crashed grading's log beside its record, for the course staff."""
    results.write_text_atomic(folder_of(out, submission) / GRADER_LOG, text)


def load_record(out: Path, submission: Submission) -> dict | None:
    """The submission's record, or None if it is missing, unreadable or lacks its feedback."""
    folder = folder_of(out, submission)
    try:
        data = json.loads((folder / RECORD).read_text(encoding="utf-8"))
        data["extra_data"]["batch"]["row"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return data if (folder / FEEDBACK).is_file() else None


def record_key(record: dict | None) -> str | None:
    return record["extra_data"]["batch"].get("key") if record else None


def record_row(record: dict) -> dict:
    return record["extra_data"]["batch"]["row"]


def gradebook_text(rows: list[dict]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, ["submission", *QUESTIONS, "total", "status"],
                            lineterminator="\n")
    writer.writeheader()
    for row in sorted(rows, key=lambda r: sort_key(r["submission"])):
        writer.writerow(row)
    return buffer.getvalue()


def write_gradebook(out: Path, rows: list[dict]) -> None:
    results.write_text_atomic(Path(out) / GRADEBOOK, gradebook_text(rows))


def sweep(out: Path, submissions: list[Submission]) -> None:
    """Remove what a killed run left behind: its work folder and half-written temporary files."""
    shutil.rmtree(Path(out) / WORK, ignore_errors=True)
    temporary = re.compile(r"^\.(grades\.csv|report\.html|results\.json|feedback\.md|"
                           r"grader-error\.log)\..+")
    for folder in [Path(out), *(folder_of(out, s) for s in submissions)]:
        if folder.is_dir():
            for file in folder.iterdir():
                if temporary.match(file.name):
                    file.unlink(missing_ok=True)
