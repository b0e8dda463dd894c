"""Backward draws a fresh mask from np.random instead of using the cached one."""

KIND = "wrong"
EXPECT = {"dropout_forward_train": "full", "dropout_forward_test": "full",
          "dropout_backward": "partial", "fc_net_dropout": "partial"}


def dropout_forward(x, dropout_param):
    p, mode = dropout_param["p"], dropout_param["mode"]
    if "seed" in dropout_param:
        np.random.seed(dropout_param["seed"])
    mask = None
    if mode == "train":
        mask = (np.random.rand(*x.shape) < p) / p
        out = x * mask
    else:
        out = x
    return out, (dropout_param, mask)


def dropout_backward(dout, cache):
    dropout_param, _ = cache
    if dropout_param["mode"] == "train":
        p = dropout_param["p"]
        mask = (np.random.rand(*dout.shape) < p) / p
        return dout * mask
    return dout
