"""Tests of cs231n.classifiers.fc_net.FullyConnectedNet."""

import numpy as np
import pytest

from cs231n.classifiers.fc_net import FullyConnectedNet
from cs231n.gradient_check import eval_numerical_gradient


def assert_grad_close(numeric, analytic, name):
    """Whole-array relative error below 1e-6, with an absolute floor: the numeric gradient
    carries ~1e-11 of rounding noise, and some exact gradients are 0 (b1 under batchnorm)."""
    numeric, analytic = np.asarray(numeric), np.asarray(analytic)
    assert numeric.shape == analytic.shape, f"{name}: shape {numeric.shape} != {analytic.shape}"
    diff = np.linalg.norm(numeric - analytic)
    scale = np.linalg.norm(numeric) + np.linalg.norm(analytic)
    assert diff <= 1e-6 * scale + 1e-9, f"{name}: error {diff:.3g}, gradient norm {scale:.3g}"


def seed_initial_losses(normalization):
    """The seed notebook's FullyConnectedNet check: initial loss for reg 0 then reg 3.14."""
    np.random.seed(231)
    N, D, H1, H2, C = 2, 15, 20, 30, 10
    X = np.random.randn(N, D)
    y = np.random.randint(C, size=(N,))
    losses = []
    # As in the notebook, the reg = 3.14 model is built after the reg = 0 one, so its
    # weights continue the same random stream.
    for reg in [0, 3.14]:
        model = FullyConnectedNet([H1, H2], input_dim=D, num_classes=C, reg=reg,
                                  weight_scale=5e-2, dtype=np.float64,
                                  normalization=normalization)
        loss, grads = model.loss(X, y)
        assert set(grads) == set(model.params)
        losses.append(loss)
    return losses


def test_canonical_batchnorm_initial_losses():
    loss0, loss_reg = seed_initial_losses("batchnorm")
    assert loss0 == pytest.approx(2.2611955101340957, rel=1e-12)
    assert loss_reg == pytest.approx(6.996533220108303, rel=1e-12)


def test_canonical_layernorm_initial_losses():
    loss0, loss_reg = seed_initial_losses("layernorm")
    assert loss0 == pytest.approx(2.237831, abs=1e-6)
    assert loss_reg == pytest.approx(7.102138, abs=1e-6)


@pytest.mark.parametrize(
    "normalization, keep, seed",
    [(None, 1, None), ("batchnorm", 1, None), ("layernorm", 1, None),
     (None, 0.7, 123), ("batchnorm", 0.7, 123), ("layernorm", 0.7, 123)],
)
@pytest.mark.parametrize("reg", [0.0, 1.7])
def test_numeric_gradients_of_every_param(normalization, keep, seed, reg):
    rng = np.random.RandomState(21)
    N, D, H1, H2, C = 6, 9, 8, 7, 4
    X = rng.randn(N, D)
    y = rng.randint(C, size=N)
    np.random.seed(22)
    model = FullyConnectedNet([H1, H2], input_dim=D, num_classes=C, reg=reg,
                              weight_scale=0.3, dtype=np.float64, normalization=normalization,
                              dropout_keep_ratio=keep, seed=seed)
    loss, grads = model.loss(X, y)
    assert set(grads) == set(model.params)
    for name in sorted(grads):
        grad_num = eval_numerical_gradient(lambda _: model.loss(X, y)[0], model.params[name],
                                           verbose=False, h=1e-5)
        assert grads[name].shape == model.params[name].shape
        assert_grad_close(grad_num, grads[name], name)


@pytest.mark.parametrize("normalization", [None, "batchnorm", "layernorm"])
def test_param_names_shapes_and_dtype(normalization):
    model = FullyConnectedNet([5, 6, 7], input_dim=4, num_classes=3,
                              normalization=normalization)
    expected = {f"W{i}" for i in range(1, 5)} | {f"b{i}" for i in range(1, 5)}
    if normalization is not None:
        expected |= {f"gamma{i}" for i in range(1, 4)} | {f"beta{i}" for i in range(1, 4)}
    assert set(model.params) == expected
    dims = [4, 5, 6, 7, 3]
    for i in range(1, 5):
        assert model.params[f"W{i}"].shape == (dims[i - 1], dims[i])
        np.testing.assert_array_equal(model.params[f"b{i}"], np.zeros(dims[i]))
    if normalization is not None:
        for i in range(1, 4):
            np.testing.assert_array_equal(model.params[f"gamma{i}"], np.ones(dims[i]))
            np.testing.assert_array_equal(model.params[f"beta{i}"], np.zeros(dims[i]))
    assert all(value.dtype == np.float32 for value in model.params.values())


def test_weights_drawn_in_layer_order_from_global_rng():
    np.random.seed(3)
    model = FullyConnectedNet([5, 6], input_dim=4, num_classes=3, weight_scale=0.2,
                              dtype=np.float64, normalization="batchnorm")
    np.random.seed(3)
    for i, (fan_in, fan_out) in enumerate([(4, 5), (5, 6), (6, 3)], start=1):
        np.testing.assert_array_equal(model.params[f"W{i}"],
                                      0.2 * np.random.randn(fan_in, fan_out))


