"""A new assignment is only a folder: the tiny assignment of tiny_assignment.py, written into a
copy of the project that holds nothing else, is built, graded and packaged by the Makefile's own
targets, with no change to the engine."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
import zipfile

import pytest

import tiny_assignment as tiny


def make(root, *targets, **variables):
    command = ["make", "--no-print-directory", "-C", str(root), *targets,
               *(f"{name}={value}" for name, value in variables.items())]
    env = {key: value for key, value in os.environ.items() if key != "ASSIGNMENT"}
    done = subprocess.run(command, capture_output=True, text=True, timeout=900, env=env)
    assert done.returncode == 0, f"{' '.join(command)} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    root = tiny.write_project(tmp_path_factory.mktemp("project"))
    make(root, "template")
    return root


def test_the_build_makes_its_template_and_solutions(project):
    template = (project / "student_template/tiny/tinypkg/ops.py").read_text()
    solution = (project / "solutions/tiny/tinypkg/ops.py").read_text()
    assert "return x * x" in solution and "return x * x" not in template
    assert "NotImplementedError" in template
    notebook = json.loads((project / "student_template/tiny/Tiny.ipynb").read_text())
    text = json.dumps(notebook)
    assert "from tinypkg.ops import square" in text
    assert "a product of two numbers of the same sign" not in text  # the written answer
    assert (project / "solutions/tiny/tests/square.py").is_file()


def test_make_grade_grades_its_demo_with_one_column_per_question(project, tmp_path):
    out = tmp_path / "grades"
    make(project, "grade", OUT=out)
    with open(out / "grades.csv", newline="") as handle:
        rows = {row["submission"]: row for row in csv.DictReader(handle)}
    assert set(tiny.POINTS) <= set(next(iter(rows.values())))
    full = sum(tiny.POINTS.values())
    by_name = {name.removesuffix(".zip"): row for name, row in rows.items()}
    assert float(by_name["reference"]["total"]) == full
    assert float(by_name["untouched template"]["total"]) == 0
    mistake = by_name["forgot the scale"]
    assert float(mistake["square"]) == tiny.POINTS["square"]
    assert float(mistake["scaled_sum"]) == 0
    feedback = (out / "forgot the scale" / "feedback.md").read_text()
    assert "Tiny Arithmetic" in feedback
    assert "must be scale \\* the sum of x's entries" in feedback  # markdown-escaped


def test_its_gradescope_zip_grades_a_submission(project, tmp_path):
    make(project, "autograder")
    bundle = project / "dist/tiny/autograder.zip"
    names = zipfile.ZipFile(bundle).namelist()
    assert "files/assignment/tiny/checks/__init__.py" in names
    assert not [name for name in names if "cs231n" in name or "batchnorm" in name]
    root = tmp_path / "autograder"
    for folder in ("source", "submission", "results"):
        (root / folder).mkdir(parents=True)
    zipfile.ZipFile(bundle).extractall(root / "source")
    submission = root / "submission"
    (submission / "tinypkg").mkdir()
    (submission / "tinypkg/ops.py").write_text(
        (project / "solutions/tiny/tinypkg/ops.py").read_text())
    (submission / "Tiny.ipynb").write_text(
        (project / "solutions/tiny/Tiny.ipynb").read_text())
    env = {**os.environ, "AUTOGRADER_ROOT": str(root), "AUTOGRADER_PYTHON": sys.executable}
    env.pop("ASSIGNMENT", None)
    done = subprocess.run(["bash", str(root / "source/run_autograder")], env=env,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    results = json.loads((root / "results/results.json").read_text())
    scores = {test["name"].split(":")[0]: test["score"] for test in results["tests"]}
    assert results["score"] == sum(tiny.POINTS.values()), results
    assert scores and all(score > 0 for score in scores.values())
