from otter.test_files import test_case

OK_FORMAT = False

name = "bn_backward"
points = 10

@test_case(points=None, hidden=False)
def test_bn_backward_output_shapes():
    import numpy as np
    from cs231n.layers import batchnorm_forward, batchnorm_backward
    rng = np.random.RandomState(7)
    N, D = (6, 4)
    x = 5 * rng.randn(N, D) + 12
    gamma, beta, dout = (rng.randn(D), rng.randn(D), rng.randn(N, D))
    _, cache = batchnorm_forward(x, gamma, beta, {'mode': 'train'})
    grads = batchnorm_backward(dout, cache)
    assert isinstance(grads, tuple) and len(grads) == 3, 'batchnorm_backward must return a tuple (dx, dgamma, dbeta).'
    dx, dgamma, dbeta = grads
    assert np.shape(dx) == (N, D), f'batchnorm_backward: dx has shape {np.shape(dx)}, expected {(N, D)} (the shape of x).'
    assert np.shape(dgamma) == (D,), f'batchnorm_backward: dgamma has shape {np.shape(dgamma)}, expected {(D,)}; sum over the batch axis (axis=0) without keepdims.'
    assert np.shape(dbeta) == (D,), f'batchnorm_backward: dbeta has shape {np.shape(dbeta)}, expected {(D,)}; sum over the batch axis (axis=0) without keepdims.'

@test_case(points=None, hidden=False)
def test_bn_backward_matches_numerical_gradients():
    import numpy as np
    from cs231n.layers import batchnorm_forward, batchnorm_backward
    from cs231n.gradient_check import eval_numerical_gradient_array

    def rel_error(a, b):
        return float(np.max(np.abs(a - b) / np.maximum(1e-08, np.abs(a) + np.abs(b))))
    rng = np.random.RandomState(8)
    N, D = (6, 4)
    x = 5 * rng.randn(N, D) + 12
    gamma, beta, dout = (rng.randn(D), rng.randn(D), rng.randn(N, D))
    bn_param = {'mode': 'train'}
    dx_num = eval_numerical_gradient_array(lambda v: batchnorm_forward(v, gamma, beta, bn_param)[0], x.copy(), dout)
    dg_num = eval_numerical_gradient_array(lambda v: batchnorm_forward(x, v, beta, bn_param)[0], gamma.copy(), dout)
    db_num = eval_numerical_gradient_array(lambda v: batchnorm_forward(x, gamma, v, bn_param)[0], beta.copy(), dout)
    _, cache = batchnorm_forward(x, gamma, beta, bn_param)
    dx, dgamma, dbeta = batchnorm_backward(dout, cache)
    hints = {'dbeta': 'dbeta is the sum of dout over the batch (axis=0)', 'dgamma': 'dgamma is the sum over the batch of dout * x_hat (the normalized input)', 'dx': 'backpropagate through every node of the graph and add up the contributions of the branches that meet (x reaches the output through x - mean, the mean and the variance); also check that the cache is unpacked in the same order it was packed'}
    for name, num, ana in [('dbeta', db_num, dbeta), ('dgamma', dg_num, dgamma), ('dx', dx_num, dx)]:
        assert np.shape(ana) == np.shape(num), f'batchnorm_backward: {name} has shape {np.shape(ana)}, expected {np.shape(num)}.'
        err = rel_error(num, ana)
        assert err < 1e-07, f'batchnorm_backward: {name} has relative error {err:.2e} against the numerical gradient (should be below 1e-7): {hints[name]}.'

@test_case(points=None, hidden=False)
def test_bn_backward_uses_eps_from_cache():
    import numpy as np
    from cs231n.layers import batchnorm_forward, batchnorm_backward
    from cs231n.gradient_check import eval_numerical_gradient_array

    def rel_error(a, b):
        return float(np.max(np.abs(a - b) / np.maximum(1e-08, np.abs(a) + np.abs(b))))
    rng = np.random.RandomState(9)
    N, D = (7, 3)
    x = 0.05 * rng.randn(N, D) + 0.3
    gamma, beta, dout = (rng.randn(D), rng.randn(D), rng.randn(N, D))
    bn_param = {'mode': 'train', 'eps': 0.01}
    dx_num = eval_numerical_gradient_array(lambda v: batchnorm_forward(v, gamma, beta, bn_param)[0], x.copy(), dout)
    dg_num = eval_numerical_gradient_array(lambda v: batchnorm_forward(x, v, beta, bn_param)[0], gamma.copy(), dout)
    _, cache = batchnorm_forward(x, gamma, beta, bn_param)
    dx, dgamma, _ = batchnorm_backward(dout, cache)
    assert np.shape(dx) == (N, D) and np.shape(dgamma) == (D,), 'batchnorm_backward: dx must have shape (N, D) and dgamma shape (D,).'
    err = max(rel_error(dx_num, dx), rel_error(dg_num, dgamma))
    assert err < 1e-07, f"batchnorm_backward with bn_param['eps'] = 0.01: relative error {err:.2e} against the numerical gradient. If the default-eps checks pass but this one fails, eps is probably hard-coded in the backward pass: store eps (or sqrt(var + eps)) in the cache during the forward pass and use it from there."

