"""The widely circulated one-line closed form, with its own sums for dgamma and dbeta."""

import numpy as np

KIND = "honest"
SHOULD_PASS = True


def batchnorm_backward_alt(dout, cache):
    x_hat, x_centered, var, std, gamma, eps = cache
    N = dout.shape[0]
    dbeta = np.sum(dout, axis=0)
    dgamma = np.sum(x_hat * dout, axis=0)
    dx = (1./N)*gamma*(var+eps)**(-1./2.)*(N*dout - np.sum(dout,0) - x_centered*(var+eps)**(-1.0)*np.sum(dout*x_centered,0))  # noqa: E501
    return dx, dgamma, dbeta
