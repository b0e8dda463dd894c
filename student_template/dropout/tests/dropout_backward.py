from otter.test_files import test_case

OK_FORMAT = False

name = "dropout_backward"
points = 6

@test_case(points=None, hidden=False)
def test_dropout_backward_uses_the_forward_mask():
    import numpy as np
    from cs231n.layers import dropout_forward, dropout_backward
    rng = np.random.RandomState(8)
    x = rng.rand(30, 20) + 0.5
    dout = rng.randn(30, 20)
    for p in [0.3, 0.8]:
        out, cache = dropout_forward(x, {'mode': 'train', 'p': p, 'seed': 9})
        dx = dropout_backward(dout, cache)
        assert isinstance(dx, np.ndarray) and dx.shape == x.shape, f'dropout_backward: dx must be an array of the shape of dout, {x.shape}.'
        assert np.allclose(dx, dout * out / x), f'dropout_backward (train, p = {p}): dx must be dout times the mask the forward pass used (the one in the cache, scaled by 1 / p).'

@test_case(points=None, hidden=False)
def test_dropout_backward_numeric_gradient():
    import numpy as np
    from cs231n.layers import dropout_forward, dropout_backward
    from cs231n.gradient_check import eval_numerical_gradient_array
    rng = np.random.RandomState(10)
    x = rng.randn(8, 6) + 3
    dout = rng.randn(8, 6)
    param = {'mode': 'train', 'p': 0.4, 'seed': 11}
    _, cache = dropout_forward(x, param)
    dx = dropout_backward(dout, cache)
    dx_num = eval_numerical_gradient_array(lambda v: dropout_forward(v, param)[0], x.copy(), dout)
    assert np.shape(dx) == np.shape(dx_num), f'dropout_backward: dx has shape {np.shape(dx)}, expected {np.shape(dx_num)}.'
    err = float(np.max(np.abs(dx - dx_num)))
    assert err < 1e-07, f'dropout_backward: dx differs from the numeric gradient by up to {err:.2e}.'

@test_case(points=None, hidden=False)
def test_dropout_backward_test_mode():
    import numpy as np
    from cs231n.layers import dropout_forward, dropout_backward
    rng = np.random.RandomState(12)
    x, dout = (rng.randn(6, 5), rng.randn(6, 5))
    _, cache = dropout_forward(x, {'mode': 'test', 'p': 0.5})
    dx = dropout_backward(dout, cache)
    assert np.array_equal(dx, dout), 'dropout_backward (test): the gradient must pass through unchanged (dx = dout).'

