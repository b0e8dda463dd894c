"""A submission that walks the disk for a working layers.py, at every isolating level this
machine offers: with a copy of the reference planted outside the project (world-readable, in
/tmp), the walk finds neither it nor the project's own reference."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

from autograder import paths
from autograder.grading.client import WorkerClient
from autograder.sandbox import levels
from autograder.settings import Limits
from forensics import random_word

# Every layers.py the worker can open, and what it holds: a planted token, or the reference's
# own solution (the body of batchnorm_forward is more than a stub).
WALKER = '''
import os, time

SKIP = ("/proc", "/sys", "/dev")


def walk(token, budget):
    found, seen, deadline = [], 0, time.monotonic() + budget
    for top, folders, files in os.walk("/", onerror=lambda error: None):
        folders[:] = [f for f in folders if os.path.join(top, f) not in SKIP]
        if time.monotonic() > deadline:
            return {"found": found, "files": seen, "finished": False}
        for name in files:
            if name != "layers.py":
                continue
            seen += 1
            try:
                with open(os.path.join(top, name), encoding="utf-8", errors="replace") as f:
                    text = f.read()
            except OSError:
                continue
            if token in text or "x_hat = " in text and "running_mean" in text:
                found.append(os.path.join(top, name))
    return {"found": found, "files": seen, "finished": True}
'''

ISOLATING = ("full", "namespaces", "uid", "landlock")


@pytest.fixture(scope="module")
def planted():
    """The reference's layers.py, readable by every user, outside the project, with a token."""
    token = "PLANTED" + random_word()
    top = Path(tempfile.mkdtemp(prefix="bn-walk-", dir="/tmp"))
    copy = top / "old-checkout" / paths.PACKAGE_NAME / "layers.py"
    copy.parent.mkdir(parents=True)
    reference = (paths.SOLUTIONS / paths.PACKAGE_NAME / "layers.py").read_text()
    copy.write_text(f"# {token}\n{reference}")
    for folder in (top, copy.parent.parent, copy.parent):
        folder.chmod(0o755)
    copy.chmod(0o644)
    yield token, copy
    shutil.rmtree(top)


@pytest.fixture
def walker(tmp_path) -> Path:
    folder = tmp_path / "submission"
    (folder / "cs231n").mkdir(parents=True)
    (folder / "cs231n" / "__init__.py").write_text("")
    (folder / "cs231n" / "walker.py").write_text(WALKER)
    return folder


@pytest.mark.parametrize("level", ISOLATING)
def test_the_walk_finds_no_reference_at_any_isolating_level(level, planted, walker):
    problem = levels._probe(level)
    if problem is not None:
        pytest.skip(problem)  # the level does not run on this machine (it says why)
    token, copy = planted
    assert "x_hat = " in copy.read_text() and "running_mean" in copy.read_text(), \
        "the walker's pattern no longer matches the reference: update WALKER"
    with WorkerClient(walker, Limits(), call_timeout=120, level=level) as worker:
        seen = worker.call("cs231n.walker:walk", token, 90.0)
    assert seen["finished"], f"the walk at level {level} did not end in 90 s: {seen}"
    assert seen["found"] == [], f"at level {level} the walk read a working layers.py: {seen}"


def test_the_walk_finds_the_planted_copy_unconfined(planted, walker):
    """The walker itself works: at the `limits` level (no isolation) it finds the copy."""
    token, copy = planted
    with WorkerClient(walker, Limits(), call_timeout=300, level="limits") as worker:
        seen = worker.call("cs231n.walker:walk", token, 240.0)
    if not seen["finished"]:
        pytest.skip(f"the unconfined walk of / did not finish in 240 s ({seen['files']} files)")
    assert str(copy) in seen["found"], seen


@pytest.fixture(autouse=True)
def no_subreaper_after():
    """Workers at the landlock and limits levels make this process a subreaper: undone after
    each test."""
    yield
    from test_sandbox import stop_adopting_orphans
    stop_adopting_orphans()


def test_the_levels_are_the_sandbox_s_own():
    assert set(ISOLATING) == set(levels.LEVELS) - {"limits"}
