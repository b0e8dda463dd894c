"""The demo submissions of `make grade`: a few zips built from the assignment itself.

`python -m autograder.build.demo DIR` writes, into DIR, zips laid out as the notebook's export cell makes
them (the notebook and the package files it lists, at the zip's root): the reference, the
untouched template, a package that does not import, a zip without the package, and copies of the
reference with one real student mistake each, as the assignment's `mistakes.toml` declares them.
A mistake is a small recorded text edit of the reference (autograder.build.variants), which must apply
exactly once, so a demo never silently grades the reference under another name. One name holds a
space and a non-ASCII letter, as real names do. The zips are byte-for-byte reproducible (fixed
timestamps and order), so rebuilding the demo does not invalidate `make grade`'s cache.
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import sys
import tempfile
import tomllib
import zipfile
from dataclasses import dataclass
from pathlib import Path

from autograder import manifest, paths
from autograder.build import variants
from autograder.build.assemble import ZIP_TIMESTAMP

MISTAKES_FILE = "mistakes.toml"  # in the assignment's folder
# A line no Python parses, added to the first file a student hands in (the "syntax error" demo).
BROKEN_LINE = "\n\ndef broken(:  # an unclosed parenthesis\n    pass\n"


@dataclass(frozen=True)
class Demo:
    name: str  # the zip's name, without .zip
    what: str  # what it shows, for the demo's README
    source: Path  # the folder holding the notebook and the package
    edits: tuple = ()  # autograder.build.variants edits applied to source's package
    notebook: bool = True
    package: bool = True
    append: tuple = ()  # (file, text) added at the end of a file of the package


def standard_demos(assignment: manifest.Manifest) -> list[Demo]:
    """The demos every assignment has: its reference, its template, a package that does not
    import, a zip without the package."""
    first = next(iter(assignment.student_files.values()))
    return [
        Demo("reference", "the reference solution: full marks", assignment.solutions),
        Demo("untouched template", "the handout as students receive it: every check fails "
             "with 'not implemented yet'", assignment.template),
        Demo("syntax error", "a package that does not import (an unclosed parenthesis): zero, "
             "with the line in the status", assignment.solutions, append=((first, BROKEN_LINE),)),
        Demo("notebook only", f"a zip holding only the notebook: zero, 'no {first}'",
             assignment.solutions, package=False),
    ]


def usable_name(name: str) -> bool:
    """Whether `name` can be a file's name in a folder (the demo zip's, without .zip)."""
    return bool(name.strip()) and not name.startswith(".") and "/" not in name \
        and "\\" not in name


def mistakes(assignment: manifest.Manifest) -> list[Demo]:
    """The assignment's demo mistakes (assignment/<name>/mistakes.toml): the reference with one
    typical student mistake written into it each."""
    path = assignment.folder / MISTAKES_FILE
    if not path.is_file():
        return []
    try:
        entries = tomllib.loads(path.read_text(encoding="utf-8")).get("mistake", [])
        unusable = [entry["name"] for entry in entries if not usable_name(entry["name"])]
        if unusable:
            raise manifest.ManifestError(
                f"{path}: a mistake's name becomes its demo zip's file name, so it cannot hold "
                f"/, \\ or a leading dot: {', '.join(map(repr, unusable))}")
        return [Demo(entry["name"], entry["what"], assignment.solutions, tuple(
                    (edit["file"], edit.get("function") or None, edit["old"], edit["new"])
                    for edit in entry["edit"])) for entry in entries]
    except (tomllib.TOMLDecodeError, KeyError, TypeError) as error:
        raise manifest.ManifestError(f"{path}: each [[mistake]] needs name, what and "
                                     f"[[mistake.edit]] tables of file, function, old, new "
                                     f"({type(error).__name__}: {error})") from None


def demos(assignment: manifest.Manifest | None = None) -> list[Demo]:
    assignment = assignment or manifest.current()
    return [*standard_demos(assignment), *mistakes(assignment)]


def exported_files(notebook: Path) -> list[str]:
    """The package files the notebook's export cell puts in the zip (`export(..., files=...)`)."""
    cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    for cell in reversed(cells):
        source = "".join(cell.get("source", []))
        if cell.get("cell_type") != "code" or "export(" not in source:
            continue
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.Call):
                for keyword in node.keywords:
                    if keyword.arg == "files":
                        return list(ast.literal_eval(keyword.value))
    raise ValueError(f"no export(files=[...]) cell in {notebook}")


def write_zip(path: Path, files: dict[str, bytes]) -> None:
    """A reproducible zip (sorted names, fixed timestamps), written atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    os.close(handle)
    try:
        with zipfile.ZipFile(temporary, "w", zipfile.ZIP_DEFLATED) as archive:
            for name in sorted(files):
                info = zipfile.ZipInfo(name, ZIP_TIMESTAMP)
                info.compress_type = zipfile.ZIP_DEFLATED
                info.external_attr = 0o644 << 16
                archive.writestr(info, files[name])
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise


def submission_files(demo: Demo, scratch: Path) -> dict[str, bytes]:
    """What the export cell would zip for this demo: {name in the zip: content}."""
    notebook = demo.source / paths.NOTEBOOK_NAME
    files = {}
    if demo.notebook:
        files[paths.NOTEBOOK_NAME] = notebook.read_bytes()
    if demo.package:
        folder = variants.make_variant(scratch, list(demo.edits),
                                       source=demo.source / paths.PACKAGE_NAME)
        for file, text in demo.append:
            variants.append_text(folder, file, text)
        for name in exported_files(notebook):
            files[name] = (folder / name).read_bytes()
    return files


def readme(demos: list[Demo]) -> str:
    lines = ["# Demo submissions for `make grade`", "",
             "Generated by `python -m autograder.build.demo` from `solutions/<name>/`, "
             "`student_template/<name>/` and the assignment's mistakes.toml (do not edit). Each zip is laid out as the notebook's export cell makes it.", ""]
    lines += [f"- `{demo.name}.zip`: {demo.what}" for demo in demos]
    return "\n".join(lines) + "\n"


def build(destination: Path, chosen: list[Demo] | None = None) -> list[Path]:
    """Write every demo zip (default: the current assignment's demos) and a README.md listing
    them into `destination`."""
    demos_ = chosen if chosen is not None else demos()
    destination = Path(destination)
    written = []
    with tempfile.TemporaryDirectory(prefix="bn-demo-") as scratch:
        for number, demo in enumerate(demos_):
            files = submission_files(demo, Path(scratch) / str(number))
            path = destination / f"{demo.name}.zip"
            write_zip(path, files)
            written.append(path)
    from autograder.grading.results import write_text_atomic

    write_text_atomic(destination / "README.md", readme(demos_))
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("destination", type=Path, nargs="?",
                        default=paths.DIST / manifest.current().name / "demo",
                        help="folder to write the demo zips into (default: %(default)s)")
    args = parser.parse_args(argv)
    written = build(args.destination)
    print(f"wrote {len(written)} demo submissions into {args.destination}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
