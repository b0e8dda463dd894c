"""The scores to upload to Canvas: Canvas's own gradebook export, with the scores matched in.

Canvas matches an imported row by `ID` (its own user id), then `SIS User ID`, then `SIS Login
ID`, and failing those by the student's name: a file whose `ID` is blank can land a score on
the wrong student. So the rows written here are copied from Canvas's gradebook export (*Grades*
-> *Export*: `Student`, `ID`, `SIS User ID`, `SIS Login ID`, `Section`, one column per
assignment, a `Points Possible` row, sometimes a `Manual Posting` or `Muted` row), each with the
score of the student matched to it:

- a graded student is matched by email (equal to the row's `SIS Login ID`, which many schools
  make the email) or by SID (equal to `SIS User ID`); never by name;
- a student matching two Canvas rows (say, listed in two sections), or a Canvas row matched by
  two students, is refused: no score is written for them, and they are listed;
- students matching no Canvas row, and Canvas students without a score, are listed too.

`OUT/scores_canvas.csv` has the five identity columns, then `<title> (autograded)` (the
programming score: the auto-graded questions only) and, when written scores were merged,
`<title> (written)`: separate columns, so that Canvas never counts the written questions twice
(once in the programming total, once in their own assignment). A column already in the export
under that name (`<title> (autograded) (12345)`, as Canvas heads it) is reused, so
the import updates it instead of creating another. `OUT/scores_canvas.txt`, beside it, lists
what was refused, unmatched or left out.

The scores come from make grade's gradebook (`scores_from_gradebook`), or from Gradescope's own
grades CSV of the programming assignment (`scores_from_gradescope`, for an instructor who did
not grade locally): `python -m autograder.course.upload --gradescope-csv X --canvas Y --out Z`.
"""

from __future__ import annotations

import argparse
import csv
import io
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

from autograder import manifest
from autograder.grading.results import write_text_atomic

CANVAS = "scores_canvas.csv"
CANVAS_NOTES = "scores_canvas.txt"
IDENTITY = ("Student", "ID", "SIS User ID", "SIS Login ID", "Section")
POINTS_POSSIBLE = "Points Possible"
# Canvas heads an existing assignment's column "Title (assignment id)".
CANVAS_COLUMN = re.compile(r"^(.*?)\s*\((\d+)\)\s*$")


class UploadError(Exception):
    """An input file cannot be used at all (missing, unreadable, not the expected columns)."""


@dataclass
class Score:
    """One student's scores to upload (None: no score)."""

    who: str  # a name or a submission, for the lists only (never used to match)
    sid: str
    email: str
    programming: float | None
    written: float | None = None
    reason: str = ""  # why there is no programming score

    def describe(self) -> str:
        ids = ", ".join(part for part in (self.email, f"SID {self.sid}" if self.sid else "")
                        if part)
        return f"{self.who or 'unnamed'} ({ids or 'no email or SID'})"


@dataclass
class CanvasStudent:
    line: int  # in the export, for the lists
    cells: dict[str, str]  # the five identity columns, as exported

    def describe(self) -> str:
        ids = ", ".join(f"{key} {self.cells[key]}" for key in IDENTITY[1:4] if self.cells[key])
        section = f", section {self.cells['Section']}" if self.cells["Section"] else ""
        return f"line {self.line}: {self.cells['Student']} ({ids}{section})"


@dataclass
class CanvasExport:
    students: list[CanvasStudent]
    assignments: list[str]  # the export's assignment column headers


@dataclass
class Upload:
    paths: list[Path] = field(default_factory=list)  # the files written
    matched: int = 0
    ambiguous: list[str] = field(default_factory=list)  # refused: two rows, or two students
    unmatched: list[str] = field(default_factory=list)  # students in no Canvas row
    without_score: list[str] = field(default_factory=list)  # Canvas students not scored
    left_out: list[str] = field(default_factory=list)  # students with no score to upload
    note: str = ""  # why no file was written

    def lines(self) -> list[str]:
        """What the summary and the notes file say, one line each."""
        lists = [("refused, ambiguous", self.ambiguous),
                 ("graded, in no Canvas row", self.unmatched),
                 ("in Canvas, without a score", self.without_score),
                 ("no score to upload", self.left_out)]
        found = [f"{self.matched} students matched to a Canvas row" if self.paths else self.note]
        for title, items in lists:
            found += [f"{title}: {item}" for item in items]
        return found


# Reading ------------------------------------------------------------------------------------

