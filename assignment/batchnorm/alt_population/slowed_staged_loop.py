"""A cheat against the rule: batchnorm_backward padded twentyfold, alt a per-column loop."""

import numpy as np

KIND = "cheat"
# Beyond what timing can tell: 10.7-26x the reference's alt measured, overlapping an honest
# diag(A.T @ B) dgamma in both functions (5.3-10.6x). Above 16x it fails, from 12x to 16x it is
# flagged for review, below 12x it passes (docs/speed-rule.md, "Beyond the rule").
SHOULD_PASS = None

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
