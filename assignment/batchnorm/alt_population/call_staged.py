"""The staged graph reused: alt only calls batchnorm_backward."""

KIND = "staged"
SHOULD_PASS = False


def batchnorm_backward_alt(dout, cache):
    return batchnorm_backward(dout, cache)  # noqa: F821 (defined in layers.py)
