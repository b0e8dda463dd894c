"""np.random.default_rng(seed): seeded when dropout_param has a seed, fresh entropy otherwise."""

KIND = "right"
EXPECT = {"dropout_forward_train": "full", "dropout_forward_test": "full",
          "dropout_backward": "full", "fc_net_dropout": "full"}


def dropout_forward(x, dropout_param):
    p, mode = dropout_param["p"], dropout_param["mode"]
    if mode == "train":
        rng = np.random.default_rng(dropout_param.get("seed"))
        mask = (rng.random(x.shape) < p) / p
        out = x * mask
    elif mode == "test":
        out, mask = x, None
    return out, (dropout_param, mask)


def dropout_backward(dout, cache):
    dropout_param, mask = cache
    if dropout_param["mode"] == "train":
        return dout * mask
    return dout
