"""The speed check of batchnorm_backward_alt: is it a closed form, and not a slow one?

Whether alt is the simplified closed form is a fact about its algebra, not its rounding or its
time: so alt passes when all three hold:

1. it is not the staged graph's algebra: on a cache of the student's batchnorm_forward moved off
   the manifold (checks/algebra.py), its dx is the simplified form's, or at least differs from
   the student's batchnorm_backward beyond rounding. The staged graph's algebra (copied, retyped,
   looped, the paper's unsimplified equations) fails. Where the cache holds no batch statistics
   to move, the bit-for-bit comparison with batchnorm_backward stands in (>= `max_same_bits`
   equal entries fails); what neither can decide is flagged for review, never guessed;
2. it takes at most `max_staged_ratio` times the CPU time of the student's batchnorm_backward
   (the notebook's speedup cell prints the inverse);
3. it takes at most `review_reference_ratio` times the CPU time of the reference's closed form,
   so that padding batchnorm_backward cannot excuse a slow alt. Above `max_reference_ratio` it
   fails; in between it is flagged for review: an honest but costly numpy idiom in both
   functions and a loop beside a padded batchnorm_backward meet there, and time cannot tell
   them apart.

The timing rules only catch what the algebra cannot, a slow closed form.

Timing. The student's alt and batchnorm_backward run in the student's worker, the reference's alt
in a trusted worker of its own, in short rounds that alternate between them, at a shape where the
arithmetic dominates the calls' overhead. A round is ONE request per function (worker.py's
`timed_calls`): given a seed the judge draws at random just before (`secrets`), the worker draws
every call's dout and calls the function on it, and answers only a checksum of each call's (dx,
dgamma, dbeta). Nothing of a round exists before its request, so nothing can be precomputed;
nothing but numbers comes back, so nothing can be deferred past it; each dout depends on the
previous call's result, so the calls cannot be batched. The judge recomputes every call with the
reference and fails the check on any mismatch, naming the function at fault (a wrong
batchnorm_forward, whose cache both backward passes use, is named first).

Time is the CPU time the kernel counts for the worker, read by the judge from /proc before and
after each request (checks/timing.py), so student code cannot fake its clock; the worker must give
up starting processes and threads first. Drawing the douts and checksumming cost every request
the same: the trusted worker times that overhead alone (a stand-in for the function) in every
round, and the rounds' median is subtracted. Each ratio is the median over rounds; `make bench`
(autograder/bench.py) measures a population of right and wrong alts against the thresholds.
"""

from __future__ import annotations

import math
import secrets
from dataclasses import dataclass, field

import numpy as np

from autograder.checks.base import (
    CheckFailed,
    Context,
    NeedsReview,
    OutOfTime,
    check,
    describe_error,
    matches,
    rel_error,
)
from .algebra import SAME_ALGEBRA, SIMPLIFIED, Witness, classify, off_manifold
from .batchnorm import unpack
from autograder.checks.timing import TimedWorker
from autograder.grading.client import StudentError, WorkerClient, WorkerLost
from autograder.runtime.timed_calls import dout_at, draw_round, next_start
from .common import layer_target, random_inputs

ALT_NAME, STAGED_NAME, FORWARD_NAME = ("batchnorm_backward_alt", "batchnorm_backward",
                                       "batchnorm_forward")
ALT, STAGED, FORWARD = (layer_target(name) for name in (ALT_NAME, STAGED_NAME, FORWARD_NAME))
OUTPUTS = (("dx", "(N, D)"), ("dgamma", "(D,)"), ("dbeta", "(D,)"))


@dataclass(frozen=True)
class SpeedTest:
    # Arrays of half a MiB: the arithmetic, not the ~1 us per numpy call, dominates each call.
    N: int = 128
    D: int = 512
    rounds: int = 8
    warmup_rounds: int = 1  # untimed: a fresh process runs slower than a warm one
    # Sampling stops after min_rounds timed rounds once more could not change the verdict: the
    # algebra already fails, or every time ratio is below its threshold / clear_margin, or one
    # is above threshold * clear_margin. Near a threshold every round is measured.
    min_rounds: int = 4
    clear_margin: float = 2.0
    calls_per_round: int = 16
    tolerance: float = 1e-6  # relative, on each call's checksums
    max_same_bits: float = 0.75  # share of dx entries equal to batchnorm_backward's, bit for bit
    # Timing decides only what the algebra cannot: a slow closed form (a Python loop over the
    # features takes 11-15x). Honest closed forms take at most 1.11x their staged graph and 1.6x
    # the reference (9.0x with a diag(A.T @ B) dgamma): make bench on a CPU without AVX-512, in
    # docs/measurements.md; 1.89x their staged graph was seen once on another such CPU.
    max_staged_ratio: float = 3.0  # alt / the student's batchnorm_backward
    # alt / the reference's closed form: honest closed forms take at most 10.6x (a diag(A.T @ B)
    # dgamma), a per-column loop beside a padded batchnorm_backward at least 12.4x.
    review_reference_ratio: float = 12.0  # above: flagged for review
    max_reference_ratio: float = 16.0  # above: fails
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


