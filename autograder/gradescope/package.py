"""Build the Gradescope autograder zip (`make autograder`).

`otter generate` makes the scaffolding Gradescope expects (otter_config.json, the otter test
files' layout). Into it go, laid out as in the repository so that the engine finds them the same
way: the trusted judge (`files/autograder/`), the assignment's manifest and hidden checks
(`files/assignment/<name>/`, with a course.toml naming it the default), the reference package
(`files/solutions/<name>/<package>/`), the handout's package (`files/student_template/<name>/
<package>/`, which completes an upload of loose files), otter test files (`tests/`, one test case per hidden check, each asking the judge's
verdict: see otter_tests.py), and our own entry points: `setup.sh` (Miniforge's Python 3.11 with
exactly the tested environment: requirements.txt under constraints.txt, both shipped, plus the
sandbox's tools) and `run_autograder` (grades the submission's package with the judge and scores
it through those test files). otter's run_otter.py is left out: it executes the student's
notebook and unpickles its log inside the grading process, which is what the judge exists to avoid.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import zipfile
from pathlib import Path

from autograder import manifest, paths
from autograder.grading import otter_tests
from autograder.build import otter_command, pins
from autograder.gradescope.run import VISIBILITIES
from autograder.build.assemble import ZIP_TIMESTAMP
from autograder.build.regions import BuildError

ZIP_NAME = "autograder.zip"  # in dist/<assignment>/

# Gradescope's layout: this zip unpacked in /autograder/source, the upload in
# /autograder/submission, results.json expected in /autograder/results.
ENVIRONMENT_PREFIX = "/root/miniforge3/envs/otter-env"

RUN_AUTOGRADER = f"""\
#!/usr/bin/env bash
# Gradescope runs this for every submission: grade /autograder/submission with the trusted judge
# in files/, using the environment setup.sh built (its Python directly: no activation to fail).
# AUTOGRADER_ROOT and AUTOGRADER_PYTHON are for the project's quick tests; Gradescope sets neither.
set -u
ROOT="${{AUTOGRADER_ROOT:-/autograder}}"
PYTHON="${{AUTOGRADER_PYTHON:-{ENVIRONMENT_PREFIX}/bin/python}}"
status=0
if [ -x "$PYTHON" ]; then
  cd "$ROOT/source/files" && "$PYTHON" -m autograder.gradescope.run --root "$ROOT" || status=$?
else
  echo "no Python at $PYTHON: setup.sh did not finish building the environment"
  status=127
fi
# A grader that could not grade is not the student's failure: no results.json (a 0 would be
# recorded as their score), a non-zero exit, and Gradescope marks the run as failed for the staff
# to rerun. Why is on stdout, which Gradescope shows the staff only (tracebacks included).
if [ "$status" -ne 0 ] || [ ! -s "$ROOT/results/results.json" ]; then
  rm -f "$ROOT/results/results.json"
  echo "autograder failed (exit status $status): no results.json written; rerun this submission once the autograder is fixed"
  [ "$status" -ne 0 ] || status=1
  exit "$status"
fi
exit 0
"""

# Replaces otter's setup.sh, which installs what this autograder never uses (nb_conda_kernels,
# Playwright's browser, LaTeX for otter's PDFs) and pins only the direct requirements.
MINIFORGE_VERSION = "25.3.1-0"
SETUP_SH = f"""\
#!/usr/bin/env bash
# Gradescope runs this once, as root on Ubuntu 22.04, to build the image every submission is graded
# in. Every step is needed; any failure stops the build, so the upload page shows the error.
set -euxo pipefail
export DEBIAN_FRONTEND=noninteractive
SOURCE=/autograder/source
PREFIX=/root/miniforge3

# The sandbox student code runs in (files/autograder/sandbox/): bubblewrap and setpriv; iptables
# closes the workers' network where the container forbids namespaces; wget fetches Miniforge.
apt-get update
apt-get install -y --no-install-recommends bubblewrap util-linux iptables wget ca-certificates

