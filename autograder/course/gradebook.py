"""What make grade keeps in OUT: each submission's record and feedback, and the gradebook.

OUT/<submission>/ receives `results.json` (Gradescope's schema; `extra_data["batch"]` keeps the
submission's row, the full grade and the cache key: the record) and `feedback.md` (what the
student reads). OUT/grades.csv is rebuilt from the records, which are the single source of truth:
one row per submission (one column per question, total, status), or, for a Gradescope export,
one row per student (`name`, `sid`, `email` first; each member of a group gets the group's
scores; `Class.rows`). With manual scores, the manifest's written questions follow the auto-graded
questions and `total` includes them. Every file is written atomically.
"""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from autograder.grading import results
from autograder.course import upload
from autograder.grading.feedback import feedback_markdown
from autograder.grading.grades import Grade, questions
from autograder.course.manual_scores import ManualScores, written_questions
from autograder.course.roster import Roster, Student
from autograder.course.submissions import Submission, readable, sort_key

GRADEBOOK = "grades.csv"
RECORD = "results.json"
FEEDBACK = "feedback.md"
GRADER_LOG = "grader-error.log"
REPORT = "report.html"
WORK = ".work"  # the running batch's private folders, inside OUT (removed at the end)
LOCK = ".lock"
SIMILARITY_CSV = "similarity.csv"
SIMILARITY_HTML = "similarity.html"
# The written scores' CSV last merged (--manual), kept so that a rerun without it keeps them.
MANUAL_COPY = "written_scores.csv"
RESERVED = {GRADEBOOK, REPORT, WORK, LOCK, upload.CANVAS, upload.CANVAS_NOTES, SIMILARITY_CSV,
            SIMILARITY_HTML, MANUAL_COPY}
NOT_GRADED = "not graded yet"
IDENTITY = ("name", "sid", "email")
NO_FOLDER = "no submission folder in the export (named in submission_metadata.yml only)"
NO_MANUAL = "no manual scores (not in MANUAL)"
NO_WRITTEN = "no written scores yet (blank in MANUAL)"


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
    for question in questions():
        row[question] = score_text(scores[question]) if question in scores else ""
    row["total"] = score_text(grade.total)
    row["review"] = " ".join(grade.reviews)
    row["status"] = status
    return row


def empty_row(name: str, status: str = NOT_GRADED) -> dict:
    return {"submission": name, **{q: "" for q in questions()}, "total": "", "review": "",
            "status": status}


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


@dataclass
class Class:
    """Who the submissions are (a Gradescope export's roster) and their manual scores."""

    roster: Roster | None = None
    manual: ManualScores | None = None

    def header(self) -> list[str]:
        return [*(IDENTITY if self.roster else ()), "submission", *questions(),
                *(written_questions() if self.manual else ()), "total", "review", "status"]

    def students(self, submission: str) -> list[Student | None]:
        return self.roster.students(submission) if self.roster else [None]

    def written(self, submission: str) -> list[tuple[str, dict]] | None:
        """[(who, {written question: points or None})] of a submission's students; None without
        manual scores, an empty dict for a student the CSV does not list."""
        if self.manual is None:
            return None
        found = []
        for student in self.students(submission):
            row = self.manual_row(student, submission)
            found.append((student.name if student and student.name else submission,
                          row.scores if row else {}))
        return found

    def manual_row(self, student: Student | None, submission: str):
        if student is None:
            return self.manual.find(submission=submission)
        return self.manual.find(student.name, student.sid, student.email,
                                submission if not (student.sid or student.email) else "")

    def student_row(self, row: dict, student: Student | None, remarks: list[str]) -> dict:
        full = dict(zip(IDENTITY, (student.name, student.sid, student.email))) if student else {}
        full.update(row)
        notes = list(remarks)
        if self.manual is not None:
            found = self.manual_row(student, row["submission"])
            scores = found.scores if found else {}
            for question in written_questions():
                value = scores.get(question)
                full[question] = "" if value is None else score_text(value)
            if found is None:
                notes.append(NO_MANUAL)
            elif all(value is None for value in scores.values()):
                notes.append(NO_WRITTEN)
            written = sum(v for v in scores.values() if v is not None)
            if row["total"] != "" or any(v is not None for v in scores.values()):
                full["total"] = score_text(float(row["total"] or 0) + written)
        full["status"] = "; ".join(part for part in [row["status"], *notes] if part)
        return full

    def rows(self, rows: list[dict]) -> list[dict]:
        """The gradebook's rows from the submissions' rows: one per student of an export (and
        one per student named only in the metadata), one per submission otherwise."""
        found = []
        for row in rows:
            remarks = self.roster.remarks(row["submission"]) if self.roster else []
            for student in self.students(row["submission"]):
                found.append(self.student_row(row, student, remarks))
        if self.roster:
            for key, students in self.roster.missing.items():
                for student in students:
                    found.append(self.student_row(empty_row(key, NO_FOLDER), student, []))
        return sorted(found, key=lambda r: (not r.get("name"), sort_key(r.get("name", "")),
                                            sort_key(r["submission"])))


def gradebook_text(rows: list[dict], people: Class = Class()) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, people.header(), lineterminator="\n")
    writer.writeheader()
    for row in people.rows(sorted(rows, key=lambda r: sort_key(r["submission"]))):
        writer.writerow(row)
    return buffer.getvalue()


def write_gradebook(out: Path, rows: list[dict], people: Class = Class()) -> None:
    results.write_text_atomic(Path(out) / GRADEBOOK, gradebook_text(rows, people))


def refresh_feedback(out: Path, submission: Submission, record: dict, people: Class) -> None:
    """Rewrite a graded submission's feedback.md with its students' names and the written
    questions' scores (or without, when there are none now), only if it changed."""
    batch = record["extra_data"]["batch"]
    names = [s.name for s in people.students(submission.name) if s and s.name]
    title = f"{submission.name} ({', '.join(names)})" if names else submission.name
    text = feedback_markdown(title, Grade.from_dict(batch["grade"]), batch["notes"],
                             people.written(submission.name))
    path = folder_of(out, submission) / FEEDBACK
    try:
        if path.read_text(encoding="utf-8") == text:
            return
    except OSError:
        pass
    results.write_text_atomic(path, text)


def sweep(out: Path, submissions: list[Submission]) -> None:
    """Remove what a killed run left behind: its work folder and half-written temporary files."""
    shutil.rmtree(Path(out) / WORK, ignore_errors=True)
    temporary = re.compile(r"^\.(grades\.csv|report\.html|results\.json|feedback\.md|"
                           r"grader-error\.log|scores_canvas\.csv|scores_canvas\.txt|"
                           r"written_scores\.csv)\..+")
    for folder in [Path(out), *(folder_of(out, s) for s in submissions)]:
        if folder.is_dir():
            for file in folder.iterdir():
                if temporary.match(file.name):
                    file.unlink(missing_ok=True)
