"""Where things live in the repository; every module asks here instead of guessing."""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ASSIGNMENT = ROOT / "assignment"
SOLUTIONS = ROOT / "solutions"
STUDENT_TEMPLATE = ROOT / "student_template"
DIST = ROOT / "dist"
DATA = ROOT / "data"

NOTEBOOK_NAME = "BatchNormalization.ipynb"
PACKAGE_NAME = "cs231n"
# The folder name students see when they unzip the handout.
HANDOUT_TOP = "BatchNormalization"
# The reference package the judge compares against.
REFERENCE_PACKAGE = SOLUTIONS / PACKAGE_NAME
# The student's two files, relative to a submission folder (or to SOLUTIONS).
# What a worker must never read (sandbox.secure closes them at the uid level): the reference and
# the master with its solutions, the hidden checks (the judge's code), the built zips and demo.
SECRETS = (ASSIGNMENT, SOLUTIONS, ROOT / "autograder", DIST)

LAYERS_FILE = f"{PACKAGE_NAME}/layers.py"
FC_NET_FILE = f"{PACKAGE_NAME}/classifiers/fc_net.py"
# The files students edit, by the name a loose upload of each would have.
STUDENT_FILES = {"layers.py": LAYERS_FILE, "fc_net.py": FC_NET_FILE}
# The handout's package: what a submission of loose files is completed with.
HANDOUT_PACKAGE = STUDENT_TEMPLATE / PACKAGE_NAME
