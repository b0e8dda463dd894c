"""Draws and applies the mask whatever the mode (test mode drops units too)."""

KIND = "wrong"
EXPECT = {"dropout_forward_train": "full", "dropout_forward_test": "zero",
          "dropout_backward": "partial", "fc_net_dropout": "full"}


def dropout_forward(x, dropout_param):
    p = dropout_param["p"]
    if "seed" in dropout_param:
        np.random.seed(dropout_param["seed"])
    mask = (np.random.rand(*x.shape) < p) / p
    out = x * mask
    return out, (dropout_param, mask)


def dropout_backward(dout, cache):
    _, mask = cache
    return dout * mask
