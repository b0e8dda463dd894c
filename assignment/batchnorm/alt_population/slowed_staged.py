"""A cheat against the rule: batchnorm_backward padded with wasted work, alt its unpadded copy."""

import numpy as np

KIND = "cheat"
SHOULD_PASS = False


def _staged(dout, cache):
    x_hat, x_centered, var, std, gamma, eps = cache
    N = dout.shape[0]
    dbeta = dout.sum(axis=0)
    dgamma = np.sum(dout * x_hat, axis=0)
    dx_hat = dout * gamma
    dinv_std = np.sum(dx_hat * x_centered, axis=0)
    dx_centered = dx_hat * (1.0 / std)
    dvar = 0.5 / np.sqrt(var + eps) * (-dinv_std / std**2)
    dx_centered = dx_centered + 2.0 * x_centered * np.broadcast_to(dvar / N, dout.shape)
    dmu = -dx_centered.sum(axis=0)
    return dx_centered + np.broadcast_to(dmu / N, dout.shape), dgamma, dbeta


def batchnorm_backward(dout, cache):
    for _ in range(3):  # the padding: the same work, three times
        result = _staged(dout, cache)
    return result


def batchnorm_backward_alt(dout, cache):
    return _staged(dout, cache)
