"""A tight copy of the staged graph, retyped as alt with other names."""

import numpy as np

KIND = "staged"
SHOULD_PASS = False


def batchnorm_backward_alt(dout, cache):
    xh, xc, v, s, g, e = cache
    n = dout.shape[0]
    db = dout.sum(axis=0)
    dg = np.sum(dout * xh, axis=0)
    dxh = dout * g
    inv = 1.0 / s
    dinv = np.sum(dxh * xc, axis=0)
    dxc = dxh * inv
    ds = -dinv / s**2
    dv = 0.5 / np.sqrt(v + e) * ds
    dxc = dxc + 2.0 * xc * np.broadcast_to(dv / n, dout.shape)
    dm = -dxc.sum(axis=0)
    return dxc + np.broadcast_to(dm / n, dout.shape), dg, db