def read_text(path: Path, what: str) -> str:
    try:
        raw = Path(path).read_bytes()
    except OSError as error:
        raise UploadError(f"cannot read {what} {path}: {error.strerror or error}") from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("latin-1")  # a spreadsheet's export: names may be off, ids are not


def cell(row: list[str], index: int | None) -> str:
    return " ".join(row[index].split()) if index is not None and index < len(row) else ""


def column(header: list[str], *names: str) -> int | None:
    wanted = {name.casefold() for name in names}
    return next((i for i, title in enumerate(header) if title.strip().casefold() in wanted), None)


def read_canvas(path: Path) -> CanvasExport:
    """Canvas's gradebook export: its students (rows with Canvas's own ID; the Points Possible,
    Muted and Manual Posting rows have none) and its assignment columns."""
    rows = list(csv.reader(io.StringIO(read_text(path, "the Canvas gradebook export"))))
    header = rows[0] if rows else []
    indexes = {name: column(header, name) for name in IDENTITY}
    missing = [name for name, index in indexes.items() if index is None]
    if missing:
        raise UploadError(f"{path} is not Canvas's gradebook export: no {', '.join(missing)} "
                          f"column (its columns: {', '.join(header) or 'none'})")
    students = []
    for line, row in enumerate(rows[1:], start=2):
        cells = {name: cell(row, index) for name, index in indexes.items()}
        if cells["ID"] and cells["Student"] != POINTS_POSSIBLE:
            students.append(CanvasStudent(line, cells))
    assignments = [title for i, title in enumerate(header) if i not in indexes.values()]
    return CanvasExport(students, assignments)


def scores_from_gradebook(students: list[dict], auto: list[str],
                          written: list[str]) -> list[Score]:
    """Scores from make grade's gradebook rows (grades.csv, one per student of an export):
    `auto` and `written` name its question columns."""
    found = []
    for row in students:
        present = [q for q in written if row.get(q, "") != ""]
        written_score = sum(float(row[q]) for q in present) if present else None
        graded = row.get("total", "") != "" and any(row.get(q, "") != "" for q in auto)
        programming = float(row["total"]) - (written_score or 0) if graded else None
        found.append(Score(row.get("name") or row["submission"], row.get("sid", ""),
                           row.get("email", ""), programming, written_score,
                           "" if graded else row["status"].split("; ")[0]))
    return found


def scores_from_gradescope(path: Path) -> list[Score]:
    """Scores from Gradescope's grades CSV of the programming assignment (Download Grades):
    `Name` (or `First Name`, `Last Name`), `SID`, `Email`, `Total Score`, `Status`."""
    rows = list(csv.reader(io.StringIO(read_text(path, "Gradescope's grades CSV"))))
    header = rows[0] if rows else []
    email, sid = column(header, "Email"), column(header, "SID")
    total, status = column(header, "Total Score"), column(header, "Status")
    name, first, last = column(header, "Name"), column(header, "First Name"), \
        column(header, "Last Name")
    if total is None or (email is None and sid is None):
        raise UploadError(f"{path} is not Gradescope's grades CSV: it needs Total Score and "
                          f"Email or SID columns (its columns: {', '.join(header) or 'none'})")
    found = []
    for row in rows[1:]:
        if not any(value.strip() for value in row):
            continue
        who = cell(row, name) or " ".join(p for p in (cell(row, first), cell(row, last)) if p)
        try:
            programming = float(cell(row, total))
        except ValueError:
            programming = None
        found.append(Score(who, cell(row, sid), cell(row, email), programming, None,
                           "" if programming is not None
                           else cell(row, status) or "no Total Score"))
    return found


# Matching -----------------------------------------------------------------------------------

def canvas_rows_of(score: Score, canvas: CanvasExport) -> list[CanvasStudent]:
    """The Canvas rows a student matches: by email (= SIS Login ID) or SID (= SIS User ID)."""
    email, sid = score.email.casefold(), score.sid.strip()
    return [student for student in canvas.students
            if (email and student.cells["SIS Login ID"].casefold() == email)
            or (sid and student.cells["SIS User ID"] == sid)]


