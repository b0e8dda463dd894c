"""Copy what grading needs out of one submission (a zip or a folder) into a private folder.

Only three kinds of files are ever taken: the `.py` files under the package's folder at the top of
the submission or one folder down (the package), the `.ipynb` files at those two depths (the
notebook, whose JSON is checked but never executed), and the files students edit uploaded loose
(the manifest's `student_files`, in any folder): a submission without a package gets one built from
them and the handout's other files (`complete_from_loose_files`), with a note saying so. Everything else (stray `tests/` folders,
`.OTTER_LOG` files, data, `__MACOSX/`) is never read. The submission itself is never modified.

Zips are read defensively: entries with absolute or `..` paths are skipped (nothing is ever written
outside the destination), each taken entry is refused above a per-file cap (declared size first,
then while reading with a bounded stream) and the taken entries together above a total cap, so a
zip bomb costs a few reads. `.py` files are normalized on the way (a UTF-8 BOM stripped, CRLF
turned into LF) so that a package saved on Windows grades like any other.

`prepare(submission, destination)` returns a `Prepared`: `problem` (a short reason for the
gradebook, when nothing can be graded), `notes` (remarks that do not stop grading, such as a
notebook that is not valid JSON) and `package_root()`, the folder holding the taken package.
"""

from __future__ import annotations

import json
import os
import stat
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path

from autograder import manifest, paths

MAX_FILE_BYTES = 20 * 2**20  # per taken file, uncompressed
MAX_TOTAL_BYTES = 100 * 2**20  # all taken files together, uncompressed
MAX_ENTRIES = 10_000  # entries in a zip's directory
MAX_LOOSE_DEPTH = 4  # folders a loose student file may sit in
# Folders that hold no one's work (an archiver's, Jupyter's or Python's); hidden ones are skipped too.
IGNORED_PARTS = {"__MACOSX", ".ipynb_checkpoints", "__pycache__"}
BOM = b"\xef\xbb\xbf"


def marker_parts() -> tuple[str, ...]:
    """The parts of the file that marks where a package is: the first file a student hands in
    (the package's folder, then the file's path in it)."""
    return tuple(next(iter(paths.STUDENT_FILES.values())).split("/"))


@dataclass
class Prepared:
    """The outcome of copying a submission: where it went, and what the gradebook should say."""

    folder: Path
    problem: str | None = None  # fatal: nothing is graded, the row says this
    notes: list[str] = field(default_factory=list)  # remarks appended to the status
    files: list[str] = field(default_factory=list)  # relative paths taken, in order
    loose: list[str] = field(default_factory=list)  # the taken loose student files, in order

    def package_root(self) -> Path | None:
        """The folder holding the package's first student file: the root of
        the copy, else the one folder below it that holds one (what re-zipping an unzipped folder
        gives); None otherwise."""
        taken = {tuple(name.split("/")) for name in self.files}
        marker = marker_parts()
        if marker in taken:
            return self.folder
        below = sorted({parts[0] for parts in taken if parts[1:] == marker})
        return self.folder / below[0] if len(below) == 1 else None


class Refused(Exception):
    """The submission cannot be graded; the message is the gradebook's status."""


def kind_of(parts: tuple[str, ...]) -> str | None:
    """'py', 'notebook' or 'loose' for a path grading needs, None for everything else."""
    if not parts or any(part in IGNORED_PARTS or part.startswith(".") for part in parts):
        return None
    name = parts[-1]
    if name.endswith(".ipynb") and len(parts) <= 2:
        return "notebook"
    package = [i for i, part in enumerate(parts[:2]) if part == paths.PACKAGE_NAME]
    if name.endswith(".py") and package and package[0] < len(parts) - 1:
        return "py"
    if name in paths.STUDENT_FILES and len(parts) <= MAX_LOOSE_DEPTH + 1:
        return "loose"  # outside a package where one belongs: kept in case there is none
    return None


def safe_parts(name: str) -> tuple[str, ...] | None:
    """The components of a zip entry's name, or None when it is absolute or climbs out."""
    name = name.replace("\\", "/")
    if name.startswith("/") or "\x00" in name:
        return None
    parts = tuple(part for part in name.split("/") if part not in ("", "."))
    if not parts or ".." in parts or (len(parts[0]) >= 2 and parts[0][1] == ":"):
        return None  # ../x, C:/x
    return parts


def normalize(data: bytes, kind: str) -> bytes:
    if kind not in ("py", "loose"):
        return data
    if data.startswith(BOM):
        data = data[len(BOM):]
    return data.replace(b"\r\n", b"\n")


