from otter.test_files import test_case

OK_FORMAT = False

name = "ln_backward"
points = 8

@test_case(points=None, hidden=False)
def test_ln_backward_output_shapes():
    import numpy as np
    from cs231n.layers import layernorm_forward, layernorm_backward
    rng = np.random.RandomState(17)
    N, D = (5, 8)
    x = 5 * rng.randn(N, D) + 12
    gamma, beta, dout = (rng.randn(D), rng.randn(D), rng.randn(N, D))
    _, cache = layernorm_forward(x, gamma, beta, {})
    grads = layernorm_backward(dout, cache)
    assert isinstance(grads, tuple) and len(grads) == 3, 'layernorm_backward must return a tuple (dx, dgamma, dbeta).'
    dx, dgamma, dbeta = grads
    assert np.shape(dx) == (N, D), f'layernorm_backward: dx has shape {np.shape(dx)}, expected {(N, D)}.'
    assert np.shape(dgamma) == (D,) and np.shape(dbeta) == (D,), f'layernorm_backward: dgamma and dbeta have shapes {np.shape(dgamma)} and {np.shape(dbeta)}, expected {(D,)}: gamma and beta are per feature, so their gradients are still summed over the batch (axis=0).'

@test_case(points=None, hidden=False)
def test_ln_backward_matches_numerical_gradients():
    import numpy as np
    from cs231n.layers import layernorm_forward, layernorm_backward
    from cs231n.gradient_check import eval_numerical_gradient_array

    def rel_error(a, b):
        return float(np.max(np.abs(a - b) / np.maximum(1e-08, np.abs(a) + np.abs(b))))
    rng = np.random.RandomState(18)
    N, D = (5, 8)
    x = 5 * rng.randn(N, D) + 12
    gamma, beta, dout = (rng.randn(D), rng.randn(D), rng.randn(N, D))
    ln_param = {}
    dx_num = eval_numerical_gradient_array(lambda v: layernorm_forward(v, gamma, beta, ln_param)[0], x.copy(), dout)
    dg_num = eval_numerical_gradient_array(lambda v: layernorm_forward(x, v, beta, ln_param)[0], gamma.copy(), dout)
    db_num = eval_numerical_gradient_array(lambda v: layernorm_forward(x, gamma, v, ln_param)[0], beta.copy(), dout)
    _, cache = layernorm_forward(x, gamma, beta, ln_param)
    dx, dgamma, dbeta = layernorm_backward(dout, cache)
    hints = {'dbeta': 'dbeta is the sum of dout over the batch (axis=0)', 'dgamma': 'dgamma is the sum over the batch (axis=0) of dout * x_hat', 'dx': 'the means and variances were taken over the features of each row, so the reductions in the dx formula run over axis=1 (not axis=0 as in batchnorm)'}
    for name, num, ana in [('dbeta', db_num, dbeta), ('dgamma', dg_num, dgamma), ('dx', dx_num, dx)]:
        assert np.shape(ana) == np.shape(num), f'layernorm_backward: {name} has shape {np.shape(ana)}, expected {np.shape(num)}.'
        err = rel_error(num, ana)
        assert err < 1e-07, f'layernorm_backward: {name} has relative error {err:.2e} against the numerical gradient (should be below 1e-7): {hints[name]}.'

@test_case(points=None, hidden=False)
def test_ln_backward_uses_eps_from_cache():
    import numpy as np
    from cs231n.layers import layernorm_forward, layernorm_backward
    from cs231n.gradient_check import eval_numerical_gradient_array

    def rel_error(a, b):
        return float(np.max(np.abs(a - b) / np.maximum(1e-08, np.abs(a) + np.abs(b))))
    rng = np.random.RandomState(19)
    N, D = (3, 6)
    x = 0.05 * rng.randn(N, D) + 0.4
    gamma, beta, dout = (rng.randn(D), rng.randn(D), rng.randn(N, D))
    ln_param = {'eps': 0.01}
    dx_num = eval_numerical_gradient_array(lambda v: layernorm_forward(v, gamma, beta, ln_param)[0], x.copy(), dout)
    _, cache = layernorm_forward(x, gamma, beta, ln_param)
    dx = layernorm_backward(dout, cache)[0]
    assert np.shape(dx) == (N, D), f'layernorm_backward: dx has shape {np.shape(dx)}, expected {(N, D)}.'
    err = rel_error(dx_num, dx)
    assert err < 1e-07, f"layernorm_backward with ln_param['eps'] = 0.01: dx has relative error {err:.2e} against the numerical gradient. Take eps (or sqrt(var + eps)) from the cache instead of hard-coding 1e-5."

