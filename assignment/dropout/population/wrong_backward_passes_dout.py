"""Backward returns dout in both modes (the mask is never applied)."""

KIND = "wrong"
EXPECT = {"dropout_backward": "partial", "fc_net_dropout": "partial"}


def dropout_backward(dout, cache):
    return dout
