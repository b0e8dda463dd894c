"""Shared pytest setup: make the `cs231n` package under assignment/ importable."""

import sys
from pathlib import Path

ASSIGNMENT_DIR = Path(__file__).resolve().parent.parent / "assignment"
if str(ASSIGNMENT_DIR) not in sys.path:
    sys.path.insert(0, str(ASSIGNMENT_DIR))
