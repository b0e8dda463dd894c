"""Every target that builds things leaves the committed files as they are: run them in a fresh
clone of the repository and ask git. The demos `make grade` graded there are checked too."""

import csv
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from autograder import manifest, paths

# The targets that write files: generated folders, zips, the demo, the gradebook.
BUILDING_TARGETS = ["handout", "template", "solutions", "assign", "autograder", "demo", "grade"]
# The second assignment's, but for executing its notebook (the first's `assign` covers that path).
DROPOUT_TARGETS = ["template", "handout", "autograder", "demo", "grade"]


def run(command, cwd, timeout=900):
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, f"{' '.join(command)} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


@pytest.fixture(scope="module")
def clone(tmp_path_factory):
    if shutil.which("git") is None or not (paths.ROOT / ".git").exists():
        pytest.skip("needs git and the repository's history")
    folder = tmp_path_factory.mktemp("clone") / "repo"
    run(["git", "clone", "--quiet", str(paths.ROOT), str(folder)], cwd=folder.parent)
    return folder


@pytest.fixture(scope="module")
def built(clone, tmp_path_factory):
    """The clone after every building target, each checked to leave the committed files as
    they are. The clone uses this environment: its Python, and a stamp newer than the clone's
    requirements so that make never builds (or removes) an environment there."""
    stamp = tmp_path_factory.mktemp("stamp") / "installed"
    stamp.touch()
    python = Path(sys.executable)
    make = ["make", "--no-print-directory", f"PY={python}", f"STAMP={stamp}",
            f"VENV={stamp.parent / 'no-venv'}"]
    runs = [(target, []) for target in BUILDING_TARGETS]
    runs += [(target, ["ASSIGNMENT=dropout"]) for target in DROPOUT_TARGETS]
    for target, variables in runs:
        run([*make, target, *variables], cwd=clone)
        status = run(["git", "status", "--porcelain", "--untracked-files=all"], cwd=clone)
        assert status == "", f"`make {target} {' '.join(variables)}` changed committed files:\n{status}"
    return clone


def test_building_targets_leave_committed_files_unchanged(built):
    for name, handout in (("batchnorm", "BatchNormalization"), ("dropout", "Dropout")):
        assert (built / "dist" / name / f"{handout}-student.zip").is_file()
        assert (built / "dist" / name / "autograder.zip").is_file()
        assert (built / "grades" / name / "grades.csv").is_file()
    expect_demo_verdicts(built / "grades" / "dropout" / "grades.csv", manifest.load("dropout"))


def test_the_batchnorm_demo_grades_as_described(built):
    """`make grade`'s default, the BatchNorm demo (tests/test_demo.py checks how it is built):
    the verdicts every demo gets (expect_demo_verdicts), and each typical mistake points off
    where it lives (Zoë Dupont's on the speed question alone)."""
    assignment = manifest.load("batchnorm")
    gradebook = built / "grades" / "batchnorm" / "grades.csv"
    expect_demo_verdicts(gradebook, assignment)
    rows = gradebook_rows(gradebook)
    # Zoë Dupont's alt calls the staged backward: right values, no speedup.
    speed = assignment.questions["bn_backward_alt_speed"].points
    assert rows["Zoë Dupont"]["bn_backward_alt_speed"] == "0"
    assert rows["Zoë Dupont"]["total"] == f"{assignment.auto_points - speed:g}"
    lost = {"cache order": "bn_backward", "eps hard-coded": "bn_backward_alt",
            "test mode without gamma": "bn_forward_test",
            "last W not regularized": "fc_net_batchnorm", "layernorm axis 0": "ln_backward"}
    for name, question in lost.items():
        assert rows[name]["status"] == "ok", name
        assert float(rows[name][question]) < assignment.questions[question].points, name
    assert rows["syntax error"]["status"].startswith("SyntaxError in layers.py line ")
    assert rows["notebook only"]["status"] == "no cs231n/layers.py"


def gradebook_rows(gradebook: Path) -> dict[str, dict]:
    with open(gradebook, newline="") as handle:
        return {row["submission"]: row for row in csv.DictReader(handle)}


def expect_demo_verdicts(gradebook: Path, assignment) -> None:
    """The demo's verdicts: the reference full marks, the untouched template, the syntax error
    and the notebook alone nothing, and each typical mistake some points but not all."""
    totals = {name: float(row["total"]) for name, row in gradebook_rows(gradebook).items()}
    full = assignment.auto_points
    standard = {"reference": full, "untouched template": 0, "syntax error": 0, "notebook only": 0}
    for name, total in standard.items():
        assert totals.pop(name) == total, (name, total)
    mistakes = tomllib.loads((assignment.folder / "mistakes.toml").read_text())["mistake"]
    assert sorted(totals) == sorted(mistake["name"] for mistake in mistakes)
    wrong = {name: total for name, total in totals.items() if not 0 < total < full}
    assert not wrong, f"typical mistakes that should lose some points, not all: {wrong}"
