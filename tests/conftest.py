"""Shared pytest setup: the reference `cs231n` package under assignment/ is importable."""

import sys

from autograder import paths

if str(paths.ASSIGNMENT) not in sys.path:
    sys.path.insert(0, str(paths.ASSIGNMENT))
