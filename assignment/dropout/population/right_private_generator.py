"""A private RandomState when a seed is given (the global state untouched), else np.random."""

KIND = "right"
EXPECT = {"dropout_forward_train": "full", "dropout_forward_test": "full",
          "dropout_backward": "full", "fc_net_dropout": "full"}


def dropout_forward(x, dropout_param):
    p, mode = dropout_param["p"], dropout_param["mode"]
    rng = np.random.RandomState(dropout_param["seed"]) if "seed" in dropout_param else np.random
    if mode == "train":
        mask = (rng.random_sample(x.shape) < p) / p
        return x * mask, (dropout_param, mask)
    return x, (dropout_param, None)


def dropout_backward(dout, cache):
    dropout_param, mask = cache
    if mask is None:
        return dout
    return dout * mask
