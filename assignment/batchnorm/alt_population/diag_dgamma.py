"""A closed form whose dgamma, like its staged batchnorm_backward's, is diag(dout.T @ x_hat)."""

import numpy as np

KIND = "honest"
SHOULD_PASS = True

_STAGED = batchnorm_backward  # noqa: F821 (defined in layers.py)


def batchnorm_backward(dout, cache):
    dx, _, dbeta = _STAGED(dout, cache)
    return dx, np.diag(dout.T @ cache[0]), dbeta


def batchnorm_backward_alt(dout, cache):
    x_hat, x_centered, var, std, gamma, eps = cache
    N = dout.shape[0]
    dbeta = np.sum(dout, axis=0)
    dgamma = np.diag(dout.T @ x_hat)
    dx = gamma / (N * std) * (N * dout - dbeta - x_hat * np.sum(dout * x_hat, axis=0))
    return dx, dgamma, dbeta
