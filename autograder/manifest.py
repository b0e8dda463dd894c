"""An assignment, as its folder declares it: `assignment/<name>/assignment.toml`, read and validated.

The engine knows no assignment by name. Each process works on one, the *current* assignment:
the `ASSIGNMENT` environment variable (make's `ASSIGNMENT=`), else the course's default
(`assignment/course.toml`; a Gradescope autograder ships its own assignment as the default). Everything
that differs between assignments is asked of the `Manifest`: its files and folders, its
questions with their points and titles, its written questions, and its hidden checks (a Python
package in the assignment's folder, loaded under a name of its own).
"""

from __future__ import annotations

import functools
import importlib
import os
import sys
import tomllib
import types
from dataclasses import dataclass, field
from pathlib import Path

from autograder import paths

FILE = "assignment.toml"
COURSE_FILE = "course.toml"
SETTING = "ASSIGNMENT"
CHECKS_FOLDER = "checks"


class ManifestError(Exception):
    """An assignment that does not exist, or whose manifest is incomplete or inconsistent."""


@dataclass(frozen=True)
class QuestionSpec:
    """A question of the assignment: its gradebook column, points and title."""

    name: str
    points: float
    title: str
    notebook_question: str = ""  # the notebook's question cell that shows its points


@dataclass(frozen=True)
class Manifest:
    name: str
    title: str
    folder: Path  # assignment/<name>: the manifest, notebook, README, checks, mistakes
    notebook: str  # the notebook's file name
    handout_folder: str  # the folder students see when they unzip the handout
    package: str  # the package's name (its source: assignment/<package>)
    student_files: dict[str, str]  # loose upload name -> path in a submission
    import_modules: tuple[str, ...]
    self_check: str  # a quick question the reference must pass before a batch
    questions: dict[str, QuestionSpec] = field(default_factory=dict)
    written: dict[str, QuestionSpec] = field(default_factory=dict)
    # environment variable -> a folder under data/ its notebook reads when `make data` made it
    data_environment: dict[str, str] = field(default_factory=dict)

    # Where its generated files live ---------------------------------------------------------

    @property
    def package_source(self) -> Path:
        """The package with every assignment's solution regions (edited by hand)."""
        return paths.ASSIGNMENT / self.package

    @property
    def solutions(self) -> Path:
        return paths.SOLUTIONS_ROOT / self.name

    @property
    def template(self) -> Path:
        return paths.TEMPLATE_ROOT / self.name

    @property
    def reference_package(self) -> Path:
        """The reference the judge compares against: its solved package."""
        return self.solutions / self.package

    @property
    def handout_package(self) -> Path:
        """What a submission of loose files is completed with."""
        return self.template / self.package

    @property
    def checks_folder(self) -> Path:
        return self.folder / CHECKS_FOLDER

    @property
    def auto_points(self) -> float:
        return sum(question.points for question in self.questions.values())

    @property
    def written_points(self) -> float:
        return sum(question.points for question in self.written.values())

    def notebook_points(self) -> dict[str, float]:
        """The points each question cell of the notebook shows: auto-graded questions summed
        into the cell they name, written questions as declared."""
        points: dict[str, float] = {}
        for question in [*self.questions.values(), *self.written.values()]:
            cell = question.notebook_question or question.name
            points[cell] = points.get(cell, 0) + question.points
        return points

    def student_file(self, relative: str) -> str:
        """The path of one of the package's files in a submission (`relative` under the
        package's folder)."""
        return f"{self.package}/{relative}"

    # Its code: hidden checks, and whatever else its folder holds (a population, a bench) ----

    @property
    def module_name(self) -> str:
        """The name the assignment's folder is imported under, as a package: private to it, so
        that two assignments' checks never meet."""
        return f"_assignment_{self.name}"

    def module(self, relative: str):
        """Import a module or package of the assignment's folder ("checks", "alt_population")."""
        if self.module_name not in sys.modules:
            package = types.ModuleType(self.module_name, f"The {self.title} assignment's folder.")
            package.__path__ = [str(self.folder)]
            sys.modules[self.module_name] = package
        return importlib.import_module(f"{self.module_name}.{relative}")

    def graded_questions(self):
        """[checks.base.Question] in the gradebook's order, each with its registered checks."""
        from autograder.checks.base import Question, registered

        if not (self.checks_folder / "__init__.py").is_file():
            raise ManifestError(f"{self.checks_folder} holds no __init__.py: an assignment's "
                                "checks are a Python package")
        self.module(CHECKS_FOLDER)
        found = registered(self.module_name)
        unknown = sorted(set(found) - set(self.questions))
        if unknown:
            raise ManifestError(f"{self.checks_folder}: checks registered for "
                                f"{', '.join(unknown)}, which {self.folder / FILE} does not "
                                "declare")
        empty = [name for name in self.questions if not found.get(name)]
        if empty:
            raise ManifestError(f"{self.folder / FILE}: no check is registered for "
                                f"{', '.join(empty)} in {self.checks_folder}")
        return [Question(spec.name, spec.points, spec.title, list(found[spec.name]))
                for spec in self.questions.values()]


# Reading and validating ---------------------------------------------------------------------

REQUIRED = {"name": str, "title": str, "notebook": str, "handout_folder": str, "package": str,
            "student_files": dict, "import_modules": list, "self_check": str, "questions": list}


