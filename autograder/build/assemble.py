"""Build an assignment's student template and reference solutions from `assignment/`.

`assignment/` is the only hand-edited source. This module turns one assignment of it (its
folder `assignment/<name>/` and the course's package) into the generated folders:

- `student_template/<name>/`: otter assign's student notebook and public tests, plus the
  package with every solution region replaced by a stub that raises NotImplementedError;
- `solutions/<name>/`: otter assign's solved notebook, the public tests, and the package with
  this assignment's solution markers removed (the reference implementation); the regions of the
  course's other assignments are stubs there too.

The notebook's question cells get their points from the assignment's manifest (one declaration:
a cell that states other points stops the build).

Both also get generated copies of `autograder/build/written_answers.py` (the export cell renders the
written answers' PDF with it) and `autograder/build/handout.py` (the first cell's requirements check and
the export cell), since the handout has no `autograder` package, and `requirements.txt`: the
student-side packages, closed over their dependencies and pinned as `constraints.txt` pins them.
The student template also gets the handout's README (`assignment/<name>/README.md`). An executed
solutions notebook is kept when only execution distinguishes it from the fresh build. A build
whose stamp (built_from.py) says nothing changed on either side is skipped (`--force` builds).

otter assign strips notebook cells only, so the `.py` solution regions are handled by
regions.py. Each build step is a small function that can be tested on its own.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import sys
import tempfile
import zipfile
from pathlib import Path

from autograder import manifest, paths
from autograder.build import built_from, notebooks, otter_command, pins
from autograder.build.regions import BuildError, make_solution_source, make_template_source


# Notebook metadata that changes between runs without changing the assignment.
VOLATILE_NOTEBOOK_METADATA = ("widgets", "varInspector", "toc")

# The one fixed timestamp of every zip the project writes (the handout, the Gradescope
# autograder, the demo submissions): it keeps them byte-for-byte reproducible.
ZIP_TIMESTAMP = (2024, 1, 1, 0, 0, 0)


def write_package(source_dir: Path, dest_dir: Path, transform) -> None:
    """Copy a package tree, passing each .py file through `transform(text, relative_path)`."""
    for path in sorted(source_dir.rglob("*")):
        relative = path.relative_to(source_dir.parent)
        if "__pycache__" in path.parts or path.is_dir() or path.suffix == ".pyc":
            continue
        target = dest_dir.parent / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        if path.suffix == ".py":
            text = path.read_text(encoding="utf-8")
            target.write_text(transform(text, relative.as_posix()), encoding="utf-8")
        else:
            shutil.copyfile(path, target)


def run_otter_assign(master: Path, result_dir: Path) -> tuple[Path, Path]:
    """Run otter assign into `result_dir`; return its (student, autograder) folders."""
    completed = otter_command.run("assign", "--no-pdfs", str(master), str(result_dir))
    if completed.returncode != 0:
        raise BuildError(
            f"otter assign failed on {master}:\n{completed.stdout}\n{completed.stderr}"
        )
    return result_dir / "student", result_dir / "autograder"


def drop_answer_prompts(notebook: dict) -> None:
    """Remove otter's empty answer prompt where the reference answer follows it (solutions)."""
    cells = notebook["cells"]

    def tagged(cell, tag):
        return tag in cell.get("metadata", {}).get("tags", [])

    notebook["cells"] = [
        cell for cell, following in zip(cells, [*cells[1:], None])
        if not (tagged(cell, "otter_answer_cell") and following is not None
                and tagged(following, "otter_assign_solution_cell"))
    ]


def normalize_notebook(path: Path, steps=()) -> None:
    """Rewrite a notebook with stable metadata, no outputs and sorted keys, so builds repeat;
    `steps` are further transformations of the notebook's JSON, applied in order."""
    notebook = json.loads(path.read_text(encoding="utf-8"))
    for step in steps:
        step(notebook)
    for key in VOLATILE_NOTEBOOK_METADATA:
        notebook.get("metadata", {}).pop(key, None)
    for cell in notebook["cells"]:
        if cell["cell_type"] == "code":
            cell["outputs"] = []
            cell["execution_count"] = None
        cell.pop("id", None)
    notebook["nbformat_minor"] = min(notebook.get("nbformat_minor", 4), 4)
    path.write_text(json.dumps(notebook, indent=1, sort_keys=True, ensure_ascii=False) + "\n",
                    encoding="utf-8")


