"""Shared pytest setup: the reference `cs231n` package under assignment/ is importable; the
attacks' sources (tests/attacks/, read as text by tests/attack_recipes.py) are never collected."""

import sys

from autograder import paths

if str(paths.ASSIGNMENT) not in sys.path:
    sys.path.insert(0, str(paths.ASSIGNMENT))

collect_ignore = ["attacks"]
