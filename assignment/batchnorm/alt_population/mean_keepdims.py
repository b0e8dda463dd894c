"""A closed form with means instead of sums, keeping the reduced axis (keepdims=True)."""

import numpy as np

KIND = "honest"
SHOULD_PASS = True


def batchnorm_backward_alt(dout, cache):
    x_hat, x_centered, var, std, gamma, eps = cache
    dbeta = dout.sum(axis=0)
    dgamma = (dout * x_hat).sum(axis=0)
    dx_hat = dout * gamma
    dx = (dx_hat - np.mean(dx_hat, axis=0, keepdims=True)
          - x_hat * np.mean(dx_hat * x_hat, axis=0, keepdims=True)) / std
    return dx, dgamma, dbeta
