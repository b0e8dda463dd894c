"""The staged graph retyped as alt with means instead of sums and divisions instead of products."""

import numpy as np

KIND = "staged"
SHOULD_PASS = False


def batchnorm_backward_alt(dout, cache):
    x_hat, x_centered, var, std, gamma, eps = cache
    dbeta = dout.sum(0)
    dgamma = (dout * x_hat).sum(0)
    dx_hat = gamma * dout
    dvar = np.mean(dx_hat * x_centered, axis=0) * -0.5 / (var + eps) / std
    dx_centered = dx_hat / std + 2.0 * x_centered * dvar
    dx = dx_centered - np.mean(dx_centered, axis=0)
    return dx, dgamma, dbeta
