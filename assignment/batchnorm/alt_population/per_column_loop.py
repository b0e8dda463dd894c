"""A closed form computed by a Python loop over the features, one column at a time."""

import numpy as np

KIND = "slow"
SHOULD_PASS = False


def batchnorm_backward_alt(dout, cache):
    x_hat, _, _, std, gamma, _ = cache
    N, D = dout.shape
    dx = np.empty_like(dout)
    dgamma = np.empty(D)
    dbeta = np.empty(D)
    for j in range(D):
        g, xh = dout[:, j], x_hat[:, j]
        dbeta[j] = g.sum()
        dgamma[j] = (g * xh).sum()
        dx[:, j] = gamma[j] / std[j] * (g - dbeta[j] / N - xh * dgamma[j] / N)
    return dx, dgamma, dbeta
