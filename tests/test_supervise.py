"""autograder.course.supervise: a child grades one submission and hands back its Outcome; a child past
its deadline is killed with everything it started. Both ways a child starts (launch.py): a fresh
interpreter, and a fork of the warm fork server."""

from __future__ import annotations

import time

from autograder import paths
from autograder.sandbox import procfs
from autograder.course import supervise
from autograder.settings import Settings
from autograder.build.variants import append_text, make_variant


def wait(child: supervise.Child, limit: float = 120) -> None:
    deadline = time.monotonic() + limit
    while not (child.done() or child.overdue()) and time.monotonic() < deadline:
        time.sleep(0.05)


def test_the_child_hands_back_its_outcome(tmp_path, launcher):
    child = supervise.start("reference", paths.SOLUTIONS, Settings(questions=["ln_forward"]),
                            tmp_path / "child", launcher)
    wait(child)
    finished = supervise.finish(child)
    assert not finished.timed_out and finished.exit_code == 0
    assert finished.outcome.grade.status == "ok"
    assert [q.name for q in finished.outcome.grade.questions] == ["ln_forward"]
    assert finished.outcome.grade.total == 6
    assert finished.outcome.notes == []  # the reference folder holds the notebook too
    assert not (tmp_path / "child").exists()


def test_an_overdue_child_is_killed_with_its_workers(tmp_path, monkeypatch, launcher):
    """Overdue: KILL_GRACE past the time limit (made negative here, so that an import the judge
    would wait out for 30 s counts as stuck after 2)."""
    monkeypatch.setattr(supervise, "KILL_GRACE", -28.0)
    hanging = append_text(make_variant(tmp_path / "hang"), "cs231n/layers.py",
                          "\nwhile True:\n    pass\n")
    child = supervise.start("hang", hanging, Settings(timeout=30, questions=["ln_forward"]),
                            tmp_path / "child", launcher)
    wait(child)
    finished = supervise.finish(child)
    assert finished.timed_out and finished.outcome is None
    assert procfs.descendants(child.process.pid) == []
    assert procfs.processes_in(tmp_path / "child") == []
    assert procfs.processes_in(hanging) == []