# Checking every timed call ----------------------------------------------------------------------

def wrong_output(ctx: Context, sums, seed: int, expected_cache, settings: SpeedTest,
                 name: str) -> str | None:
    """What is wrong with one timed request's checksums (None: every call right). Each call's
    dout is rebuilt from the checksum reported for the call before it, so a wrong checksum
    anywhere fails at that call."""
    shape, calls = (settings.N, settings.D), settings.calls_per_round
    if not (isinstance(sums, np.ndarray) and sums.shape == (calls, 3)
            and sums.dtype.kind == "f"):
        return "the worker's answer to a timed request was not what the grader asked for"
    pool, start, probes = draw_round(seed, shape)
    for call in range(calls):
        dout = dout_at(pool, start, shape)
        expected = ctx.ref.layers.batchnorm_backward_alt(dout, expected_cache)
        for index, ((output, shape_text), value, probe) in enumerate(zip(OUTPUTS, expected,
                                                                         probes)):
            got = sums[call, index]
            if not math.isfinite(got):
                return (f"{name}'s {output} on a timed call is not an array of shape "
                        f"{shape_text} (or holds NaN or infinity)")
            if rel_error(got, value.ravel().dot(probe)) > settings.tolerance:
                return f"{name}'s {output} on a timed call is wrong"
        start = next_start(sums[call, 0], shape[0] * shape[1])
    return None


def verify(ctx: Context, alt_sums, staged_sums, seed: int, expected_cache,
           settings: SpeedTest) -> None:
    """Fail on any wrong timed call of alt, blaming the function at fault: batchnorm_backward's
    calls of the same round are checked only then (the bn_backward question judges them)."""
    alt = wrong_output(ctx, alt_sums, seed, expected_cache, settings, ALT_NAME)
    if not alt:
        return
    staged = wrong_output(ctx, staged_sums, seed, expected_cache, settings, STAGED_NAME)
    if staged:
        # Known: the forward's outputs are right (checked first), and the two functions, each
        # on its own copy of one cache, both give wrong gradients. Not known: which is at fault.
        raise CheckFailed(f"{alt}, and {STAGED_NAME}'s is wrong too on the same calls, each "
                          f"function on its own copy of one cache of your {FORWARD_NAME} (whose "
                          "outputs are right): see bn_backward_alt and bn_backward")
    raise CheckFailed(f"{alt} (see bn_backward_alt)")


# Measuring ------------------------------------------------------------------------------------

@dataclass
class Measurement:
    """CPU ns of every timed round: the student's alt and batchnorm_backward, the reference's
    alt and the overhead (drawing and checksumming alone, in the trusted reference worker); and
    the share of alt's dx entries bit-for-bit equal to batchnorm_backward's."""

    alt: list[int] = field(default_factory=list)
    staged: list[int] = field(default_factory=list)
    reference: list[int] = field(default_factory=list)
    overhead: list[int] = field(default_factory=list)
    same_bits: float = 0.0
    witness: Witness = Witness("unmoved")

    def ratios(self, times: list[int]) -> list[float]:
        """Per round: (alt - overhead) / (times - overhead), the overhead being the median of
        the rounds' (steadier than each round's own)."""
        overhead = float(np.median(self.overhead))
        return [max(a - overhead, 1.0) / max(t - overhead, 1.0)
                for a, t in zip(self.alt, times)]

    @property
    def staged_ratio(self) -> float:
        """alt's CPU time over the student's batchnorm_backward's (median over rounds)."""
        return float(np.median(self.ratios(self.staged)))

    @property
    def reference_ratio(self) -> float:
        """alt's CPU time over the reference's closed form (median over rounds)."""
        return float(np.median(self.ratios(self.reference)))


@dataclass(frozen=True)
class Verdict:
    """The speed rule's word on one measurement: a problem fails the check; a review (only
    where there is no problem) means no rule here could decide, and a person should look."""

    problem: str | None = None
    review: str | None = None


MOVED = ("on a cache of your batchnorm_forward whose batch mean and variance were moved by 0.1 % "
         "(every other relation in it kept), where the simplified closed form no longer equals "
         "the staged graph")


