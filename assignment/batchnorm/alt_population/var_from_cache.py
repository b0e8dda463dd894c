"""A closed form that reads var and eps from the cache and inverts the square root once."""

import numpy as np

KIND = "honest"
SHOULD_PASS = True


def batchnorm_backward_alt(dout, cache):
    x_hat, _, var, _, gamma, eps = cache
    N = dout.shape[0]
    inv_std = 1.0 / np.sqrt(var + eps)
    dbeta = np.sum(dout, axis=0)
    dgamma = np.sum(dout * x_hat, axis=0)
    dx = gamma * inv_std / N * (N * dout - dbeta - x_hat * dgamma)
    return dx, dgamma, dbeta
