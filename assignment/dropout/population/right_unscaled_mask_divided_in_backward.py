"""Caches the 0/1 mask and the keep probability; backward divides by p itself."""

KIND = "right"
EXPECT = {"dropout_forward_train": "full", "dropout_forward_test": "full",
          "dropout_backward": "full", "fc_net_dropout": "full"}


def dropout_forward(x, dropout_param):
    p, mode = dropout_param["p"], dropout_param["mode"]
    if "seed" in dropout_param:
        np.random.seed(dropout_param["seed"])
    if mode == "train":
        mask = (np.random.rand(*x.shape) < p).astype(x.dtype)
        out = x * mask
        out /= p  # out is a new array: x itself is untouched
    else:
        mask = None
        out = x
    return out, (dropout_param, mask)


def dropout_backward(dout, cache):
    dropout_param, mask = cache
    if dropout_param["mode"] == "test":
        return dout
    return (dout * mask) / dropout_param["p"]
