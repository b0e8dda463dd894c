"""A cheat against the rule: batchnorm_backward padded twentyfold, alt a per-column loop."""

import numpy as np

KIND = "cheat"
SHOULD_PASS = False

_REFERENCE_STAGED = batchnorm_backward  # noqa: F821 (defined in layers.py)


def batchnorm_backward(dout, cache):
    for _ in range(20):  # the padding
        result = _REFERENCE_STAGED(dout, cache)
    return result


def batchnorm_backward_alt(dout, cache):
    x_hat, _, _, std, gamma, _ = cache
    N, D = dout.shape
    dx = np.empty_like(dout)
    for j in range(D):
        g, xh = dout[:, j], x_hat[:, j]
        dx[:, j] = gamma[j] / std[j] * (g - g.sum() / N - xh * (g * xh).sum() / N)
    return dx, (dout * x_hat).sum(axis=0), dout.sum(axis=0)
