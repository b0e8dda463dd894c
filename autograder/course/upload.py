"""The scores to upload back, written from the gradebook: one CSV for Gradescope, one for Canvas.

`OUT/scores_gradescope.csv`: `Name`, `SID`, `Email`, `Score` (the gradebook's `total`: the
auto-graded questions, plus the written ones when MANUAL was merged), one row per student, in the
roster's own columns (Gradescope matches a student by `Email`, else `SID`).

`OUT/scores_canvas.csv`: Canvas' gradebook import layout: `Student`, `ID`, `SIS User ID`,
`SIS Login ID`, `Section`, then one column named after the assignment, and a first row
`Points Possible`. `ID` (Canvas' own number, which Gradescope does not know) is left blank, so
Canvas matches by `SIS User ID` (the SID); `SIS Login ID` holds the email.

Only a Gradescope export's gradebook has SIDs and emails: for a plain folder of submissions no
upload file is written. A row with neither SID nor email (a folder the export's metadata does not
name) and a student with no score (nothing graded) are left out, and listed (`Upload.left_out`).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

from autograder import manifest
from autograder.grading.results import write_text_atomic

GRADESCOPE = "scores_gradescope.csv"
CANVAS = "scores_canvas.csv"


def max_points(rows: list[dict]) -> float:
    assignment = manifest.current()
    written = (assignment.written_points
               if rows and assignment.written and next(iter(assignment.written)) in rows[0] else 0)
    return assignment.auto_points + written


def csv_text(header: list[str], rows: list[list]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


@dataclass
class Upload:
    paths: list[Path] = field(default_factory=list)  # the files written (none: a plain folder)
    left_out: list[str] = field(default_factory=list)  # rows not in them, and why


def write_scores(out: Path, students: list[dict]) -> Upload:
    """Write both upload files from the gradebook's rows (grades.csv) of an export."""
    upload = Upload()
    if not students or "email" not in students[0]:
        return upload
    scored = []
    for row in students:
        who = row["name"] or row["submission"]
        if not (row["sid"] or row["email"]):
            upload.left_out.append(f"{who}: no SID or email")
        elif row["total"] == "":
            upload.left_out.append(f"{who}: no score ({row['status'].split('; ')[0]})")
        else:
            scored.append(row)
    gradescope = [[row["name"], row["sid"], row["email"], row["total"]] for row in scored]
    canvas = [["Points Possible", "", "", "", "", f"{max_points(students):g}"]]
    canvas += [[row["name"], "", row["sid"], row["email"], "", row["total"]] for row in scored]
    upload.paths = [Path(out) / GRADESCOPE, Path(out) / CANVAS]
    write_text_atomic(upload.paths[0], csv_text(["Name", "SID", "Email", "Score"], gradescope))
    write_text_atomic(upload.paths[1], csv_text(["Student", "ID", "SIS User ID", "SIS Login ID",
                                                 "Section", manifest.current().title],
                                                canvas))
    return upload
