"""make grade's cache key: what a submission's grade depends on, hashed.

A record is reused when its key is the same: the submission's content, the autograder's code and
the reference package, and the settings it was graded with (timeouts, limits, questions, sandbox
level).
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
from pathlib import Path

from autograder import manifest, paths
from autograder.settings import Settings


def hash_stream(digest, path: Path) -> None:
    with open(path, "rb") as stream:
        for chunk in iter(lambda: stream.read(2**20), b""):
            digest.update(chunk)


def content_hash(path: Path) -> str:
    """sha256 of a zip's bytes, or of a folder's files (sorted relative paths and contents)."""
    path = Path(path)
    digest = hashlib.sha256()
    if not path.is_dir():
        digest.update(b"zip\0")
        hash_stream(digest, path)
        return digest.hexdigest()
    digest.update(b"folder\0")
    entries = []
    for directory, folders, files in os.walk(path):  # never follows symbolic links
        for name in files + [f for f in folders if Path(directory, f).is_symlink()]:
            full = Path(directory, name)
            entries.append(("/".join(full.relative_to(path).parts), full))
    for relative, full in sorted(entries):
        digest.update(relative.encode("utf-8", "surrogateescape") + b"\0")
        if full.is_symlink():
            digest.update(b"link\0" + os.fsencode(os.readlink(full)) + b"\0")
        elif full.is_file():
            digest.update(b"file\0%d\0" % full.stat().st_size)
            hash_stream(digest, full)
    return digest.hexdigest()


def autograder_hash() -> str:
    return _autograder_hash(manifest.current().name)


@functools.lru_cache(maxsize=None)
def _autograder_hash(name: str) -> str:
    """sha256 of the engine's code, the assignment's manifest and checks, and its reference
    package (every .py file, and the manifest)."""
    digest = hashlib.sha256()
    assignment = manifest.load(name)
    digest.update((assignment.folder / manifest.FILE).read_bytes())
    for base in (paths.ROOT / "autograder", assignment.checks_folder,
                 assignment.reference_package):
        for file in sorted(base.rglob("*.py")):
            if "__pycache__" in file.parts:
                continue
            digest.update(file.relative_to(paths.ROOT).as_posix().encode() + b"\0")
            hash_stream(digest, file)
            digest.update(b"\0")
    return digest.hexdigest()


def cache_key(submission: Path, settings: Settings) -> str:
    material = {"submission": content_hash(submission), "autograder": autograder_hash(),
                "settings": json.loads(settings.to_json())}
    return hashlib.sha256(json.dumps(material, sort_keys=True).encode()).hexdigest()
