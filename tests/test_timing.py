"""Timing a worker by the kernel's CPU time, kept to one process of one thread
(autograder/checks/timing.py), on a real worker at this machine's sandbox level."""

from __future__ import annotations

import os

import numpy as np
import pytest

from autograder import paths
from autograder.checks.timing import TimedWorker
from autograder.grading.client import WorkerClient

ALT = "cs231n.layers:batchnorm_backward_alt"
FORWARD = "cs231n.layers:batchnorm_forward"

HELPERS = '''
import os, threading, time


def sleepers(count):
    for _ in range(count):
        if os.fork() == 0:
            time.sleep(1000)
            os._exit(0)


def zombie():
    pid = os.fork()
    if pid == 0:
        os._exit(0)
    time.sleep(0.2)
    return pid


def thread():
    threading.Thread(target=time.sleep, args=(1000,), daemon=True).start()


def slow_backward(dout, cache, seconds=0.4):
    time.sleep(seconds)  # an honest function slower than a call timeout divided by the calls
    return dout, dout[0], dout[0]


def hung_backward(dout, cache):
    time.sleep(1000)
'''


@pytest.fixture
def submission(tmp_path):
    """The reference package with a module of helpers that start processes and threads."""
    folder = tmp_path / "submission"
    (folder / "cs231n").mkdir(parents=True)
    reference = paths.SOLUTIONS / paths.PACKAGE_NAME
    for path in reference.rglob("*.py"):
        target = folder / "cs231n" / path.relative_to(reference)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(path.read_bytes())
    (folder / "cs231n" / "helpers.py").write_text(HELPERS)
    return folder


def test_a_fresh_worker_is_one_process_of_one_thread_and_its_time_counts(submission):
    with WorkerClient(submission, call_timeout=30) as client:
        timed = TimedWorker(client)
        x = np.random.default_rng(0).standard_normal((8, 4))
        # Once it answers, the worker runs as itself (setpriv may not have switched uids yet
        # right after the start).
        cache = client.call(FORWARD, x, x[0] + 1, x[1], {"mode": "train"}, keep=[1])[1]
        assert timed.cpu_ns() > 0
        assert timed.single() and timed.threads() == 1
        assert timed.main_pid in client.process.processes()
        sums, spent = timed.timed_calls(ALT, cache, 7, (8, 4), 5)
        assert sums.shape == (5, 3) and spent > 0
        assert timed.main_cpu_ns() <= timed.cpu_ns()


def test_a_timed_request_gets_a_call_timeout_for_each_of_its_calls(submission):
    """Five calls of 0.4 s pass with a call timeout of 1 s (2 s in all); a function that hangs
    is stopped after five call timeouts, not waited on for ever."""
    from autograder.grading.client import WorkerLost

    with WorkerClient(submission, call_timeout=1) as client:
        timed = TimedWorker(client)
        sums, spent = timed.timed_calls("cs231n.helpers:slow_backward", None, 7, (8, 4), 5)
        assert sums.shape == (5, 3)
        with pytest.raises(WorkerLost, match="timed out after 5 s"):
            timed.timed_calls("cs231n.helpers:hung_backward", None, 7, (8, 4), 5)


def test_strays_are_ended_and_the_main_process_is_kept(submission):
    with WorkerClient(submission, call_timeout=30) as client:
        timed = TimedWorker(client)
        client.call("cs231n.helpers:sleepers", 3)
        main = timed.main_pid
        assert len(client.process.processes()) == 4 and not timed.single()
        assert timed.end_strays()
        assert client.process.processes() == [main] and timed.single()


def test_a_zombie_and_a_thread_are_seen(submission):
    with WorkerClient(submission, call_timeout=30) as client:
        timed = TimedWorker(client)
        client.call("cs231n.helpers:zombie")
        assert timed.children_cpu_ticks() is not None
        assert len(timed.zombies()) == 1  # its pid inside the sandbox may differ from ours
        client.call("cs231n.helpers:thread")
        assert timed.threads() == 2 and not timed.single()


def test_isolating_blocks_forks_where_the_worker_is_not_root(submission):
    with WorkerClient(submission, call_timeout=30) as client:
        timed = TimedWorker(client)
        client.call("cs231n.helpers:sleepers", 2)
        enforced = timed.isolate()
        assert timed.single()
        # The kernel exempts root from RLIMIT_NPROC: a worker without a uid of its own started
        # by root (the limits level run as root) can only be watched, not blocked.
        assert enforced == (not (client.process.uid is None and os.geteuid() == 0))
        if enforced:
            with pytest.raises(Exception, match="BlockingIOError|Resource temporarily"):
                client.call("cs231n.helpers:sleepers", 1)


class IdleClient:
    """A worker client that must not be asked anything (duck-typed like WorkerClient)."""

    class process:
        pid, uid = os.getpid(), None

        @staticmethod
        def processes():
            return [os.getpid()]

    def ensure_started(self):
        pass

    def request(self, *args, **kwargs):
        raise AssertionError("nothing should be asked of the worker when nothing can be timed")


def test_without_proc_the_timing_says_not_measured_instead_of_zero(like_macos):
    """macOS: no CPU time to read. The speed check gets a NeedsReview saying why, never a
    0 ns time nor a 'more than one process' verdict against the student."""
    from autograder.checks.base import NeedsReview
    from autograder.checks.timing import NotMeasured

    timed = TimedWorker(IdleClient())
    for attempt in (timed.isolate, timed.cpu_ns, timed.main_cpu_ns,
                    lambda: timed.timed_calls(ALT, None, 0, (4, 3), 1)):
        with pytest.raises(NotMeasured, match="CPU time not measured: this system has no /proc"):
            attempt()
    assert issubclass(NotMeasured, NeedsReview)
    assert timed.threads() == 0 and not timed.forks_blocked()
    assert timed.children_cpu_ticks() is None and timed.zombies() == set()
