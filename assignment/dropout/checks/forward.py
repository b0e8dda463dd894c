"""Hidden checks of dropout_forward: training mode (dropout_forward_train) and test mode
(dropout_forward_test).

Training mode draws random masks, and students draw them in many right ways (rand < p, binomial,
a global or a private generator), so the checks judge properties, never the reference's draws:
the fraction of units kept at several keep probabilities (none of them one half, where keeping
and dropping cannot be told apart), kept units equal to x / p and dropped ones exactly zero, the
seed's effect, any input shape. Test mode must be the identity.
"""

from __future__ import annotations

import math

import numpy as np

from autograder.checks.base import CheckFailed, check
from .student import FORWARD, seed_worker, student_forward

# Keep probabilities, named by what they test (the names reach students, the values do not).
CASES = [
    ("a low keep probability", 0.3),
    ("a keep probability above one half", 0.75),
    ("a keep probability close to one", 0.9),
]
IMAGE_SHAPE = (16, 3, 16, 16)


def inputs(seed: int, shape=(400, 500)) -> np.ndarray:
    """Activations of both signs and no zeros, so that out / x shows every unit's mask."""
    rng = np.random.RandomState(seed)
    return np.where(rng.rand(*shape) < 0.5, -1.0, 1.0) * (0.5 + rng.rand(*shape))


def fraction_tolerance(p: float, n: int) -> float:
    """How far the kept fraction of n units may be from p: seven standard deviations (a right
    implementation fails with probability below 1e-11), never below 0.01."""
    return max(0.01, 7 * math.sqrt(p * (1 - p) / n))


def kept_fraction_mistake(fraction: float, p: float, n: int) -> str:
    """What a wrong fraction of kept units means."""
    tolerance = fraction_tolerance(p, n)
    if fraction == 1.0:
        return "no unit is dropped in train mode"
    if fraction == 0.0:
        return "every unit is dropped"
    if abs(fraction - (1 - p)) <= tolerance:
        return ("the fraction of units kept is 1 - p: p is taken as the drop probability, but "
                "p is the probability of KEEPING a unit (keep where rand < p)")
    return "the fraction of units kept must be about p"


def expect_kept_fraction(out: np.ndarray, p: float, label: str) -> None:
    fraction = float(np.mean(out != 0))
    if abs(fraction - p) > fraction_tolerance(p, out.size):
        raise CheckFailed(f"with {label}: {kept_fraction_mistake(fraction, p, out.size)}")


def scaling_mistake(kept_out: np.ndarray, kept_x: np.ndarray, p: float) -> str:
    """What kept units that are not x / p are instead."""
    variants = {
        "the kept units are not divided by p: inverted dropout scales them by 1 / p in "
        "training, so that test mode can be the identity": kept_x,
        "the kept units are multiplied by p; inverted dropout divides them by p": kept_x * p,
        "the kept units are divided by 1 - p: p is the probability of keeping a unit, so "
        "divide by p": kept_x / (1 - p),
    }
    for name, value in variants.items():
        if np.allclose(kept_out, value, rtol=1e-9, atol=0):
            return name
    return "kept units must equal x / p (inverted dropout) and dropped units exactly 0"


def expect_inverted_scaling(out: np.ndarray, x: np.ndarray, p: float, label: str) -> None:
    kept = out != 0
    if not kept.any():
        raise CheckFailed(f"with {label}: every unit is dropped")
    if not np.allclose(out[kept], x[kept] / p, rtol=1e-9, atol=0):
        raise CheckFailed(f"with {label}: {scaling_mistake(out[kept], x[kept], p)}")


def expect_x_unchanged(ctx, handle, x: np.ndarray, mode: str) -> None:
    after = ctx.request(FORWARD, "get", target=handle)
    if not np.array_equal(after, x):
        raise CheckFailed(f"{FORWARD} modified its input x in place in {mode} mode (x *= ...): "
                          "compute a new array instead")


# dropout_forward_train ------------------------------------------------------------------------

@check("dropout_forward_train", "keeps each unit with probability p (several p, with and "
       "without a seed)", 3)
def keeps_units_with_probability_p(ctx):
    for index, (label, p) in enumerate(CASES):
        x = inputs(400 + index)
        out, _ = student_forward(ctx, x, {"mode": "train", "p": p, "seed": 410 + index})
        expect_kept_fraction(out, p, label)
        seed_worker(ctx, 420 + index)
        out, _ = student_forward(ctx, x, {"mode": "train", "p": p})
        expect_kept_fraction(out, p, f"{label} and no seed")


