"""The handout on Pythons newer than the course's 3.11 (found on the PATH or under pyenv; skipped
when absent): the install from requirements.txt, the first cell's requirements check, every
public check through otter's grader.check with a finished package, and the written answers'
page; NOT the notebook end to end (tests/test_student_handout.py runs it on 3.11; its experiments
would take minutes more per version). Under a minute each (tests/test_student_handout.py says how
the environment is installed)."""

import glob
import json
import os
import shutil
import subprocess
import zipfile

import pytest

from autograder import paths
from autograder.build import assemble
from test_student_handout import fresh_environment, timed

# Run by another Python's fresh environment, in the unzipped handout: the first cell's check,
# every public check as the notebook runs it, and the page the written answers' PDF is made from.
PUBLIC_CHECKS = r'''
import json, sys
from pathlib import Path
sys.path.insert(0, ".")
import handout, otter, written_answers
notes = handout.check_requirements()
grader = otter.Notebook(tests_dir="tests")
results = {path.stem: bool(grader.check(path.stem, global_env={}).passed_all)
           for path in sorted(Path("tests").glob("*.py"))}
page = written_answers.answers_html(Path(handout.find_notebook()))
print("RESULTS " + json.dumps({"version": list(sys.version_info[:3]), "notes": notes,
                               "checks": results, "page": "Inline Question" in page}))
'''


def python_of(minor):
    """A Python 3.<minor> interpreter of this machine (on the PATH, or pyenv's), or None."""
    candidates = [shutil.which(f"python3.{minor}"),
                  *sorted(glob.glob(os.path.expanduser(f"~/.pyenv/versions/3.{minor}.*/bin/python3.{minor}")))]
    for candidate in filter(None, candidates):
        done = subprocess.run([candidate, "-c", "import sys; print(sys.version_info[:2])"],
                              capture_output=True, text=True)
        if done.returncode == 0 and done.stdout.strip() == f"(3, {minor})":
            return candidate
    return None


@pytest.mark.parametrize("minor", [12, 13])
def test_the_handout_installs_and_passes_its_public_checks_on_newer_pythons(minor, tmp_path):
    """Python 3.12 and 3.13: a fresh environment from the handout's requirements.txt (every
    pin has a wheel), the first cell silent, every public check passing with a finished package,
    the written answers' page made. Not the notebook end to end: that runs on 3.11 above."""
    python = python_of(minor)
    if python is None:
        pytest.skip(f"no Python 3.{minor} on this machine")
    archive = assemble.zip_folder(paths.STUDENT_TEMPLATE, tmp_path / "handout.zip",
                                  paths.HANDOUT_TOP)
    with zipfile.ZipFile(archive) as bundle:
        bundle.extractall(tmp_path)
    folder = tmp_path / paths.HANDOUT_TOP
    for relative in paths.STUDENT_FILES.values():  # the student's finished work
        shutil.copyfile(paths.SOLUTIONS / relative, folder / relative)
    venv = tmp_path / "venv"
    env = {key: value for key, value in os.environ.items()
           if key not in {"PYTHONPATH", "VIRTUAL_ENV", "CS231N_CIFAR10_DIR", "JUPYTER_PATH"}}
    installed = fresh_environment(python, venv, folder, env, "--only-binary=:all:",
                                  pip=False)
    printed, checked = timed([str(venv / "bin" / "python"), "-c", PUBLIC_CHECKS], cwd=folder,
                             env=env)
    print(f"\nPython 3.{minor}: installed in {installed:.0f} s, checked in {checked:.0f} s")
    (line,) = [line for line in printed.splitlines() if line.startswith("RESULTS ")]
    results = json.loads(line[len("RESULTS "):])
    assert results["version"][:2] == [3, minor]
    assert results["notes"] == []  # every pin installed as pinned; a supported Python
    assert len(results["checks"]) == len(list((folder / "tests").glob("*.py"))) > 0
    assert all(results["checks"].values()), results["checks"]
    assert results["page"]
