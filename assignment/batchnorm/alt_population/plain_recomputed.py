"""A closed form written plainly: x-hat and the standard deviation recomputed from the cache."""

import numpy as np

KIND = "honest"
SHOULD_PASS = True


def batchnorm_backward_alt(dout, cache):
    x_hat, x_centered, var, std, gamma, eps = cache
    N = dout.shape[0]
    dbeta = np.sum(dout, axis=0)
    x_hat = x_centered / np.sqrt(var + eps)
    dgamma = np.sum(dout * x_hat, axis=0)
    dx = (gamma / (N * np.sqrt(var + eps))) * (
        N * dout - np.sum(dout, axis=0) - x_hat * np.sum(dout * x_hat, axis=0)
    )
    return dx, dgamma, dbeta