def algebra_verdict(measurement: Measurement, settings: SpeedTest) -> Verdict:
    """Rule 1: alt is not the staged graph's algebra (checks/algebra.py), with the bit-for-bit
    comparison where the cache cannot be moved."""
    witness, bits = measurement.witness, measurement.same_bits
    same_bits = (f"{bits:.0%} of its dx entries are bit-for-bit equal to your {STAGED_NAME}'s "
                 f"(at most {settings.max_same_bits:.0%} passes)")
    if witness.verdict in ("simplified", "differs"):
        return Verdict()
    if witness.verdict == "staged":
        return Verdict(f"{ALT_NAME} computes the staged graph's algebra, not the simplified "
                       f"closed form: {MOVED}, its dx equals the staged graph's to "
                       f"{witness.to_staged:.0e} (relative) and differs from the simplified "
                       f"form's by {witness.to_simplified:.0e}")
    if witness.verdict == "same" and bits >= settings.max_same_bits:
        return Verdict(f"{ALT_NAME} and your {STAGED_NAME} are one computation: {MOVED}, they "
                       f"agree to {witness.to_own:.0e}, and {same_bits}")
    if witness.verdict == "unmoved" and bits >= settings.max_same_bits:
        return Verdict(f"{ALT_NAME} computes dx the same way as your {STAGED_NAME}: {same_bits}")
    if witness.verdict == "same":
        return Verdict(review=f"{ALT_NAME} and your {STAGED_NAME} are one algebra, rounded "
                       f"differently: {MOVED}, they agree to {witness.to_own:.0e}, while alt "
                       "is neither the staged graph's algebra nor the simplified form's")
    if witness.verdict == "unmoved":
        return Verdict(review=f"the cache of your batchnorm_forward holds no batch statistics "
                       f"to move, so the grader cannot tell whether {ALT_NAME} simplifies the "
                       f"staged graph ({same_bits.split(' (')[0]})")
    return Verdict(review=f"{ALT_NAME} could not be told apart from your {STAGED_NAME}: {MOVED}, "
                   f"they differ by {witness.to_own:.0e} (relative), between rounding "
                   f"({SAME_ALGEBRA:g}) and a simplification ({SIMPLIFIED:g})")


def verdict(measurement: Measurement, settings: SpeedTest = SETTINGS) -> Verdict:
    """The rules in order, each message stating what was measured: the algebra, then the time
    against the student's batchnorm_backward and against the reference's closed form."""
    algebra = algebra_verdict(measurement, settings)
    if algebra.problem:
        return algebra
    if measurement.staged_ratio > settings.max_staged_ratio:
        return Verdict(f"{ALT_NAME} took {measurement.staged_ratio:.2f}x the CPU time of your "
                       f"{STAGED_NAME} (at most {settings.max_staged_ratio:g}x passes; the "
                       f"notebook's speedup cell shows {1 / measurement.staged_ratio:.2f}x)")
    if measurement.reference_ratio > settings.max_reference_ratio:
        return Verdict(f"{ALT_NAME} took {measurement.reference_ratio:.1f}x the CPU time of the "
                       f"reference closed form (at most {settings.review_reference_ratio:g}x "
                       f"passes; above {settings.max_reference_ratio:g}x fails)")
    if measurement.reference_ratio > settings.review_reference_ratio and not algebra.review:
        return Verdict(review=f"{ALT_NAME} took {measurement.reference_ratio:.1f}x the CPU time "
                       f"of the reference closed form and {measurement.staged_ratio:.2f}x that "
                       f"of your {STAGED_NAME}: between {settings.review_reference_ratio:g}x "
                       f"(passes) and {settings.max_reference_ratio:g}x (fails) the time alone "
                       "cannot decide")
    return algebra


def clear(measurement: Measurement, settings: SpeedTest) -> bool:
    """Whether the rounds measured so far decide the verdict by a wide margin (SpeedTest)."""
    if len(measurement.alt) < settings.min_rounds:
        return False
    if algebra_verdict(measurement, settings).problem:
        return True
    passes = [(measurement.staged_ratio, settings.max_staged_ratio),
              (measurement.reference_ratio, settings.review_reference_ratio)]
    fails = [(measurement.staged_ratio, settings.max_staged_ratio),
             (measurement.reference_ratio, settings.max_reference_ratio)]
    return (all(ratio <= limit / settings.clear_margin for ratio, limit in passes)
            or any(ratio >= limit * settings.clear_margin for ratio, limit in fails))


