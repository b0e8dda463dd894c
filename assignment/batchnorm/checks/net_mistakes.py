"""The known mistakes in a student's FullyConnectedNet, and how to recognize them.

A failing check of the network asks here for the name of the mistake it sees: a loss, a gradient
or scores that equal a known wrong variant (normalization ignored or swapped, a ReLU after the last
layer, the L2 penalty on the wrong parameters or with the wrong factor), or normalization layers
that are themselves wrong, which the network then inherits. The variants are computed with the
reference layers, in this process.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from autograder.checks.base import (
    CheckFailed,
    matches,
    numbers_match,
)
from .common import layer_target

OTHER = {"batchnorm": "layernorm", "layernorm": "batchnorm"}

# Wrong values that a check recognizes, each named by the mistake that gives them.
Variants = list[tuple[str, Callable[[], float]]]


def variant_scores(ctx, params, X, L, normalization, mode="train", relu_last=False):
    """Scores of the net with the reference layers, for recognizing mistakes."""
    layers = ctx.ref.layers
    hidden = X
    for i in range(1, L):
        hidden, _ = layers.affine_forward(hidden, params[f"W{i}"], params[f"b{i}"])
        gamma, beta = params.get(f"gamma{i}"), params.get(f"beta{i}")
        if normalization == "batchnorm":
            hidden, _ = layers.batchnorm_forward(hidden, gamma, beta, {"mode": mode})
        elif normalization == "layernorm":
            hidden, _ = layers.layernorm_forward(hidden, gamma, beta, {})
        hidden = np.maximum(hidden, 0)
    scores, _ = layers.affine_forward(hidden, params[f"W{L}"], params[f"b{L}"])
    return np.maximum(scores, 0) if relu_last else scores


def l2_penalty(params, reg, prefixes=("W",)) -> float:
    """0.5 * reg * the sum of squares of the params whose names start with `prefixes`."""
    return 0.5 * reg * sum(float(np.sum(value * value)) for name, value in params.items()
                           if name.rstrip("0123456789") in prefixes)


# Losses --------------------------------------------------------------------------------------

def loss_variants(ctx, normalization, params, X, y, L, reg) -> Variants:
    """The losses of known mistakes, each computed only when asked for."""
    def data_loss(scores) -> float:
        return float(ctx.ref.layers.softmax_loss(scores, y)[0])

    right_data = data_loss(variant_scores(ctx, params, X, L, normalization))
    right_penalty = l2_penalty(params, reg)
    variants = [
        (f"normalization='{normalization}' is ignored: the loss matches the same network "
         "without normalization layers",
         lambda: data_loss(variant_scores(ctx, params, X, L, None)) + right_penalty),
        (f"with normalization='{normalization}' the hidden layers are normalized as "
         f"{OTHER[normalization]} does, not as {normalization} does",
         lambda: data_loss(variant_scores(ctx, params, X, L, OTHER[normalization]))
         + right_penalty),
        ("a ReLU is applied after the last affine layer; the scores must go straight into "
         "the softmax", lambda: data_loss(variant_scores(ctx, params, X, L, normalization,
                                                         relu_last=True)) + right_penalty),
    ]
    if reg:
        variants += penalty_variants(params, L, reg, right_data, right_penalty)
    return variants


def penalty_variants(params, L, reg, right_data: float, right_penalty: float) -> Variants:
    """The losses of a wrong L2 penalty (on the right data loss)."""
    last = f"W{L}"
    return [
        ("the output layer's weights are left out of the L2 regularization: the penalty "
         "0.5 * reg * sum(W * W) covers every W, the last one too",
         lambda: right_data + right_penalty - l2_penalty({last: params[last]}, reg)),
        ("gamma or beta are regularized: the L2 penalty covers the weights W only",
         lambda: right_data + l2_penalty(params, reg, ("W", "gamma", "beta"))),
        ("the L2 penalty covers the weights W only, not the biases, gamma or beta",
         lambda: right_data + l2_penalty(params, reg, ("W", "b", "gamma", "beta"))),
        ("the L2 penalty covers the weights W only, not the biases",
         lambda: right_data + l2_penalty(params, reg, ("W", "b"))),
        ("the loss lacks the L2 regularization term 0.5 * reg * sum(W * W)",
         lambda: right_data),
        ("the L2 regularization term must be 0.5 * reg * sum(W * W) (mind the 0.5)",
         lambda: right_data + 2 * right_penalty),
    ]


def loss_mistake(ctx, normalization, got: float, params, X, y, L, reg) -> str:
    """Name the mistake when the loss equals a known wrong variant."""
    for name, variant in loss_variants(ctx, normalization, params, X, y, L, reg):
        try:
            with np.errstate(all="ignore"):
                value = variant()
        except Exception:
            continue
        if numbers_match(got, value):
            return name
    return ""


# Gradients -----------------------------------------------------------------------------------

def grad_mistake(name: str, got, expected, params, reg, L) -> str:
    """Name the regularization mistake when grads[name] is off by a known term."""
    if not reg:
        return ""
    value = params[name]
    if name.startswith("W"):
        if matches(got, expected - reg * value):
            return (f"grads['{name}'] lacks the regularization gradient reg * {name}"
                    + (" (the output layer is regularized too)" if name == f"W{L}" else ""))
        if matches(got, expected - 0.5 * reg * value):
            return f"the regularization gradient of {name} is reg * {name}"
    elif matches(got, expected + reg * value):
        return (f"grads['{name}'] includes a regularization gradient: the L2 penalty covers "
                "the weights W only, never b, gamma or beta")
    return ""


# Scores --------------------------------------------------------------------------------------

def scores_variants(ctx, normalization, params, X, L, expected) -> dict:
    """The scores of known mistakes, by the name of the mistake (`expected`: the right ones)."""
    variants = {
        f"normalization='{normalization}' is ignored: the scores match the same network "
        "without normalization layers": variant_scores(ctx, params, X, L, None),
        "a ReLU is applied after the last affine layer; the scores are the last affine "
        "layer's output": np.maximum(expected, 0),
    }
    if normalization == "batchnorm":
        variants.update({
            "loss(X) without y must run batchnorm in test mode (bn_param['mode'] = "
            "'test'), with the running averages instead of the batch statistics":
                variant_scores(ctx, params, X, L, "batchnorm"),
            "test mode found no running averages: a fresh bn_param dict is made on every "
            "call of loss(); create self.bn_params once, in __init__, so that the running "
            "statistics persist":
                variant_scores(ctx, params, X, L, "batchnorm", mode="test"),
        })
    else:
        variants["with normalization='layernorm' the hidden layers are normalized as "
                 "batchnorm does, not as layernorm does"] = variant_scores(
                     ctx, params, X, L, "batchnorm")
    return variants


def first_matching_variant(got, variants: dict) -> str:
    """The name of the first variant that `got` matches, or ''."""
    return next((name for name, value in variants.items() if matches(got, value)), "")


# When the layers themselves are wrong ------------------------------------------------------------

LAYER_QUESTIONS = {
    "batchnorm_forward": "bn_forward_train", "batchnorm_backward": "bn_backward",
    "batchnorm_backward_alt": "bn_backward_alt", "layernorm_forward": "ln_forward",
    "layernorm_backward": "ln_backward",
}


def broken_layers(ctx, normalization) -> list[str]:
    """The student's normalization layers that run but give wrong values (exceptions are
    already named by the failing check itself)."""
    rng = np.random.RandomState(350)
    x, gamma, beta, dout = rng.randn(6, 5) * 2 + 1, 1 + rng.rand(5), rng.randn(5), rng.randn(6, 5)
    param = {"mode": "train"} if normalization == "batchnorm" else {}
    forward = f"{normalization}_forward"
    ref_out, ref_cache = getattr(ctx.ref.layers, forward)(x, gamma, beta, dict(param))
    backwards = ([f"{normalization}_backward", "batchnorm_backward_alt"]
                 if normalization == "batchnorm" else [f"{normalization}_backward"])
    broken = []
    try:  # through ctx: a layer that hung once is not called again
        out, cache = ctx.call(layer_target(forward), x, gamma, beta, dict(param), keep=[1],
                              what=forward)
        if not matches(out, ref_out):
            return [forward]
        for backward in backwards:
            if gives_wrong_grads(ctx, backward, dout, cache, ref_cache):
                broken.append(backward)
    except (CheckFailed, TypeError, ValueError):
        return broken
    return broken


def gives_wrong_grads(ctx, backward: str, dout, cache, ref_cache) -> bool:
    """Whether the student's `backward` runs but disagrees with the reference's."""
    expected = getattr(ctx.ref.layers, backward)(dout, ref_cache)
    try:
        grads = ctx.call(layer_target(backward), dout, cache, what=backward)
    except CheckFailed:
        return False
    return not (isinstance(grads, tuple) and len(grads) == 3
                and all(matches(g, e) for g, e in zip(grads, expected)))


def noting_broken_layers(normalization, run):
    """Run a check; if it fails while the network's own layers are wrong, say so first."""
    def wrapped(ctx):
        try:
            run(ctx)
        except CheckFailed as failure:
            broken = broken_layers(ctx, normalization)
            if not broken:
                raise
            raise CheckFailed(broken_layers_message(broken, failure)) from None
    return wrapped


def broken_layers_message(broken: list[str], failure: CheckFailed) -> str:
    """The check's failure, led by the wrong layers it may come from."""
    questions = ", ".join(LAYER_QUESTIONS[name] for name in broken)
    names = " and ".join(broken)
    return (f"your {names} give{'s' if len(broken) == 1 else ''} wrong "
            f"results (see {questions}) and the network may use "
            f"{'it' if len(broken) == 1 else 'them'}: fix that first. "
            f"Here, {failure}")
