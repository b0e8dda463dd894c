"""The speed check of batchnorm_backward_alt: timed against the reference's closed form.

The student's alt runs in the student's worker, the reference's in a trusted worker of its own, on
the same cache (from the same x), in short rounds that alternate between them. A round is ONE
request per worker (worker.py's `timed_calls`): given a seed the judge draws at random just before
(`secrets`), the worker draws every call's dout and calls alt on it, and answers only a checksum of
each call's (dx, dgamma, dbeta). Nothing of a round exists before its request, so nothing can be
precomputed; nothing but numbers comes back, so nothing can be deferred past it; each dout depends
on the previous call's result, so the calls cannot be batched. The judge recomputes every call
with the reference (in this process) and fails the check on any mismatch.

Time is the CPU time the kernel counts for the worker, read by the judge from /proc before and
after each request, so student code cannot fake its clock. Before timing, the student's worker
must give up starting processes and threads (hard RLIMIT_NPROC 0, verified from outside), so no
work can hide in a child that exits before it is counted; where the kernel cannot enforce that
(a worker running as root), the worker must stay one process of one thread around every round.
The student's worker is stopped afterwards (its limit cannot be raised again): the checks after
this one get a fresh worker.

Drawing the douts and checksumming cost both workers the same, which would pull every ratio
towards 1: the trusted reference worker times that overhead alone (the same request with a
stand-in for alt) in every round, and the rounds' median is subtracted from both times. The
ratio is the median over rounds of (student - overhead) / (reference - overhead); the threshold
is calibrated by `make bench` (autograder/bench.py): the reference and honest closed forms pass,
the staged graph reused as alt and a per-column Python loop fail.
"""

from __future__ import annotations

import math
import secrets
from dataclasses import dataclass, field

import numpy as np

from autograder.runtime.timed_calls import dout_at, draw_round, next_start
from autograder.checks.base import (
    CheckFailed,
    Context,
    check,
    describe_error,
    random_inputs,
    rel_error,
)
from autograder.checks.batchnorm import unpack
from autograder.checks.timing import TimedWorker
from autograder.client import StudentError, WorkerClient, WorkerLost

ALT = "cs231n.layers:batchnorm_backward_alt"
FORWARD = "cs231n.layers:batchnorm_forward"
OUTPUTS = (("dx", "(N, D)"), ("dgamma", "(D,)"), ("dbeta", "(D,)"))


@dataclass(frozen=True)
class SpeedTest:
    N: int = 32
    D: int = 64
    # Many short rounds: the pairs of rounds are closer in time, so the noise of other work on
    # the machine cancels better (measured by `make bench`, against 25 rounds of 200 calls).
    rounds: int = 100
    warmup_rounds: int = 8  # untimed: a fresh process runs slower than a warm one
    calls_per_round: int = 50
    tolerance: float = 1e-6  # relative, on each call's checksums
    # The student's alt may take at most this many times the reference's CPU time.
    max_ratio: float = 2.1
    # CPU the student's worker spends outside the timed requests may exceed the reference
    # worker's by this factor plus this many seconds; more means work was moved out of them.
    max_untimed_factor: float = 3.0
    max_untimed_extra_s: float = 0.25
    # Clock ticks of CPU that children the worker waited for may add during the timed rounds
    # (only looked at where the kernel cannot keep the worker to one process).
    max_children_ticks: int = 1


SETTINGS = SpeedTest()

ONE_PROCESS = ("the speed check needs batchnorm_backward_alt to run in one process of one "
               "thread: cs231n must not start processes or threads")


def verify(ctx: Context, sums, seed: int, expected_cache, settings: SpeedTest) -> None:
    """Every call of a timed request against the reference on the same dout. Each call's dout
    is rebuilt from the checksum the worker reported for the call before it, so a wrong
    checksum anywhere fails at that call."""
    shape, calls = (settings.N, settings.D), settings.calls_per_round
    if not (isinstance(sums, np.ndarray) and sums.shape == (calls, 3)
            and sums.dtype.kind == "f"):
        raise CheckFailed("batchnorm_backward_alt could not be timed: the worker's answer to a "
                          "timed request was not what the grader asked for")
    pool, start, probes = draw_round(seed, shape)
    for call in range(calls):
        dout = dout_at(pool, start, shape)
        expected = ctx.ref.layers.batchnorm_backward_alt(dout, expected_cache)
        for index, ((name, shape_text), value, probe) in enumerate(zip(OUTPUTS, expected,
                                                                       probes)):
            got = sums[call, index]
            if not math.isfinite(got):
                raise CheckFailed(f"batchnorm_backward_alt's {name} on a timed call is not an "
                                  f"array of shape {shape_text} (or holds NaN or infinity)")
            if rel_error(got, value.ravel().dot(probe)) > settings.tolerance:
                raise CheckFailed(f"batchnorm_backward_alt's {name} on a timed call is wrong")
        start = next_start(sums[call, 0], shape[0] * shape[1])


# Measuring ------------------------------------------------------------------------------------

@dataclass
class Measurement:
    """CPU ns of every timed round: the student's alt, the reference's alt, and the overhead
    (drawing and checksumming alone, in the trusted reference worker)."""

    student: list[int] = field(default_factory=list)
    reference: list[int] = field(default_factory=list)
    overhead: list[int] = field(default_factory=list)

    @property
    def ratios(self) -> list[float]:
        """Per round: (student - overhead) / (reference - overhead), the overhead being the
        median of the rounds' (steadier than each round's own)."""
        overhead = float(np.median(self.overhead))
        return [(s - overhead) / max(r - overhead, 1.0)
                for s, r in zip(self.student, self.reference)]

    @property
    def ratio(self) -> float:
        return float(np.median(self.ratios))


