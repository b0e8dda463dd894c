"""Execute a notebook top to bottom and save it with its outputs.

It runs in a scratch copy of the notebook's folder, so whatever the notebook writes (otter's log,
the submission zip of the export cell) stays out of the repository; only the executed notebook
comes back, stamped (in its metadata) with a digest of what it was executed from: its cells, the
other files of its folder and the dataset. `--if-stale` (what `make solutions` runs) executes
only when that stamp is missing or differs, so a target run twice changes nothing.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from autograder import manifest, paths

# Written by the notebook when it runs, never read by it: not part of what it is executed from.
# Nor is the build's stamp (built_from.py), which changes when the folder's other files do.
NOT_INPUTS = ("__pycache__", ".ipynb_checkpoints", ".OTTER_LOG", ".zip", ".pdf", ".built-from")


def comparable(notebook: dict) -> dict:
    """A notebook's content without what executing it adds (outputs, counts, the stamp)."""
    notebook = json.loads(json.dumps(notebook))
    notebook.get("metadata", {}).get("language_info", {}).pop("version", None)
    notebook.get("metadata", {}).pop(EXECUTED_STAMP, None)
    for cell in notebook["cells"]:
        cell.pop("outputs", None)
        cell.pop("execution_count", None)
        cell.pop("id", None)
        cell.get("metadata", {}).pop("execution", None)
    return notebook


# The key of the notebook metadata where `make solutions` records what it executed.
EXECUTED_STAMP = "executed_inputs"


def same_but_for_execution(earlier: bytes, built: Path) -> bool:
    """Whether the notebook `earlier` (bytes) differs from `built` only by execution."""
    try:
        before = json.loads(earlier.decode("utf-8"))
        return comparable(before) == comparable(json.loads(built.read_text(encoding="utf-8")))
    except (ValueError, KeyError, TypeError, AttributeError):
        return False


def data_environment(notebook_path: Path) -> dict[str, str]:
    """Point the notebook at the data `make data` downloaded, where there is some: its
    assignment's manifest names the variables (`data_environment`)."""
    name = Path(notebook_path).resolve().parent.name
    if name not in manifest.available():
        return {}
    folders = {variable: paths.DATA / relative
               for variable, relative in manifest.load(name).data_environment.items()}
    return {variable: str(folder) for variable, folder in folders.items() if folder.is_dir()}


def inputs_digest(notebook_path: Path) -> str:
    """A digest of what executing `notebook_path` depends on: its cells (not their outputs),
    every other file of its folder, and which dataset the notebook will find."""
    notebook_path = Path(notebook_path).resolve()
    digest = hashlib.sha256()
    notebook = json.loads(notebook_path.read_text(encoding="utf-8"))
    digest.update(json.dumps(comparable(notebook), sort_keys=True).encode())
    for path in sorted(notebook_path.parent.rglob("*")):
        relative = path.relative_to(notebook_path.parent).as_posix()
        if (path == notebook_path or not path.is_file()
                or any(part in relative or relative.endswith(part) for part in NOT_INPUTS)):
            continue
        digest.update(f"\0{relative}\0".encode() + path.read_bytes())
    data = data_environment(notebook_path)
    digest.update(b"\0dataset\0" + (json.dumps(data, sort_keys=True) if data else "offline").encode())
    return digest.hexdigest()


def is_current(notebook_path: Path) -> bool:
    """Whether `notebook_path` was executed from exactly what it would be executed from now."""
    notebook = json.loads(Path(notebook_path).read_text(encoding="utf-8"))
    stamp = notebook.get("metadata", {}).get(EXECUTED_STAMP)
    return stamp == inputs_digest(notebook_path)


def execute(notebook_path: Path, timeout_per_cell: int = 900, quiet: bool = False) -> float:
    """Run every cell of `notebook_path` and save it with its outputs; return the seconds taken.

    Raises CellExecutionError (with the failing cell's traceback) when a cell fails; the notebook
    on disk is left untouched in that case.
    """
    notebook_path = Path(notebook_path).resolve()
    stamp = inputs_digest(notebook_path)
    notebook = nbformat.read(notebook_path, as_version=4)
    code_cells = sum(cell.cell_type == "code" for cell in notebook.cells)
    done = 0

    def report(cell, cell_index, **_):
        nonlocal done
        if cell.cell_type == "code" and not quiet:
            done += 1
            print(f"  cell {done}/{code_cells} done ({time.monotonic() - start:.0f} s)",
                  flush=True)

    os.environ.update(data_environment(notebook_path))
    # Matplotlib must not try to open a window when there is no screen.
    os.environ.setdefault("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    with tempfile.TemporaryDirectory(prefix="bn-execute-") as scratch:
        workdir = Path(scratch) / notebook_path.parent.name
        shutil.copytree(notebook_path.parent, workdir,
                        ignore=shutil.ignore_patterns("__pycache__", ".OTTER_LOG", "*.zip"))
        client = NotebookClient(
            notebook,
            timeout=timeout_per_cell,
            kernel_name="python3",
            resources={"metadata": {"path": str(workdir)}},
            on_cell_executed=report,
        )
        start = time.monotonic()
        client.execute()
    notebook.metadata[EXECUTED_STAMP] = stamp
    nbformat.write(notebook, notebook_path)
    return time.monotonic() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("notebook", type=Path,
                        help="the notebook, or a folder holding exactly one (solutions/<name>)")
    parser.add_argument("--timeout", type=int, default=900, help="seconds allowed per cell")
    parser.add_argument("--if-stale", action="store_true",
                        help="do nothing when the notebook was executed from what it is now")
    args = parser.parse_args(argv)
    if args.notebook.is_dir():
        found = sorted(args.notebook.glob("*.ipynb"))
        if len(found) != 1:
            parser.error(f"{args.notebook} holds {len(found)} notebooks; name the one to run")
        args.notebook = found[0]
    if args.if_stale and is_current(args.notebook):
        print(f"{args.notebook} is up to date: executed from its current cells and files")
        return 0
    print(f"executing {args.notebook}")
    try:
        seconds = execute(args.notebook, args.timeout)
    except CellExecutionError as error:
        print(f"{args.notebook}: a cell failed:\n{error}", file=sys.stderr)
        return 1
    print(f"executed {args.notebook} in {seconds:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