@pytest.mark.parametrize("normalization, expected", [("batchnorm", {"mode": "train"}),
                                                     ("layernorm", {}), (None, None)])
def test_bn_params_created_once(normalization, expected):
    model = FullyConnectedNet([5, 6, 7], input_dim=4, num_classes=3,
                              normalization=normalization)
    if expected is None:
        assert model.bn_params == []
    else:
        assert model.bn_params == [expected] * 3
        assert len({id(p) for p in model.bn_params}) == 3


def test_running_statistics_persist_across_loss_calls():
    rng = np.random.RandomState(4)
    X, y = rng.randn(10, 4), rng.randint(3, size=10)
    model = FullyConnectedNet([5], input_dim=4, num_classes=3, dtype=np.float64,
                              normalization="batchnorm")
    bn_param = model.bn_params[0]
    model.loss(X, y)
    model.loss(X, y)
    assert model.bn_params[0] is bn_param
    # The parameters did not change between the calls, so both batch means are equal:
    # running = 0.9 * (0.1 * m) + 0.1 * m = 0.19 * m.
    pre = X @ model.params["W1"] + model.params["b1"]
    np.testing.assert_allclose(bn_param["running_mean"], 0.19 * pre.mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(bn_param["running_var"], 0.19 * pre.var(axis=0), rtol=1e-12)


def test_scores_in_test_mode_use_running_statistics():
    rng = np.random.RandomState(5)
    X, y = rng.randn(10, 4), rng.randint(3, size=10)
    model = FullyConnectedNet([5], input_dim=4, num_classes=3, dtype=np.float64,
                              normalization="batchnorm", dropout_keep_ratio=0.5)
    model.params["gamma1"] = rng.rand(5) + 0.5
    model.params["beta1"] = rng.randn(5)
    for _ in range(3):
        model.loss(X, y)
    bn_param = model.bn_params[0]
    running_mean, running_var = bn_param["running_mean"].copy(), bn_param["running_var"].copy()

    X_test = rng.randn(3, 4)
    scores = model.loss(X_test)
    assert scores.shape == (3, 3)
    assert bn_param["mode"] == "test" and model.dropout_param["mode"] == "test"
    np.testing.assert_array_equal(bn_param["running_mean"], running_mean)
    np.testing.assert_array_equal(bn_param["running_var"], running_var)

    p = model.params
    hidden = X_test @ p["W1"] + p["b1"]
    hidden = p["gamma1"] * (hidden - running_mean) / np.sqrt(running_var + 1e-5) + p["beta1"]
    expected = np.maximum(0, hidden) @ p["W2"] + p["b2"]  # no ReLU after the last layer
    np.testing.assert_allclose(scores, expected, rtol=1e-10)
    np.testing.assert_array_equal(model.loss(X_test), scores)  # dropout off at test time


def test_layernorm_is_applied():
    rng = np.random.RandomState(6)
    X = rng.randn(4, 5)
    model = FullyConnectedNet([6], input_dim=5, num_classes=3, dtype=np.float64,
                              normalization="layernorm")
    model.params["gamma1"] = rng.rand(6) + 0.5
    model.params["beta1"] = rng.randn(6)
    p = model.params
    hidden = X @ p["W1"] + p["b1"]
    mean, var = hidden.mean(axis=1, keepdims=True), hidden.var(axis=1, keepdims=True)
    hidden = p["gamma1"] * (hidden - mean) / np.sqrt(var + 1e-5) + p["beta1"]
    expected = np.maximum(0, hidden) @ p["W2"] + p["b2"]
    np.testing.assert_allclose(model.loss(X), expected, rtol=1e-10)


def test_l2_regularization_covers_every_weight_only():
    rng = np.random.RandomState(7)
    X, y = rng.randn(5, 4), rng.randint(3, size=5)
    np.random.seed(8)
    plain = FullyConnectedNet([6, 5], input_dim=4, num_classes=3, dtype=np.float64,
                              normalization="batchnorm", reg=0.0)
    np.random.seed(8)
    regularized = FullyConnectedNet([6, 5], input_dim=4, num_classes=3, dtype=np.float64,
                                    normalization="batchnorm", reg=2.5)
    for name in ("b1", "b2", "b3", "gamma1", "beta1", "gamma2", "beta2"):
        value = rng.randn(*plain.params[name].shape)
        plain.params[name] = value
        regularized.params[name] = value.copy()
    weights = sum(np.sum(plain.params[f"W{i}"] ** 2) for i in range(1, 4))
    loss0, _ = plain.loss(X, y)
    loss_reg, _ = regularized.loss(X, y)
    assert loss_reg - loss0 == pytest.approx(0.5 * 2.5 * weights, rel=1e-10)


@pytest.mark.parametrize("normalization", ["batch", "BatchNorm", "groupnorm", True])
def test_bad_normalization_raises(normalization):
    with pytest.raises(ValueError, match="normalization"):
        FullyConnectedNet([5], input_dim=4, num_classes=3, normalization=normalization)


def test_dropout_param():
    assert FullyConnectedNet([5], input_dim=4).dropout_param == {}
    model = FullyConnectedNet([5], input_dim=4, dropout_keep_ratio=0.25, seed=9)
    assert model.use_dropout
    assert model.dropout_param == {"mode": "train", "p": 0.25, "seed": 9}
