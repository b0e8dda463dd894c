"""Shared pytest setup: the tests work on the Batch Normalization assignment unless they say
otherwise (ASSIGNMENT=batchnorm, whatever the shell exported); the course's `cs231n` package under
assignment/ is importable; the attacks' sources (tests/attacks/, read as text by tests/attack_recipes.py) are never collected;
fixtures used by several test files; one BLAS thread per process."""

import os
import sys

import pytest

os.environ["ASSIGNMENT"] = "batchnorm"  # before anything asks the manifest which assignment
# The suite runs several test processes on few cores: BLAS threads in each of them and in what
# they start (notebook kernels, make, run_autograder) would only contend. Before numpy loads;
# workers set the same in their own environment.
for _variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")

from autograder import paths, sandbox
from autograder.checks import QUESTIONS
from autograder.grading.grades import CheckResult, Grade, QuestionResult
from autograder.grading.judge import not_graded
from autograder.settings import Settings
from assignments import batchnorm

if str(paths.ASSIGNMENT) not in sys.path:
    sys.path.insert(0, str(paths.ASSIGNMENT))

collect_ignore = ["attacks"]

# The test files that take longest, longest first (wall time on two cores, about 300 s down to
# 50 s): `make test` hands whole files to its workers in collection order (--dist loadfile
# --no-loadscope-reorder), so these start at once and the many short files fill in around them.
LONGEST_FILES = ("test_student_handout.py", "test_gradescope_container.py", "test_gradescope.py",
                 "test_batch.py", "test_make_targets.py", "test_dropout_population.py",
                 "test_handout_newer_pythons.py", "test_written_answers.py", "test_judge.py")


def pytest_collection_modifyitems(items):
    def rank(item):
        name = item.path.name
        return LONGEST_FILES.index(name) if name in LONGEST_FILES else len(LONGEST_FILES)
    items.sort(key=rank)  # stable: each file's tests keep their order


@pytest.fixture(params=["fresh", "forked"])
def launcher(request, tmp_path):
    """Each way the batch starts a child (autograder.course.launch): a fresh interpreter, and
    a fork of a warm fork server (stopped after the test)."""
    from autograder.course import launch

    if request.param == "fresh":
        yield launch.FreshInterpreters()
        return
    forks = launch.WarmForks(tmp_path / "fork-server.log")
    try:
        yield forks
    finally:
        forks.close()


@pytest.fixture
def like_macos(monkeypatch, tmp_path):
    """This process as on macOS, for one test: no os.sched_getaffinity, no /proc, no prctl in
    libc, no bubblewrap or setpriv, not root, no Landlock or seccomp (platform Darwin). The
    protections are probed anew with it, and again, without it, after the test."""
    import ctypes
    import platform
    import shutil

    from autograder.sandbox import levels, procfs, reach

    class LibcWithoutPrctl:
        def __init__(self, *args, **kwargs):
            pass

    with monkeypatch.context() as patch:
        patch.delattr(os, "sched_getaffinity", raising=False)
        patch.setattr(procfs, "PROC", tmp_path / "no-proc")
        patch.setattr(reach, "USERNS_SYSCTL", tmp_path / "no-proc" / "sysctl")
        patch.setattr(ctypes, "CDLL", LibcWithoutPrctl)
        patch.setattr(platform, "system", lambda: "Darwin")
        real_which = shutil.which
        patch.setattr(shutil, "which", lambda name, *args, **kwargs: None
                      if name in ("bwrap", "setpriv", "iptables", "ip6tables")
                      else real_which(name, *args, **kwargs))
        patch.setattr(levels, "is_root", lambda: False)
        patch.delenv(sandbox.SETTING, raising=False)
        levels.protections.cache_clear()
        yield
    levels.protections.cache_clear()  # levels': a test may have wrapped sandbox.protections


@pytest.fixture
def sandbox_off(monkeypatch):
    """BN_SANDBOX=off (the `limits` level) for one test: the protections are probed anew with
    it, and again, without it, after the test."""
    with monkeypatch.context() as patch:
        patch.setenv(sandbox.SETTING, "off")
        sandbox.protections.cache_clear()
        yield
    sandbox.protections.cache_clear()


def hand_made_grade(failing: dict[str, str] = (), ratio: float | None = 1.0,
                    status: str = "ok") -> Grade:
    """A grade where every check passes except those named {check title: message}, with a
    speed ratio (None: no measurement), or not graded at all when `status` is not ok."""
    failing = dict(failing)
    if status != "ok":
        return not_graded(status, Settings())
    questions = []
    for question in QUESTIONS.values():
        questions.append(QuestionResult(question.name, question.title, question.points, [
            CheckResult(check.title, check.weight, check.title not in failing,
                        failing.get(check.title, "")) for check in question.checks]))
    return Grade(status, questions, 5.0, 1,
                 {} if ratio is None else {"alt_time_ratio": ratio,
                                           "alt_time_ratio_threshold": batchnorm("checks.speed").SETTINGS.max_staged_ratio})


@pytest.fixture
def make_grade():
    """`hand_made_grade`, for the tests of what renders grades (feedback, report)."""
    return hand_made_grade
