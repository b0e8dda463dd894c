"""The speed check of batchnorm_backward_alt against submissions that cheat the clock.

Each cheat is the reference package with a per-column Python loop as alt (a closed form, so the
bit-for-bit comparison with batchnorm_backward does not catch it, but far too slow to pass) plus
code appended to cs231n/layers.py that tries to get the loop's work counted nowhere: (a) precomputing it
outside the timed request (numpy's generator, the worker's own functions), (b) deferring it past
the request (lazy results), (c) hiding it in other processes or threads, (d) stopping the clock.
Each must score 0 on bn_backward_alt_speed, while the reference keeps full marks, also when it
starts processes at import that the judge must end first. One speed grading takes a few seconds.
"""

from __future__ import annotations

import textwrap

import numpy as np
import pytest

from attack_recipes import PRECOMPUTING
from autograder import paths, sandbox
from autograder.grading import reference
from autograder.build import variants
from assignments import batchnorm

alt_body_edit = batchnorm("bench").alt_body_edit
speed = batchnorm("checks.speed")
from autograder.checks.base import CheckFailed, Context
from autograder.checks.timing import TimedWorker
from autograder.grading.client import WorkerClient
from autograder.grading.judge import grade
from autograder.settings import Settings

SPEED = "bn_backward_alt_speed"
LAYERS = "cs231n/layers.py"
STAGED_ALT = "    return batchnorm_backward(dout, cache)\n"
SLOW_ALT = "    return _slow_alt(dout, cache)\n"
SLOW = """
def _slow_alt(dout, cache):
    x_hat, _, _, std, gamma, _ = cache
    N, D = dout.shape
    dx = np.empty_like(dout)
    for j in range(D):
        g, xh = dout[:, j], x_hat[:, j]
        dx[:, j] = gamma[j] / std[j] * (g - g.sum() / N - xh * (g * xh).sum() / N)
    return dx, (dout * x_hat).sum(axis=0), dout.sum(axis=0)
"""
# What a timing cheat that fails says: the loop's time, against batchnorm_backward's or the
# reference's (a cheat that also slows batchnorm_backward meets the second).
TOO_SLOW = "the CPU time of"

# The worker runs as a script: its module is __main__ (the functions of worker.py live there).
FIND_WORKER = """
import sys as _cheat_sys
_CHEAT_MAIN = _cheat_sys.modules["__main__"]
"""


def speed_of(folder) -> tuple[float, str, dict]:
    """Grade only the speed question: score, failure messages, measurements."""
    result = grade(folder, Settings(questions=[SPEED]))
    assert result.status == "ok", result.status
    question = result.questions[0]
    messages = " | ".join(check.message for check in question.checks if not check.passed)
    return question.score, messages, result.measurements


def cheat(tmp_path, code: str | tuple[str, ...], staged_alt: bool = True):
    """The reference, alt = the slow loop (unless staged_alt=False: the reference's alt), `code`
    appended (one text or several, each dedented on its own), where the staged graph the cheats
    hide (batchnorm_backward) becomes the loop."""
    edits = [alt_body_edit(SLOW_ALT)] if staged_alt else []
    folder = variants.make_variant(tmp_path / "cheat", edits)
    pieces = (code,) if isinstance(code, str) else code
    text = "\n".join(textwrap.dedent(piece) for piece in pieces)
    if staged_alt:
        text = SLOW + "\n" + text.replace("batchnorm_backward(", "_slow_alt(")
    return variants.append_text(folder, LAYERS, "\n\n" + text)


def assert_no_speed(tmp_path, code: str | tuple[str, ...], *expected: str,
                    staged_alt: bool = True) -> str:
    score, messages, measurements = speed_of(cheat(tmp_path, code, staged_alt))
    assert score == 0, f"the cheat earned the speed question: {measurements}"
    for text in expected:
        assert text in messages, messages
    return messages


# Honest submissions ---------------------------------------------------------------------------

