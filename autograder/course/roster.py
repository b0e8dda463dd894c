"""Gradescope's "Export Submissions": who handed in which submission folder.

An export (a zip, or the folder it unzips to, possibly wrapped in one top folder) holds
`submission_metadata.yml` and one `submission_<id>/` folder per submission with the files the
student uploaded. The YAML is keyed by those folder names, with Ruby-style keys (`:submitters:`,
each with `:name:`, `:sid:`, `:email:`; several for a group; also `:created_at:`, `:score:`,
`:status:`, `:history:`). Keys are read with or without their colons, Ruby tags such as
`!ruby/object:BigDecimal` are read as plain values.

Nothing is lost to bad metadata: a file that does not parse, an entry without submitters, a
submitter without an email, a folder the file does not name and a key without a folder each give
a clear note on the rows concerned (`Roster.notes`, `Roster.missing`), and every folder is graded.

`open_export(path)` gives the export's folder (a zip is unpacked, as safely as a submission, into
a temporary folder) and its `Roster`; it gives None for anything that is not an export (a plain
folder of submissions). `submissions_at(path)` gives the submissions of either.
"""

from __future__ import annotations

import contextlib
import re
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from autograder.grading import extract
from autograder.course.submissions import Submission, find_submissions, readable, sort_key

METADATA = "submission_metadata.yml"
SUBMISSION_FOLDER = re.compile(r"submission_[^/]+")
FIELDS = ("name", "sid", "email")
# Caps for unpacking an export zip: a class's uploads together, one file (a student's zip).
MAX_EXPORT_BYTES = 8 * 2**30
MAX_UPLOAD_BYTES = 200 * 2**20
MAX_EXPORT_ENTRIES = 1_000_000


class ExportError(Exception):
    """The export cannot be read at all (not a zip, or nothing in it)."""


@dataclass(frozen=True)
class Student:
    name: str = ""
    sid: str = ""
    email: str = ""


@dataclass
class Roster:
    """Who submitted what, from the export's metadata, with what was wrong in it."""

    members: dict[str, list[Student]] = field(default_factory=dict)  # folder -> submitters
    notes: dict[str, list[str]] = field(default_factory=dict)  # folder -> remarks
    missing: dict[str, list[Student]] = field(default_factory=dict)  # keys without a folder
    general: list[str] = field(default_factory=list)  # remarks on every row (unreadable file)

    def students(self, submission: str) -> list[Student]:
        """The submitters of a folder (one unnamed student when the metadata lacks them)."""
        return self.members.get(submission) or [Student()]

    def remarks(self, submission: str) -> list[str]:
        return [*self.general, *self.notes.get(submission, [])]


# Reading the YAML ------------------------------------------------------------------------------

class RubyTolerantLoader(yaml.SafeLoader):
    """PyYAML's safe loader, reading any tag it does not know (Ruby's) as the plain value."""


def plain(loader: yaml.SafeLoader, suffix: str, node: yaml.Node):
    if isinstance(node, yaml.MappingNode):
        return loader.construct_mapping(node, deep=True)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node, deep=True)
    return loader.construct_scalar(node)


RubyTolerantLoader.add_multi_constructor("!", plain)
RubyTolerantLoader.add_multi_constructor("tag:", plain)


def key_name(key) -> str:
    """':submitters' or 'submitters' (or ':submitters:') -> 'submitters'."""
    return str(key).strip().strip(":")


def unsymbol(value):
    """The parsed YAML with every mapping key's Ruby colons stripped, recursively."""
    if isinstance(value, dict):
        return {key_name(key): unsymbol(item) for key, item in value.items()}
    if isinstance(value, list):
        return [unsymbol(item) for item in value]
    return value