# Python 3.11 (environment.yml), then the tested environment's pins of everything grading
# needs (requirements.txt, generated from the project's requirements and constraints.txt).
wget -nv -O "$SOURCE/miniforge.sh" \
  "https://github.com/conda-forge/miniforge/releases/download/{MINIFORGE_VERSION}/Miniforge3-Linux-$(uname -m).sh"
bash "$SOURCE/miniforge.sh" -b -p "$PREFIX"
"$PREFIX/bin/mamba" env create -f "$SOURCE/environment.yml"
"{ENVIRONMENT_PREFIX}/bin/python" -m pip install --no-cache-dir \
  -r "$SOURCE/requirements.txt" -c "$SOURCE/constraints.txt"
"{ENVIRONMENT_PREFIX}/bin/python" -m pip check

# Workers run as uids no account owns: they pass through /root to the environment (not list it).
chmod o+x /root

# The image works: the judge imports, the sandbox's tools are there.
cd "$SOURCE/files" && "{ENVIRONMENT_PREFIX}/bin/python" -c "import autograder.gradescope.run"
command -v bwrap setpriv
"""

ENVIRONMENT_YML = """\
# The Python setup.sh installs the pinned requirements into (requirements.txt, constraints.txt).
name: otter-env
channels:
  - conda-forge
dependencies:
  - python=3.11
  - pip
"""

# Direct requirements of the project that grading never imports, left out of the image.
NOT_FOR_GRADING = {"jupyterlab": "the students' notebook front end",
                   "copydetect": "make similarity, on the instructor's machine",
                   "uv": "make venv's installer"}
GRADING_HEADER = """\
# What the autograder's Python gets: the project's requirements.txt but what grading never
# imports ({left_out}), with everything they pull in, pinned as the tested
# environment's constraints.txt pins them. Generated by `make autograder`.
"""


def grading_requirements() -> str:
    """The zip's requirements.txt: the tested pins of everything grading needs, and no more."""
    from packaging.requirements import Requirement

    direct = [line.split("#", 1)[0].strip()
              for line in (paths.ROOT / "requirements.txt").read_text().splitlines()]
    needed = [line for line in direct if line and pins.canonical(Requirement(line).name)
              not in NOT_FOR_GRADING]
    try:
        closure = pins.pinned_closure(needed)
    except pins.UnpinnedError as error:
        raise BuildError(str(error)) from None
    return GRADING_HEADER.format(left_out=", ".join(NOT_FOR_GRADING)) + closure


# Gradescope's default timeout, and the share of it the judge may use: the rest is for starting
# Python, the self-check, and writing results.json before Gradescope stops the run.
DEFAULT_TIME_LIMIT = 600.0
GRADING_SHARE = 0.7

DROPPED = {"run_otter.py"}
EXECUTABLE = {"run_autograder", "setup.sh"}


def stage(folder: Path, assignment: manifest.Manifest) -> list[str]:
    """Copy the judge, the assignment's manifest and checks, its reference and its handout's
    package (which completes a submission of loose files) into `folder`, each where the
    repository keeps it; return the names to pass to otter."""
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(paths.ROOT / "autograder", folder / "autograder", ignore=ignore)
    shipped = folder / "assignment" / assignment.name
    shipped.mkdir(parents=True)
    shutil.copyfile(assignment.folder / manifest.FILE, shipped / manifest.FILE)
    shutil.copytree(assignment.checks_folder, shipped / manifest.CHECKS_FOLDER, ignore=ignore)
    (folder / "assignment" / manifest.COURSE_FILE).write_text(
        f'# This autograder grades one assignment.\ndefault = "{assignment.name}"\n')
    for package, kind in ((assignment.reference_package, "solutions"),
                          (assignment.handout_package, "student_template")):
        if not any(package.glob("*.py")):
            raise BuildError(f"no package in {package}: run `make assign "
                             f"ASSIGNMENT={assignment.name}` first")
        shutil.copytree(package, folder / kind / assignment.name / assignment.package,
                        ignore=ignore)
    otter_tests.write_test_files(folder / "tests")
    return ["autograder", "assignment", "solutions", "student_template"]


