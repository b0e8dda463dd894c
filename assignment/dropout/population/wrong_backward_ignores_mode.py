"""Backward multiplies by the cached mask in both modes (None in test mode)."""

KIND = "wrong"
EXPECT = {"dropout_backward": "partial"}


def dropout_backward(dout, cache):
    _, mask = cache
    return dout * mask
