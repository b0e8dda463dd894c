"""Vanilla (not inverted) dropout: no scaling in training, out = x * p at test time."""

KIND = "wrong"
EXPECT = {"dropout_forward_train": "partial", "dropout_forward_test": "zero",
          "dropout_backward": "full"}


def dropout_forward(x, dropout_param):
    p, mode = dropout_param['p'], dropout_param['mode']
    if 'seed' in dropout_param:
        np.random.seed(dropout_param['seed'])
    if mode == 'train':
        mask = np.random.rand(*x.shape) < p
        out = x * mask
    else:
        mask = None
        out = x * p
    return out, (dropout_param, mask)


def dropout_backward(dout, cache):
    dropout_param, mask = cache
    if dropout_param['mode'] == 'train':
        return dout * mask
    return dout
