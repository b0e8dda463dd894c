"""The staged graph retyped as alt, dividing by std where batchnorm_backward multiplies by 1/std."""

import numpy as np

KIND = "staged"
SHOULD_PASS = False


def batchnorm_backward_alt(dout, cache):
    x_hat, x_centered, var, std, gamma, eps = cache
    N = dout.shape[0]
    dbeta = np.sum(dout, axis=0)
    dgamma = np.sum(dout * x_hat, axis=0)
    dx_hat = dout * gamma
    dstd = -np.sum(dx_hat * x_centered, axis=0) / (std * std)
    dvar = dstd / (2.0 * std)
    dx_centered = dx_hat / std + 2.0 * x_centered * dvar / N
    dmu = -np.sum(dx_centered, axis=0)
    dx = dx_centered + dmu / N
    return dx, dgamma, dbeta
