"""No staged graph anywhere: batchnorm_backward and alt are the same simplified closed form."""

import numpy as np

KIND = "honest"
SHOULD_PASS = True


def _closed_form(dout, cache):
    x_hat, x_centered, var, std, gamma, eps = cache
    N = dout.shape[0]
    dbeta = dout.sum(axis=0)
    dgamma = (dout * x_hat).sum(axis=0)
    dx = gamma / (N * std) * (N * dout - dbeta - x_hat * dgamma)
    return dx, dgamma, dbeta


def batchnorm_backward(dout, cache):
    return _closed_form(dout, cache)


def batchnorm_backward_alt(dout, cache):
    return _closed_form(dout, cache)
