"""A student's whole path, from the handout zip alone: a fresh virtual environment installed from
the handout's requirements.txt, the notebook (saved under a browser's name for a second
download) run end to end with a finished package, the export cell's zip graded by make grade.

The install: uv (the project's pinned installer) installs requirements.txt into the fresh
environment, in seconds where pip takes two minutes; every line is pinned, so the two install the
same packages. On the course's Python, pip itself, as the student's, must also accept the file (a
dry run, beside the notebook's run).

What runs on which Python:
- Python 3.11 (this interpreter, the course's): the whole path above (install, the notebook end
  to end, its export graded by make grade and on Gradescope). About 5 minutes.
- Python 3.12 and 3.13: tests/test_handout_newer_pythons.py (a file of its own, so that the
  test runner's workers take it beside this one).
"""

import csv
import os
import shutil
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from autograder import paths
from autograder.build import assemble
from autograder.checks import QUESTIONS
from autograder.build.written_answers import RenderError, chromium

RENAMED = "BatchNormalization (1).ipynb"  # what a browser calls a second download

# Run by the fresh environment's Python: the notebook in its Jupyter kernel, cell by cell, saved
# (as File > Save does) just before the export cell, which reads the notebook as last saved.
RUNNER = r'''
import sys
import nbformat
from nbclient import NotebookClient

path, executed = sys.argv[1], sys.argv[2]
notebook = nbformat.read(path, as_version=4)
client = NotebookClient(notebook, timeout=900, kernel_name="python3",
                        resources={"metadata": {"path": sys.argv[3]}})
last = max(i for i, cell in enumerate(notebook.cells) if cell.cell_type == "code")
with client.setup_kernel():
    for index, cell in enumerate(notebook.cells):
        if index == last:
            nbformat.write(notebook, path)
        client.execute_cell(cell, index)
    nbformat.write(notebook, executed)
    # Which Python the kernel ran on (a cell of the runner's, after the notebook's).
    notebook.cells.append(nbformat.v4.new_code_cell("import sys; print(sys.prefix)"))
    client.execute_cell(notebook.cells[-1], len(notebook.cells) - 1)
print("KERNEL PREFIX", notebook.cells[-1].outputs[0]["text"].strip())
'''


def fresh_environment(python, venv: Path, folder: Path, env: dict, *install_options,
                      pip: bool = True) -> float:
    """Seconds to make `venv` with `python` and install the handout's requirements.txt into it:
    with uv where it is installed beside this Python (as `make venv` puts it), else, or where
    uv fails (it reaches the index otherwise than pip), with pip. `pip=False`: the environment
    gets pip only if pip must install (ensurepip costs 6 s of CPU)."""
    start = time.monotonic()
    timed([python, "-m", "venv", *([] if pip else ["--without-pip"]), str(venv)], cwd=folder,
          env=env)
    new_python = str(venv / "bin" / "python")
    requirements = [*install_options, "-r", "requirements.txt"]
    uv = Path(sys.executable).parent / "uv"
    if uv.exists():
        done = subprocess.run([str(uv), "pip", "install", "--quiet", "--system-certs",
                               "--python", new_python, *requirements], cwd=folder, env=env,
                              capture_output=True, text=True, timeout=1200)
        if done.returncode == 0:
            return time.monotonic() - start
        print(f"uv could not install the handout's requirements; pip does:\n{done.stderr[-2000:]}")
    if not pip:
        timed([new_python, "-m", "ensurepip"], cwd=folder, env=env)
    timed([new_python, "-m", "pip", "install", "--quiet", *requirements], cwd=folder, env=env)
    return time.monotonic() - start


def timed(command, cwd, env=None, timeout=1200):
    start = time.monotonic()
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=timeout)
    assert done.returncode == 0, (f"{' '.join(map(str, command))} failed:\n"
                                  f"{done.stdout[-4000:]}\n{done.stderr[-4000:]}")
    return done.stdout, time.monotonic() - start


