"""Otter's own commands (`otter assign`, `otter generate`), run with this Python.

`run("assign", ...)` is `python -m otter assign ...`, its output captured.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """`otter ARGS...` run with this Python, its output captured (the caller checks the status)."""
    return subprocess.run([sys.executable, "-m", "otter", *args], cwd=cwd,
                          capture_output=True, text=True)
