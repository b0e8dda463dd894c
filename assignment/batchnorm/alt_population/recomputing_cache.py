"""A forward pass that caches only x, gamma and eps; both backward passes recompute the statistics."""

import numpy as np

KIND = "honest"
SHOULD_PASS = True
FLAGGED = True  # nothing in the cache to move off the manifold: the grader cannot tell

_FORWARD = batchnorm_forward  # noqa: F821 (defined in layers.py)


def batchnorm_forward(x, gamma, beta, bn_param):
    out, cache = _FORWARD(x, gamma, beta, bn_param)
    if bn_param["mode"] == "train":
        cache = (x, gamma, bn_param.get("eps", 1e-5))
    return out, cache


def batchnorm_backward(dout, cache):
    x, gamma, eps = cache
    N = x.shape[0]
    mu = x.mean(axis=0)
    xc = x - mu
    var = (xc ** 2).mean(axis=0)
    std = np.sqrt(var + eps)
    x_hat = xc / std
    dx_hat = dout * gamma
    dvar = -0.5 * np.sum(dx_hat * xc, axis=0) / std ** 3
    dxc = dx_hat / std + 2.0 * xc * dvar / N
    dx = dxc - dxc.sum(axis=0) / N
    return dx, np.sum(dout * x_hat, axis=0), dout.sum(axis=0)


def batchnorm_backward_alt(dout, cache):
    x, gamma, eps = cache
    N = x.shape[0]
    x_hat = (x - x.mean(axis=0)) / np.sqrt(x.var(axis=0) + eps)
    dbeta = dout.sum(axis=0)
    dgamma = np.sum(dout * x_hat, axis=0)
    dx = gamma / (N * np.sqrt(x.var(axis=0) + eps)) * (N * dout - dbeta - x_hat * dgamma)
    return dx, dgamma, dbeta