def size_text(limit: int) -> str:
    return f"{limit / 2**20:g} MB"


class Taker:
    """Writes the taken files into the destination, enforcing the caps."""

    def __init__(self, destination: Path, max_file: int, max_total: int,
                 max_entries: int = MAX_ENTRIES):
        self.destination = destination
        self.max_file = max_file
        self.max_total = max_total
        self.max_entries = max_entries
        self.total = 0
        self.prepared = Prepared(destination)
        self.seen: set[tuple[str, ...]] = set()

    def note(self, text: str) -> None:
        if text not in self.prepared.notes:
            self.prepared.notes.append(text)

    def declared(self, parts: tuple[str, ...], kind: str, size: int) -> bool:
        """False (with a note) for a notebook too large to read; Refused for a package file."""
        if size <= self.max_file:
            return True
        if kind == "notebook":
            self.note(f"notebook over {size_text(self.max_file)} not checked")
            return False
        if kind not in ("py", "loose"):  # a file copied whole (unpack_zip): skipped, noted
            self.note(f"{'/'.join(parts)} over {size_text(self.max_file)} not copied")
            return False
        raise Refused(f"zip bomb: {'/'.join(parts)} over {size_text(self.max_file)}")

    def take(self, parts: tuple[str, ...], kind: str, stream) -> None:
        """Read at most the cap from `stream` and write the file (normalized)."""
        if parts in self.seen:
            return  # a duplicate entry: the first one wins
        data = stream.read(self.max_file + 1)  # bounded, whatever the declared size said
        if not self.declared(parts, kind, len(data)):
            return
        self.total += len(data)
        if self.total > self.max_total:
            raise Refused(f"zip bomb: over {size_text(self.max_total)} uncompressed")
        self.seen.add(parts)
        target = self.destination.joinpath(*parts)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(normalize(data, kind))
        self.prepared.files.append("/".join(parts))
        if kind == "loose":
            self.prepared.loose.append("/".join(parts))


def from_zip(source: Path, taker: Taker, kind_of=kind_of) -> None:
    try:
        archive = zipfile.ZipFile(source)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        raise Refused("corrupt zip") from None
    with archive:
        entries = archive.infolist()
        if len(entries) > taker.max_entries:
            raise Refused(f"too many entries in zip ({len(entries)})")
        if not [entry for entry in entries if not entry.is_dir()]:
            raise Refused("empty zip")
        unsafe = 0
        for entry in entries:
            if entry.is_dir():
                continue
            parts = safe_parts(entry.filename)
            if parts is None:
                unsafe += 1
                continue
            kind = kind_of(parts)
            if kind is None or parts in taker.seen:
                continue
            if not taker.declared(parts, kind, entry.file_size):
                continue
            try:
                with archive.open(entry) as stream:
                    taker.take(parts, kind, stream)
            except RuntimeError:  # encrypted entry
                raise Refused("encrypted zip") from None
            except NotImplementedError:
                raise Refused("unsupported zip compression") from None
            except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError):
                raise Refused("corrupt zip") from None
        if unsafe:
            taker.note(f"ignored {unsafe} unsafe zip entr{'y' if unsafe == 1 else 'ies'}")


def from_folder(source: Path, taker: Taker) -> None:
    links = 0
    for directory, folders, files in os.walk(source):  # never follows symbolic links
        folders.sort()
        relative = Path(directory).relative_to(source).parts
        # Down to where a package or a loose student file may be, no further.
        folders[:] = [name for name in folders
                      if name not in IGNORED_PARTS and not name.startswith(".")
                      and (len(relative) < MAX_LOOSE_DEPTH
                           or paths.PACKAGE_NAME in (*relative, name)[:2])]
        for name in sorted(files):
            parts = (*relative, name)
            kind = kind_of(parts)
            if kind is None:
                continue
            path = Path(directory, name)
            info = path.lstat()
            if not stat.S_ISREG(info.st_mode):
                links += 1
                continue
            if not taker.declared(parts, kind, info.st_size):
                continue
            with open(path, "rb") as stream:
                taker.take(parts, kind, stream)
    if links:
        taker.note(f"ignored {links} symbolic link{'s' if links > 1 else ''}")


def unpack_zip(source: Path, destination: Path, kind_of, max_file: int, max_total: int,
               max_entries: int = MAX_ENTRIES) -> Prepared:
    """Copy the entries of a zip that `kind_of(parts)` names (any kind other than 'py',
    'loose' or 'notebook' is copied byte for byte; None skips the entry) into `destination`,
    as safely as a submission (no unsafe paths, the caps; an entry over `max_file` is skipped
    with a note). `problem` says why nothing could be copied."""
    destination = Path(destination)
    destination.mkdir(parents=True, exist_ok=True)
    taker = Taker(destination, max_file, max_total, max_entries)
    try:
        from_zip(Path(source), taker, kind_of)
    except Refused as refused:
        taker.prepared.problem = str(refused)
    return taker.prepared