@pytest.fixture(scope="module")
def student(tmp_path_factory):
    """(the unzipped handout, after the notebook ran; the executed notebook; the kernel's
    printed prefix; the fresh environment; seconds to install; seconds to run)."""
    root = tmp_path_factory.mktemp("student")
    archive = assemble.zip_folder(paths.STUDENT_TEMPLATE, root / "handout.zip", paths.HANDOUT_TOP)
    with zipfile.ZipFile(archive) as bundle:
        bundle.extractall(root)
    folder = root / paths.HANDOUT_TOP
    for relative in (paths.STUDENT_FILES["layers.py"], paths.STUDENT_FILES["fc_net.py"]):  # the student's finished work
        shutil.copyfile(paths.SOLUTIONS / relative, folder / relative)
    (folder / paths.NOTEBOOK_NAME).rename(folder / RENAMED)

    venv = root / "venv"
    python = venv / "bin" / "python"
    base = getattr(sys, "_base_executable", sys.executable)
    env = {key: value for key, value in os.environ.items()
           if key not in {"PYTHONPATH", "VIRTUAL_ENV", "CS231N_CIFAR10_DIR", "JUPYTER_PATH"}}
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    install = fresh_environment(base, venv, folder, env)
    # pip's verdict on the same file, as a student's install would reach it (no change made).
    pip_log = root / "pip-dry-run.log"
    with open(pip_log, "w") as log:
        pip_dry_run = subprocess.Popen([str(python), "-m", "pip", "install", "--dry-run",
                                        "--quiet", "-r", "requirements.txt"], cwd=folder, env=env,
                                       stdout=log, stderr=subprocess.STDOUT)
    (root / "runner.py").write_text(RUNNER)
    executed = root / "executed.ipynb"
    printed, run = timed([str(python), str(root / "runner.py"), str(folder / RENAMED),
                          str(executed), str(folder)], cwd=folder, env=env)
    print(f"\nfresh environment installed in {install:.0f} s; notebook run in {run:.0f} s")
    assert pip_dry_run.wait(timeout=600) == 0, \
        f"pip rejects the handout's requirements.txt:\n{pip_log.read_text()[-4000:]}"
    import nbformat
    return folder, nbformat.read(executed, as_version=4), printed, venv, install, run


def test_the_notebook_runs_in_the_fresh_environment_and_every_public_check_passes(student):
    folder, notebook, printed, venv, install, run = student
    assert f"KERNEL PREFIX {venv}" in printed  # the kernel ran on the fresh environment
    errors = [output for cell in notebook.cells for output in cell.get("outputs", [])
              if output.output_type == "error"]
    assert errors == []
    checks = [cell for cell in notebook.cells
              if cell.cell_type == "code" and "grader.check(" in cell.source]
    assert len(checks) == 8
    for cell in checks:
        shown = "".join(output.get("data", {}).get("text/plain", "") for output in cell.outputs)
        assert "All test cases passed!" in shown, (cell.source, shown)
    first = next(cell for cell in notebook.cells if cell.cell_type == "code")
    assert "check_requirements()" in first.source and first.outputs == []  # nothing to say


def test_the_export_of_a_renamed_notebook_grades_in_full_with_make_grade(student, tmp_path):
    folder = student[0]
    (exported,) = folder.glob("BatchNormalization_*.zip")
    names = set(zipfile.ZipFile(exported).namelist())
    assert {RENAMED, paths.STUDENT_FILES["layers.py"], paths.STUDENT_FILES["fc_net.py"]} <= names
    try:
        chromium()
        assert "written_answers.pdf" in names
    except RenderError:
        assert "written_answers.pdf" not in names
    submissions = tmp_path / "submissions"
    submissions.mkdir()
    shutil.copyfile(exported, submissions / exported.name)
    stamp = tmp_path / "installed"  # this environment stands: make must not build one
    stamp.touch()
    out = tmp_path / "grades"
    timed(["make", "--no-print-directory", f"PY={sys.executable}", f"STAMP={stamp}",
           f"VENV={tmp_path / 'no-venv'}", "grade", f"SUBMISSIONS={submissions}",
           f"OUT={out}"], cwd=paths.ROOT)
    with open(out / "grades.csv", newline="") as file:
        (row,) = list(csv.DictReader(file))
    full = sum(question.points for question in QUESTIONS.values())
    assert float(row["total"]) == full, row
    assert row["status"].startswith("ok"), row


def test_the_export_of_a_renamed_notebook_grades_in_full_on_gradescope(student, tmp_path):
    from autograder.gradescope import package
    from test_gradescope import run_autograder

    (exported,) = student[0].glob("BatchNormalization_*.zip")
    autograder_zip = package.build_autograder_zip(tmp_path / "autograder.zip")

    def unzip_upload(submission):  # Gradescope unpacks the uploaded zip there
        with zipfile.ZipFile(exported) as bundle:
            bundle.extractall(submission)

    results = run_autograder(autograder_zip, tmp_path, unzip_upload)
    assert results["score"] == sum(question.points for question in QUESTIONS.values())
    for test in results["tests"]:
        assert test["score"] == test["max_score"] > 0, test["output"]
