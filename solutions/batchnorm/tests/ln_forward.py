from otter.test_files import test_case

OK_FORMAT = False

name = "ln_forward"
points = 6

@test_case(points=None, hidden=False)
def test_ln_forward_per_sample_means_and_stds():
    import numpy as np
    from cs231n.layers import layernorm_forward
    rng = np.random.RandomState(14)
    N, D = (6, 10)
    x = 8 * rng.randn(N, D) + rng.uniform(-30, 30, size=(N, 1))
    gamma, beta = (np.full(D, 3.0), np.full(D, 5.0))
    out, _ = layernorm_forward(x, gamma, beta, {})
    assert np.shape(out) == (N, D), f'layernorm_forward: out has shape {np.shape(out)}, expected {(N, D)} (the shape of x).'
    means, stds = (out.mean(axis=1), out.std(axis=1))
    assert np.allclose(means, 5.0, rtol=0, atol=1e-06), f'layernorm_forward: with gamma = 3 and beta = 5 for every feature, each data point (row) should have mean 5 after normalization, got {means}. Layer normalization computes the mean and variance of each data point over its features (axis=1), not over the batch.'
    assert np.allclose(stds, 3.0, rtol=0, atol=1e-06), f'layernorm_forward: with gamma = 3 for every feature, each row should have standard deviation 3, got {stds}. Use the biased variance over axis=1 and divide by sqrt(var + eps).'

@test_case(points=None, hidden=False)
def test_ln_forward_values_with_custom_eps():
    import numpy as np
    from cs231n.layers import layernorm_forward
    rng = np.random.RandomState(15)
    N, D = (5, 8)
    x = rng.randn(N, D) * np.array([[0.02], [0.1], [1.0], [5.0], [0.05]]) + 2.0
    gamma, beta = (rng.uniform(0.5, 2.0, size=D), rng.randn(D))
    mu, var = (x.mean(axis=1, keepdims=True), x.var(axis=1, keepdims=True))
    for eps in [1e-05, 0.001]:
        ln_param = {} if eps == 1e-05 else {'eps': eps}
        out, _ = layernorm_forward(x, gamma, beta, ln_param)
        assert np.shape(out) == (N, D), f'layernorm_forward: out has shape {np.shape(out)}, expected {(N, D)}.'
        expected = gamma * (x - mu) / np.sqrt(var + eps) + beta
        if not np.allclose(out, expected, rtol=1e-09, atol=1e-09):
            if np.allclose(out, gamma * (x - x.mean(axis=0)) / np.sqrt(x.var(axis=0) + eps) + beta):
                hint = 'the statistics are computed over the batch (axis=0); layer normalization uses the features of each data point (axis=1)'
            else:
                hint = 'expected gamma * (x - row_mean) / sqrt(row_var + eps) + beta, with eps read from ln_param (default 1e-5) and kept inside the square root; gamma and beta are per feature'
            raise AssertionError(f'layernorm_forward with eps = {eps}: output is wrong: {hint}.')

@test_case(points=None, hidden=False)
def test_ln_forward_is_stateless_and_keeps_inputs():
    import numpy as np
    from cs231n.layers import layernorm_forward
    rng = np.random.RandomState(16)
    N, D = (4, 7)
    x = 2 * rng.randn(N, D) + 1
    gamma, beta = (rng.randn(D), rng.randn(D))
    x0, gamma0, beta0 = (x.copy(), gamma.copy(), beta.copy())
    ln_param = {}
    out1, _ = layernorm_forward(x, gamma, beta, ln_param)
    out2, _ = layernorm_forward(x[:1], gamma, beta, ln_param)
    assert np.array_equal(x, x0) and np.array_equal(gamma, gamma0) and np.array_equal(beta, beta0), 'layernorm_forward modified x, gamma or beta in place; compute new arrays instead.'
    assert np.allclose(out1[:1], out2, rtol=1e-10, atol=1e-12), 'layernorm_forward: the output for a data point must not depend on the other data points in the batch (normalize each row with its own statistics).'

