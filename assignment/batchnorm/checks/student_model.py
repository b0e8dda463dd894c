"""The student's FullyConnectedNet as the checks see it: a handle to a model that lives in the
worker, built, read, set and run through requests to the worker.

Every answer of the student's code is validated here (types, shapes, finiteness) before a check
compares it; a wrong kind of answer fails the check with a message that says so.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from autograder.runtime import wire
from autograder.checks.base import CheckFailed
from .common import NET_TARGET

MODEL = "FullyConnectedNet"


@dataclass(frozen=True)
class StudentModel:
    """A model in the worker: its handle, and its name in messages. The name carries the
    normalization, so that a loss that hangs with batchnorm is not skipped with layernorm."""

    handle: int
    name: str

    def method(self, name: str) -> str:
        return f"{self.name}.{name}"


def build_student_model(ctx, normalization: str, D: int, hidden, C: int, weight_scale: float,
                        reg: float = 0.0, seed: int | None = None) -> StudentModel:
    """The student's model, in the worker (float64; dtypes cannot cross the wire, names can)."""
    name = f"{MODEL}(normalization={normalization!r})"
    if seed is not None:
        ctx.request(name, "seed", seed=seed)
    handle = ctx.call(NET_TARGET, list(hidden), input_dim=D, num_classes=C, reg=reg,
                      weight_scale=weight_scale, dtype="float64", normalization=normalization,
                      keep=True, what=name)
    return StudentModel(handle, name)


def student_attribute(ctx, model, attr: str, kind: type, what: str):
    """The model's attribute `attr`, which must be a `kind` (`what` names it in messages)."""
    value = ctx.request(model.method(attr), "get", target=model.handle, attr=attr)
    if not isinstance(value, kind):
        raise CheckFailed(f"{what} must be a {kind.__name__}, got {type(value).__name__}")
    return value


def set_student_params(ctx, model, params: dict) -> None:
    """Store each of `params` into the model's own params dict."""
    handle = ctx.request(model.method("params"), "get", target=model.handle, attr="params",
                         keep=True)
    for name, value in params.items():
        ctx.request(model.method("params"), "set", target=handle, key=name,
                    value=wire.encode(value))


def student_loss(ctx, model, X, y):
    """(loss as a float, grads dict) from the student's model.loss(X, y)."""
    result = ctx.call(model.handle, X, y, method="loss", what=model.method("loss"))
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


def student_scores(ctx, model, X, N: int, C: int, what: str):
    """The (N, C) scores from the student's model.loss(X) without labels."""
    scores = ctx.call(model.handle, X, method="loss", what=model.method("loss"))
    if not isinstance(scores, np.ndarray):
        raise CheckFailed(f"loss(X) without y must return the scores array, got "
                          f"{type(scores).__name__}")
    if scores.shape != (N, C):
        raise CheckFailed(f"{what} has shape {scores.shape}; it must have shape (N, C)")
    return scores


def numeric_loss_gradients(ctx, model, X, y, names: list[str], h: float) -> dict:
    """Numeric gradients of the student's own loss(X, y) for the params `names`, computed in
    the worker."""
    return ctx.request(model.method("loss"), "numeric_loss_gradient", target=model.handle,
                       X=wire.encode(X), y=wire.encode(y), names=names, h=h)
