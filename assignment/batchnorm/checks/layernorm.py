"""Hidden checks of layernorm_forward and layernorm_backward."""

from __future__ import annotations

import numpy as np

from autograder.checks.base import (
    CheckFailed,
    as_array,
    check,
    expect_close,
    matches,
    require_right_output,
)
from .batchnorm import unpack
from .common import BN_CASES, expect_inputs_unchanged, expect_numeric_gradients, layer, random_inputs

# The batchnorm shapes, plus a square batch: there a reduction over the wrong axis keeps the
# right shape, so only the values can tell.
LN_CASES = [*BN_CASES, ("a square batch (as many examples as features)", 8, 8)]


def ln_inputs(seed: int, N: int, D: int, scale: float = 5.0, shift: float = 12.0,
              row_shift: float = 10.0):
    """Inputs whose rows differ in offset and spread (what layernorm must remove per row)."""
    rng, x, gamma, beta = random_inputs(seed, N, D, scale=scale, shift=shift)
    x = x * (0.5 + rng.rand(N, 1)) + row_shift * rng.randn(N, 1)
    return rng, x, gamma, beta


def forward_mistake(got, x, gamma, beta, eps) -> str:
    """Name the mistake when the output equals a known wrong variant of layernorm."""
    mean, var = x.mean(axis=1, keepdims=True), x.var(axis=1, keepdims=True)
    x_hat = (x - mean) / np.sqrt(var + eps)
    variants = {
        "the statistics are taken over the batch (axis 0), as in batchnorm; layernorm "
        "normalizes each example over its own features (axis 1)":
            gamma * (x - x.mean(axis=0)) / np.sqrt(x.var(axis=0) + eps) + beta,
        "the output ignores gamma and beta": x_hat,
        "eps must go inside the square root, added to the variance":
            gamma * (x - mean) / (np.sqrt(var) + eps) + beta,
        "eps is missing from the normalization": gamma * (x - mean) / np.sqrt(var) + beta,
        "the output matches the unbiased variance (divide by D, not D - 1)":
            gamma * (x - mean) / np.sqrt(x.var(axis=1, ddof=1, keepdims=True) + eps) + beta,
    }
    return next((name for name, value in variants.items() if matches(got, value)), "")


def student_forward(ctx, x, gamma, beta, ln_param, keep_cache=True):
    """(out, cache handle) from the student's layernorm_forward."""
    result = layer(ctx, "layernorm_forward", x, gamma, beta, ln_param,
                       keep=[1] if keep_cache else False)
    return unpack(result, 2, "layernorm_forward")


def expect_output(ctx, out, x, gamma, beta, param: dict, label: str) -> None:
    expected, _ = ctx.ref.layers.layernorm_forward(x, gamma, beta, dict(param))
    eps = param.get("eps", 1e-5)
    hint = forward_mistake(out, x, gamma, beta, eps)
    if not hint and "eps" in param and matches(
            out, ctx.ref.layers.layernorm_forward(x, gamma, beta, {})[0]):
        hint = "the output matches the default eps: read eps from ln_param"
    expect_close(out, expected, label, "(N, D)", hint=hint)
    if out.dtype != expected.dtype:
        raise CheckFailed(f"{label} has dtype {out.dtype}; float64 inputs must give float64 "
                          "outputs")


# ln_forward -----------------------------------------------------------------------------------

@check("ln_forward", "normalizes each example over its features, then scales and shifts", 3)
def forward_outputs(ctx):
    for seed, (label, N, D) in enumerate(LN_CASES):
        _, x, gamma, beta = ln_inputs(200 + seed, N, D)
        out, _ = student_forward(ctx, x, gamma, beta, {})
        expect_output(ctx, out, x, gamma, beta, {}, f"the output for {label}")


@check("ln_forward", "examples with a tiny variance, where eps matters", 1)
def forward_small_variance(ctx):
    _, x, gamma, beta = ln_inputs(210, 12, 9, scale=1e-3, shift=0.0, row_shift=3.0)
    out, _ = student_forward(ctx, x, gamma, beta, {})
    expect_output(ctx, out, x, gamma, beta, {}, "the output for examples with a tiny variance")


