"""The speed check of batchnorm_backward_alt: timed against the reference's closed form.

Both run in worker processes of their own (the reference in a trusted one), on the same inputs, in
many short rounds that alternate between them; the ratio is the median over rounds of the
student's time over the reference's time in the same round, which cancels most of the noise that
other work on the machine adds. Every call gets a fresh `dout`, so nothing can be memoized,
and the values of the timed calls are checked. Time is the CPU time the kernel counts for the
worker's threads, read by the judge from /proc, so student code cannot fake its clock.

The threshold is calibrated by `make bench` (autograder/bench.py): the reference and honest closed
forms pass, the staged graph reused as alt and a per-column Python loop fail.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from autograder.checks.base import (
    CheckFailed,
    Context,
    check,
    describe_error,
    expect_close,
    random_inputs,
)
from autograder.checks.batchnorm import unpack
from autograder.client import StudentError, WorkerClient, WorkerLost

ALT = "cs231n.layers:batchnorm_backward_alt"
FORWARD = "cs231n.layers:batchnorm_forward"


@dataclass(frozen=True)
class SpeedTest:
    N: int = 32
    D: int = 64
    rounds: int = 25
    warmup_rounds: int = 2  # untimed: a fresh process runs slower than a warm one
    calls_per_round: int = 200
    calls_checked: int = 4  # timed calls per round whose values are compared
    rows_checked: int = 8  # rows of each timed dx compared with the reference
    # The student's alt may take at most this many times the reference's CPU time.
    max_ratio: float = 1.9
    # CPU spent outside the timed calls (drawing douts, reading results) may exceed the
    # reference's by this factor plus this many seconds; more means work was moved out of them.
    max_untimed_factor: float = 3.0
    max_untimed_extra_s: float = 0.5


SETTINGS = SpeedTest()


@dataclass
class Timing:
    """CPU ns one worker spent in each timed round, and where its clock stood at the start."""

    rounds: list[int] = field(default_factory=list)
    start: int = 0

    @property
    def timed(self) -> int:
        return sum(self.rounds)

    def add(self, spent: int) -> None:
        self.rounds.append(spent)

    def untimed(self, worker: WorkerClient) -> int:
        return worker.cpu_ns() - self.start - self.timed


def timed_batch(worker: WorkerClient, cache, douts, timing: Timing) -> list:
    """Call alt once per dout, adding the CPU time to `timing`; results stay in the worker."""
    before = worker.cpu_ns()
    results = worker.batch(ALT, [[dout, cache] for dout in douts])
    timing.add(worker.cpu_ns() - before)
    return results


def check_values(ctx: Context, results, seeds, expected_cache, rng) -> None:
    """Compare dgamma, dbeta and random rows of dx of some timed calls with the reference."""
    rows = sorted(rng.choice(SETTINGS.N, SETTINGS.rows_checked, replace=False).tolist())
    for index in rng.choice(len(results), SETTINGS.calls_checked, replace=False):
        handle = results[index]
        dout = np.random.default_rng(seeds[index]).standard_normal((SETTINGS.N, SETTINGS.D))
        expected = ctx.ref.layers.batchnorm_backward_alt(dout, expected_cache)
        got = [ctx.worker.get(handle, key=0, rows=rows),
               ctx.worker.get(handle, key=1), ctx.worker.get(handle, key=2)]
        wanted = [expected[0][rows], expected[1], expected[2]]
        for name, shape, value, want in zip(("dx", "dgamma", "dbeta"),
                                            ("(N, D)", "(D,)", "(D,)"), got, wanted):
            expect_close(value, want, f"batchnorm_backward_alt's {name} on a timed call", shape)


def measure_ratio(ctx: Context, settings: SpeedTest = SETTINGS) -> float:
    """Median over rounds of student time / reference time, checking values of timed calls."""
    rng, x, gamma, beta = random_inputs(150, settings.N, settings.D)
    shape = (settings.N, settings.D)
    result = ctx.call(FORWARD, x, gamma, beta, {"mode": "train"}, keep=[1])
    cache = unpack(result, 2, "batchnorm_forward")[1]
    _, expected_cache = ctx.ref.layers.batchnorm_forward(x, gamma, beta, {"mode": "train"})
    with WorkerClient(ctx.reference_dir.parent, ctx.worker.limits,
                      ctx.worker.call_timeout) as reference_worker:
        reference_cache = reference_worker.call(FORWARD, x, gamma, beta, {"mode": "train"},
                                                keep=[1])[1]
        for worker, worker_cache in ((ctx.worker, cache), (reference_worker, reference_cache)):
            for _ in range(settings.warmup_rounds):
                douts = [worker.request("randn", seed=n, shape=shape)
                         for n in range(settings.calls_per_round)]
                results = worker.batch(ALT, [[dout, worker_cache] for dout in douts])
                worker.request("release", handles=[*douts, *results])
        student = Timing(start=ctx.worker.cpu_ns())
        reference = Timing(start=reference_worker.cpu_ns())
        for round_number in range(settings.rounds):
            # Fresh douts every call, drawn in each worker from seeds only the judge knows.
            seeds = rng.randint(2**31, size=settings.calls_per_round).tolist()
            student_douts = [ctx.worker.request("randn", seed=s, shape=shape) for s in seeds]
            reference_douts = [reference_worker.request("randn", seed=s, shape=shape)
                               for s in seeds]
            # Alternate who goes first, so neither always runs on a warmer machine.
            if round_number % 2:
                results = timed_batch(ctx.worker, cache, student_douts, student)
                reference_results = timed_batch(reference_worker, reference_cache,
                                                reference_douts, reference)
            else:
                reference_results = timed_batch(reference_worker, reference_cache,
                                                reference_douts, reference)
                results = timed_batch(ctx.worker, cache, student_douts, student)
            check_values(ctx, results, seeds, expected_cache, rng)
            ctx.worker.request("release", handles=[*student_douts, *results])
            reference_worker.request("release", handles=[*reference_douts, *reference_results])
        student_untimed = student.untimed(ctx.worker)
        reference_untimed = reference.untimed(reference_worker)
    if student_untimed > (settings.max_untimed_factor * reference_untimed
                          + settings.max_untimed_extra_s * 1e9):
        raise CheckFailed("batchnorm_backward_alt's work was not done inside its calls "
                          "(memoizing or precomputing results is not allowed)")
    paired = [s / r for s, r in zip(student.rounds, reference.rounds)]
    return float(np.median(paired))


@check("bn_backward_alt_speed", "batchnorm_backward_alt is as fast as a closed form should be", 1)
def alt_speed(ctx: Context) -> None:
    try:
        ratio = measure_ratio(ctx)
    except StudentError as error:
        raise CheckFailed(describe_error("batchnorm_backward_alt", error)) from None
    except WorkerLost as lost:
        raise CheckFailed(f"batchnorm_backward_alt could not be timed: {lost}") from None
    ctx.measurements["alt_time_ratio"] = round(ratio, 3)
    if ratio > SETTINGS.max_ratio:
        raise CheckFailed(
            f"batchnorm_backward_alt took {ratio:.1f}x the time of the reference closed form "
            f"(at most {SETTINGS.max_ratio:g}x passes): compute dx directly from the simplified "
            "formula, without the staged graph or Python loops over features"
        )