def _questions(entries, where: str, kind: str) -> dict[str, QuestionSpec]:
    questions: dict[str, QuestionSpec] = {}
    for number, entry in enumerate(entries, start=1):
        if not isinstance(entry, dict):
            raise ManifestError(f"{where}: [[{kind}]] number {number} is not a table")
        missing = [key for key in ("name", "points", "title") if key not in entry]
        if missing:
            raise ManifestError(f"{where}: [[{kind}]] number {number} lacks "
                                f"{', '.join(missing)}")
        extra = set(entry) - {"name", "points", "title", "notebook_question"}
        if extra:
            raise ManifestError(f"{where}: [[{kind}]] {entry['name']!r} has unknown keys "
                                f"{', '.join(sorted(extra))}")
        if not (isinstance(entry["points"], (int, float)) and entry["points"] > 0):
            raise ManifestError(f"{where}: [[{kind}]] {entry['name']!r}: points must be a "
                                "positive number")
        if entry["name"] in questions:
            raise ManifestError(f"{where}: question {entry['name']!r} is declared twice")
        questions[entry["name"]] = QuestionSpec(entry["name"], float(entry["points"]),
                                                entry["title"],
                                                entry.get("notebook_question", ""))
    return questions


def _data_environment(entries, where: Path) -> dict[str, str]:
    if not (isinstance(entries, dict)
            and all(isinstance(k, str) and isinstance(v, str) for k, v in entries.items())):
        raise ManifestError(f"{where}: data_environment must map variable names to folders "
                            "under data/")
    return dict(entries)


def read(folder: Path) -> Manifest:
    """The manifest of the assignment in `folder`, validated (ManifestError says what is
    wrong, and where)."""
    folder = Path(folder)
    where = folder / FILE
    try:
        data = tomllib.loads(where.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ManifestError(f"{where} does not exist: an assignment's folder declares it "
                            "there") from None
    except tomllib.TOMLDecodeError as error:
        raise ManifestError(f"{where} is not valid TOML: {error}") from None
    for key, kind in REQUIRED.items():
        if not isinstance(data.get(key), kind):
            raise ManifestError(f"{where}: `{key}` is missing or not a {kind.__name__}")
    extra = set(data) - set(REQUIRED) - {"written", "data_environment"}
    if extra:
        raise ManifestError(f"{where}: unknown keys {', '.join(sorted(extra))}")
    if data["name"] != folder.name:
        raise ManifestError(f"{where}: name = {data['name']!r}, but the folder is "
                            f"{folder.name!r}: they must agree")
    questions = _questions(data["questions"], where, "questions")
    written = _questions(data.get("written", []), where, "written")
    if set(questions) & set(written):
        raise ManifestError(f"{where}: {', '.join(sorted(set(questions) & set(written)))} "
                            "declared both auto-graded and written")
    if data["self_check"] not in questions:
        raise ManifestError(f"{where}: self_check = {data['self_check']!r} is not one of its "
                            "questions")
    for name, path in data["student_files"].items():
        if not (isinstance(path, str) and path.startswith(data["package"] + "/")
                and path.endswith("/" + name)):
            raise ManifestError(f"{where}: student_files: {name!r} = {path!r} must be a path "
                                f"in the package ending in /{name}")
    return Manifest(data["name"], data["title"], folder, data["notebook"],
                    data["handout_folder"], data["package"], dict(data["student_files"]),
                    tuple(data["import_modules"]), data["self_check"], questions, written,
                    _data_environment(data.get("data_environment", {}), where))


def available() -> list[str]:
    """The names of the assignments in assignment/ (folders holding a manifest)."""
    return sorted(path.parent.name for path in paths.ASSIGNMENT.glob(f"*/{FILE}"))


@functools.lru_cache(maxsize=None)
def load(name: str) -> Manifest:
    folder = paths.ASSIGNMENT / name
    if not (folder / FILE).is_file():
        choices = ", ".join(available()) or "none"
        raise ManifestError(f"no assignment {name!r} (the assignments here: {choices})")
    return read(folder)


def default_name() -> str:
    """The course's default assignment: `default` in assignment/course.toml, or the one
    assignment there is."""
    course = paths.ASSIGNMENT / COURSE_FILE
    if course.is_file():
        return tomllib.loads(course.read_text(encoding="utf-8"))["default"]
    names = available()
    if len(names) == 1:
        return names[0]
    raise ManifestError(f"which assignment? set {SETTING}= to one of {', '.join(names)}")


def current() -> Manifest:
    """The assignment this process works on: ASSIGNMENT=, else the course's default."""
    return load(os.environ.get(SETTING, "").strip() or default_name())


def main(argv: list[str] | None = None) -> int:
    """`python -m autograder.manifest run MODULE [ARGS]`: run MODULE of the current assignment's
    folder (its `main(args)`), e.g. an assignment's own benchmark;
    `python -m autograder.manifest show`: the current assignment's declaration, checked."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m autograder.manifest",
                                     description="The current assignment (ASSIGNMENT=<name>).")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("show", help="print the assignment's questions and points, checked")
    run = commands.add_parser("run", help="run a module of the assignment's folder")
    run.add_argument("module")
    run.add_argument("args", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    try:
        assignment = current()
        if args.command == "run":
            if not (assignment.folder / f"{args.module}.py").is_file():
                raise ManifestError(f"the {assignment.name} assignment has no {args.module}.py "
                                    f"in {assignment.folder}")
            return assignment.module(args.module).main(args.args)
        graded = assignment.graded_questions()
    except ManifestError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(f"{assignment.title} ({assignment.name}): {assignment.auto_points:g} points "
          f"auto-graded, {assignment.written_points:g} written")
    for question in graded:
        print(f"  {question.name:28} {question.points:5g}  {question.title} "
              f"({len(question.checks)} checks)")
    for question in assignment.written.values():
        print(f"  {question.name:28} {question.points:5g}  {question.title} (by hand)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
