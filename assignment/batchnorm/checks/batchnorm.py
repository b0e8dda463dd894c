"""Hidden checks of batchnorm_forward, batchnorm_backward and batchnorm_backward_alt."""

from __future__ import annotations

import numpy as np

from autograder.checks.base import (
    CheckFailed,
    StudentError,
    check,
    expect_close,
    matches,
    require_right_output,
)
from autograder.runtime import wire
from .common import BN_CASES, expect_inputs_unchanged, expect_numeric_gradients, layer, layer_target, random_inputs


def unpack(result, count: int, name: str):
    if not isinstance(result, tuple) or len(result) != count:
        raise CheckFailed(f"{name} must return a tuple of {count} values")
    return result


def forward_mistake(got, x, gamma, beta, eps) -> str:
    """Name the mistake when the output equals a known wrong variant of batchnorm."""
    mean, var = x.mean(axis=0), x.var(axis=0)
    x_hat = (x - mean) / np.sqrt(var + eps)
    variants = {
        "the output matches the unbiased variance (divide by N, not N - 1)":
            gamma * (x - mean) / np.sqrt(x.var(axis=0, ddof=1) + eps) + beta,
        "the output ignores gamma and beta": x_hat,
        "eps must go inside the square root, added to the variance":
            gamma * (x - mean) / (np.sqrt(var) + eps) + beta,
        "eps is missing from the normalization": gamma * (x - mean) / np.sqrt(var) + beta,
        "the statistics are taken over each example (axis 1); batchnorm uses axis 0":
            gamma * (x - x.mean(1, keepdims=True)) / np.sqrt(x.var(1, keepdims=True) + eps)
            + beta,
    }
    return next((name for name, value in variants.items() if matches(got, value)), "")


def student_forward(ctx, x, gamma, beta, bn_param, keep_cache=True):
    """(out, cache handle) from the student's batchnorm_forward."""
    result = layer(ctx, "batchnorm_forward", x, gamma, beta, bn_param,
                       keep=[1] if keep_cache else False)
    return unpack(result, 2, "batchnorm_forward")


# bn_forward_train -----------------------------------------------------------------------------

@check("bn_forward_train", "normalizes each feature over the batch, then scales and shifts", 3)
def train_outputs(ctx):
    for seed, (label, N, D) in enumerate(BN_CASES):
        _, x, gamma, beta = random_inputs(100 + seed, N, D)
        out, _ = student_forward(ctx, x, gamma, beta, {"mode": "train"})
        expected, _ = ctx.ref.layers.batchnorm_forward(x, gamma, beta, {"mode": "train"})
        expect_close(out, expected, f"the output for {label}", "(N, D)",
                     hint=forward_mistake(out, x, gamma, beta, 1e-5))
        if out.dtype != expected.dtype:
            raise CheckFailed(f"the output's dtype is {out.dtype}; float64 inputs must give "
                              "float64 outputs")


@check("bn_forward_train", "features with a tiny variance, where eps matters", 1)
def train_small_variance(ctx):
    _, x, gamma, beta = random_inputs(110, 32, 9, scale=1e-3, shift=0.0)
    out, _ = student_forward(ctx, x, gamma, beta, {"mode": "train"})
    expected, _ = ctx.ref.layers.batchnorm_forward(x, gamma, beta, {"mode": "train"})
    expect_close(out, expected, "the output for features with a tiny variance", "(N, D)",
                 hint=forward_mistake(out, x, gamma, beta, 1e-5))


@check("bn_forward_train", "uses bn_param['eps'] when it is given", 1)
def train_custom_eps(ctx):
    _, x, gamma, beta = random_inputs(111, 20, 6, scale=0.5)
    param = {"mode": "train", "eps": 0.2}
    out, _ = student_forward(ctx, x, gamma, beta, param)
    expected, _ = ctx.ref.layers.batchnorm_forward(x, gamma, beta, dict(param))
    hint = forward_mistake(out, x, gamma, beta, 0.2) or (
        "the output matches the default eps: read eps from bn_param"
        if matches(out, ctx.ref.layers.batchnorm_forward(x, gamma, beta, {"mode": "train"})[0])
        else "")
    expect_close(out, expected, "the output with a non-default eps", "(N, D)", hint=hint)


