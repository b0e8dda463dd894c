"""The build's stamp: what an assignment's generated folders were built from, and what they hold.

`make template` runs otter assign (seconds) and rewrites `student_template/<name>/` and
`solutions/<name>/`; `make handout`, `make solutions` and `make assign` run it again. A build
writes `solutions/<name>/.built-from`: a digest of its inputs (the assignment's folder, the
course's package, the course file, the pins, and the build's own code) and one of the two
folders' files (a notebook's without what executing it adds, so `make solutions` keeps it). The
next build is skipped when both digests still match; anything edited, on either side, builds
again.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from autograder import manifest, paths
from autograder.build import notebooks

STAMP = ".built-from"

# The engine's code the generated folders depend on: the build itself, and what it reads.
BUILD_CODE = (Path(__file__).resolve().parent, paths.ROOT / "autograder" / "manifest.py",
              paths.ROOT / "autograder" / "paths.py")


def files_of(path: Path) -> list[Path]:
    """`path` itself if a file, else its files, sorted (bytecode, checkpoints and the stamp aside)."""
    if path.is_file():
        return [path]
    skipped = ("__pycache__", ".ipynb_checkpoints")
    return sorted(p for p in path.rglob("*") if p.is_file() and p.name != STAMP
                  and not any(part in skipped for part in p.relative_to(path).parts))


def digest_of(roots: list[Path], notebooks_but_for_execution: bool = False) -> str:
    """sha256 of every file under `roots`: its path relative to its root, then its bytes (a
    notebook's comparable content when `notebooks_but_for_execution`)."""
    digest = hashlib.sha256()
    for root in roots:
        for path in files_of(root):
            relative = path.relative_to(root).as_posix() if path != root else path.name
            digest.update(f"\0{relative}\0".encode())
            if notebooks_but_for_execution and path.suffix == ".ipynb":
                content = notebooks.comparable(json.loads(path.read_text(encoding="utf-8")))
                digest.update(json.dumps(content, sort_keys=True).encode())
            else:
                digest.update(path.read_bytes())
    return digest.hexdigest()


def inputs_digest(assignment: manifest.Manifest) -> str:
    """What building `assignment`'s generated folders reads."""
    return digest_of([assignment.folder, assignment.package_source,
                      paths.ASSIGNMENT / manifest.COURSE_FILE, paths.ROOT / "constraints.txt",
                      *BUILD_CODE])


def stamp(assignment: manifest.Manifest, template: Path, solutions: Path) -> dict:
    return {"inputs": inputs_digest(assignment),
            "generated": digest_of([template, solutions], notebooks_but_for_execution=True)}


def write(assignment: manifest.Manifest, template: Path, solutions: Path) -> None:
    """Record what `template` and `solutions` were just built from, in solutions/<name>/."""
    text = json.dumps(stamp(assignment, template, solutions), indent=1, sort_keys=True) + "\n"
    (solutions / STAMP).write_text(text, encoding="utf-8")


def is_current(assignment: manifest.Manifest, template: Path, solutions: Path) -> bool:
    """Whether a build would write what `template` and `solutions` already hold: their stamp
    names the inputs of now, and their files are still the ones it was written beside."""
    try:
        recorded = json.loads((solutions / STAMP).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return template.is_dir() and recorded == stamp(assignment, template, solutions)