def test_the_reference_gets_full_marks():
    score, messages, measurements = speed_of(paths.SOLUTIONS)
    assert score == 4, messages
    assert 0 < measurements["alt_time_ratio"] <= speed.SETTINGS.max_staged_ratio


def test_processes_started_at_import_are_ended_before_timing(tmp_path):
    """The reference with sleeping children and a detached daemon from import: the judge ends
    them (they could otherwise work beside the timed calls) and the reference passes."""
    score, messages, _ = speed_of(cheat(tmp_path, """
        import os as _o, time as _t

        def _cheat_sleepers(count):
            for _ in range(count):
                if _o.fork() == 0:
                    try:
                        _o.setsid()
                        if _o.fork() == 0:
                            _t.sleep(1000)
                    finally:
                        _o._exit(0)
            for _ in range(count):
                if _o.fork() == 0:
                    try:
                        _t.sleep(1000)
                    finally:
                        _o._exit(0)

        _cheat_sleepers(3)
    """, staged_alt=False))
    assert score == 4, messages


def test_the_judge_rebuilds_the_workers_douts_exactly():
    """worker.timed_calls and the judge's verify draw the same douts: the reference's own
    checksums, computed in a worker, pass verification (and a changed one fails it)."""
    ref = reference.load()
    settings = speed.SETTINGS
    shape = (settings.N, settings.D)
    _, x, gamma, beta = speed.random_inputs(150, *shape)
    with WorkerClient(paths.SOLUTIONS) as worker:
        context = Context(worker, ref, paths.SOLUTIONS / paths.PACKAGE_NAME)
        cache = worker.call(speed.FORWARD, x, gamma, beta, {"mode": "train"}, keep=[1])[1]
        _, expected_cache = ref.layers.batchnorm_forward(x, gamma, beta, {"mode": "train"})
        sums, spent = TimedWorker(worker).timed_calls(speed.ALT, cache, 12345, shape,
                                                      settings.calls_per_round)
    assert spent > 0
    speed.verify(context, sums, sums, 12345, expected_cache, settings)
    sums[7, 2] *= 1 + 1e-4
    with pytest.raises(CheckFailed, match="dbeta on a timed call is wrong"):
        speed.verify(context, sums, sums, 12345, expected_cache, settings)


def test_alt_returning_something_else_is_told_what_shape_it_needs(tmp_path):
    assert_no_speed(tmp_path, """
        def batchnorm_backward_alt(dout, cache):
            dx, dgamma, dbeta = batchnorm_backward(dout, cache)
            return dx.T, dgamma, dbeta
    """, "batchnorm_backward_alt's dx on a timed call is not an array of shape (N, D)")


# (a) Precomputing -----------------------------------------------------------------------------

def test_precomputing_when_numpy_draws_a_dout(tmp_path):
    """The adversarial batch's PRECOMPUTING attack (attack_recipes.PRECOMPUTING, its code in
    tests/attacks/speed.py), graded here alone on the speed question: numpy's default_rng
    computes the staged graph whenever a dout-shaped array is drawn. The douts are now drawn
    inside the timed request (and not as such): nothing is gained, the staged graph is timed."""
    assert_no_speed(tmp_path, PRECOMPUTING.code, TOO_SLOW)


def test_a_predictable_generator_for_a_precomputed_table(tmp_path):
    """default_rng ignores the judge's seed (the same pool every round), so alt answers from a
    table filled once: the douts are not the judge's, and every checksum is checked."""
    assert_no_speed(tmp_path, """
        import numpy as _np
        _cheat_rng = _np.random.default_rng
        _np.random.default_rng = lambda seed=None: _cheat_rng(0)
        _CHEAT_TABLE = {}

        def batchnorm_backward_alt(dout, cache):
            key = dout.tobytes()[:64]
            if key not in _CHEAT_TABLE:
                _CHEAT_TABLE[key] = batchnorm_backward(dout, cache)
            return _CHEAT_TABLE[key]
    """, "batchnorm_backward_alt's dx on a timed call is wrong")