def check_notebooks(prepared: Prepared) -> None:
    notebooks = [name for name in prepared.files if name.endswith(".ipynb")]
    if not notebooks and not any(note.startswith("notebook over") for note in prepared.notes):
        prepared.notes.append("no notebook")
    wrong = wrong_assignment(notebooks)
    if wrong:
        prepared.notes.append(wrong)
    for name in notebooks:
        try:
            json.loads(prepared.folder.joinpath(*name.split("/")).read_bytes())
        except (ValueError, UnicodeDecodeError):
            prepared.notes.append("notebook is not valid JSON")
            break


def wrong_assignment(notebooks: list[str]) -> str | None:
    """A note when the notebooks handed in are another assignment's and none is this one's (a
    student who uploaded to the wrong Gradescope assignment); None otherwise."""
    expected = manifest.current()
    names = {name.rsplit("/", 1)[-1] for name in notebooks}
    if not names or expected.notebook in names:
        return None
    for other in manifest.available():
        other_manifest = manifest.load(other)
        if other != expected.name and other_manifest.notebook in names:
            return (f"handed in for the {other_manifest.title} assignment "
                    f"({other_manifest.notebook}), not {expected.title}: graded as "
                    f"{expected.title} anyway")
    return None


def prepare(submission: Path, destination: Path, max_file: int = MAX_FILE_BYTES,
            max_total: int = MAX_TOTAL_BYTES) -> Prepared:
    """Copy the files grading needs from `submission` (zip or folder) into `destination`."""
    submission, destination = Path(submission), Path(destination)
    destination.mkdir(parents=True, exist_ok=True)
    taker = Taker(destination, max_file, max_total)
    try:
        if submission.is_dir():
            from_folder(submission, taker)
        else:
            from_zip(submission, taker)
    except Refused as refused:
        taker.prepared.problem = str(refused)
        return taker.prepared
    check_notebooks(taker.prepared)
    return taker.prepared


def handout_modules(handout: Path) -> list[Path]:
    """The handout package's regular .py files, in a fixed order."""
    return [source for source in sorted(Path(handout).rglob("*.py"))
            if "__pycache__" not in source.parts and not source.is_symlink()]


def complete_from_loose_files(prepared: Prepared, handout: Path) -> None:
    """Give a copy without a package one: the handout's package (its regular .py files) with
    the loose student files put in their places (the shallowest of each name), and a note."""
    if prepared.problem or prepared.package_root() is not None or not prepared.loose:
        return
    chosen: dict[str, str] = {}
    for relative in sorted(prepared.loose, key=lambda r: (r.count("/"), r)):
        chosen.setdefault(relative.rsplit("/", 1)[-1], relative)
    package = prepared.folder / paths.PACKAGE_NAME
    for source in handout_modules(handout):
        target = package / source.relative_to(handout)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(source.read_bytes())
    placed = []
    for name, relative in sorted(chosen.items()):
        destination = prepared.folder / paths.STUDENT_FILES[name]
        destination.write_bytes(prepared.folder.joinpath(*relative.split("/")).read_bytes())
        prepared.files.append(paths.STUDENT_FILES[name])
        placed.append(f"{relative} as {paths.STUDENT_FILES[name]}")
    prepared.notes.append(f"no {paths.PACKAGE_NAME}/ folder: graded the loose "
                          f"{' and '.join(placed)}, with the handout's other files")


def complete_package(prepared: Prepared, handout: Path) -> None:
    """Give a package that lacks some of the handout's modules (an export cell that lists only
    the files a student edits, a file left out by hand) the handout's copies of them, with a
    note; the files the package has, and the student's own files, are never taken from it."""
    root = prepared.package_root()
    if prepared.problem or root is None:
        return
    package = root / paths.PACKAGE_NAME
    student_files = set(paths.STUDENT_FILES.values())
    added = []
    for source in handout_modules(handout):
        target = package / source.relative_to(handout)
        if target.relative_to(root).as_posix() in student_files:
            continue  # the student's own work is never taken from the handout
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(source.read_bytes())
            added.append(source.relative_to(handout).as_posix())
    if added:
        prepared.notes.append(f"{paths.PACKAGE_NAME}/ lacked {len(added)} of the handout's "
                              f"files: graded with the handout's {', '.join(added)}")