# Tools the notebook itself runs, copied next to it: {name in the folder: the one source}.
NOTEBOOK_TOOLS = {name: Path(__file__).resolve().with_name(name)
                  for name in ("written_answers.py", "handout.py")}
# The handout's README (in the assignment's folder): what a student reads first, copied as it is.
HANDOUT_README = "README.md"
# What a student installs (the handout's requirements.txt): these packages and everything they
# pull in, each at the version constraints.txt pins (the tested environment).
STUDENT_PACKAGES = ("otter-grader", "numpy", "matplotlib", "scikit-learn", "nbformat",
                    "nbconvert", "latex2mathml", "ipykernel", "jupyterlab")
REQUIREMENTS_HEADER = """\
# The packages the notebook needs, pinned to the versions the course tested (Python 3.11; they
# also install on 3.12 and 3.13). Install them all into the environment .venv, in a terminal
# in this folder:  .venv\\Scripts\\python -m pip install -r requirements.txt   (Windows)
#                  .venv/bin/python -m pip install -r requirements.txt        (macOS, Linux)
# README.md says more. Generated by `make assign` from the course's constraints.txt.
"""


def generated_copy(source: Path) -> str:
    """`source` with a first line saying where it comes from, so nobody edits the copy."""
    origin = source.relative_to(paths.ROOT).as_posix()
    return (f"# Generated by `make assign` from {origin}: do not edit this copy, edit that file.\n"
            + source.read_text(encoding="utf-8"))


def student_requirements(constraints: Path = paths.ROOT / "constraints.txt",
                         packages=STUDENT_PACKAGES, requires=None) -> str:
    """The handout's requirements.txt: `packages` closed over their dependencies, pinned as
    `constraints` pins them, sorted by name."""
    try:
        return REQUIREMENTS_HEADER + pins.pinned_closure(packages, constraints, requires)
    except pins.UnpinnedError as error:
        raise BuildError(str(error)) from None


QUESTION_START = "# BEGIN QUESTION"
POINTS_LINE = re.compile(r"^points:\s*(?P<points>\S+)\s*$", re.MULTILINE)
NAME_LINE = re.compile(r"^name:\s*(?P<name>\S+)\s*$", re.MULTILINE)


def question_points(notebook: dict, assignment: manifest.Manifest) -> dict:
    """The master notebook with each question cell's points set from the manifest, so that the
    points a student sees are the points the grader gives. A cell that states points of its own
    must state the manifest's; every question the manifest declares must have its cell."""
    wanted = assignment.notebook_points()
    where = assignment.folder / assignment.notebook
    seen = set()
    for cell in notebook["cells"]:
        source = "".join(cell.get("source", ""))
        if cell.get("cell_type") != "raw" or not source.startswith(QUESTION_START):
            continue
        name = NAME_LINE.search(source)
        if not name or name["name"] not in wanted:
            raise BuildError(f"{where}: question cell {name['name'] if name else '(unnamed)'} "
                             f"is not declared in {assignment.folder / manifest.FILE}")
        points = wanted[name["name"]]
        stated = POINTS_LINE.search(source)
        if stated and float(stated["points"]) != points:
            raise BuildError(f"{where}: question cell {name['name']} says points: "
                             f"{stated['points']}, but {manifest.FILE} gives it {points:g}; "
                             "declare points only in the manifest")
        if not stated:
            source = source.rstrip("\n") + f"\npoints: {points:g}"
        cell["source"] = source
        seen.add(name["name"])
    missing = sorted(set(wanted) - seen)
    if missing:
        raise BuildError(f"{where}: no question cell for {', '.join(missing)}, which "
                         f"{manifest.FILE} declares")
    return notebook


def master_with_points(assignment: manifest.Manifest, scratch: Path) -> Path:
    """A copy of the master notebook in `scratch`, its question cells given their points."""
    master = assignment.folder / assignment.notebook
    notebook = question_points(json.loads(master.read_text(encoding="utf-8")), assignment)
    copy = scratch / assignment.notebook
    copy.write_text(json.dumps(notebook, indent=1, ensure_ascii=False), encoding="utf-8")
    return copy