@check("bn_forward_train", "running mean and variance after each step (custom momentum)", 2)
def train_running_averages(ctx):
    rng, x, gamma, beta = random_inputs(112, 30, 8)
    start = {"mode": "train", "momentum": 0.7,
             "running_mean": rng.randn(8), "running_var": rng.rand(8) + 0.5}
    param = ctx.worker.put(start)
    expected_param = {key: np.copy(value) if isinstance(value, np.ndarray) else value
                      for key, value in start.items()}
    for step in range(3):
        batch = x + step * rng.randn(8)
        student_forward(ctx, batch, gamma, beta, param)
        ctx.ref.layers.batchnorm_forward(batch, gamma, beta, expected_param)
        state = ctx.request("batchnorm_forward", "get", target=param)
        for key in ("running_mean", "running_var"):
            if key not in state:
                raise CheckFailed(f"bn_param['{key}'] is not stored back after a training step")
            hint = ""
            if key == "running_var" and step == 0 and matches(
                    state[key], 0.7 * start[key] + 0.3 * batch.var(axis=0, ddof=1)):
                hint = "use the biased variance (divide by N)"
            elif step == 0 and matches(state[key], 0.3 * start[key] + 0.7 * (
                    batch.mean(axis=0) if key == "running_mean" else batch.var(axis=0))):
                hint = "momentum weighs the old running value: momentum * running + " \
                       "(1 - momentum) * batch statistic"
            expect_close(state[key], expected_param[key], f"bn_param['{key}'] after step "
                         f"{step + 1}", "(D,)", hint=hint)


@check("bn_forward_train", "running variance of features with a tiny variance, where eps matters",
       1)
def train_running_small_variance(ctx):
    _, x, gamma, beta = random_inputs(115, 24, 6, scale=1e-3, shift=0.0)
    start = {"mode": "train", "running_mean": np.zeros(6), "running_var": np.zeros(6)}
    param = ctx.worker.put(start)
    expected = {key: np.copy(value) if isinstance(value, np.ndarray) else value
                for key, value in start.items()}
    student_forward(ctx, x, gamma, beta, param)
    ctx.ref.layers.batchnorm_forward(x, gamma, beta, expected)
    got = ctx.request("batchnorm_forward", "get", target=param).get("running_var")
    hint = ""
    if matches(got, 0.1 * (x.var(axis=0) + 1e-5)):
        hint = "the running variance holds var + eps: eps belongs only inside the square root"
    expect_close(got, expected["running_var"], "bn_param['running_var'] after one step on "
                 "features whose variance is smaller than eps", "(D,)", hint=hint)


@check("bn_forward_train", "running averages start from zeros by default", 1)
def train_default_running_averages(ctx):
    _, x, gamma, beta = random_inputs(113, 12, 5)
    param = ctx.worker.put({"mode": "train"})
    student_forward(ctx, x, gamma, beta, param)
    expected = {"mode": "train"}
    ctx.ref.layers.batchnorm_forward(x, gamma, beta, expected)
    state = ctx.request("batchnorm_forward", "get", target=param)
    for key in ("running_mean", "running_var"):
        expect_close(state.get(key), expected[key], f"bn_param['{key}'] after one step from "
                     "the defaults", "(D,)")


@check("bn_forward_train", "leaves its input arrays unmodified", 1)
def train_inputs_unmodified(ctx):
    _, x, gamma, beta = random_inputs(114, 10, 4)
    handles = [ctx.worker.put(value) for value in (x, gamma, beta)]
    out, _ = student_forward(ctx, *handles, {"mode": "train"})
    expected, _ = ctx.ref.layers.batchnorm_forward(x, gamma, beta, {"mode": "train"})
    require_right_output(out, expected, "batchnorm_forward", "bn_forward_train",
                         "Leaving the inputs unmodified",
                         forward_mistake(out, x, gamma, beta, 1e-5))
    expect_inputs_unchanged(ctx, "batchnorm_forward", handles, (x, gamma, beta))