def keep_to_one_process(student: TimedWorker) -> bool:
    """Make the student's worker one process of one thread that cannot start another; True if
    the kernel enforces it, False if only checking around every round can (a root worker)."""
    if student.isolate():
        return True
    # A worker with a uid of its own is never root: there the kernel must have enforced it.
    if student.process.uid is not None or not student.single():
        raise CheckFailed(ONE_PROCESS)
    return False


def measure(ctx: Context, settings: SpeedTest = SETTINGS) -> Measurement:
    """Time the student's alt against the reference's, verifying every timed call."""
    _, x, gamma, beta = random_inputs(150, settings.N, settings.D)
    result = ctx.call(FORWARD, x, gamma, beta, {"mode": "train"}, keep=[1])
    cache = unpack(result, 2, "batchnorm_forward")[1]
    _, expected_cache = ctx.ref.layers.batchnorm_forward(x, gamma, beta, {"mode": "train"})
    measurement = Measurement()
    with WorkerClient(ctx.reference_dir.parent, ctx.worker.limits, ctx.worker.call_timeout,
                      ctx.worker.level) as reference_worker:
        reference_cache = reference_worker.call(FORWARD, x, gamma, beta, {"mode": "train"},
                                                keep=[1])[1]
        try:
            timed_rounds(ctx, cache, expected_cache, TimedWorker(reference_worker),
                         reference_cache, measurement, settings)
        finally:
            # The student's worker can no longer start processes or threads, and cannot raise
            # its limit again: the checks after this one get a fresh worker.
            ctx.worker.stop()
    return measurement


def timed_rounds(ctx: Context, cache, expected_cache, reference_worker: TimedWorker,
                 reference_cache, measurement: Measurement, settings: SpeedTest) -> None:
    shape, calls = (settings.N, settings.D), settings.calls_per_round
    student = TimedWorker(ctx.worker)
    enforced = keep_to_one_process(student)
    for _ in range(settings.warmup_rounds):
        seed = secrets.randbits(128)
        sums, _ = student.timed_calls(ALT, cache, seed, shape, calls)
        verify(ctx, sums, seed, expected_cache, settings)
        reference_worker.timed_calls(ALT, reference_cache, seed, shape, calls)
        reference_worker.timed_calls(None, None, seed, shape, calls)
    student_start, reference_start = student.cpu_ns(), reference_worker.cpu_ns()
    children_start = student.children_cpu_ticks()
    zombies = student.zombies()
    for round_number in range(settings.rounds):
        # Drawn now, from the operating system: nobody can know it before this request.
        seed = secrets.randbits(128)
        # Alternate who goes first, so neither always runs on a warmer machine.
        if round_number % 2:
            sums, spent = student.timed_calls(ALT, cache, seed, shape, calls)
            _, reference_spent = reference_worker.timed_calls(ALT, reference_cache, seed,
                                                              shape, calls)
        else:
            _, reference_spent = reference_worker.timed_calls(ALT, reference_cache, seed,
                                                              shape, calls)
            sums, spent = student.timed_calls(ALT, cache, seed, shape, calls)
        _, overhead = reference_worker.timed_calls(None, None, seed, shape, calls)
        if not enforced and not (student.single() and student.zombies() <= zombies):
            raise CheckFailed(ONE_PROCESS)
        verify(ctx, sums, seed, expected_cache, settings)
        measurement.student.append(spent)
        measurement.reference.append(reference_spent)
        measurement.overhead.append(overhead)
    student_untimed = student.cpu_ns() - student_start - sum(measurement.student)
    reference_untimed = (reference_worker.cpu_ns() - reference_start
                         - sum(measurement.reference) - sum(measurement.overhead))
    children_end = student.children_cpu_ticks()
    if not enforced and (children_start is None or children_end is None or
                         children_end - children_start > settings.max_children_ticks):
        raise CheckFailed(ONE_PROCESS)
    if student_untimed > (settings.max_untimed_factor * reference_untimed
                          + settings.max_untimed_extra_s * 1e9):
        raise CheckFailed("batchnorm_backward_alt's work was not done inside its calls "
                          "(memoizing or precomputing results is not allowed)")


def measure_ratio(ctx: Context, settings: SpeedTest = SETTINGS) -> float:
    """Median over rounds of (student - overhead) / (reference - overhead) CPU time."""
    return measure(ctx, settings).ratio


@check("bn_backward_alt_speed", "batchnorm_backward_alt is as fast as a closed form should be", 1)
def alt_speed(ctx: Context) -> None:
    try:
        ratio = measure_ratio(ctx)
    except StudentError as error:
        message = describe_error("batchnorm_backward_alt", error)
        if error.type == "BlockingIOError" or "new thread" in error.message:
            message += f" ({ONE_PROCESS})"  # a fork or a thread the limit refused
        raise CheckFailed(message) from None
    except WorkerLost as lost:
        raise CheckFailed(f"batchnorm_backward_alt could not be timed: {lost}") from None
    ctx.measurements["alt_time_ratio"] = round(ratio, 3)
    ctx.measurements["alt_time_threshold"] = SETTINGS.max_ratio
    if ratio > SETTINGS.max_ratio:
        raise CheckFailed(
            f"batchnorm_backward_alt took {ratio:.1f}x the time of the reference closed form "
            f"(at most {SETTINGS.max_ratio:g}x passes): compute dx directly from the simplified "
            "formula, without the staged graph or Python loops over features"
        )
