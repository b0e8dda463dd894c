"""Execute a notebook top to bottom and save it with its outputs.

It runs in a scratch copy of the notebook's folder, so whatever the notebook writes (otter's log,
the submission zip of the export cell) stays out of the repository; only the executed notebook
comes back.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from autograder import paths


def cifar10_environment() -> dict[str, str]:
    """Point the notebook at the CIFAR-10 that `make data` downloaded, if there is one."""
    cifar = paths.DATA / "cifar-10-batches-py"
    return {"CS231N_CIFAR10_DIR": str(cifar)} if cifar.is_dir() else {}


def execute(notebook_path: Path, timeout_per_cell: int = 900, quiet: bool = False) -> float:
    """Run every cell of `notebook_path` and save it with its outputs; return the seconds taken.

    Raises CellExecutionError (with the failing cell's traceback) when a cell fails; the notebook
    on disk is left untouched in that case.
    """
    notebook_path = Path(notebook_path).resolve()
    notebook = nbformat.read(notebook_path, as_version=4)
    code_cells = sum(cell.cell_type == "code" for cell in notebook.cells)
    done = 0

    def report(cell, cell_index, **_):
        nonlocal done
        if cell.cell_type == "code" and not quiet:
            done += 1
            print(f"  cell {done}/{code_cells} done ({time.monotonic() - start:.0f} s)",
                  flush=True)

    os.environ.update(cifar10_environment())
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
    nbformat.write(notebook, notebook_path)
    return time.monotonic() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("notebook", type=Path)
    parser.add_argument("--timeout", type=int, default=900, help="seconds allowed per cell")
    args = parser.parse_args(argv)
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