def assemble(destination: Path, notebook: Path, tests_dir: Path, package_transform,
             assignment: manifest.Manifest, notebook_steps=(), requirements: str = "",
             readme: bool = False) -> None:
    """Lay out one generated folder: the notebook, its public tests, its tools, the handout's
    requirements.txt (and README when `readme`), and the package.

    An executed notebook already there stays as it is when only execution distinguishes it
    from the new one (`make solutions` executes it again when its inputs changed)."""
    notebook_path = destination / notebook.name
    earlier = notebook_path.read_bytes() if notebook_path.is_file() else None
    shutil.rmtree(destination, ignore_errors=True)
    destination.mkdir(parents=True)
    shutil.copyfile(notebook, notebook_path)
    normalize_notebook(notebook_path, notebook_steps)
    if earlier is not None and notebooks.same_but_for_execution(earlier, notebook_path):
        notebook_path.write_bytes(earlier)
    shutil.copytree(tests_dir, destination / "tests")
    for name, source in NOTEBOOK_TOOLS.items():
        (destination / name).write_text(generated_copy(source), encoding="utf-8")
    if readme:
        shutil.copyfile(assignment.folder / HANDOUT_README, destination / "README.md")
    (destination / "requirements.txt").write_text(requirements, encoding="utf-8")

    def transform(text: str, relative: str) -> str:
        return package_transform(text, relative, assignment.name)

    write_package(assignment.package_source, destination / assignment.package, transform)


def generated_folders(assignment: manifest.Manifest, root: Path = paths.ROOT) -> tuple[Path, Path]:
    """`student_template/<name>/` and `solutions/<name>/` under `root`."""
    return root / "student_template" / assignment.name, root / "solutions" / assignment.name


def build(assignment: manifest.Manifest, root: Path = paths.ROOT) -> tuple[Path, Path]:
    """Regenerate `student_template/<name>/` and `solutions/<name>/` under `root` from the
    assignment's folder and the course's package, with the stamp of what they were built from
    (built_from.py); return them."""
    template, solutions = generated_folders(assignment, root)
    with tempfile.TemporaryDirectory(prefix="otter-assign-") as scratch:
        master = master_with_points(assignment, Path(scratch))
        student, autograder = run_otter_assign(master, Path(scratch) / "dist")
        public_tests = student / "tests"
        requirements = student_requirements()
        assemble(template, student / assignment.notebook, public_tests, make_template_source,
                 assignment, requirements=requirements, readme=True)
        assemble(solutions, autograder / assignment.notebook, public_tests,
                 make_solution_source, assignment, [drop_answer_prompts],
                 requirements=requirements)
    built_from.write(assignment, template, solutions)
    return template, solutions


def zip_folder(folder: Path, archive: Path, top: str) -> Path:
    """Zip `folder` under the directory name `top`, with fixed timestamps and sorted entries."""
    archive.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as bundle:
        for path in sorted(folder.rglob("*")):
            if path.is_dir() or "__pycache__" in path.parts or path.name.startswith(".ipynb"):
                continue
            info = zipfile.ZipInfo(f"{top}/{path.relative_to(folder).as_posix()}", ZIP_TIMESTAMP)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            bundle.writestr(info, path.read_bytes())
    return archive


def handout_zip(assignment: manifest.Manifest, folder: Path = paths.DIST) -> Path:
    """Zip the assignment's student template for students: <folder>/<name>/<Handout>-student.zip,
    unzipping to the folder `handout_folder`."""
    archive = folder / assignment.name / f"{assignment.handout_folder}-student.zip"
    return zip_folder(assignment.template, archive, assignment.handout_folder)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--assignment", default=None,
                        help="the assignment to build (default: ASSIGNMENT=, else the course's)")
    parser.add_argument("--root", type=Path, default=paths.ROOT,
                        help="where to write student_template/ and solutions/ (default: the repo)")
    parser.add_argument("--handout", type=Path,
                        help="also zip student_template/<name>/ to this file for students")
    parser.add_argument("--force", action="store_true",
                        help="build even when the folders' stamp says they are up to date")
    args = parser.parse_args(argv)
    try:
        assignment = manifest.load(args.assignment) if args.assignment else manifest.current()
        template, solutions = generated_folders(assignment, args.root)
        if not args.force and built_from.is_current(assignment, template, solutions):
            print(f"{template} and {solutions} are up to date (built from the sources of now)")
        else:
            build(assignment, args.root)
            print(f"wrote {template} and {solutions}")
    except (BuildError, manifest.ManifestError) as error:
        print(f"build failed: {error}", file=sys.stderr)
        return 1
    if args.handout:
        zip_folder(template, args.handout, assignment.handout_folder)
        print(f"wrote {args.handout}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