def text_of(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return " ".join(str(value).split())


def parse_submitters(entry) -> tuple[list[Student], list[str]]:
    """The submitters of one entry, and what is wrong with them."""
    if not isinstance(entry, dict):
        return [], [f"its entry in {METADATA} is not a mapping"]
    submitters = entry.get("submitters")
    if not isinstance(submitters, list) or not submitters:
        return [], [f"no :submitters: in {METADATA}"]
    students, notes = [], []
    for number, submitter in enumerate(submitters, start=1):
        if not isinstance(submitter, dict):
            notes.append(f"submitter {number} in {METADATA} is not a mapping")
            continue
        student = Student(*(text_of(submitter.get(name)) for name in FIELDS))
        # An empty SID is usual (a course without them); a missing key, or no name or email, is not.
        lacking = [f":{name}:" for name in FIELDS
                   if (name not in submitter if name == "sid" else not getattr(student, name))]
        if lacking:
            notes.append(f"submitter {number} has no {' or '.join(lacking)} in {METADATA}")
        students.append(student)
    return students, notes


def parse_metadata(text: str) -> tuple[dict[str, list[Student]], dict[str, list[str]], list[str]]:
    """(submitters by folder, notes by folder, general notes) from the YAML's text."""
    try:
        data = unsymbol(yaml.load(text, Loader=RubyTolerantLoader))
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark is not None else ""
        problem = getattr(error, "problem", None) or type(error).__name__
        return {}, {}, [f"{METADATA} could not be read{where}: {problem}; no names"]
    if not isinstance(data, dict):
        return {}, {}, [f"{METADATA} is not a mapping of submission folders; no names"]
    members, notes = {}, {}
    for key, entry in data.items():
        students, remarks = parse_submitters(entry)
        members[key] = students
        if remarks:
            notes[key] = remarks
    return members, notes, []


def read_roster(folder: Path, submissions: list[Submission]) -> Roster:
    """The roster of an export folder, reconciled with the submission folders found in it."""
    path = Path(folder) / METADATA
    if not path.is_file():
        members, notes, general = {}, {}, [f"no {METADATA} in the export; no names"]
    else:
        raw = path.read_bytes()
        text = raw.decode("utf-8", "replace")
        members, notes, general = parse_metadata(text)
        if "\ufffd" in text and "\ufffd" not in raw.decode("utf-8", "ignore"):
            general.append(f"{METADATA} is not valid UTF-8 (names may show U+FFFD)")
    names = {s.name for s in submissions}
    roster = Roster(general=general)
    for name in names:
        roster.members[name] = members.get(name, [])
        roster.notes[name] = list(notes.get(name, []))
        if name not in members and not general:
            roster.notes[name].append(f"not in {METADATA}")
    for key in sorted(set(members) - names, key=sort_key):
        roster.missing[key] = members[key] or [Student()]
    return roster


# Finding an export ---------------------------------------------------------------------------

def export_root(folder: Path) -> Path | None:
    """The folder of an unzipped export (the metadata's, or that of the submission_* folders),
    at `folder` or one folder down; None when `folder` is not an export."""
    folder = Path(folder)
    for candidate in [folder, *sorted(p for p in folder.iterdir() if p.is_dir())]:
        if (candidate / METADATA).is_file():
            return candidate
    subfolders = [p for p in folder.iterdir() if p.is_dir() and not p.name.startswith(".")]
    if len(subfolders) == 1 and not (folder / METADATA).exists():
        inner = [p for p in subfolders[0].iterdir() if p.is_dir()]
        if inner and all(SUBMISSION_FOLDER.fullmatch(p.name) for p in inner):
            return subfolders[0]
    if subfolders and all(SUBMISSION_FOLDER.fullmatch(p.name) for p in subfolders) and not any(
            p.suffix.lower() == ".zip" for p in folder.iterdir()):
        return folder
    return None


def export_kind(parts: tuple[str, ...]) -> str | None:
    """What to unpack of an export zip: the metadata, and what grading needs of each
    submission folder (its package, notebook, loose files, or the zip the student uploaded)."""
    top = 1 if len(parts) > 1 and not SUBMISSION_FOLDER.fullmatch(parts[0]) else 0
    rest = parts[top:]
    if rest == (METADATA,):
        return "metadata"
    if len(rest) < 2 or not SUBMISSION_FOLDER.fullmatch(rest[0]):
        return None
    inside = rest[1:]
    if len(inside) == 1 and inside[0].lower().endswith(".zip"):
        return "upload"
    # Copied as they are (grading normalizes them later); one too large is skipped, noted.
    return "file" if extract.kind_of(inside) is not None else None


def is_export_zip(path: Path) -> bool:
    """A zip holding the metadata or submission_* folders (at its root or one folder down)."""
    try:
        with zipfile.ZipFile(path) as archive:
            return any(export_kind(parts) is not None
                       for parts in map(extract.safe_parts, archive.namelist()) if parts)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        return False


@dataclass
class Export:
    folder: Path  # the unzipped export (holding the submission_* folders)
    submissions: list[Submission]
    roster: Roster
    notes: list[str] = field(default_factory=list)  # remarks from unpacking (in the roster too)


def submission_source(folder: Path) -> Path:
    """What a submission folder holds to grade: the student's zip when that is all they
    uploaded (no .py or .ipynb anywhere in it), else the folder itself."""
    zips = sorted(p for p in Path(folder).iterdir() if p.is_file() and p.suffix.lower() == ".zip")
    loose = any(p.suffix in (".py", ".ipynb") for p in Path(folder).rglob("*") if p.is_file())
    return zips[0] if len(zips) == 1 and not loose else Path(folder)


def export_of(folder: Path, notes: list[str] = ()) -> Export:
    """The Export of an unzipped export folder; `notes` (from unpacking its zip) go to the
    submission they name, the others to every row."""
    found = find_submissions(folder)
    submissions = [Submission(s.name, submission_source(s.path)) if s.path.is_dir() else s
                   for s in found]
    people = read_roster(folder, submissions)
    for note in notes:
        named = [part for part in re.split(r"[/\s]", note) if part in people.notes]
        (people.notes[named[0]] if named else people.general).append(note)
    return Export(folder, submissions, people, list(notes))


@contextlib.contextmanager
def open_export(path: Path):
    """Yield the `Export` at `path` (a zip is unpacked into a temporary folder, removed on
    exit), or None when `path` is not an export."""
    path = Path(path)
    if path.is_dir():
        root = export_root(path)
        yield export_of(root) if root is not None else None
        return
    if not (path.is_file() and is_export_zip(path)):
        if path.is_file():
            raise ExportError(f"{readable(str(path))} is not a Gradescope export zip (no "
                              f"{METADATA} and no submission_* folders in it)")
        yield None
        return
    with tempfile.TemporaryDirectory(prefix="bn-export-") as scratch:
        prepared = extract.unpack_zip(path, Path(scratch), export_kind, MAX_UPLOAD_BYTES,
                                      MAX_EXPORT_BYTES, MAX_EXPORT_ENTRIES)
        if prepared.problem:
            raise ExportError(f"{readable(str(path))}: {prepared.problem}")
        root = export_root(Path(scratch))
        if root is None:
            raise ExportError(f"{readable(str(path))} holds no submission folder")
        yield export_of(root, prepared.notes)


@contextlib.contextmanager
def submissions_at(path: Path, exclude: Path | None = None):
    """Yield (the submissions, the Export or None) of a plain folder of submissions (found as
    submissions.find_submissions finds them, `exclude` left out) or of a Gradescope export."""
    with open_export(path) as export:
        if export is not None:
            yield export.submissions, export
        else:
            yield find_submissions(Path(path), exclude=exclude), None