@check("dropout_forward_train", "dropped units are exactly 0, kept ones x / p; x itself is "
       "left unchanged", 3)
def scales_kept_units(ctx):
    for index, (label, p) in enumerate(CASES):
        x = inputs(430 + index, shape=(60, 70))
        handle = ctx.worker.put(x)
        out, _ = student_forward(ctx, x, {"mode": "train", "p": p, "seed": 440 + index},
                                 x_handle=handle)
        expect_inverted_scaling(out, x, p, label)
        expect_x_unchanged(ctx, handle, x, "train")


@check("dropout_forward_train", "the same seed gives the same mask, another seed another "
       "one, and no seed a new mask on every call", 2)
def follows_the_seed(ctx):
    x, p = inputs(450, shape=(50, 40)), 0.6
    first, _ = student_forward(ctx, x, {"mode": "train", "p": p, "seed": 451})
    seed_worker(ctx, 452)  # moves the global generator: a seed that is ignored shows
    again, _ = student_forward(ctx, x, {"mode": "train", "p": p, "seed": 451})
    if not np.array_equal(first != 0, again != 0):
        raise CheckFailed("two calls with the same dropout_param['seed'] drop different units: "
                          "the seed is ignored; draw the mask after np.random.seed(seed) (or "
                          "from np.random.RandomState(seed)) when dropout_param has a seed")
    other, _ = student_forward(ctx, x, {"mode": "train", "p": p, "seed": 453})
    if np.array_equal(first != 0, other != 0):
        raise CheckFailed("two different seeds drop the same units: the mask must be drawn "
                          "from the given seed")
    seed_worker(ctx, 454)
    unseeded = [student_forward(ctx, x, {"mode": "train", "p": p})[0] for _ in range(2)]
    if np.array_equal(unseeded[0] != 0, unseeded[1] != 0):
        raise CheckFailed("two calls without a seed drop the same units: without "
                          "dropout_param['seed'] every call must draw a new mask (is a seed "
                          "hard-coded?)")


@check("dropout_forward_train", "works on inputs of any shape (a batch of images)", 2)
def any_shape(ctx):
    x, p = inputs(460, shape=IMAGE_SHAPE), 0.6
    out, _ = student_forward(ctx, x, {"mode": "train", "p": p, "seed": 461},
                             shape="(N, C, H, W)")
    expect_kept_fraction(out, p, "a 4-D input")
    expect_inverted_scaling(out, x, p, "a 4-D input")


# dropout_forward_test -------------------------------------------------------------------------

def test_mode_mistake(out: np.ndarray, x: np.ndarray, p: float) -> str:
    """What a test-mode output that is not x is instead."""
    if np.allclose(out, x * p, rtol=1e-9, atol=0):
        return ("test mode multiplies x by p: with inverted dropout the scaling is done in "
                "training, so test mode returns x unchanged")
    if np.allclose(out, x / p, rtol=1e-9, atol=0):
        return ("test mode divides x by p: with inverted dropout only the kept units of "
                "training are scaled; test mode returns x unchanged")
    dropped = out == 0
    if dropped.any():
        kept = ~dropped
        if np.allclose(out[kept], x[kept] / p, rtol=1e-9, atol=0) or np.allclose(
                out[kept], x[kept], rtol=1e-9, atol=0):
            return "test mode drops units: no mask is applied at test time, the output is x"
    return "test mode must return x unchanged"


@check("dropout_forward_test", "test mode returns x unchanged (several p, with and without a "
       "seed)", 3)
def test_mode_is_identity(ctx):
    for index, (label, p) in enumerate(CASES):
        x = inputs(470 + index, shape=(60, 70))
        for param in ({"mode": "test", "p": p}, {"mode": "test", "p": p, "seed": 480 + index}):
            handle = ctx.worker.put(x)
            out, _ = student_forward(ctx, x, param, x_handle=handle)
            if not np.array_equal(out, x):
                raise CheckFailed(f"with {label}: {test_mode_mistake(out, x, p)}")
            expect_x_unchanged(ctx, handle, x, "test")


@check("dropout_forward_test", "test mode on inputs of any shape", 1)
def test_mode_any_shape(ctx):
    for index, shape in enumerate((IMAGE_SHAPE, (37,))):
        x, p = inputs(490 + index, shape=shape), 0.6
        out, _ = student_forward(ctx, x, {"mode": "test", "p": p},
                                 shape="(N, C, H, W)" if len(shape) == 4 else "(D,)")
        if not np.array_equal(out, x):
            raise CheckFailed(f"with a {len(shape)}-D input: {test_mode_mistake(out, x, p)}")