def test_replacing_the_workers_timed_calls_with_a_replay(tmp_path):
    """The worker's own timed_calls (in __main__) replaced: it answers each round with the
    checksums of the round before, computed between rounds (never timed)."""
    assert_no_speed(tmp_path, (FIND_WORKER, """
        _cheat_timed = _CHEAT_MAIN.timed_calls
        _CHEAT_LAST = []

        def _cheat_replay(function, cache, seed, shape, calls):
            if not _CHEAT_LAST:
                _CHEAT_LAST.append(_cheat_timed(function, cache, seed, shape, calls))
            return _CHEAT_LAST[-1]

        _CHEAT_MAIN.timed_calls = _cheat_replay
    """), "on a timed call is wrong")


def test_batching_the_round_ahead_of_the_calls(tmp_path):
    """The worker's timed_calls replaced by one that draws every dout of the round up front and
    runs the staged graph once on all of them (the calls are then almost free): each dout
    depends on the previous call's result, so the batch guesses wrong."""
    assert_no_speed(tmp_path, (FIND_WORKER, """
        import numpy as _np
        import timed_calls as _cheat_tc

        def _cheat_batched(function, cache, seed, shape, calls):
            rng = _np.random.default_rng(seed)
            size = shape[0] * shape[1]
            pool = rng.standard_normal(_cheat_tc.POOL * size)
            start = int(rng.integers(0, _cheat_tc.SPAN * size + 1))
            probes = (rng.standard_normal(size), rng.standard_normal(shape[1]),
                      rng.standard_normal(shape[1]))
            starts = rng.integers(0, _cheat_tc.SPAN * size + 1, calls)
            starts[0] = start
            douts = _np.stack([pool[s:s + size].reshape(shape) for s in starts])
            x_hat, x_centered, var, std, gamma, eps = cache
            dx, dgamma, dbeta = [], [], []
            for dout in douts:  # stands for one vectorized pass
                a, b, c = batchnorm_backward(dout, cache)
                dx.append(a), dgamma.append(b), dbeta.append(c)
            return _np.array([[a.ravel() @ probes[0], b @ probes[1], c @ probes[2]]
                              for a, b, c in zip(dx, dgamma, dbeta)])

        _CHEAT_MAIN.timed_calls = _cheat_batched
    """), "on a timed call is wrong")


# (b) Deferring --------------------------------------------------------------------------------

LATER = """
    import sys as _cheat_sys

    class _CheatLater:
        \"\"\"The gradients of one call, computed only when somebody reads them.\"\"\"

        def __init__(self, dout, cache):
            self._args, self._value = (dout, cache), None

        def _get(self):
            if self._value is None:
                self._value = batchnorm_backward(*self._args)
            return self._value

        def __getitem__(self, index):
            return self._get()[index]

        def __len__(self):
            return 3

        def __iter__(self):
            return iter(ITEMS(self))


    def batchnorm_backward_alt(dout, cache):
        if _cheat_sys._getframe(1).f_code.co_name != "op_call":  # a timed call
            return _CheatLater(dout, cache)
        return batchnorm_backward(dout, cache)
"""


def test_returning_lazy_results(tmp_path):
    """The idea of the adversarial batch's DEFERRING (tests/attacks/speed.py), in a variant of
    its own: a timed call returns an object that computes the staged graph when read. The worker
    reads it (to checksum it) inside the timed request."""
    assert_no_speed(tmp_path, LATER.replace("ITEMS(self)", "self._get()"),
                    TOO_SLOW)


def test_returning_lazy_arrays(tmp_path):
    """Lazier: each of dx, dgamma, dbeta is an object that computes only when numpy converts it
    (__array__), which the worker's checksum does inside the timed request."""
    lazy_items = "[_CheatArray(self, i) for i in range(3)]"
    assert_no_speed(tmp_path, LATER.replace("ITEMS(self)", lazy_items) + """
    class _CheatArray:
        def __init__(self, later, index):
            self._later, self._index = later, index

        def __array__(self, dtype=None, copy=None):
            value = self._later[self._index]
            return value if dtype is None else value.astype(dtype)
""", TOO_SLOW)


