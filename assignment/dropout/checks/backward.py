"""Hidden checks of dropout_backward.

The backward pass is judged against the student's own forward pass: in training mode dx must be
dout times the very mask the forward call used, which the checks read from that call's output
(out / x, with an x that has no zeros). So a forward mistake (say, no 1/p scaling) is charged to
the forward question only, and a backward pass that draws a mask of its own is recognized.
"""

from __future__ import annotations

import numpy as np

from autograder.checks.base import CheckFailed, check
from .forward import inputs
from .student import BACKWARD, FORWARD, seed_worker, student_backward, student_forward

# (what the case is, keep probability, dropout seed or None: the worker's generator is seeded)
TRAIN_CASES = [
    ("a seeded forward pass", 0.6, 500),
    ("a forward pass without a seed", 0.3, None),
    ("a forward pass without a seed and a high keep probability", 0.9, None),
]


def forward_for_backward(ctx, x, param: dict, label: str):
    """(out, cache handle) of a training-mode forward call that really dropped units, or a
    verdict that the backward pass cannot be judged yet."""
    try:
        out, cache = student_forward(ctx, x, param, keep_cache=True)
    except CheckFailed as failure:
        raise CheckFailed(f"{BACKWARD} cannot be judged: {failure}") from None
    kept = out != 0
    if kept.all() or not kept.any():
        raise CheckFailed(f"{BACKWARD} cannot be judged: your {FORWARD} "
                          f"{'drops no unit' if kept.all() else 'drops every unit'} in train "
                          "mode (see dropout_forward_train); fix that first")
    return out, cache


def backward_mistake(dx, dout, mask, out, p: float) -> str:
    """What a training-mode dx that is not dout * mask is instead (`mask`: the forward's own,
    read as out / x)."""
    if np.allclose(dx, dout, rtol=1e-9, atol=0):
        return "dx is dout unchanged: in train mode multiply dout by the mask the forward used"
    dropped_forward, dropped_backward = out == 0, dx == 0
    if dropped_backward.any() and not np.array_equal(dropped_forward, dropped_backward):
        return ("dx drops other units than the forward pass did: a new mask is drawn in "
                "backward; use the mask saved in the cache")
    variants = {
        "dx lacks the forward pass's 1 / p: it is dout times the same (scaled) mask the "
        "forward multiplied x by": dout * (out != 0),
        "dx is scaled by 1 / p twice: the cached mask is already scaled": dout * mask / p,
    }
    return next((name for name, value in variants.items()
                 if np.allclose(dx, value, rtol=1e-9, atol=0)), "")


@check("dropout_backward", "dx is dout times the mask of the forward call (with and without "
       "a seed)", 4)
def uses_the_forward_mask(ctx):
    for index, (label, p, seed) in enumerate(TRAIN_CASES):
        x = inputs(510 + index, shape=(80, 60))
        param = {"mode": "train", "p": p}
        if seed is None:
            seed_worker(ctx, 520 + index)
        else:
            param["seed"] = seed
        out, cache = forward_for_backward(ctx, x, param, label)
        mask = out / x
        dout = np.random.RandomState(530 + index).randn(*x.shape)
        dx = student_backward(ctx, dout, cache)
        if not np.allclose(dx, dout * mask, rtol=1e-8, atol=1e-12):
            hint = backward_mistake(dx, dout, mask, out, p)
            raise CheckFailed(f"after {label}, the dx of {BACKWARD} is wrong"
                              + (f": {hint}" if hint else ""))


@check("dropout_backward", "in test mode dx is dout", 2)
def passes_gradient_in_test_mode(ctx):
    x, p = inputs(540, shape=(30, 20)), 0.6
    dout = np.random.RandomState(541).randn(*x.shape)
    try:
        _, cache = student_forward(ctx, x, {"mode": "test", "p": p}, keep_cache=True)
    except CheckFailed as failure:
        raise CheckFailed(f"{BACKWARD} in test mode cannot be judged: {failure}") from None
    try:
        dx = student_backward(ctx, dout, cache)
    except CheckFailed as failure:
        hint = ""
        if "NoneType" in str(failure) or "None" in str(failure):
            hint = (": in test mode the forward pass used no mask, so dropout_backward returns "
                    "dout as it is")
        raise CheckFailed(f"{failure}{hint}") from None
    if not np.array_equal(dx, dout):
        hint = ""
        if np.allclose(dx, dout * p, rtol=1e-9, atol=0) or np.allclose(dx, dout / p, rtol=1e-9,
                                                                        atol=0):
            hint = ": it is scaled by p, but the test-mode forward pass is the identity"
        elif (dx == 0).any():
            hint = ": units are dropped, but the test-mode forward pass drops none"
        raise CheckFailed(f"in test mode the dx of {BACKWARD} must be dout unchanged{hint}")
