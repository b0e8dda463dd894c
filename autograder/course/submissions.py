"""Find the submissions of a folder and name them: every `*.zip` and every sub-directory.

A submission is named by its file name without `.zip` (or its folder name), exactly as given;
names sort without regard to case.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from autograder.grading.extract import IGNORED_PARTS


class SubmissionsError(Exception):
    """The folder of submissions cannot be read."""


@dataclass(frozen=True)
class Submission:
    name: str  # the gradebook's name: the file name without .zip, or the folder name
    path: Path


def find_submissions(folder: Path, exclude: Path | None = None) -> list[Submission]:
    """Every *.zip and sub-directory of `folder` (hidden ones and `exclude` left out)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise SubmissionsError(f"{folder} is not a folder")
    excluded = exclude.resolve() if exclude else None
    zips, folders = {}, {}
    for entry in sorted(folder.iterdir()):
        if entry.name.startswith(".") or entry.name in IGNORED_PARTS:
            continue
        if entry.is_dir():
            if excluded is not None and entry.resolve() == excluded:
                continue
            folders[entry.name] = entry
        elif entry.is_file() and entry.suffix.lower() == ".zip":
            zips[entry.name[:-4]] = entry
    found = [Submission(readable(name), path) for name, path in folders.items()]
    # a zip named like a folder keeps its .zip so that both have a row
    found += [Submission(readable(name if name not in folders else path.name), path)
              for name, path in zips.items()]
    return sorted(found, key=lambda s: sort_key(s.name))


def readable(name: str) -> str:
    """A file name as given, except bytes that are not UTF-8 (shown as U+FFFD)."""
    return name.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def sort_key(name: str) -> tuple[str, str]:
    return (name.casefold(), name)