def match(scores: list[Score], canvas: CanvasExport,
          upload: Upload) -> list[tuple[Score, CanvasStudent]]:
    """(score, Canvas row) pairs that are certain; everything else goes into `upload`'s lists."""
    claims: dict[int, list[Score]] = {}  # Canvas row (line) -> the students matching only it
    contested: set[int] = set()  # Canvas rows of a student who matches several
    candidates = []
    for score in scores:
        rows = canvas_rows_of(score, canvas)
        if len(rows) > 1:
            upload.ambiguous.append(f"{score.describe()} matches {len(rows)} Canvas rows: "
                                    + "; ".join(row.describe() for row in rows))
            contested.update(row.line for row in rows)
        elif not rows:
            upload.unmatched.append(score.describe())
        else:
            claims.setdefault(rows[0].line, []).append(score)
            candidates.append((score, rows[0]))
    pairs = []
    for score, row in candidates:
        rivals = claims[row.line]
        if len(rivals) > 1:
            if rivals[0] is score:  # listed once per Canvas row
                upload.ambiguous.append(f"{row.describe()} is matched by {len(rivals)} "
                                        "students: " + "; ".join(s.describe() for s in rivals))
        elif score.programming is None:
            upload.left_out.append(f"{score.describe()}: no score ({score.reason})")
        else:
            pairs.append((score, row))
    upload.without_score = [row.describe() for row in canvas.students
                            if row.line not in claims and row.line not in contested]
    return pairs


# Writing ------------------------------------------------------------------------------------

def column_header(canvas: CanvasExport, name: str) -> str:
    """`name`, or the export's own header of the assignment called `name` (with its id)."""
    for header in canvas.assignments:
        found = CANVAS_COLUMN.match(header)
        if found and found.group(1).strip().casefold() == name.casefold():
            return header
    return name


def score_text(value: float) -> str:
    return f"{round(value, 4):g}"


def csv_text(rows: list[list[str]]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    return buffer.getvalue()


def write_canvas(csv_path: Path, scores: list[Score], canvas: CanvasExport) -> Upload:
    """Write Canvas's import file at `csv_path` (and its notes beside it, .txt)."""
    upload = Upload()
    pairs = match(scores, canvas, upload)
    assignment = manifest.current()
    with_written = any(score.written is not None for score, _ in pairs)
    header = [*IDENTITY, column_header(canvas, f"{assignment.title} (autograded)")]
    points = [POINTS_POSSIBLE, "", "", "", "", f"{assignment.auto_points:g}"]
    if with_written:
        header.append(column_header(canvas, f"{assignment.title} (written)"))
        points.append(f"{assignment.written_points:g}")
    rows = [header, points]
    for score, student in sorted(pairs, key=lambda pair: pair[1].line):
        row = [student.cells[name] for name in IDENTITY] + [score_text(score.programming)]
        if with_written:
            row.append("" if score.written is None else score_text(score.written))
        rows.append(row)
    upload.matched = len(pairs)
    csv_path = Path(csv_path)
    upload.paths = [csv_path, csv_path.with_suffix(".txt")]
    write_text_atomic(csv_path, csv_text(rows))
    write_text_atomic(upload.paths[1], "\n".join(upload.lines()) + "\n")
    return upload


def write_scores(out: Path, students: list[dict], canvas: CanvasExport | None,
                 auto: list[str], written: list[str]) -> Upload:
    """OUT/scores_canvas.csv from the gradebook's rows, when Canvas's export was given and the
    gradebook has emails or SIDs (a Gradescope export's); else say why there is none."""
    if canvas is None:
        return Upload(note="no Canvas upload file: give CANVAS=<Canvas's gradebook export> "
                           "to write one")
    if not students or "email" not in students[0]:
        return Upload(note="no Canvas upload file: a plain folder of submissions has no "
                           "emails or SIDs to match Canvas's students with")
    return write_canvas(Path(out) / CANVAS, scores_from_gradebook(students, auto, written),
                        canvas)


# Command line -------------------------------------------------------------------------------

def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m autograder.course.upload",
        description="Gradescope's grades CSV of the programming assignment into a file Canvas "
                    "imports (Grades > Import), on Canvas's own rows, matched by email or SID.")
    parser.add_argument("--gradescope-csv", type=Path, required=True,
                        help="the programming assignment's grades CSV (Gradescope: Review "
                             "Grades > Download Grades > CSV)")
    parser.add_argument("--canvas", type=Path, required=True,
                        help="Canvas's gradebook export (Grades > Export > CSV)")
    parser.add_argument("--out", type=Path, default=Path(CANVAS),
                        help="the file to write (default: %(default)s); its notes go beside "
                             "it, with .txt")
    args = parser.parse_args(argv)
    try:
        result = write_canvas(args.out, scores_from_gradescope(args.gradescope_csv),
                              read_canvas(args.canvas))
    except UploadError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print("\n".join(result.lines()))
    print("wrote " + " and ".join(map(str, result.paths)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
