"""Tests of cs231n.layers: numeric gradient checks, normalization details, canonical figures."""


import numpy as np
import pytest

from cs231n.gradient_check import eval_numerical_gradient, eval_numerical_gradient_array
from cs231n.layers import (
    affine_backward,
    affine_forward,
    batchnorm_backward,
    batchnorm_backward_alt,
    batchnorm_forward,
    dropout_backward,
    dropout_forward,
    layernorm_backward,
    layernorm_forward,
    relu_backward,
    relu_forward,
    softmax_loss,
)


def rel_error(x, y):
    """Largest elementwise relative error, after checking the shapes agree."""
    x, y = np.asarray(x), np.asarray(y)
    assert x.shape == y.shape, f"shape {x.shape} != {y.shape}"
    return np.max(np.abs(x - y) / np.maximum(1e-8, np.abs(x) + np.abs(y)))


def numeric_grads(forward, args, index_of_x, dout):
    """Numerical gradients of sum(forward(*args)[0] * dout) for each array in args."""
    grads = []
    for i in index_of_x:
        def f(value, i=i):
            call = list(args)
            call[i] = value
            return forward(*call)[0]
        grads.append(eval_numerical_gradient_array(f, args[i].copy(), dout))
    return grads


def two_layer_activations(N, rng_seed=231):
    """The seed notebook's simulated two-layer activations, (N, 3)."""
    np.random.seed(rng_seed)
    D1, D2, D3 = 50, 60, 3
    X = np.random.randn(N, D1)
    W1 = np.random.randn(D1, D2)
    W2 = np.random.randn(D2, D3)
    return np.maximum(0, X.dot(W1)).dot(W2)


# ---------------------------------------------------------------- basic layers


def test_affine_forward_values_and_gradients():
    rng = np.random.RandomState(0)
    x = rng.randn(3, 4, 5)
    w = rng.randn(20, 6)
    b = rng.randn(6)
    out, cache = affine_forward(x, w, b)
    assert out.shape == (3, 6)
    np.testing.assert_allclose(out, x.reshape(3, 20) @ w + b)

    dout = rng.randn(3, 6)
    dx, dw, db = affine_backward(dout, cache)
    dx_num, dw_num, db_num = numeric_grads(affine_forward, (x, w, b), (0, 1, 2), dout)
    assert dx.shape == x.shape and dw.shape == w.shape and db.shape == b.shape
    assert rel_error(dx, dx_num) < 1e-8
    assert rel_error(dw, dw_num) < 1e-8
    assert rel_error(db, db_num) < 1e-8


def test_relu_forward_backward():
    rng = np.random.RandomState(1)
    # Keep inputs away from 0, where the numeric gradient of a kink is meaningless.
    x = rng.randn(5, 7)
    x[np.abs(x) < 1e-3] = 0.5
    out, cache = relu_forward(x)
    np.testing.assert_array_equal(out, np.maximum(0, x))
    dout = rng.randn(5, 7)
    dx = relu_backward(dout, cache)
    dx_num = eval_numerical_gradient_array(lambda v: relu_forward(v)[0], x.copy(), dout)
    assert rel_error(dx, dx_num) < 1e-9


def test_softmax_loss_value_and_gradient():
    rng = np.random.RandomState(2)
    N, C = 9, 6
    x = 1e-3 * rng.randn(N, C)
    y = rng.randint(C, size=N)
    loss, dx = softmax_loss(x, y)
    # Near-uniform scores: the loss is close to log(C).
    assert abs(loss - np.log(C)) < 1e-2
    dx_num = eval_numerical_gradient(lambda v: softmax_loss(v, y)[0], x.copy(), verbose=False)
    assert rel_error(dx, dx_num) < 1e-7


def test_softmax_loss_is_stable_for_large_scores():
    x = np.array([[1000.0, 0.0, -1000.0], [0.0, 1000.0, 0.0]])
    loss, dx = softmax_loss(x, np.array([0, 1]))
    assert np.isfinite(loss) and np.all(np.isfinite(dx))
    assert loss == pytest.approx(0.0, abs=1e-12)


# ---------------------------------------------------------------- dropout


