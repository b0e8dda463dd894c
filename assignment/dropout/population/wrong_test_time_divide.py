"""Divides by p in both modes: test mode returns x / p."""

KIND = "wrong"
EXPECT = {"dropout_forward_train": "full", "dropout_forward_test": "zero",
          "dropout_backward": "full"}


def dropout_forward(x, dropout_param):
    p, mode = dropout_param["p"], dropout_param["mode"]
    if "seed" in dropout_param:
        np.random.seed(dropout_param["seed"])
    mask = None
    if mode == "train":
        mask = np.random.rand(*x.shape) < p
        out = x * mask
    else:
        out = x
    out = out / p
    return out, (dropout_param, mask)


def dropout_backward(dout, cache):
    dropout_param, mask = cache
    if dropout_param["mode"] == "train":
        return dout * mask / dropout_param["p"]
    return dout
