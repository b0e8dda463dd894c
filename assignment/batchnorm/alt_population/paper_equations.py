"""The original paper's backward equations written as alt (dvar, dmu, then dx), not simplified."""

import numpy as np

KIND = "staged"
SHOULD_PASS = False


def batchnorm_backward_alt(dout, cache):
    x_hat, x_centered, var, std, gamma, eps = cache
    N = dout.shape[0]
    dx_hat = dout * gamma
    dvar = np.sum(dx_hat * x_centered, axis=0) * -0.5 * (var + eps) ** (-1.5)
    dmu = (np.sum(dx_hat * -1.0 / np.sqrt(var + eps), axis=0)
           + dvar * np.mean(-2.0 * x_centered, axis=0))
    dx = dx_hat / np.sqrt(var + eps) + dvar * 2.0 * x_centered / N + dmu / N
    return dx, np.sum(dout * x_hat, axis=0), np.sum(dout, axis=0)