# bn_forward_test ------------------------------------------------------------------------------

def test_mode_mistake(got, x, gamma, beta, mean, var, eps) -> str:
    x_hat = (x - mean) / np.sqrt(var + eps)
    variants = {
        "test mode must still apply gamma and beta": x_hat,
        "eps must go inside the square root, added to the running variance":
            gamma * (x - mean) / (np.sqrt(var) + eps) + beta,
        "eps is missing from the test-time normalization": gamma * (x - mean) / np.sqrt(var) + beta,
        "test mode must use the running averages, not the batch statistics":
            gamma * (x - x.mean(0)) / np.sqrt(x.var(0) + eps) + beta,
    }
    return next((name for name, value in variants.items() if matches(got, value)), "")


@check("bn_forward_test", "normalizes with the running averages, then scales and shifts", 3)
def test_outputs(ctx):
    rng, x, gamma, beta = random_inputs(120, 25, 6)
    mean, var = rng.randn(6) * 3, rng.rand(6) * 4 + 0.01
    param = {"mode": "test", "running_mean": mean, "running_var": var}
    out, _ = student_forward(ctx, x, gamma, beta, param, keep_cache=False)
    expected, _ = ctx.ref.layers.batchnorm_forward(x, gamma, beta, dict(param))
    expect_close(out, expected, "the test-mode output", "(N, D)",
                 hint=test_mode_mistake(out, x, gamma, beta, mean, var, 1e-5))


@check("bn_forward_test", "test mode after several training steps with varied momentum", 2)
def test_after_training(ctx):
    rng, x, gamma, beta = random_inputs(121, 40, 7)
    param, expected_param = ctx.worker.put({"mode": "train"}), {"mode": "train"}
    for momentum in (0.8, 0.95, 0.5):
        batch = x + rng.randn(7)
        ctx.worker.set(param, "momentum", momentum)
        expected_param["momentum"] = momentum
        student_forward(ctx, batch, gamma, beta, param)
        ctx.ref.layers.batchnorm_forward(batch, gamma, beta, expected_param)
    ctx.worker.set(param, "mode", "test")
    # Judge the test branch on the running averages the student's training steps stored:
    # wrong ones are bn_forward_train's to charge, not this question's.
    state = ctx.request("batchnorm_forward", "get", target=param)
    for key in ("running_mean", "running_var"):
        value = state.get(key)
        if not (isinstance(value, np.ndarray) and value.shape == (7,)
                and value.dtype.kind == "f"):
            raise CheckFailed(f"test mode after training cannot be judged: the training steps "
                              f"left no bn_param['{key}'] of shape (D,) (see bn_forward_train)")
        expected_param[key] = value
    expected_param["mode"] = "test"
    test_x = x + rng.randn(7)
    out, _ = student_forward(ctx, test_x, gamma, beta, param, keep_cache=False)
    expected, _ = ctx.ref.layers.batchnorm_forward(test_x, gamma, beta, expected_param)
    expect_close(out, expected, "the test-mode output after training steps", "(N, D)")


@check("bn_forward_test", "test mode leaves the running averages alone", 1)
def test_keeps_running_averages(ctx):
    rng, x, gamma, beta = random_inputs(122, 9, 4)
    mean, var = rng.randn(4), rng.rand(4) + 0.1
    param = ctx.worker.put({"mode": "test", "running_mean": mean, "running_var": var})
    out, _ = student_forward(ctx, x, gamma, beta, param, keep_cache=False)
    expected, _ = ctx.ref.layers.batchnorm_forward(
        x, gamma, beta, {"mode": "test", "running_mean": mean, "running_var": var})
    require_right_output(out, expected, "batchnorm_forward", "the test-mode checks",
                         "Keeping the running averages",
                         test_mode_mistake(out, x, gamma, beta, mean, var, 1e-5))
    state = ctx.request("batchnorm_forward", "get", target=param)
    if not (np.array_equal(state.get("running_mean"), mean)
            and np.array_equal(state.get("running_var"), var)):
        raise CheckFailed("test mode changed bn_param's running averages; only training "
                          "steps may update them")


