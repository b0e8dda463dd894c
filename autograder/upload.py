"""The scores to upload back, written from the gradebook: one CSV for Gradescope, one for Canvas.

`OUT/scores_gradescope.csv`: `Name`, `SID`, `Email`, `Score` (the gradebook's `total`: the
auto-graded questions, plus the written ones when MANUAL was merged), one row per student, in the
roster's own columns (Gradescope matches a student by `Email`, else `SID`).

`OUT/scores_canvas.csv`: Canvas' gradebook import layout: `Student`, `ID`, `SIS User ID`,
`SIS Login ID`, `Section`, then one column named after the assignment, and a first row
`Points Possible`. `ID` (Canvas' own number, which Gradescope does not know) is left blank, so
Canvas matches by `SIS User ID` (the SID); `SIS Login ID` holds the email.

Rows with neither SID nor email (a submission the export's metadata does not name, a plain folder)
are written with what is known; a student with no score (nothing graded) is left out.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from autograder.grades import QUESTIONS
from autograder.manual_scores import INLINE, INLINE_POINTS
from autograder.results import write_text_atomic

GRADESCOPE = "scores_gradescope.csv"
CANVAS = "scores_canvas.csv"
ASSIGNMENT = "Batch Normalization"


def max_points(rows: list[dict]) -> float:
    auto = sum(question.points for question in QUESTIONS.values())
    written = len(INLINE) * INLINE_POINTS if rows and INLINE[0] in rows[0] else 0
    return auto + written


def csv_text(header: list[str], rows: list[list]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


def identity(row: dict) -> tuple[str, str, str]:
    """(name, SID, email) of a gradebook row; a plain submission's name stands for the name."""
    return (row.get("name") or row["submission"], row.get("sid", ""), row.get("email", ""))


def write_scores(out: Path, students: list[dict]) -> tuple[Path, Path]:
    """Write both upload files from the gradebook's rows (grades.csv); return their paths."""
    scored = [row for row in students if row.get("total", "") != ""]
    gradescope = [[*identity(row), row["total"]] for row in scored]
    canvas = [["Points Possible", "", "", "", "", f"{max_points(students):g}"]]
    canvas += [[name, "", sid, email, "", row["total"]]
               for row, (name, sid, email) in ((row, identity(row)) for row in scored)]
    paths = Path(out) / GRADESCOPE, Path(out) / CANVAS
    write_text_atomic(paths[0], csv_text(["Name", "SID", "Email", "Score"], gradescope))
    write_text_atomic(paths[1], csv_text(["Student", "ID", "SIS User ID", "SIS Login ID",
                                          "Section", ASSIGNMENT], canvas))
    return paths
