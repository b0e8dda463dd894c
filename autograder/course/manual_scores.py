"""The written questions' scores, graded by hand on Gradescope: its grades CSV, matched to students.

Gradescope's "Download Grades" CSV of the written assignment has the student's name (`Name`, or
`First Name` and `Last Name`), `SID`, `Email`, then `Total Score`, `Max Points`, `Status`,
`Submission ID`, ... and one column per question: `1: Inline Question 1 (2.0 pts)` (titled),
`1 (2.0 pts)` (untitled), or `1.1: a (1.0 pts)` and `1.2: b (1.0 pts)` for a question's parts,
which are summed into their question. The questions become the manifest's written questions (in
their declared order): by the number in their titles ("Inline Question 3", "q3") when every
question has one, else by their numbers in order when there are as many as the manifest declares;
anything else is ambiguous and refused, naming the columns. A blank score (an ungraded or missing
submission) stays blank; a question whose parts are all blank is blank.

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

# Gradescope's question headers: "N: Title (X pts)", "N (X pts)", "N.M: Title (X pts)".
QUESTION_HEADER = re.compile(
    r"^\s*(\d+)((?:\.\d+)*)\s*(?::\s*(.*?))?\s*\(\s*([\d.]+)\s*pts?\s*\)\s*$")
TITLE_NUMBER = re.compile(r"inline[\s_-]*(?:question[\s_-]*|q)?(\d+)", re.IGNORECASE)


class ManualScoresError(Exception):
    """The CSV cannot be used at all (missing, unreadable, no identity or question column)."""


@dataclass
class ManualRow:
    line: int  # the CSV's line number, for the list of unmatched rows
    name: str
    sid: str
    email: str
    scores: dict[str, float | None]  # written question -> points, None when blank

    def describe(self) -> str:
        who = ", ".join(part for part in (self.name, self.email, self.sid) if part)
        return f"line {self.line}: {who or 'no name, email or SID'}"


@dataclass
class ManualScores:
    rows: list[ManualRow]
    columns: dict[str, str]  # written question -> the CSV's header(s) it was read from
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


def gradescope_questions(header: list[str]) -> dict[int, list[int]]:
    """{question number: its column indexes} of Gradescope's question headers: a question's
    own column, or its parts' (N.1, N.2, ...), in the CSV's order."""
    found: dict[int, list[int]] = {}
    for index, title in enumerate(header):
        match = QUESTION_HEADER.match(title)
        if match:
            found.setdefault(int(match.group(1)), []).append(index)
    return found


def title_number(header: list[str], indexes: list[int]) -> int | None:
    """The number a question's title gives it ("Inline Question 3" -> 3), from its own
    column's title or, failing that, its parts'."""
    for index in indexes:
        match = QUESTION_HEADER.match(header[index])
        title = match.group(3) if match else header[index]
        number = TITLE_NUMBER.search(title or "")
        if number:
            return int(number.group(1))
    return None


def question_columns(header: list[str]) -> tuple[dict[str, list[int]], list[str]]:
    """{written question: the column indexes summed into it} from the question headers, and
    notes. Raises ManualScoresError when the mapping would be a guess."""
    inline = written_questions()
    groups = gradescope_questions(header)
    if not groups:  # a hand-made CSV: columns titled with a question's number
        groups = {n: [i] for n, i in enumerate(
            (i for i, title in enumerate(header) if TITLE_NUMBER.search(title)), start=1)}
    if not groups:
        return {}, []
    titled = {number: title_number(header, indexes) for number, indexes in groups.items()}
    numbers = list(titled.values())
    if (None not in numbers and len(set(numbers)) == len(numbers)
            and all(1 <= n <= len(inline) for n in numbers)):
        chosen = {inline[titled[number] - 1]: groups[number] for number in sorted(groups)}
        return dict(sorted(chosen.items(), key=lambda item: inline.index(item[0]))), []
    if len(groups) == len(inline):
        return {question: groups[number] for question, number in zip(inline, sorted(groups))}, []

    def described(number: int) -> str:
        return " + ".join(repr(header[i]) for i in groups[number])

    raise ManualScoresError(
        f"the written questions cannot be told apart in the manual scores CSV: it has "
        f"{len(groups)} questions ({'; '.join(described(n) for n in sorted(groups))}), the "
        f"assignment declares {len(inline)} ({', '.join(inline)}), and their titles do not "
        "number them (\"Inline Question 2\"). Title each question on Gradescope with its "
        "number, or give the CSV exactly one question (its parts summed) per written question")


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
        for question, indexes in columns.items():
            values = [cell(row, index) for index in indexes]
            parts = [number(value) for value in values]
            bad += sum(1 for value, part in zip(values, parts) if value and part is None)
            present = [part for part in parts if part is not None]
            scores[question] = sum(present) if present else None
        rows.append(ManualRow(line, full, cell(row, sid), cell(row, email), scores))
    if bad:
        notes.append(f"{bad} score{'s that are' if bad > 1 else ' that is'} not a number, "
                     "read as blank")
    return ManualScores(rows, {q: " + ".join(header[i] for i in indexes)
                               for q, indexes in columns.items()}, notes)


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
