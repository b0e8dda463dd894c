"""Where things live in the repository; every module asks here instead of guessing.

The repository's own folders are constants. What depends on the assignment (its generated
folders, its notebook, its package) is read from the current assignment's manifest
(autograder/manifest.py) each time it is asked for, so the names below always describe the
assignment this process works on.
"""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ASSIGNMENT = ROOT / "assignment"  # one folder per assignment, and the course's package
SOLUTIONS_ROOT = ROOT / "solutions"  # generated: solutions/<assignment>/
TEMPLATE_ROOT = ROOT / "student_template"  # generated: student_template/<assignment>/
DIST = ROOT / "dist"
DATA = ROOT / "data"
# What a worker must never read (sandbox.secure closes them at the uid level): every master
# with its solutions, every reference, the hidden checks and the engine, the built zips.
SECRETS = (ASSIGNMENT, SOLUTIONS_ROOT, ROOT / "autograder", DIST)

# The current assignment's names: {attribute: how the manifest gives it}.
_CURRENT = {
    "SOLUTIONS": lambda m: m.solutions,
    "STUDENT_TEMPLATE": lambda m: m.template,
    "NOTEBOOK_NAME": lambda m: m.notebook,
    "PACKAGE_NAME": lambda m: m.package,
    "HANDOUT_TOP": lambda m: m.handout_folder,
    "REFERENCE_PACKAGE": lambda m: m.reference_package,
    "HANDOUT_PACKAGE": lambda m: m.handout_package,
    "STUDENT_FILES": lambda m: m.student_files,
}


def __getattr__(name: str):
    if name in _CURRENT:
        from autograder import manifest

        return _CURRENT[name](manifest.current())
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
