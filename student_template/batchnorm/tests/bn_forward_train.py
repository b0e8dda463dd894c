from otter.test_files import test_case

OK_FORMAT = False

name = "bn_forward_train"
points = 10

@test_case(points=None, hidden=False)
def test_bn_forward_train_output_shape_and_dtype():
    import numpy as np
    from cs231n.layers import batchnorm_forward
    rng = np.random.RandomState(0)
    N, D = (7, 4)
    x = rng.randn(N, D)
    gamma, beta = (rng.randn(D), rng.randn(D))
    result = batchnorm_forward(x, gamma, beta, {'mode': 'train'})
    assert isinstance(result, tuple) and len(result) == 2, 'batchnorm_forward must return a tuple (out, cache).'
    out = result[0]
    assert isinstance(out, np.ndarray), f'batchnorm_forward: out should be a numpy array, got {type(out).__name__}.'
    assert out.shape == (N, D), f'batchnorm_forward: out has shape {out.shape}, but x has shape {(N, D)}; the output must have the shape of x.'
    assert out.dtype == x.dtype, f'batchnorm_forward: out has dtype {out.dtype}, but x has dtype {x.dtype}; keep the dtype of the input.'

@test_case(points=None, hidden=False)
def test_bn_forward_train_means_and_stds():
    import numpy as np
    from cs231n.layers import batchnorm_forward
    rng = np.random.RandomState(1)
    N, D = (64, 5)
    x = 10 * rng.randn(N, D) + rng.uniform(-20, 20, size=D)
    gamma = np.array([0.5, 1.0, 1.5, 2.0, 3.0])
    beta = np.array([-2.0, 0.0, 1.0, 4.0, 11.0])
    out, _ = batchnorm_forward(x, gamma, beta, {'mode': 'train'})
    assert np.shape(out) == (N, D), f'batchnorm_forward: out has shape {np.shape(out)}, expected {(N, D)}.'
    means, stds = (out.mean(axis=0), out.std(axis=0))
    assert np.allclose(means, beta, rtol=0, atol=1e-06), f'batchnorm_forward (train): the per-feature means of the output should equal beta = {beta}, got {means}. Compute the mean and variance of every feature over the minibatch (axis=0), then scale by gamma and add beta.'
    assert np.allclose(stds, gamma, rtol=0, atol=1e-06), f'batchnorm_forward (train): the per-feature standard deviations of the output should equal gamma = {gamma}, got {stds}. Normalize each feature with the biased minibatch variance (x.var(axis=0), dividing by N), i.e. (x - mean) / sqrt(var + eps), then multiply by gamma.'

@test_case(points=None, hidden=False)
def test_bn_forward_train_values_with_custom_eps():
    import numpy as np
    from cs231n.layers import batchnorm_forward
    rng = np.random.RandomState(2)
    N, D = (10, 6)
    x = rng.randn(N, D) * np.array([0.01, 0.1, 1.0, 5.0, 20.0, 0.05]) + 3.0
    gamma = rng.uniform(0.5, 2.0, size=D)
    beta = rng.randn(D)
    mu, var = (x.mean(axis=0), x.var(axis=0))
    for eps in [1e-05, 0.001]:
        bn_param = {'mode': 'train'} if eps == 1e-05 else {'mode': 'train', 'eps': eps}
        out, _ = batchnorm_forward(x, gamma, beta, bn_param)
        assert np.shape(out) == (N, D), f'batchnorm_forward: out has shape {np.shape(out)}, expected {(N, D)}.'
        expected = gamma * (x - mu) / np.sqrt(var + eps) + beta
        err = np.max(np.abs(out - expected))
        assert err < 1e-08, f'batchnorm_forward (train) with eps = {eps}: output differs from gamma * (x - mean) / sqrt(var + eps) + beta by up to {err:.2e}. Read eps from bn_param (default 1e-5) and keep it inside the square root; this test uses features with small variances, where eps matters.'

@test_case(points=None, hidden=False)
def test_bn_forward_train_running_averages():
    import numpy as np
    from cs231n.layers import batchnorm_forward
    rng = np.random.RandomState(3)
    N, D = (20, 3)
    x1 = 2 * rng.randn(N, D) + 1
    x2 = 3 * rng.randn(N, D) - 2
    gamma, beta = (np.ones(D), np.zeros(D))
    bn_param = {'mode': 'train'}
    batchnorm_forward(x1, gamma, beta, bn_param)
    assert 'running_mean' in bn_param and 'running_var' in bn_param, "batchnorm_forward (train) must store 'running_mean' and 'running_var' back into bn_param, so that they persist between calls."
    exp_mean, exp_var = (0.1 * x1.mean(axis=0), 0.1 * x1.var(axis=0))
    assert np.allclose(bn_param['running_mean'], exp_mean, rtol=1e-09, atol=1e-12), f"batchnorm_forward (train): after one call starting from zeros with the default momentum 0.9, running_mean should be 0.9 * 0 + 0.1 * batch_mean = {exp_mean}, got {bn_param['running_mean']}."
    assert np.allclose(bn_param['running_var'], exp_var, rtol=1e-09, atol=1e-12), f"batchnorm_forward (train): after one call starting from zeros with the default momentum 0.9, running_var should be 0.1 * batch_var = {exp_var} (biased variance, x.var(axis=0)), got {bn_param['running_var']}."
    batchnorm_forward(x2, gamma, beta, bn_param)
    exp_mean = 0.9 * exp_mean + 0.1 * x2.mean(axis=0)
    exp_var = 0.9 * exp_var + 0.1 * x2.var(axis=0)
    assert np.allclose(bn_param['running_mean'], exp_mean, rtol=1e-09, atol=1e-12) and np.allclose(bn_param['running_var'], exp_var, rtol=1e-09, atol=1e-12), 'batchnorm_forward (train): after a second call the running averages should be momentum * running + (1 - momentum) * batch_statistic, starting from the values stored in bn_param by the first call.'
    bn_param = {'mode': 'train', 'momentum': 0.5}
    batchnorm_forward(x1, gamma, beta, bn_param)
    assert np.allclose(bn_param['running_mean'], 0.5 * x1.mean(axis=0), rtol=1e-09, atol=1e-12), "batchnorm_forward (train): read momentum from bn_param (bn_param.get('momentum', 0.9)) instead of hard-coding 0.9."

@test_case(points=None, hidden=False)
def test_bn_forward_train_does_not_modify_inputs():
    import numpy as np
    from cs231n.layers import batchnorm_forward
    rng = np.random.RandomState(4)
    N, D = (8, 5)
    x = 3 * rng.randn(N, D) + 1
    gamma, beta = (rng.randn(D), rng.randn(D))
    x0, gamma0, beta0 = (x.copy(), gamma.copy(), beta.copy())
    batchnorm_forward(x, gamma, beta, {'mode': 'train'})
    assert np.array_equal(x, x0), 'batchnorm_forward modified its input x in place; compute new arrays instead (avoid x -= ... or x /= ...).'
    assert np.array_equal(gamma, gamma0) and np.array_equal(beta, beta0), 'batchnorm_forward modified gamma or beta in place; they are parameters and must not change in the forward pass.'

