"""A binomial 0/1 mask applied as it is: no 1 / p."""

KIND = "wrong"
EXPECT = {"dropout_forward_train": "partial", "dropout_forward_test": "full",
          "dropout_backward": "full"}


def dropout_forward(x, dropout_param):
    if 'seed' in dropout_param:
        np.random.seed(dropout_param['seed'])
    if dropout_param['mode'] == 'train':
        mask = np.random.binomial(1, dropout_param['p'], size=x.shape)
        return x * mask, (dropout_param, mask)
    return x, (dropout_param, None)


def dropout_backward(dout, cache):
    dropout_param, mask = cache
    return dout * mask if dropout_param['mode'] == 'train' else dout
