"""Shared pytest setup: the reference `cs231n` package under assignment/ is importable; the
attacks' sources (tests/attacks/, read as text by tests/attack_recipes.py) are never collected;
fixtures used by several test files."""

import sys

import pytest

from autograder import paths, sandbox

if str(paths.ASSIGNMENT) not in sys.path:
    sys.path.insert(0, str(paths.ASSIGNMENT))

collect_ignore = ["attacks"]


@pytest.fixture
def sandbox_off(monkeypatch):
    """BN_SANDBOX=off (the `limits` level) for one test: the protections are probed anew with
    it, and again, without it, after the test."""
    with monkeypatch.context() as patch:
        patch.setenv(sandbox.SETTING, "off")
        sandbox.protections.cache_clear()
        yield
    sandbox.protections.cache_clear()
