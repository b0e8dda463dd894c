from otter.test_files import test_case

OK_FORMAT = False

name = "bn_backward_alt"
points = 10

@test_case(points=None, hidden=False)
def test_bn_backward_alt_output_shapes():
    import numpy as np
    from cs231n.layers import batchnorm_forward, batchnorm_backward_alt
    rng = np.random.RandomState(10)
    N, D = (6, 4)
    x = 5 * rng.randn(N, D) + 12
    gamma, beta, dout = (rng.randn(D), rng.randn(D), rng.randn(N, D))
    _, cache = batchnorm_forward(x, gamma, beta, {'mode': 'train'})
    grads = batchnorm_backward_alt(dout, cache)
    assert isinstance(grads, tuple) and len(grads) == 3, 'batchnorm_backward_alt must return a tuple (dx, dgamma, dbeta).'
    dx, dgamma, dbeta = grads
    assert np.shape(dx) == (N, D), f'batchnorm_backward_alt: dx has shape {np.shape(dx)}, expected {(N, D)}.'
    assert np.shape(dgamma) == (D,) and np.shape(dbeta) == (D,), f'batchnorm_backward_alt: dgamma and dbeta have shapes {np.shape(dgamma)} and {np.shape(dbeta)}, expected {(D,)}; sum over axis 0 without keepdims.'

@test_case(points=None, hidden=False)
def test_bn_backward_alt_matches_numerical_gradients():
    import numpy as np
    from cs231n.layers import batchnorm_forward, batchnorm_backward_alt
    from cs231n.gradient_check import eval_numerical_gradient_array

    def rel_error(a, b):
        return float(np.max(np.abs(a - b) / np.maximum(1e-08, np.abs(a) + np.abs(b))))
    rng = np.random.RandomState(11)
    N, D = (6, 4)
    x = 5 * rng.randn(N, D) + 12
    gamma, beta, dout = (rng.randn(D), rng.randn(D), rng.randn(N, D))
    bn_param = {'mode': 'train'}
    dx_num = eval_numerical_gradient_array(lambda v: batchnorm_forward(v, gamma, beta, bn_param)[0], x.copy(), dout)
    dg_num = eval_numerical_gradient_array(lambda v: batchnorm_forward(x, v, beta, bn_param)[0], gamma.copy(), dout)
    db_num = eval_numerical_gradient_array(lambda v: batchnorm_forward(x, gamma, v, bn_param)[0], beta.copy(), dout)
    _, cache = batchnorm_forward(x, gamma, beta, bn_param)
    dx, dgamma, dbeta = batchnorm_backward_alt(dout, cache)
    for name, num, ana in [('dbeta', db_num, dbeta), ('dgamma', dg_num, dgamma), ('dx', dx_num, dx)]:
        assert np.shape(ana) == np.shape(num), f'batchnorm_backward_alt: {name} has shape {np.shape(ana)}, expected {np.shape(num)}.'
        err = rel_error(num, ana)
        assert err < 1e-07, f'batchnorm_backward_alt: {name} has relative error {err:.2e} against the numerical gradient (should be below 1e-7). Re-check the simplified formula (mind operator precedence and the 1/N factors) and that the cache is unpacked in the order the forward pass packed it.'

@test_case(points=None, hidden=False)
def test_bn_backward_alt_agrees_with_staged_backward():
    import numpy as np
    from cs231n.layers import batchnorm_forward, batchnorm_backward, batchnorm_backward_alt

    def rel_error(a, b):
        return float(np.max(np.abs(a - b) / np.maximum(1e-08, np.abs(a) + np.abs(b))))
    rng = np.random.RandomState(12)
    N, D = (50, 30)
    x = 5 * rng.randn(N, D) + 12
    gamma, beta, dout = (rng.randn(D), rng.randn(D), rng.randn(N, D))
    _, cache = batchnorm_forward(x, gamma, beta, {'mode': 'train'})
    staged = batchnorm_backward(dout, cache)
    alt = batchnorm_backward_alt(dout, cache)
    for name, a, b in zip(['dx', 'dgamma', 'dbeta'], staged, alt):
        assert np.shape(a) == np.shape(b), f'{name}: batchnorm_backward gives shape {np.shape(a)} but batchnorm_backward_alt gives {np.shape(b)}.'
        err = rel_error(a, b)
        assert err < 1e-09, f'{name}: batchnorm_backward and batchnorm_backward_alt differ (relative error {err:.2e}, should be below 1e-9) on the same cache. Both must compute the same gradient; run the numerical gradient checks to see which one is wrong.'

@test_case(points=None, hidden=False)
def test_bn_backward_alt_uses_eps_from_cache():
    import numpy as np
    from cs231n.layers import batchnorm_forward, batchnorm_backward_alt
    from cs231n.gradient_check import eval_numerical_gradient_array

    def rel_error(a, b):
        return float(np.max(np.abs(a - b) / np.maximum(1e-08, np.abs(a) + np.abs(b))))
    rng = np.random.RandomState(13)
    N, D = (7, 3)
    x = 0.05 * rng.randn(N, D) - 0.2
    gamma, beta, dout = (rng.randn(D), rng.randn(D), rng.randn(N, D))
    bn_param = {'mode': 'train', 'eps': 0.01}
    dx_num = eval_numerical_gradient_array(lambda v: batchnorm_forward(v, gamma, beta, bn_param)[0], x.copy(), dout)
    _, cache = batchnorm_forward(x, gamma, beta, bn_param)
    dx = batchnorm_backward_alt(dout, cache)[0]
    assert np.shape(dx) == (N, D), f'batchnorm_backward_alt: dx has shape {np.shape(dx)}, expected {(N, D)}.'
    err = rel_error(dx_num, dx)
    assert err < 1e-07, f"batchnorm_backward_alt with bn_param['eps'] = 0.01: dx has relative error {err:.2e} against the numerical gradient. Take eps (or sqrt(var + eps)) from the cache instead of hard-coding 1e-5."