@check("ln_forward", "uses ln_param['eps'] when it is given", 1)
def forward_custom_eps(ctx):
    _, x, gamma, beta = ln_inputs(211, 10, 7, scale=0.5, shift=1.0, row_shift=2.0)
    param = {"eps": 0.2}
    out, _ = student_forward(ctx, x, gamma, beta, dict(param))
    expect_output(ctx, out, x, gamma, beta, param, "the output with a non-default eps")


@check("ln_forward", "the same in train and test mode", 1)
def forward_mode_independent(ctx):
    # Only the outputs are judged: keys a layernorm built on batchnorm_forward leaves in
    # ln_param (running averages, a mode) are never read, so they harm nothing (README).
    _, x, gamma, beta = ln_inputs(212, 11, 6)
    outputs = {}
    for mode in ("train", "test"):
        out, _ = student_forward(ctx, x, gamma, beta, {"mode": mode}, keep_cache=False)
        expect_output(ctx, out, x, gamma, beta, {},
                      f"the output when ln_param['mode'] is '{mode}'")
        outputs[mode] = out
    if not np.array_equal(outputs["train"], outputs["test"]):
        raise CheckFailed("layernorm_forward gives different outputs in train and test mode; "
                          "it must ignore ln_param['mode']")


@check("ln_forward", "leaves its input arrays unmodified", 1)
def forward_inputs_unmodified(ctx):
    _, x, gamma, beta = ln_inputs(213, 9, 5)
    handles = [ctx.worker.put(value) for value in (x, gamma, beta)]
    out, _ = student_forward(ctx, *handles, {})
    expected, _ = ctx.ref.layers.layernorm_forward(x, gamma, beta, {})
    require_right_output(out, expected, "layernorm_forward", "ln_forward",
                         "Leaving the inputs unmodified",
                         forward_mistake(out, x, gamma, beta, 1e-5))
    expect_inputs_unchanged(ctx, "layernorm_forward", handles, (x, gamma, beta))


# ln_backward ----------------------------------------------------------------------------------

def dx_mistake(ctx, got, dout, cache) -> str:
    """Name the mistake when dx equals a known wrong variant, from the reference's cache."""
    x_hat, _, _, std, gamma, _ = cache
    N, D = dout.shape
    dx_hat = dout * gamma

    def closed_form(g, axis, count):
        return (count * g - g.sum(axis=axis, keepdims=True)
                - x_hat * np.sum(g * x_hat, axis=axis, keepdims=True)) / (count * std)

    axis0 = ("dx reduces over the batch (axis 0), as batchnorm's backward pass does; "
             "layernorm's statistics belong to each example, so the sums in dx run over each "
             "example's features (axis 1)")
    variants = [
        (axis0, lambda: closed_form(dx_hat, 0, N)),
        (axis0, lambda: closed_form(dx_hat, 0, D)),
        (axis0, lambda: ctx.ref.layers.batchnorm_backward(dout, cache)[0]),
        (axis0, lambda: ctx.ref.layers.batchnorm_backward_alt(dout, cache)[0]),
        ("dx ignores gamma: the gradient reaching the normalized data is dout * gamma",
         lambda: closed_form(dout, 1, D)),
        ("dx treats the mean and the variance as constants: they depend on x too, which adds "
         "the two sum terms", lambda: dx_hat / std),
    ]
    for name, variant in variants:
        try:
            with np.errstate(all="ignore"):
                value = variant()
        except Exception:  # a variant that does not even broadcast cannot be the student's
            continue
        if matches(got, value):
            return name
    return ""


def param_grad_shape(got, name: str, N: int, D: int) -> None:
    """Explain a dgamma or dbeta of the wrong shape (a transpose trick done halfway, say)."""
    got = as_array(got, f"layernorm_backward's {name}")
    if got.shape == (D,):
        return
    if got.shape in ((1, D), (D, 1)):
        kept = "(1, D)" if got.shape == (1, D) else "(D, 1)"
        raise CheckFailed(f"layernorm_backward's {name} has shape {kept}; it must have shape "
                          "(D,): drop the kept axis (no keepdims), or reshape")
    if got.shape == (N,):
        raise CheckFailed(f"layernorm_backward's {name} has one entry per example; gamma and "
                          "beta have one entry per feature and are shared by all examples, so "
                          "sum over the examples (axis 0) to get shape (D,)")


