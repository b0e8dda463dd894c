"""Submission folders made from the reference with small recorded text edits.

One mistake = a list of edits `(file, function or None, old, new)`: `old` must occur exactly once
in that function (or in the file when function is None), so a recipe that no longer matches the
reference fails loudly instead of silently grading the reference. Code added at the end of a file
(a module-level statement, extra functions) goes in with append_text. Used by the demo
submissions, the speed-check benchmark and the tests.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from autograder import paths

Edit = tuple[str, "str | None", str, str]


class EditError(AssertionError):
    """A recorded edit does not apply to the current reference."""


def replace_once(text: str, old: str, new: str, where: str) -> str:
    """Replace `old`, which must occur exactly once in `text` (`where` names it in the error)."""
    if text.count(old) != 1:
        raise EditError(f"{old!r} occurs {text.count(old)} times in {where}, not once")
    return text.replace(old, new)


def edit_function(text: str, function: str, old: str, new: str) -> str:
    """Replace `old` inside the top-level function or class `function` of a module's text.

    The function runs from its `def` (or `class`) line to the next top-level one; its name must
    match whole (a function `f` is not `f_alt`).
    """
    found = re.search(rf"^(?:def|class) {re.escape(function)}\b", text, re.MULTILINE)
    if found is None:
        raise EditError(f"no function or class {function}")
    start = found.start()
    end = min((i for i in (text.find("\ndef ", start + 1), text.find("\nclass ", start + 1))
               if i >= 0), default=len(text))
    return text[:start] + replace_once(text[start:end], old, new, function) + text[end:]


def make_variant(destination: Path, edits: list[Edit] = (), source: Path | None = None) -> Path:
    """Copy a package (default: the current assignment's reference) to destination/<package>
    and apply `edits`; return destination."""
    destination = Path(destination)
    source = source or paths.REFERENCE_PACKAGE
    shutil.copytree(source, destination / paths.PACKAGE_NAME,
                    ignore=shutil.ignore_patterns("__pycache__"))
    for file, function, old, new in edits:
        path = destination / file
        text = path.read_text(encoding="utf-8")
        text = (edit_function(text, function, old, new) if function
                else replace_once(text, old, new, file))
        path.write_text(text, encoding="utf-8")
    return destination


def append_text(destination: Path, file: str, text: str) -> Path:
    """Add `text` at the end of `file` in the variant folder `destination`; return destination."""
    path = Path(destination) / file
    with path.open("a", encoding="utf-8") as handle:
        handle.write(text)
    return Path(destination)