def test_dropout_train_mode_gradient_and_statistics():
    rng = np.random.RandomState(3)
    x = rng.randn(6, 8) + 10
    param = {"mode": "train", "p": 0.6, "seed": 123}
    out, cache = dropout_forward(x, param)
    kept = out != 0
    # Inverted dropout: kept units are scaled by 1 / p.
    np.testing.assert_allclose(out[kept], x[kept] / 0.6)
    dout = rng.randn(6, 8)
    dx = dropout_backward(dout, cache)
    dx_num = eval_numerical_gradient_array(lambda v: dropout_forward(v, param)[0], x.copy(), dout)
    assert rel_error(dx, dx_num) < 1e-9

    big = np.ones((500, 500))
    out, _ = dropout_forward(big, {"mode": "train", "p": 0.3})
    assert abs(np.mean(out != 0) - 0.3) < 0.01
    assert abs(out.mean() - 1.0) < 0.03


def test_dropout_test_mode_is_identity():
    x = np.random.RandomState(4).randn(4, 5)
    param = {"mode": "test", "p": 0.25}
    out, cache = dropout_forward(x, param)
    np.testing.assert_array_equal(out, x)
    dout = np.arange(20.0).reshape(4, 5)
    np.testing.assert_array_equal(dropout_backward(dout, cache), dout)


def test_dropout_seed_is_deterministic_and_leaves_global_rng_alone():
    x = np.ones((10, 10))
    np.random.seed(5)
    state = np.random.get_state()[1].copy()
    a, _ = dropout_forward(x, {"mode": "train", "p": 0.5, "seed": 7})
    b, _ = dropout_forward(x, {"mode": "train", "p": 0.5, "seed": 7})
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(np.random.get_state()[1], state)


def test_dropout_bad_mode():
    with pytest.raises(ValueError):
        dropout_forward(np.ones((2, 2)), {"mode": "eval", "p": 0.5})


# ---------------------------------------------------------------- batchnorm


def bn_reference(x, gamma, beta, eps):
    mean, var = x.mean(axis=0), x.var(axis=0)
    return gamma * (x - mean) / np.sqrt(var + eps) + beta


@pytest.mark.parametrize("eps", [1e-5, 0.4])
@pytest.mark.parametrize("backward", [batchnorm_backward, batchnorm_backward_alt])
def test_batchnorm_gradients_with_n_not_d(backward, eps):
    rng = np.random.RandomState(6)
    N, D = 7, 4
    # A small spread makes eps = 0.4 matter next to the variance.
    x = 0.5 * rng.randn(N, D) + 3
    gamma = rng.randn(D)
    beta = rng.randn(D)
    dout = rng.randn(N, D)
    param = {"mode": "train", "eps": eps}

    out, cache = batchnorm_forward(x, gamma, beta, param)
    np.testing.assert_allclose(out, bn_reference(x, gamma, beta, eps), rtol=1e-12, atol=1e-12)

    def fwd(x_, g_, b_):
        return batchnorm_forward(x_, g_, b_, {"mode": "train", "eps": eps})

    dx_num, dg_num, db_num = numeric_grads(fwd, (x, gamma, beta), (0, 1, 2), dout)
    dx, dgamma, dbeta = backward(dout, cache)
    assert dgamma.shape == (D,) and dbeta.shape == (D,)
    assert rel_error(dx, dx_num) < 1e-7
    assert rel_error(dgamma, dg_num) < 1e-8
    assert rel_error(dbeta, db_num) < 1e-8


def test_batchnorm_alt_matches_staged():
    rng = np.random.RandomState(7)
    for N, D in [(4, 5), (33, 9), (100, 500)]:
        x = 5 * rng.randn(N, D) + 12
        gamma, beta, dout = rng.randn(D), rng.randn(D), rng.randn(N, D)
        _, cache = batchnorm_forward(x, gamma, beta, {"mode": "train", "eps": 1e-3})
        for staged, alt in zip(batchnorm_backward(dout, cache), batchnorm_backward_alt(dout, cache)):
            assert rel_error(staged, alt) < 1e-9


def test_batchnorm_running_averages_with_custom_momentum():
    rng = np.random.RandomState(9)
    D = 6
    param = {"mode": "train", "momentum": 0.7}
    gamma, beta = np.ones(D), np.zeros(D)
    batches = [rng.randn(10, D) * (i + 1) + i for i in range(3)]
    expected_mean, expected_var = np.zeros(D), np.zeros(D)
    for batch in batches:
        batchnorm_forward(batch, gamma, beta, param)
        expected_mean = 0.7 * expected_mean + 0.3 * batch.mean(axis=0)
        expected_var = 0.7 * expected_var + 0.3 * batch.var(axis=0)  # biased variance
    np.testing.assert_allclose(param["running_mean"], expected_mean, rtol=1e-12)
    np.testing.assert_allclose(param["running_var"], expected_var, rtol=1e-12)


