"""Beyond the rule: the staged graph as alt, its last bits scrambled on purpose (dx * (1 + 2**-52))."""

KIND = "beyond"
SHOULD_PASS = None  # no black-box rule can tell: a documented limit (README)


def batchnorm_backward_alt(dout, cache):
    dx, dgamma, dbeta = batchnorm_backward(dout, cache)  # noqa: F821 (defined in layers.py)
    return dx * (1 + 2**-52), dgamma, dbeta
