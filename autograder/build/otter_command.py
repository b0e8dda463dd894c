"""Otter's own commands (`otter assign`, `otter generate`) in a process that imports the engine
first, so that its import settings hold there too (autograder/__init__.py: 3 s less to start).

`python -m autograder.build.otter_command ARGS...` is `python -m otter ARGS...`; `run` starts it.
"""

from __future__ import annotations

import os
import runpy
import subprocess
import sys
from pathlib import Path

import autograder  # noqa: F401  (its import settings, before otter's imports)
from autograder import paths


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """`otter ARGS...` run with this Python, its output captured (the caller checks the status)."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(paths.ROOT), env.get("PYTHONPATH")]))
    return subprocess.run([sys.executable, "-m", __spec__.name, *args], cwd=cwd, env=env,
                          capture_output=True, text=True)


if __name__ == "__main__":
    runpy.run_module("otter", run_name="__main__", alter_sys=True)