@check("bn_forward_test", "a mode other than 'train' or 'test' raises ValueError", 1)
def test_bad_mode(ctx):
    _, x, gamma, beta = random_inputs(123, 4, 3)
    # Credit only a working layer: a stub that raises on every call proves nothing.
    student_forward(ctx, x, gamma, beta, {"mode": "train"})
    with ctx.student_code("batchnorm_forward"):  # a hang or a crash: the usual verdict
        try:
            ctx.worker.call(layer_target("batchnorm_forward"), x, gamma, beta,
                            {"mode": "eval"})
        except StudentError as error:
            if error.type == "ValueError":
                return
            raise CheckFailed(f"an invalid bn_param['mode'] raised {error.type}; it must "
                              "raise ValueError") from None
    raise CheckFailed("an invalid bn_param['mode'] must raise ValueError")


# bn_backward and bn_backward_alt --------------------------------------------------------------

def backward_against_reference(ctx, function: str, N: int, D: int, seed: int, label: str,
                               eps: float | None = None, scale: float = 5.0) -> None:
    rng, x, gamma, beta = random_inputs(seed, N, D, scale=scale)
    dout = rng.randn(N, D)
    param = {"mode": "train"} if eps is None else {"mode": "train", "eps": eps}
    out, cache = student_forward(ctx, x, gamma, beta, dict(param))
    grads = unpack(layer(ctx, function, dout, cache), 3, function)
    ref_out, ref_cache = ctx.ref.layers.batchnorm_forward(x, gamma, beta, dict(param))
    if not matches(out, ref_out):
        raise CheckFailed(f"{function} cannot be judged for {label}: your batchnorm_forward "
                          "gives wrong outputs there (see bn_forward_train), and the gradients "
                          "come from its cache; fix the forward pass first")
    expected = ctx.ref.layers.batchnorm_backward(dout, ref_cache)
    names, shapes = ("dx", "dgamma", "dbeta"), ("(N, D)", "(D,)", "(D,)")
    right = [matches(g, e) for g, e in zip(grads, expected)]
    hint = ""
    if not right[0] and right[1] and right[2]:
        hint = ("dgamma and dbeta are right, so check that the cache is unpacked in the order "
                "it was packed, and the terms of dx")
    if eps is not None and not right[0]:
        _, default_cache = ctx.ref.layers.batchnorm_forward(x, gamma, beta, {"mode": "train"})
        if matches(grads[0], ctx.ref.layers.batchnorm_backward(dout, default_cache)[0]):
            hint = "dx matches the default eps: read eps from the cache instead of assuming it"
    for name, shape, got, want in zip(names, shapes, grads, expected):
        expect_close(got, want, f"{function}'s {name} for {label}", shape, hint=hint)


def same_data(a, b) -> bool:
    """Whether two plain values read from the worker are equal: arrays bit for bit (shape and
    dtype too), containers item by item; objects the worker keeps (handles) are not compared."""
    if isinstance(a, wire.Handle) or isinstance(b, wire.Handle):
        return isinstance(a, wire.Handle) and isinstance(b, wire.Handle)
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return (isinstance(a, np.ndarray) and isinstance(b, np.ndarray) and a.dtype == b.dtype
                and np.array_equal(a, b, equal_nan=True))
    if isinstance(a, (list, tuple)):
        return (type(a) is type(b) and len(a) == len(b)
                and all(same_data(x, y) for x, y in zip(a, b)))
    if isinstance(a, dict):
        return (isinstance(b, dict) and a.keys() == b.keys()
                and all(same_data(a[key], b[key]) for key in a))
    return a == b or (a != a and b != b)  # NaN equals NaN here