def test_batchnorm_default_running_stats_follow_input_dtype():
    param = {"mode": "train"}
    x = np.random.RandomState(10).randn(5, 3).astype(np.float32)
    batchnorm_forward(x, np.ones(3, np.float32), np.zeros(3, np.float32), param)
    assert param["running_mean"].shape == (3,) and param["running_var"].shape == (3,)
    assert param["running_mean"].dtype == np.float32


def test_batchnorm_test_mode_uses_running_stats_gamma_beta_and_eps():
    rng = np.random.RandomState(11)
    D = 4
    running_mean, running_var = rng.randn(D), 0.1 * rng.rand(D)
    gamma, beta = rng.randn(D), rng.randn(D)
    eps = 0.3
    param = {
        "mode": "test",
        "eps": eps,
        "running_mean": running_mean.copy(),
        "running_var": running_var.copy(),
    }
    x = rng.randn(8, D)
    out, _ = batchnorm_forward(x, gamma, beta, param)
    expected = gamma * (x - running_mean) / np.sqrt(running_var + eps) + beta
    np.testing.assert_allclose(out, expected, rtol=1e-12)
    # Test mode must not touch the running averages.
    np.testing.assert_array_equal(param["running_mean"], running_mean)
    np.testing.assert_array_equal(param["running_var"], running_var)


@pytest.mark.parametrize("mode", ["eval", "TRAIN", None])
def test_batchnorm_bad_mode_raises(mode):
    param = {} if mode is None else {"mode": mode}
    with pytest.raises(ValueError, match="mode"):
        batchnorm_forward(np.ones((3, 2)), np.ones(2), np.zeros(2), param)


@pytest.mark.parametrize("mode", ["train", "test"])
def test_batchnorm_does_not_modify_inputs(mode):
    rng = np.random.RandomState(12)
    x, gamma, beta = rng.randn(6, 3), rng.randn(3), rng.randn(3)
    copies = x.copy(), gamma.copy(), beta.copy()
    param = {"mode": mode, "running_mean": rng.randn(3), "running_var": rng.rand(3)}
    batchnorm_forward(x, gamma, beta, param)
    for original, kept in zip((x, gamma, beta), copies):
        np.testing.assert_array_equal(original, kept)


# ---------------------------------------------------------------- layernorm


def ln_reference(x, gamma, beta, eps):
    mean = x.mean(axis=1, keepdims=True)
    var = x.var(axis=1, keepdims=True)
    return gamma * (x - mean) / np.sqrt(var + eps) + beta


@pytest.mark.parametrize("eps", [1e-5, 0.4])
def test_layernorm_gradients_with_n_not_d(eps):
    rng = np.random.RandomState(13)
    N, D = 5, 8
    x = 0.5 * rng.randn(N, D) + 3
    gamma, beta, dout = rng.randn(D), rng.randn(D), rng.randn(N, D)
    param = {"eps": eps}
    out, cache = layernorm_forward(x, gamma, beta, param)
    np.testing.assert_allclose(out, ln_reference(x, gamma, beta, eps), rtol=1e-12, atol=1e-12)

    def fwd(x_, g_, b_):
        return layernorm_forward(x_, g_, b_, {"eps": eps})

    dx_num, dg_num, db_num = numeric_grads(fwd, (x, gamma, beta), (0, 1, 2), dout)
    dx, dgamma, dbeta = layernorm_backward(dout, cache)
    assert dgamma.shape == (D,) and dbeta.shape == (D,)
    assert rel_error(dx, dx_num) < 1e-7
    assert rel_error(dgamma, dg_num) < 1e-8
    assert rel_error(dbeta, db_num) < 1e-8


def test_layernorm_train_and_test_identical_and_param_untouched():
    rng = np.random.RandomState(14)
    x, gamma, beta = rng.randn(3, 6), rng.randn(6), rng.randn(6)
    copies = x.copy(), gamma.copy(), beta.copy()
    train_param, test_param = {"mode": "train"}, {"mode": "test"}
    a, _ = layernorm_forward(x, gamma, beta, train_param)
    b, _ = layernorm_forward(x, gamma, beta, test_param)
    c, _ = layernorm_forward(x, gamma, beta, {})
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(a, c)
    assert train_param == {"mode": "train"} and test_param == {"mode": "test"}
    for original, kept in zip((x, gamma, beta), copies):
        np.testing.assert_array_equal(original, kept)


# ----------- canonical figures (docs/batchnorm.md, "Figures of a correct solution")


