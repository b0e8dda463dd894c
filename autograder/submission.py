"""Find the `cs231n` package in a submission as handed in.

The export cell puts the notebook and `cs231n/` at the root of the zip; the same layout nested in
one folder (what re-zipping an unzipped folder gives) is accepted too.
"""

from __future__ import annotations

from pathlib import Path

from autograder import paths

MARKER = Path(paths.PACKAGE_NAME) / "layers.py"
IGNORED_FOLDERS = {"__MACOSX", ".ipynb_checkpoints", "__pycache__"}


def package_root(folder: Path) -> Path | None:
    """The folder that holds `cs231n/layers.py`: `folder` itself or its only such subfolder."""
    folder = Path(folder)
    if (folder / MARKER).is_file():
        return folder
    candidates = [child for child in sorted(folder.iterdir())
                  if child.is_dir() and child.name not in IGNORED_FOLDERS
                  and (child / MARKER).is_file()]
    return candidates[0] if len(candidates) == 1 else None