def backward_leaves_its_inputs_alone(ctx, function: str, seed: int) -> None:
    """Call `function` twice on one cache and one dout: neither may change, and the two
    results must be equal (the notebook and the network call it on caches they keep). Only right
    gradients earn this: a function that returns zeros leaves everything alone too."""
    rng, x, gamma, beta = random_inputs(seed, 16, 6)
    dout = rng.randn(16, 6)
    out, cache = student_forward(ctx, x, gamma, beta, {"mode": "train"})
    cache_before = ctx.request(function, "get", target=cache)
    dout_handle = ctx.request(function, "put", value=wire.encode(dout))
    first = unpack(layer(ctx, function, dout_handle, cache), 3, function)
    if not same_data(ctx.request(function, "get", target=cache), cache_before):
        raise CheckFailed(f"{function} changed its cache (the one your batchnorm_forward "
                          "returned) while computing the gradients: leave the cache as it is "
                          "and work on new arrays")
    if not same_data(ctx.request(function, "get", target=dout_handle), dout):
        raise CheckFailed(f"{function} changed its input dout in place: work on new arrays")
    second = unpack(layer(ctx, function, dout_handle, cache), 3, function)
    for name, a, b in zip(("dx", "dgamma", "dbeta"), first, second):
        if not same_data(a, b):
            raise CheckFailed(f"{function} gave a different {name} when called a second time "
                              "on the same cache and dout")
    ref_out, ref_cache = ctx.ref.layers.batchnorm_forward(x, gamma, beta, {"mode": "train"})
    expected = ctx.ref.layers.batchnorm_backward(dout, ref_cache)
    if not (matches(out, ref_out) and all(matches(g, e) for g, e in zip(first, expected))):
        raise CheckFailed(f"{function} leaves its inputs alone, but its gradients are wrong "
                          "(see the values check): this check counts once they are right")


@check("bn_backward", "dx, dgamma and dbeta match the reference", 3)
def backward_values(ctx):
    for seed, (label, N, D) in enumerate(BN_CASES):
        backward_against_reference(ctx, "batchnorm_backward", N, D, 130 + seed, label)


@check("bn_backward", "gradients match a numeric gradient of your own forward pass", 2)
def backward_numeric(ctx):
    rng, x, gamma, beta = random_inputs(135, 6, 5)
    dout = rng.randn(6, 5)
    out, cache = student_forward(ctx, x, gamma, beta, {"mode": "train"})
    expected, _ = ctx.ref.layers.batchnorm_forward(x, gamma, beta, {"mode": "train"})
    require_right_output(out, expected, "batchnorm_forward", "bn_forward_train",
                         "The numeric gradient check", forward_mistake(out, x, gamma, beta, 1e-5))
    grads = unpack(layer(ctx, "batchnorm_backward", dout, cache), 3, "batchnorm_backward")
    expect_numeric_gradients(ctx, "batchnorm_forward", "batchnorm_backward", grads,
                             [x, gamma, beta, {"mode": "train"}], dout)


@check("bn_backward", "leaves its cache and dout unchanged, and gives the same result twice", 1)
def backward_inputs_alone(ctx):
    backward_leaves_its_inputs_alone(ctx, "batchnorm_backward", 137)


@check("bn_backward", "reads eps from the cache (non-default eps)", 1)
def backward_custom_eps(ctx):
    backward_against_reference(ctx, "batchnorm_backward", 12, 5, 136,
                               "a non-default eps", eps=0.5, scale=0.3)


@check("bn_backward_alt", "the same values as the reference, from the same cache", 3)
def alt_values(ctx):
    for seed, (label, N, D) in enumerate(BN_CASES):
        backward_against_reference(ctx, "batchnorm_backward_alt", N, D, 140 + seed, label)


@check("bn_backward_alt", "leaves its cache and dout unchanged, and gives the same result twice",
       1)
def alt_inputs_alone(ctx):
    backward_leaves_its_inputs_alone(ctx, "batchnorm_backward_alt", 147)


@check("bn_backward_alt", "reads eps from the cache (non-default eps)", 1)
def alt_custom_eps(ctx):
    backward_against_reference(ctx, "batchnorm_backward_alt", 12, 5, 146,
                               "a non-default eps", eps=0.5, scale=0.3)
