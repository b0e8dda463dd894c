"""np.where(keep, x / p, 0) in forward; the cached mask holds 1 / p where a unit is kept."""

KIND = "right"
EXPECT = {"dropout_forward_train": "full", "dropout_forward_test": "full",
          "dropout_backward": "full"}


def dropout_forward(x, dropout_param):
    p = dropout_param['p']
    mode = dropout_param['mode']
    if 'seed' in dropout_param:
        np.random.seed(dropout_param['seed'])
    if mode == 'train':
        keep = np.random.uniform(0, 1, x.shape) < p
        out = np.where(keep, x / p, 0.0)
        mask = np.where(keep, 1.0 / p, 0.0)
    else:
        out, mask = x, None
    return out, (dropout_param, mask)


def dropout_backward(dout, cache):
    dropout_param, mask = cache
    return dout * mask if dropout_param['mode'] == 'train' else dout
