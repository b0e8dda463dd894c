"""A per-column loop as batchnorm_backward, and the same staged graph vectorized as alt."""

import numpy as np

KIND = "staged"
SHOULD_PASS = False


def batchnorm_backward(dout, cache):
    x_hat, x_centered, var, std, gamma, eps = cache
    N, D = dout.shape
    dx = np.empty_like(dout)
    dgamma, dbeta = np.empty(D), np.empty(D)
    for j in range(D):
        g, xc = dout[:, j], x_centered[:, j]
        dbeta[j] = g.sum()
        dgamma[j] = (g * x_hat[:, j]).sum()
        dxh = g * gamma[j]
        dvar = -0.5 * (dxh * xc).sum() * (var[j] + eps) ** -1.5
        dxc = dxh / std[j] + 2.0 * xc * dvar / N
        dx[:, j] = dxc - dxc.sum() / N
    return dx, dgamma, dbeta


def batchnorm_backward_alt(dout, cache):
    x_hat, x_centered, var, std, gamma, eps = cache
    N = dout.shape[0]
    dxh = dout * gamma
    dvar = -0.5 * np.sum(dxh * x_centered, axis=0) * (var + eps) ** -1.5
    dxc = dxh / std + 2.0 * x_centered * dvar / N
    dx = dxc - np.sum(dxc, axis=0) / N
    return dx, np.sum(dout * x_hat, axis=0), np.sum(dout, axis=0)
