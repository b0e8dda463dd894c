"""A closed form through dx_hat = dout * gamma, as many course notes write it."""

import numpy as np

KIND = "honest"
SHOULD_PASS = True


def batchnorm_backward_alt(dout, cache):
    x_hat, x_centered, var, std, gamma, eps = cache
    N = dout.shape[0]
    dx_hat = dout * gamma
    dx = (1.0 / N) / std * (N * dx_hat - dx_hat.sum(axis=0) - x_hat * (dx_hat * x_hat).sum(axis=0))
    return dx, (dout * x_hat).sum(axis=0), dout.sum(axis=0)
