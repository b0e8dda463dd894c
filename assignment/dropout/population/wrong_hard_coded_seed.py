"""np.random.seed(dropout_param.get('seed', 0)): without a seed every call draws the same mask."""

KIND = "wrong"
EXPECT = {"dropout_forward_train": "partial", "dropout_forward_test": "full",
          "dropout_backward": "full", "fc_net_dropout": "full"}


def dropout_forward(x, dropout_param):
    p, mode = dropout_param["p"], dropout_param["mode"]
    np.random.seed(dropout_param.get("seed", 0))
    if mode == "train":
        mask = (np.random.rand(*x.shape) < p) / p
        out = x * mask
    else:
        mask, out = None, x
    return out, (dropout_param, mask)


def dropout_backward(dout, cache):
    dropout_param, mask = cache
    if dropout_param["mode"] == "train":
        return dout * mask
    return dout