def run_otter_generate(folder: Path, names: list[str], output: Path) -> None:
    done = otter_command.run("generate", "-t", "tests", "-o", str(output),
                             "--python-version", "3.11", "-r", str(paths.ROOT / "requirements.txt"),
                             "--no-config", "--no-environment", *names, cwd=folder)
    if done.returncode != 0:
        raise BuildError(f"otter generate failed:\n{done.stdout}\n{done.stderr}")


def finish(generated: Path, destination: Path) -> None:
    """Rewrite otter's zip: our run_autograder, setup.sh, environment.yml and pins, no
    run_otter.py, fixed timestamps and modes."""
    destination.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(generated) as source, \
            zipfile.ZipFile(destination, "w", zipfile.ZIP_DEFLATED) as target:
        entries = {name: source.read(name) for name in source.namelist()
                   if not name.endswith("/") and name not in DROPPED}
        entries["run_autograder"] = RUN_AUTOGRADER.encode()
        entries["setup.sh"] = SETUP_SH.encode()
        entries["environment.yml"] = ENVIRONMENT_YML.encode()
        entries["requirements.txt"] = grading_requirements().encode()
        entries["constraints.txt"] = (paths.ROOT / "constraints.txt").read_bytes()
        for name in sorted(entries):
            info = zipfile.ZipInfo(name, ZIP_TIMESTAMP)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = (0o755 if name in EXECUTABLE else 0o644) << 16
            target.writestr(info, entries[name])


def default_destination() -> Path:
    return paths.DIST / manifest.current().name / ZIP_NAME


def build_autograder_zip(destination: Path | None = None, visibility: str = "visible",
                         time_limit: float = DEFAULT_TIME_LIMIT) -> Path:
    """The zip to upload to Gradescope; `visibility` says when students see each question's test
    (one of gradescope.VISIBILITIES), `time_limit` is the assignment's timeout on Gradescope, in
    seconds (the judge stops itself at GRADING_SHARE of it, so results.json is written in time)."""
    destination = destination or default_destination()
    with tempfile.TemporaryDirectory(prefix="autograder-zip-") as scratch:
        folder = Path(scratch)
        names = stage(folder, manifest.current())
        shipped = {"visibility": visibility, "grading_seconds": GRADING_SHARE * time_limit}
        (folder / "gradescope.json").write_text(json.dumps(shipped) + "\n")
        names.append("gradescope.json")
        generated = folder / "otter.zip"
        run_otter_generate(folder, names, generated)
        finish(generated, destination)
    return destination


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=None,
                        help="where to write the zip (default dist/<assignment>/autograder.zip)")
    parser.add_argument("--visibility", default="visible", choices=VISIBILITIES,
                        help="when students see each question's test on Gradescope (the overall "
                             "score and output are always visible; default %(default)s)")
    parser.add_argument("--time-limit", type=float, default=DEFAULT_TIME_LIMIT,
                        help="the autograder timeout set on Gradescope, in seconds (default "
                             "%(default)g: Gradescope's); the judge stops at "
                             f"{GRADING_SHARE:.0%} of it, keeping the verdicts reached")
    args = parser.parse_args(argv)
    if args.time_limit < 120:
        parser.error("--time-limit below 120 s leaves too little to grade in (the reference "
                     "takes about 10 s at half a CPU; a hang costs 10 s per function)")
    try:
        path = build_autograder_zip(args.output, args.visibility, args.time_limit)
    except BuildError as error:
        print(f"autograder build failed: {error}", file=sys.stderr)
        return 1
    print(f"wrote {path}: upload it to Gradescope as the assignment's autograder")
    return 0


if __name__ == "__main__":
    sys.exit(main())