# (c) Other processes and threads --------------------------------------------------------------

FORKED_ROUND = (FIND_WORKER, """
    import os as _cheat_os
    import pickle as _cheat_pickle
    _cheat_timed = _CHEAT_MAIN.timed_calls

    def _cheat_in_a_child(function, cache, seed, shape, calls):
        \"\"\"The whole round in a child that exits (and is reaped) before the judge looks.\"\"\"
        read, write = _cheat_os.pipe()
        pid = _cheat_os.fork()
        if pid == 0:
            try:
                data = _cheat_pickle.dumps(_cheat_timed(function, cache, seed, shape, calls))
                while data:
                    data = data[_cheat_os.write(write, data):]
            finally:
                _cheat_os._exit(0)
        _cheat_os.close(write)
        chunks = []
        while True:
            chunk = _cheat_os.read(read, 1 << 16)
            if not chunk:
                break
            chunks.append(chunk)
        _cheat_os.close(read)
        _cheat_os.waitpid(pid, 0)
        return _cheat_pickle.loads(b"".join(chunks))

    _CHEAT_MAIN.timed_calls = _cheat_in_a_child
""")


def test_forking_a_child_per_round(tmp_path):
    """Each round runs in a child process that exits before the judge reads the CPU time: the
    worker must first give up starting processes, so the fork fails."""
    messages = assert_no_speed(tmp_path, FORKED_ROUND)
    if sandbox.protections().level in ("full", "uid"):
        assert "BlockingIOError" in messages or "one process" in messages, messages


def test_forking_a_child_per_call(tmp_path):
    assert_no_speed(tmp_path, """
        import os as _cheat_os
        import pickle as _cheat_pickle

        def batchnorm_backward_alt(dout, cache):
            read, write = _cheat_os.pipe()
            pid = _cheat_os.fork()
            if pid == 0:
                try:
                    _cheat_os.write(write, _cheat_pickle.dumps(batchnorm_backward(dout, cache)))
                finally:
                    _cheat_os._exit(0)
            _cheat_os.close(write)
            data = b""
            while chunk := _cheat_os.read(read, 1 << 16):
                data += chunk
            _cheat_os.close(read)
            _cheat_os.waitpid(pid, 0)
            return _cheat_pickle.loads(data)
    """)


def test_refusing_to_give_up_forking(tmp_path):
    """The worker's no_new_processes replaced by a no-op: the judge sees the limit is not set."""
    assert_no_speed(tmp_path, (FIND_WORKER, """
        _CHEAT_MAIN.Worker.op_no_new_processes = lambda self, request: None
    """, FORKED_ROUND[1]), "one process of one thread")


def test_threads_started_before_the_limit(tmp_path):
    """Threads started at import (before the limit) each run one round and exit, taking their
    CPU time out of /proc: the worker must be one thread when timing starts."""
    assert_no_speed(tmp_path, (FIND_WORKER, """
        import queue as _cheat_queue
        import threading as _cheat_threading
        _CHEAT_JOBS = _cheat_queue.Queue()
        _cheat_timed = _CHEAT_MAIN.timed_calls

        def _cheat_thread():
            _CHEAT_JOBS.get()()  # one round, then the thread ends

        for _ in range(29):  # the rounds, warm-up included (the uid may have 32 tasks)
            _cheat_threading.Thread(target=_cheat_thread, daemon=True).start()

        def _cheat_in_a_thread(function, cache, seed, shape, calls):
            box, done = [], _cheat_threading.Event()
            _CHEAT_JOBS.put(lambda: (box.append(_cheat_timed(function, cache, seed, shape,
                                                             calls)), done.set()))
            done.wait()
            return box[0]

        _CHEAT_MAIN.timed_calls = _cheat_in_a_thread
    """), "one process of one thread")


