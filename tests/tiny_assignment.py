"""A third assignment, the smallest there can be, written by the tests into a copy of the project:
its manifest, master notebook, package with one solution region, hidden checks and one demo
mistake. Nothing else is added: if the engine can build, grade and package it, a new assignment
is only a folder.

`write_project(root)` lays out a project at `root` (the engine, the Makefile and the pins,
copied; this project's .venv linked) holding only this assignment.
"""

from __future__ import annotations

import json
import shutil
import textwrap
from pathlib import Path

from autograder import paths

NAME = "tiny"
PACKAGE = "tinypkg"
POINTS = {"square": 3, "scaled_sum": 2}
WRITTEN_POINTS = {"why_square": 1}

MANIFEST = f'''\
name = "{NAME}"
title = "Tiny Arithmetic"
notebook = "Tiny.ipynb"
handout_folder = "Tiny"
package = "{PACKAGE}"
student_files = {{ "ops.py" = "{PACKAGE}/ops.py" }}
import_modules = ["{PACKAGE}.ops"]
self_check = "square"

[[questions]]
name = "square"
points = {POINTS["square"]}
title = "square, entry by entry"

[[questions]]
name = "scaled_sum"
points = {POINTS["scaled_sum"]}
title = "scaled sum"

[[written]]
name = "why_square"
points = {WRITTEN_POINTS["why_square"]}
title = "Why square"
'''

OPS = f'''\
import numpy as np


def square(x):
    """x * x, entry by entry, for an array x of any shape."""
    # BEGIN SOLUTION {NAME}
    return x * x
    # END SOLUTION


def scaled_sum(x, scale):
    """scale times the sum of the entries of x (a float)."""
    # BEGIN SOLUTION {NAME}
    return float(scale * np.sum(x))
    # END SOLUTION
'''

CHECKS = '''\
"""Hidden checks of the tiny assignment."""

import numpy as np

from autograder.checks.base import CheckFailed, check, target


@check("square", "squares every entry", 1)
def squares(ctx):
    x = np.linspace(-3.0, 3.0, 13)
    out = np.asarray(ctx.call(target("ops", "square"), x, what="square"))
    if out.shape != x.shape or not np.allclose(out, x * x):
        raise CheckFailed("square(x) must be x * x, entry by entry")


@check("scaled_sum", "scales the sum", 1)
def scales(ctx):
    x = np.arange(6.0).reshape(2, 3)
    out = ctx.call(target("ops", "scaled_sum"), x, 2.5, what="scaled_sum")
    if not np.isclose(float(out), 37.5):
        raise CheckFailed("scaled_sum(x, scale) must be scale * the sum of x's entries")
'''

MISTAKES = f'''\
[[mistake]]
name = "forgot the scale"
what = "scaled_sum returns the plain sum"
[[mistake.edit]]
file = "{PACKAGE}/ops.py"
function = "scaled_sum"
old = "return float(scale * np.sum(x))"
new = "return float(np.sum(x))"
'''


def cell(kind: str, source: str) -> dict:
    made = {"cell_type": kind, "metadata": {}, "source": textwrap.dedent(source).strip("\n")}
    if kind == "code":
        made.update(execution_count=None, outputs=[])
    return made


def public_tests(name: str, body: str) -> list[dict]:
    return [cell("raw", f"# BEGIN QUESTION\nname: {name}"),
            cell("code", f"from {PACKAGE}.ops import {name}"),
            cell("raw", "# BEGIN TESTS"), cell("code", body),
            cell("raw", "# END TESTS"), cell("raw", "# END QUESTION")]


def notebook() -> dict:
    cells = [
        cell("raw", """\
            # ASSIGNMENT CONFIG
            name: Tiny
            init_cell: false
            check_all_cell: false
            run_tests: false
            python_version: 3.11
            tests:
              files: true
              ok_format: false
            export_cell: false
            """),
        cell("code", """\
            import handout
            handout.check_requirements()
            import otter
            grader = otter.Notebook(handout.find_notebook(globals()))
            """),
        cell("markdown", "# Tiny Arithmetic\n\nFill in `tinypkg/ops.py`."),
        *public_tests("square", """\
            def test_square():
                import numpy as np
                from tinypkg.ops import square
                assert np.allclose(square(np.array([2.0, -3.0])), [4.0, 9.0])
            """),
        *public_tests("scaled_sum", """\
            def test_scaled_sum():
                import numpy as np
                from tinypkg.ops import scaled_sum
                assert abs(scaled_sum(np.ones(4), 0.5) - 2.0) < 1e-12
            """),
        cell("raw", "# BEGIN QUESTION\nname: why_square\nmanual: true"),
        cell("markdown", "## Why square\n\nWhy is a square never negative?"),
        cell("raw", "# BEGIN PROMPT"),
        cell("markdown", "**Your answer:** _Type your answer here._"),
        cell("raw", "# END PROMPT"),
        cell("raw", "# BEGIN SOLUTION"),
        cell("markdown", "**Your answer:** a product of two numbers of the same sign."),
        cell("raw", "# END SOLUTION"),
        cell("raw", "# END QUESTION"),
        cell("code", f"handout.export(grader, namespace=globals(), files=['{PACKAGE}/ops.py'])"),
    ]
    return {"cells": cells, "metadata": {"kernelspec": {"display_name": "Python 3",
                                                         "language": "python",
                                                         "name": "python3"}},
            "nbformat": 4, "nbformat_minor": 5}


def write_assignment(assignment_root: Path) -> Path:
    """assignment/tiny/ and assignment/tinypkg/ under `assignment_root`; returns the former."""
    folder = assignment_root / NAME
    (folder / "checks").mkdir(parents=True)
    (folder / "assignment.toml").write_text(MANIFEST)
    (folder / "Tiny.ipynb").write_text(json.dumps(notebook(), indent=1))
    (folder / "README.md").write_text("# Tiny Arithmetic\n\nOpen Tiny.ipynb and follow it.\n")
    (folder / "checks" / "__init__.py").write_text(CHECKS)
    (folder / "mistakes.toml").write_text(MISTAKES)
    package = assignment_root / PACKAGE
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "ops.py").write_text(OPS)
    return folder


def write_project(root: Path) -> Path:
    """A project at `root` with the engine and only the tiny assignment (the course default)."""
    for name in ("Makefile", "requirements.txt", "constraints.txt"):
        shutil.copy2(paths.ROOT / name, root / name)
    shutil.copytree(paths.ROOT / "autograder", root / "autograder",
                    ignore=shutil.ignore_patterns("__pycache__"))
    (root / ".venv").symlink_to(paths.ROOT / ".venv")
    (root / "assignment").mkdir()
    (root / "assignment" / "course.toml").write_text(f'default = "{NAME}"\n')
    write_assignment(root / "assignment")
    return root