def keep_to_one_process(student: TimedWorker) -> bool:
    """Make the student's worker one process of one thread that cannot start another; True if
    the kernel enforces it, False if only checking around every round can (a root worker)."""
    if student.isolate():
        return True
    # A worker with a uid of its own is never root: there the kernel must have enforced it.
    if student.process.uid is not None or not student.single():
        raise CheckFailed(ONE_PROCESS)
    return False




FORWARD_FIRST = (f"the speed of {ALT_NAME} is measured on the cache of your {FORWARD_NAME}, "
                 f"which gives wrong outputs here (see bn_forward_train): fix it first")


def measure(ctx: Context, settings: SpeedTest = SETTINGS) -> Measurement:
    """Compare the student's alt with their batchnorm_backward (bits and time) and time it
    against the reference's, verifying every timed call."""
    _, x, gamma, beta = random_inputs(150, settings.N, settings.D)
    result = ctx.call(FORWARD, x, gamma, beta, {"mode": "train"}, keep=[1], what=FORWARD_NAME)
    out, cache = unpack(result, 2, FORWARD_NAME)
    expected_out, expected_cache = ctx.ref.layers.batchnorm_forward(x, gamma, beta,
                                                                    {"mode": "train"})
    if not matches(out, expected_out):
        raise CheckFailed(FORWARD_FIRST)
    measurement = Measurement(same_bits=same_bits(ctx, cache, settings),
                              witness=algebra_witness(ctx))
    with WorkerClient(ctx.reference_dir.parent, ctx.worker.limits, ctx.worker.call_timeout,
                      ctx.worker.level, ctx.worker.deadline) as reference_worker:
        try:
            reference_cache = reference_worker.call(FORWARD, x, gamma, beta, {"mode": "train"},
                                                    keep=[1])[1]
            timed_rounds(ctx, cache, expected_cache, TimedWorker(reference_worker),
                         reference_cache, measurement, settings)
        finally:
            # The student's worker can no longer start processes or threads, and cannot raise
            # its limit again: the checks after this one get a fresh worker.
            ctx.worker.stop()
    return measurement


def same_bits(ctx: Context, cache, settings: SpeedTest) -> float:
    """The share of alt's dx entries bit-for-bit equal to batchnorm_backward's, on one dout."""
    dout = np.random.default_rng(151).standard_normal((settings.N, settings.D))
    dx = {ALT_NAME: unpack(ctx.call(ALT, dout, cache, what=ALT_NAME, fresh=True), 3,
                           ALT_NAME)[0]}
    try:
        dx[STAGED_NAME] = unpack(ctx.call(STAGED, dout, cache, what=STAGED_NAME, fresh=True), 3,
                                 STAGED_NAME)[0]
    except CheckFailed as failure:
        raise CheckFailed(f"the speed check compares {ALT_NAME} with your {STAGED_NAME}, which "
                          f"failed: {failure} (see bn_backward)") from None
    alt, staged = dx[ALT_NAME], dx[STAGED_NAME]
    if not (isinstance(alt, np.ndarray) and isinstance(staged, np.ndarray)
            and alt.shape == staged.shape == dout.shape):
        return 0.0  # wrong outputs fail on the timed calls, with a message that says so
    return float(np.mean(alt == staged))


def algebra_witness(ctx: Context) -> Witness:
    """Move a cache of the student's batchnorm_forward off the manifold (checks/algebra.py) and
    compare alt's dx there with batchnorm_backward's and with the two known algebras."""
    _, x, gamma, beta = random_inputs(153, 32, 24)
    eps = 1e-5
    result = ctx.call(FORWARD, x, gamma, beta, {"mode": "train", "eps": eps}, what=FORWARD_NAME)
    point = off_manifold(unpack(result, 2, FORWARD_NAME)[1], x, gamma, beta, eps)
    if point is None:
        return Witness("unmoved")
    dout = np.random.default_rng(154).standard_normal(x.shape)
    dx = {}
    for target, name in ((ALT, ALT_NAME), (STAGED, STAGED_NAME)):
        try:  # each gets its own copy of the moved cache: it crosses the wire as data
            dx[name] = unpack(ctx.call(target, dout, point.cache, what=name), 3, name)[0]
        except CheckFailed:  # refused a cache off the manifold: the witness cannot tell
            return Witness("between", moved=point.moved)
        if not (isinstance(dx[name], np.ndarray) and dx[name].size == dout.size):
            return Witness("between", moved=point.moved)
    return classify(dx[ALT_NAME].reshape(dout.shape), dx[STAGED_NAME].reshape(dout.shape),
                    dout, x, gamma, eps, point)


