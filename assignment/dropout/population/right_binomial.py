"""Draws the mask with np.random.binomial(1, p) and scales it by 1 / p."""

KIND = "right"
EXPECT = {"dropout_forward_train": "full", "dropout_forward_test": "full",
          "dropout_backward": "full"}


def dropout_forward(x, dropout_param):
    p, mode = dropout_param['p'], dropout_param['mode']
    if 'seed' in dropout_param:
        np.random.seed(dropout_param['seed'])
    mask = None
    if mode == 'train':
        mask = np.random.binomial(1, p, size=x.shape) / p
        out = x * mask
    else:
        out = x
    return out, (dropout_param, mask)


def dropout_backward(dout, cache):
    dropout_param, mask = cache
    if dropout_param['mode'] == 'train':
        return dout * mask
    return dout