def backward_against_reference(ctx, N: int, D: int, seed: int, label: str, names,
                               eps: float | None = None, scale: float = 5.0,
                               shift: float = 12.0) -> None:
    rng, x, gamma, beta = ln_inputs(seed, N, D, scale=scale, shift=shift)
    dout = rng.randn(N, D)
    param = {} if eps is None else {"eps": eps}
    out, cache = student_forward(ctx, x, gamma, beta, dict(param))
    grads = unpack(layer(ctx, "layernorm_backward", dout, cache), 3, "layernorm_backward")
    ref_out, ref_cache = ctx.ref.layers.layernorm_forward(x, gamma, beta, dict(param))
    expected = ctx.ref.layers.layernorm_backward(dout, ref_cache)
    right = [matches(g, e) for g, e in zip(grads, expected)]
    forward_note = "" if matches(out, ref_out) else (
        "your layernorm_forward's output is wrong too, and these gradients come from its "
        "cache: fix the forward pass first")
    for index, name in enumerate(("dx", "dgamma", "dbeta")):
        if name not in names or right[index]:
            continue
        hint = ""
        if name == "dx":
            hint = dx_mistake(ctx, grads[0], dout, ref_cache)
            if not hint and eps is not None:
                _, default_cache = ctx.ref.layers.layernorm_forward(x, gamma, beta, {})
                # Or the right x_hat with a standard deviation recomputed at the default eps.
                var, g = x.var(axis=1, keepdims=True), dout * gamma
                x_hat = (x - x.mean(axis=1, keepdims=True)) / np.sqrt(var + eps)
                default_std = (D * g - g.sum(axis=1, keepdims=True) - x_hat * np.sum(
                    g * x_hat, axis=1, keepdims=True)) / (D * np.sqrt(var + 1e-5))
                if matches(grads[0], ctx.ref.layers.layernorm_backward(dout, default_cache)[0]) \
                        or matches(grads[0], default_std):
                    hint = ("dx matches the default eps: read eps (or the standard deviation) "
                            "from the cache instead of assuming it")
            if not hint and right[1] and right[2]:
                hint = ("dgamma and dbeta are right, so check that the cache is unpacked in "
                        "the order it was packed, and the terms of dx")
        else:
            param_grad_shape(grads[index], name, N, D)
            summed = dout * ref_cache[0] if name == "dgamma" else dout
            if N == D and matches(grads[index], summed.sum(axis=1)):
                hint = (f"{name} sums over each example's features (axis 1); gamma and beta "
                        "are shared by all examples, so sum over the examples (axis 0)")
        if forward_note:
            hint = forward_note + (f"; also, {hint}" if hint else "")
        expect_close(grads[index], expected[index], f"layernorm_backward's {name} for {label}",
                     "(N, D)" if name == "dx" else "(D,)", hint=hint)


@check("ln_backward", "dx matches the reference", 3)
def backward_dx(ctx):
    for seed, (label, N, D) in enumerate(LN_CASES):
        backward_against_reference(ctx, N, D, 230 + seed, label, ("dx",))


@check("ln_backward", "dgamma and dbeta match the reference, shaped (D,)", 2)
def backward_dgamma_dbeta(ctx):
    for seed, (label, N, D) in enumerate(LN_CASES):
        backward_against_reference(ctx, N, D, 240 + seed, label, ("dgamma", "dbeta"))


@check("ln_backward", "gradients match a numeric gradient of your own forward pass", 2)
def backward_numeric(ctx):
    rng, x, gamma, beta = ln_inputs(250, 5, 6)
    dout = rng.randn(5, 6)
    out, cache = student_forward(ctx, x, gamma, beta, {})
    expected, _ = ctx.ref.layers.layernorm_forward(x, gamma, beta, {})
    require_right_output(out, expected, "layernorm_forward", "ln_forward",
                         "The numeric gradient check", forward_mistake(out, x, gamma, beta, 1e-5))
    grads = unpack(layer(ctx, "layernorm_backward", dout, cache), 3, "layernorm_backward")
    expect_numeric_gradients(ctx, "layernorm_forward", "layernorm_backward", grads,
                             [x, gamma, beta, {}], dout)


@check("ln_backward", "reads eps from the cache (non-default eps)", 1)
def backward_custom_eps(ctx):
    backward_against_reference(ctx, 10, 6, 251, "a non-default eps", ("dx", "dgamma", "dbeta"),
                               eps=0.5, scale=0.3, shift=0.5)