def student_request(ctx: Context, student: TimedWorker, target: str, name: str, cache,
                    seed: int, settings: SpeedTest):
    """One timed request of the student's function `name`: (checksums, CPU ns)."""
    shape, calls = (settings.N, settings.D), settings.calls_per_round
    with ctx.student_code(name):  # a function that hung once is not called again
        try:
            return student.timed_calls(target, cache, seed, shape, calls)
        except StudentError as error:
            message = describe_error(name, error)
            if error.type == "BlockingIOError" or "new thread" in error.message:
                message += f" ({ONE_PROCESS})"  # a fork or a thread the limit refused
            raise CheckFailed(message) from None


def reference_request(reference: TimedWorker, target: str | None, cache, seed: int,
                      settings: SpeedTest):
    """One timed request in the trusted reference worker: (checksums, CPU ns)."""
    try:
        return reference.timed_calls(target, cache, seed, (settings.N, settings.D),
                                     settings.calls_per_round)
    except WorkerLost as lost:
        if lost.out_of_time:
            raise OutOfTime(str(lost)) from None
        raise CheckFailed(f"{ALT_NAME} could not be timed: the grader's reference worker "
                          f"failed ({lost}); please report this to the course staff") from None


def timed_rounds(ctx: Context, cache, expected_cache, reference: TimedWorker,
                 reference_cache, measurement: Measurement, settings: SpeedTest) -> None:
    student = TimedWorker(ctx.worker)
    enforced = keep_to_one_process(student)

    def one_round(round_number: int) -> tuple[list, list]:
        # Drawn now, from the operating system: nobody can know it before this request.
        seed = secrets.randbits(128)
        # Alternate who goes first, so neither always runs on a warmer machine.
        order = [ALT_NAME, STAGED_NAME, "reference"][::1 if round_number % 2 else -1]
        timings = {}
        for name in order:
            if name == "reference":
                timings[name] = reference_request(reference, ALT, reference_cache, seed,
                                                  settings)
            else:
                timings[name] = student_request(ctx, student, ALT if name == ALT_NAME
                                                else STAGED, name, cache, seed, settings)
        timings["overhead"] = reference_request(reference, None, None, seed, settings)
        if not enforced and not (student.single() and student.zombies() <= zombies):
            raise CheckFailed(ONE_PROCESS)
        verify(ctx, timings[ALT_NAME][0], timings[STAGED_NAME][0], seed, expected_cache,
               settings)
        return timings

    zombies = student.zombies()
    for round_number in range(settings.warmup_rounds):
        one_round(round_number)
    student_start, reference_start = student.cpu_ns(), reference.cpu_ns()
    children_start = student.children_cpu_ticks()
    zombies = student.zombies()
    for round_number in range(settings.rounds):
        timings = one_round(round_number)
        measurement.alt.append(timings[ALT_NAME][1])
        measurement.staged.append(timings[STAGED_NAME][1])
        measurement.reference.append(timings["reference"][1])
        measurement.overhead.append(timings["overhead"][1])
        if clear(measurement, settings):
            break
    student_untimed = (student.cpu_ns() - student_start - sum(measurement.alt)
                       - sum(measurement.staged))
    reference_untimed = (reference.cpu_ns() - reference_start
                         - sum(measurement.reference) - sum(measurement.overhead))
    children_end = student.children_cpu_ticks()
    if not enforced and (children_start is None or children_end is None or
                         children_end - children_start > settings.max_children_ticks):
        raise CheckFailed(ONE_PROCESS)
    # The reference worker times two requests per round and the student's worker two.
    if student_untimed > (settings.max_untimed_factor * reference_untimed
                          + settings.max_untimed_extra_s * 1e9):
        raise CheckFailed(f"{ALT_NAME}'s work was not done inside its calls (memoizing or "
                          "precomputing results is not allowed)")


@check("bn_backward_alt_speed", "batchnorm_backward_alt is a closed form, and not a slow one", 1,
       confines_worker=True)
def alt_speed(ctx: Context) -> None:
    measurement = measure(ctx)
    ctx.measurements.update({
        "alt_time_ratio": round(measurement.staged_ratio, 3),
        "alt_time_ratio_threshold": SETTINGS.max_staged_ratio,
        "alt_reference_ratio": round(measurement.reference_ratio, 3),
        "alt_same_bits": round(measurement.same_bits, 3),
    })
    ctx.measurements["alt_algebra"] = measurement.witness.verdict
    judged = verdict(measurement)
    if judged.problem:
        raise CheckFailed(judged.problem)
    if judged.review:
        raise NeedsReview(judged.review, show=(("layers.py", ALT_NAME),
                                               ("layers.py", STAGED_NAME)))