def test_fallback_level_catches_a_child_per_round(tmp_path, sandbox_off):
    """BN_SANDBOX=off run as root: the kernel cannot stop a root worker from forking, so the
    judge checks the worker around every round instead (one process, one thread, no CPU of
    children it waited for); the reference still passes."""
    score, messages, _ = speed_of(paths.SOLUTIONS)
    assert score == 4, messages
    assert_no_speed(tmp_path, FORKED_ROUND)


# (d) The clock --------------------------------------------------------------------------------

def test_stopping_every_clock_the_worker_can_read(tmp_path):
    assert_no_speed(tmp_path, """
        import os as _cheat_os
        import resource as _cheat_resource
        import time as _cheat_time

        for _name in ("perf_counter", "process_time", "time", "monotonic", "thread_time"):
            setattr(_cheat_time, _name, lambda: 0.0)
            setattr(_cheat_time, _name + "_ns", lambda: 0)
        _cheat_os.times = lambda: _cheat_os.times_result((0.0, 0.0, 0.0, 0.0, 0.0))
        _cheat_resource.getrusage = lambda who: _cheat_resource.struct_rusage((0.0,) * 16)
    """, TOO_SLOW)


def test_the_ratios_subtract_the_median_overhead_from_both_times():
    """The overhead (measured in the trusted reference worker, one per round) is subtracted
    from every time of each round, as the rounds' median."""
    measurement = speed.Measurement(alt=[300, 310], staged=[400, 500], reference=[200, 190],
                                    overhead=[100, 100])
    assert measurement.ratios(measurement.reference) == [2.0, pytest.approx(210 / 90)]
    assert np.isclose(measurement.reference_ratio, (2.0 + 210 / 90) / 2)
    assert np.isclose(measurement.staged_ratio, (200 / 300 + 210 / 400) / 2)


def test_sampling_stops_early_only_when_the_verdict_is_clear():
    """After min_rounds rounds: stop when the algebra fails or every ratio is far from its
    threshold; near a threshold (within clear_margin) every round is measured."""
    settings = speed.SETTINGS
    simplified = speed.Witness("simplified")

    def after(rounds: int, alt: int, witness=simplified) -> bool:
        # staged and reference take 100 ns a round, the overhead nothing.
        return speed.clear(speed.Measurement(alt=[alt] * rounds, staged=[100] * rounds,
                                             reference=[100] * rounds, overhead=[0] * rounds,
                                             witness=witness), settings)

    assert settings.min_rounds < settings.rounds
    assert not after(settings.min_rounds - 1, 100)  # too few rounds, however clear
    assert after(settings.min_rounds, 100)  # 1x both: far under 3x and 12x
    near = int(100 * settings.max_staged_ratio / settings.clear_margin) + 10
    assert not after(settings.min_rounds, near)  # near the 3x threshold: keep sampling
    far = int(100 * settings.max_reference_ratio * settings.clear_margin) + 10
    assert after(settings.min_rounds, far)  # far over a threshold
    assert after(settings.min_rounds, near, speed.Witness("staged"))  # fails anyway


def test_between_the_review_and_the_failing_reference_ratio_the_question_is_flagged():
    """Rule 3 has a band: at most review_reference_ratio passes, above max_reference_ratio
    fails, in between is flagged for review with the two figures measured."""
    settings = speed.SETTINGS
    assert settings.review_reference_ratio < settings.max_reference_ratio

    def judged(ratio: float):
        # the reference 100 ns a round, batchnorm_backward as long as alt, no overhead
        alt = int(100 * ratio)
        return speed.verdict(speed.Measurement(alt=[alt] * 4, staged=[alt] * 4,
                                               reference=[100] * 4, overhead=[0] * 4,
                                               witness=speed.Witness("simplified")), settings)

    below = judged(settings.review_reference_ratio - 0.5)
    assert below.problem is None and below.review is None
    band = judged((settings.review_reference_ratio + settings.max_reference_ratio) / 2)
    assert band.problem is None and "cannot decide" in band.review and "1.00x" in band.review
    above = judged(settings.max_reference_ratio + 0.5)
    assert above.problem and "fails" in above.problem and above.review is None