def test_canonical_batchnorm_forward_figures():
    a = two_layer_activations(200)
    np.testing.assert_allclose(a.mean(axis=0), [-2.3814598, -13.18038246, 1.91780462], atol=1e-8)
    np.testing.assert_allclose(a.std(axis=0), [27.18502186, 34.21455511, 37.68611762], atol=1e-8)

    out, _ = batchnorm_forward(a, np.ones(3), np.zeros(3), {"mode": "train"})
    assert np.all(np.abs(out.mean(axis=0)) < 1e-15)
    np.testing.assert_allclose(out.std(axis=0), [0.99999999, 1.0, 1.0], atol=1e-8)

    gamma, beta = np.array([1.0, 2.0, 3.0]), np.array([11.0, 12.0, 13.0])
    out, _ = batchnorm_forward(a, gamma, beta, {"mode": "train"})
    np.testing.assert_allclose(out.mean(axis=0), beta, atol=1e-12)
    np.testing.assert_allclose(out.std(axis=0), [0.99999999, 1.99999999, 2.99999999], atol=1e-8)


def test_canonical_batchnorm_test_time_figures():
    np.random.seed(231)
    N, D1, D2, D3 = 200, 50, 60, 3
    W1 = np.random.randn(D1, D2)
    W2 = np.random.randn(D2, D3)
    param = {"mode": "train"}
    gamma, beta = np.ones(D3), np.zeros(D3)
    for _ in range(50):
        X = np.random.randn(N, D1)
        batchnorm_forward(np.maximum(0, X.dot(W1)).dot(W2), gamma, beta, param)
    param["mode"] = "test"
    X = np.random.randn(N, D1)
    out, _ = batchnorm_forward(np.maximum(0, X.dot(W1)).dot(W2), gamma, beta, param)
    np.testing.assert_allclose(out.mean(axis=0), [-0.03927354, -0.04349152, -0.10452688],
                               atol=1e-8)
    np.testing.assert_allclose(out.std(axis=0), [1.01531428, 1.01238373, 0.97819988], atol=1e-8)


def seed_gradient_check(forward, backward, param):
    """The seed notebook's N=4, D=5 gradient check; returns (dx, dgamma, dbeta) errors."""
    np.random.seed(231)
    N, D = 4, 5
    x = 5 * np.random.randn(N, D) + 12
    gamma = np.random.randn(D)
    beta = np.random.randn(D)
    dout = np.random.randn(N, D)
    dx_num = eval_numerical_gradient_array(lambda v: forward(v, gamma, beta, param)[0], x, dout)
    dg_num = eval_numerical_gradient_array(lambda v: forward(x, v, beta, param)[0],
                                           gamma.copy(), dout)
    db_num = eval_numerical_gradient_array(lambda v: forward(x, gamma, v, param)[0],
                                           beta.copy(), dout)
    _, cache = forward(x, gamma, beta, param)
    dx, dgamma, dbeta = backward(dout, cache)
    return rel_error(dx_num, dx), rel_error(dg_num, dgamma), rel_error(db_num, dbeta)


@pytest.mark.parametrize("backward", [batchnorm_backward, batchnorm_backward_alt])
def test_canonical_batchnorm_gradient_errors(backward):
    dx_err, dgamma_err, dbeta_err = seed_gradient_check(batchnorm_forward, backward,
                                                        {"mode": "train"})
    assert dx_err < 1e-8 and dgamma_err < 1e-8 and dbeta_err < 1e-8
    # The published figures: ~1.7e-9, ~7.4e-13, ~2.9e-12.
    assert dx_err == pytest.approx(1.7e-9, rel=0.1)


def test_canonical_layernorm_figures():
    a = two_layer_activations(4)
    np.testing.assert_allclose(a.mean(axis=1), [-59.0667, -47.6078, -43.3114, -26.4099],
                               atol=1e-4)
    out, _ = layernorm_forward(a, np.ones(3), np.zeros(3), {"mode": "train"})
    assert np.all(np.abs(out.mean(axis=1)) < 1e-14)
    out, _ = layernorm_forward(a, np.full(3, 3.0), np.full(3, 5.0), {"mode": "train"})
    np.testing.assert_allclose(out.mean(axis=1), 5.0, atol=1e-12)
    np.testing.assert_allclose(out.std(axis=1), 3.0, atol=1e-5)

    errors = seed_gradient_check(layernorm_forward, layernorm_backward, {})
    assert all(error < 1e-8 for error in errors), errors
