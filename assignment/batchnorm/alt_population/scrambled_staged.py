"""A cheat: the staged graph as alt, its last bits scrambled on purpose (dx * (1 + 2**-52))."""

KIND = "cheat"
SHOULD_PASS = False  # the bits differ, the algebra does not (checks/algebra.py)


def batchnorm_backward_alt(dout, cache):
    dx, dgamma, dbeta = batchnorm_backward(dout, cache)  # noqa: F821 (defined in layers.py)
    return dx * (1 + 2**-52), dgamma, dbeta
