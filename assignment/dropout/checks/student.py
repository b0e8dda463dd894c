"""How the Dropout checks reach the student's code in the worker, and what they accept back.

The student's functions and model run only in the worker; what they return is validated here
(a tuple of the right length, arrays of the right shape, finite numbers) before any check compares
it, so that a wrong kind of answer fails with a message that says so. Caches and models stay in the
worker as handles.
"""

from __future__ import annotations

import numpy as np

from autograder.checks.base import CheckFailed, as_array, symbolic_shape, target
from autograder.runtime import wire

FORWARD = "dropout_forward"
BACKWARD = "dropout_backward"


def layer_target(name: str) -> str:
    """The call target of the student's layer function `name` (in the package's layers)."""
    return target("layers", name)


def net_target() -> str:
    return target("classifiers.fc_net", "FullyConnectedNet")


def expect_array_like(value, reference: np.ndarray, what: str, shape: str) -> np.ndarray:
    """`value` is a finite float array of `reference`'s shape (`shape` names it in messages)."""
    value = as_array(value, what)
    if value.shape != reference.shape:
        raise CheckFailed(f"{what} has shape {symbolic_shape(value.shape, reference.shape, shape)}"
                          f"; it must have shape {shape}")
    if value.dtype.kind not in "fc":
        raise CheckFailed(f"{what} must hold floating-point numbers, not {value.dtype}")
    if not np.all(np.isfinite(value)):
        raise CheckFailed(f"{what} contains NaN or infinity")
    return value


def student_forward(ctx, x, dropout_param, shape: str = "(N, D)", keep_cache: bool = False,
                    x_handle=None):
    """(out, cache) from the student's dropout_forward(x, dropout_param); the cache stays in the
    worker when `keep_cache`. `x_handle` (an x kept in the worker) is passed instead of x, so
    that the caller can read x back afterwards."""
    result = ctx.call(layer_target(FORWARD), x if x_handle is None else x_handle,
                      dict(dropout_param), keep=[1] if keep_cache else False, what=FORWARD)
    if not isinstance(result, tuple) or len(result) != 2:
        raise CheckFailed(f"{FORWARD} must return a tuple (out, cache)")
    out = expect_array_like(result[0], x, f"the output of {FORWARD}", shape)
    return out, result[1]


def student_backward(ctx, dout, cache, shape: str = "(N, D)") -> np.ndarray:
    """dx from the student's dropout_backward(dout, cache) (`cache`: a handle in the worker)."""
    dx = ctx.call(layer_target(BACKWARD), dout, cache, what=BACKWARD)
    if isinstance(dx, tuple) and len(dx) == 1:
        dx = dx[0]
    return expect_array_like(dx, dout, f"the dx of {BACKWARD}", shape)


def seed_worker(ctx, seed: int) -> None:
    """Seed the worker's global numpy generator, so that calls without a dropout seed still
    draw the same masks on every grading (the same submission gets the same score)."""
    ctx.request(FORWARD, "seed", seed=seed)


# The student's FullyConnectedNet (a model in the worker) -------------------------------------

def model_name(keep_ratio) -> str:
    return f"FullyConnectedNet(dropout_keep_ratio={keep_ratio})"


def build_student_model(ctx, keep_ratio, seed, D, hidden, C, reg=0.0):
    """A handle to the student's model (float64, no normalization) and its name for messages."""
    name = model_name(keep_ratio)
    handle = ctx.call(net_target(), list(hidden), input_dim=D, num_classes=C,
                      dropout_keep_ratio=keep_ratio, normalization=None, reg=reg,
                      weight_scale=1e-2, dtype="float64", seed=seed, keep=True, what=name)
    return handle, name


def set_student_params(ctx, model, name: str, params: dict) -> None:
    """Store each of `params` into the model's own params dict."""
    handle = ctx.request(f"{name}.params", "get", target=model, attr="params", keep=True)
    for key, value in params.items():
        ctx.request(f"{name}.params", "set", target=handle, key=key, value=wire.encode(value))


def student_loss(ctx, model, name: str, X, y):
    """(loss as a float, grads dict) from the student's model.loss(X, y)."""
    result = ctx.call(model, X, y, method="loss", what=f"{name}.loss")
    if not isinstance(result, tuple) or len(result) != 2:
        raise CheckFailed("loss(X, y) must return a tuple (loss, grads)")
    loss, grads = result
    if isinstance(loss, np.ndarray) and loss.size == 1:
        loss = loss.reshape(())[()]
    if isinstance(loss, (bool, np.bool_)) or not isinstance(
            loss, (int, float, np.integer, np.floating)):
        raise CheckFailed(f"the loss must be a number, got {type(loss).__name__}")
    if not np.isfinite(loss):
        raise CheckFailed("the loss is NaN or infinite")
    if not isinstance(grads, dict):
        raise CheckFailed(f"grads must be a dict, got {type(grads).__name__}")
    return float(loss), grads


def student_scores(ctx, model, name: str, X, C: int) -> np.ndarray:
    """The (N, C) scores from the student's model.loss(X) without labels."""
    scores = ctx.call(model, X, method="loss", what=f"{name}.loss")
    if not isinstance(scores, np.ndarray):
        raise CheckFailed("loss(X) without y must return the scores array, got "
                          f"{type(scores).__name__}")
    return expect_array_like(scores, np.zeros((len(X), C)), "the output of loss(X)", "(N, C)")


def numeric_loss_gradients(ctx, model, name: str, X, y, names: list[str], h: float) -> dict:
    """Numeric gradients of the student's own loss(X, y) for the params `names`, computed in
    the worker."""
    return ctx.request(f"{name}.loss", "numeric_loss_gradient", target=model,
                       X=wire.encode(X), y=wire.encode(y), names=names, h=h)
