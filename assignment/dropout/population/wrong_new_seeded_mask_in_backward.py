"""Backward re-seeds and redraws the mask: right only when dropout_param has a seed."""

KIND = "wrong"
EXPECT = {"dropout_backward": "partial"}


def dropout_forward(x, dropout_param):
    p, mode = dropout_param['p'], dropout_param['mode']
    if 'seed' in dropout_param:
        np.random.seed(dropout_param['seed'])
    if mode == 'train':
        mask = (np.random.rand(*x.shape) < p) / p
        return x * mask, (dropout_param, mask)
    return x, (dropout_param, None)


def dropout_backward(dout, cache):
    dropout_param = cache[0]
    if dropout_param['mode'] != 'train':
        return dout
    if 'seed' in dropout_param:
        np.random.seed(dropout_param['seed'])
    p = dropout_param['p']
    return dout * (np.random.rand(*dout.shape) < p) / p
