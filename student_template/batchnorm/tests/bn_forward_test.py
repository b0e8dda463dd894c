from otter.test_files import test_case

OK_FORMAT = False

name = "bn_forward_test"
points = 6

@test_case(points=None, hidden=False)
def test_bn_forward_test_mode_uses_running_averages():
    import numpy as np
    from cs231n.layers import batchnorm_forward
    rng = np.random.RandomState(5)
    N, D = (9, 4)
    x = 4 * rng.randn(N, D) + 2
    gamma = rng.uniform(0.5, 2.5, size=D)
    beta = rng.randn(D)
    rm = rng.randn(D)
    rv = rng.uniform(0.05, 2.0, size=D)
    for eps in [1e-05, 0.1]:
        bn_param = {'mode': 'test', 'running_mean': rm.copy(), 'running_var': rv.copy()}
        if eps != 1e-05:
            bn_param['eps'] = eps
        out, _ = batchnorm_forward(x, gamma, beta, bn_param)
        assert np.shape(out) == (N, D), f'batchnorm_forward (test): out has shape {np.shape(out)}, expected {(N, D)}.'
        expected = gamma * (x - rm) / np.sqrt(rv + eps) + beta
        if not np.allclose(out, expected, rtol=1e-09, atol=1e-09):
            batch_out = gamma * (x - x.mean(axis=0)) / np.sqrt(x.var(axis=0) + eps) + beta
            if np.allclose(out, (x - rm) / np.sqrt(rv + eps)):
                hint = 'gamma and beta are not applied; test mode must still compute gamma * x_hat + beta'
            elif np.allclose(out, batch_out):
                hint = "the minibatch statistics are used; test mode must use bn_param['running_mean'] and bn_param['running_var']"
            elif np.allclose(out, gamma * (x - rm) / (np.sqrt(rv) + eps) + beta) or np.allclose(out, gamma * (x - rm) / np.sqrt(rv) + beta):
                hint = 'eps belongs inside the square root: sqrt(running_var + eps)'
            else:
                hint = 'expected gamma * (x - running_mean) / sqrt(running_var + eps) + beta'
            raise AssertionError(f'batchnorm_forward (test mode, eps={eps}) output is wrong: {hint}.')
        assert np.array_equal(bn_param['running_mean'], rm) and np.array_equal(bn_param['running_var'], rv), 'batchnorm_forward (test mode) must not change the running averages; only training mode updates them.'

@test_case(points=None, hidden=False)
def test_bn_forward_modes():
    import numpy as np
    from cs231n.layers import batchnorm_forward
    rng = np.random.RandomState(6)
    x = rng.randn(5, 3)
    gamma, beta = (np.ones(3), np.zeros(3))
    bn_param = {'mode': 'train'}
    out, _ = batchnorm_forward(x, gamma, beta, bn_param)
    assert np.shape(out) == (5, 3), f"batchnorm_forward in mode 'train' returned out of shape {np.shape(out)}, expected (5, 3)."
    bn_param['mode'] = 'test'
    out, _ = batchnorm_forward(x, gamma, beta, bn_param)
    assert np.shape(out) == (5, 3), f"batchnorm_forward in mode 'test' returned out of shape {np.shape(out)}, expected (5, 3)."
    try:
        batchnorm_forward(x, gamma, beta, {'mode': 'validation'})
    except ValueError:
        return
    except Exception as e:
        raise AssertionError(f"batchnorm_forward with mode 'validation' raised {type(e).__name__} ({e}); it should raise ValueError for any mode other than 'train' or 'test'.")
    raise AssertionError("batchnorm_forward with mode 'validation' returned normally; it should raise ValueError for any mode other than 'train' or 'test'.")

