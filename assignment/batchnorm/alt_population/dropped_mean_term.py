"""The paper's equations with dmu's zero term left out: the simplified algebra, written in steps."""

import numpy as np

KIND = "honest"
SHOULD_PASS = True


def batchnorm_backward_alt(dout, cache):
    x_hat, x_centered, var, std, gamma, eps = cache
    N = dout.shape[0]
    dx_hat = dout * gamma
    dvar = np.sum(dx_hat * x_centered, axis=0) * -0.5 / std ** 3
    dmu = -np.sum(dx_hat, axis=0) / std
    dx = dx_hat / std + dvar * 2.0 * x_centered / N + dmu / N
    return dx, np.sum(dout * x_hat, axis=0), np.sum(dout, axis=0)
