"""The written questions' scores, graded by hand on Gradescope: its grades CSV, matched to students.

Gradescope's "Download Grades" CSV of the written assignment has the student's name (`Name`, or
`First Name` and `Last Name`), `SID`, `Email`, then `Total Score`, `Max Points`, `Status`,
`Submission ID`, ... and one column per question, headed like `1: Inline Question 1 (2.0 pts)`.
The question columns become the manifest's written questions (in their declared order): by the number in
their title ("Question 3", "q3") when there is one, else in their order. A blank score (an ungraded or
missing submission) stays blank.

A gradebook student is matched by email (case-insensitive), else by SID; a submission with no
roster (a plain folder) by its name, taken as an email, a SID or a name. Rows of the CSV that
match no one are listed (`ManualScores.unmatched`), never dropped silently.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

from autograder import manifest



def written_questions() -> tuple[str, ...]:
    """The current assignment's written questions, as its manifest names them."""
    return tuple(manifest.current().written)

QUESTION_HEADER = re.compile(r"^\s*(\d+(?:\.\d+)*)\s*:\s*(.*?)\s*\(\s*([\d.]+)\s*pts?\s*\)\s*$")
TITLE_NUMBER = re.compile(r"inline[\s_-]*(?:question[\s_-]*|q)?(\d+)", re.IGNORECASE)


class ManualScoresError(Exception):
    """The CSV cannot be used at all (missing, unreadable, no identity or question column)."""


@dataclass
class ManualRow:
    line: int  # the CSV's line number, for the list of unmatched rows
    name: str
    sid: str
    email: str
    scores: dict[str, float | None]  # inline_qN -> points, None when blank

    def describe(self) -> str:
        who = ", ".join(part for part in (self.name, self.email, self.sid) if part)
        return f"line {self.line}: {who or 'no name, email or SID'}"


@dataclass
class ManualScores:
    rows: list[ManualRow]
    columns: dict[str, str]  # inline_qN -> the CSV's header it was read from
    notes: list[str] = field(default_factory=list)
    used: set[int] = field(default_factory=set)  # lines matched to someone
    _index: dict | None = field(default=None, repr=False)

    def find(self, name: str = "", sid: str = "", email: str = "",
             submission: str = "") -> ManualRow | None:
        """The row of a student (by email, else SID), or of a plain submission's name."""
        keys = [("email", email.casefold()), ("sid", sid.strip())]
        if not (email or sid) and submission:
            keys = [("email", submission.casefold()), ("sid", submission.strip()),
                    ("name", submission.casefold())]
        index = self.index()
        for attribute, value in keys:
            row = index[attribute].get(value) if value else None
            if row is not None:
                self.used.add(row.line)
                return row
        return None

    def index(self) -> dict[str, dict[str, ManualRow]]:
        """{'email' | 'sid' | 'name': {key: the first row with it}} (emails and names
        case-folded), built once."""
        if self._index is None:
            self._index = {"email": {}, "sid": {}, "name": {}}
            for row in self.rows:
                for attribute in self._index:
                    key = getattr(row, attribute).strip()
                    key = key if attribute == "sid" else key.casefold()
                    if key:
                        self._index[attribute].setdefault(key, row)
        return self._index

    @property
    def unmatched(self) -> list[ManualRow]:
        return [row for row in self.rows if row.line not in self.used]


def header_index(header: list[str], *names: str) -> int | None:
    wanted = {name.casefold() for name in names}
    return next((i for i, title in enumerate(header) if title.strip().casefold() in wanted), None)


def question_columns(header: list[str]) -> tuple[dict[str, int], list[str]]:
    """{inline_qN: column index} from Gradescope's question headers, and notes."""
    questions = [(i, QUESTION_HEADER.match(title)) for i, title in enumerate(header)]
    questions = [(i, match.group(2)) for i, match in questions if match]
    if not questions:  # a hand-made CSV: columns titled with a question's number
        questions = [(i, title) for i, title in enumerate(header) if TITLE_NUMBER.search(title)]
    chosen, notes = {}, []
    inline = written_questions()
    numbered = {int(m.group(1)): i for i, title in questions
                if (m := TITLE_NUMBER.search(title)) and 1 <= int(m.group(1)) <= len(inline)}
    if len(numbered) == len(questions) and numbered:
        chosen = {inline[n - 1]: i for n, i in sorted(numbered.items())}
    else:
        chosen = {inline[k]: i for k, (i, _) in enumerate(questions[:len(inline)])}
        if len(questions) > len(inline):
            notes.append(f"{len(questions)} question columns; the first {len(inline)} were "
                         f"read as {inline[0]} to {inline[-1]}")
    return chosen, notes


def number(text: str) -> float | None:
    text = text.strip()
    if not text:
        return None
    try:
        return float(text)
    except ValueError:
        return None


def parse(text: str) -> ManualScores:
    """The manual scores of a Gradescope grades CSV's text."""
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    header = next(reader, None)
    if not header:
        raise ManualScoresError("the manual scores CSV is empty")
    email, sid = header_index(header, "Email", "E-mail"), header_index(header, "SID", "Student ID")
    name = header_index(header, "Name", "Full Name", "Student", "Student Name")
    first, last = header_index(header, "First Name"), header_index(header, "Last Name")
    if email is None and sid is None:
        raise ManualScoresError("the manual scores CSV has neither an Email nor a SID column "
                                f"(its columns: {', '.join(header)})")
    columns, notes = question_columns(header)
    if not columns:
        raise ManualScoresError("the manual scores CSV has no question column (Gradescope heads "
                                "them like '1: Inline Question 1 (2.0 pts)')")

    def cell(row: list[str], index: int | None) -> str:
        return " ".join(row[index].split()) if index is not None and index < len(row) else ""

    rows, bad = [], 0
    for line, row in enumerate(reader, start=2):
        if not any(value.strip() for value in row):
            continue
        full = cell(row, name) or " ".join(p for p in (cell(row, first), cell(row, last)) if p)
        scores = {}
        for question, index in columns.items():
            value = cell(row, index)
            scores[question] = number(value)
            if value and scores[question] is None:
                bad += 1
        rows.append(ManualRow(line, full, cell(row, sid), cell(row, email), scores))
    if bad:
        notes.append(f"{bad} score{'s that are' if bad > 1 else ' that is'} not a number, "
                     "read as blank")
    return ManualScores(rows, {q: header[i] for q, i in columns.items()}, notes)


def read(path: Path) -> ManualScores:
    try:
        raw = Path(path).read_bytes()
    except OSError as error:
        raise ManualScoresError(f"cannot read the manual scores CSV {path}: "
                                f"{error.strerror or error}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = raw.decode("latin-1")  # a spreadsheet's export; names may be off, scores are not
    return parse(text)
