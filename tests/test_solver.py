"""Tests of cs231n.solver.Solver and the update rules in cs231n.optim."""

import pickle

import numpy as np
import pytest

from cs231n import optim
from cs231n.classifiers.fc_net import FullyConnectedNet
from cs231n.solver import Solver


def synthetic_data(num_train=60, num_val=30, dim=12, classes=3, seed=0):
    """Random points with random labels: only memorization fits the training set."""
    rng = np.random.RandomState(seed)
    return {
        "X_train": rng.randn(num_train, dim),
        "y_train": rng.randint(classes, size=num_train),
        "X_val": rng.randn(num_val, dim),
        "y_val": rng.randint(classes, size=num_val),
    }


class CountingModel:
    """A model whose single parameter w grows by 1 per sgd step (lr 1, gradient -1).

    Its validation predictions are right only when w == 2, so the best parameters are known.
    """

    def __init__(self, y_val):
        self.params = {"w": np.zeros(1)}
        self.y_val = y_val

    def loss(self, X, y=None):
        if y is None:
            right = int(round(self.params["w"][0])) == 2
            labels = self.y_val[: len(X)] if right else (self.y_val[: len(X)] + 1) % 2
            return np.eye(2)[labels]
        return 1.0, {"w": -np.ones(1)}


def test_solver_overfits_a_small_dataset():
    data = synthetic_data()
    np.random.seed(1)
    model = FullyConnectedNet([100], input_dim=12, num_classes=3, weight_scale=0.1,
                              dtype=np.float64)
    solver = Solver(model, data, update_rule="adam", optim_config={"learning_rate": 1e-2},
                    num_epochs=30, batch_size=10, verbose=False)
    solver.train()
    assert solver.loss_history[-1] < 0.3 * solver.loss_history[0]
    assert max(solver.train_acc_history) >= 0.95


@pytest.mark.parametrize("normalization", ["batchnorm", "layernorm"])
def test_solver_trains_normalized_networks(normalization):
    data = synthetic_data(seed=2)
    np.random.seed(3)
    model = FullyConnectedNet([50, 50], input_dim=12, num_classes=3, weight_scale=0.05,
                              normalization=normalization)
    solver = Solver(model, data, update_rule="adam", optim_config={"learning_rate": 1e-2},
                    num_epochs=15, batch_size=20, verbose=False)
    solver.train()
    assert max(solver.train_acc_history) >= 0.9


def test_history_lengths_and_iteration_count():
    data = synthetic_data(num_train=45)
    model = FullyConnectedNet([10], input_dim=12, num_classes=3)
    solver = Solver(model, data, num_epochs=4, batch_size=10, verbose=False)
    solver.train()
    assert len(solver.loss_history) == 4 * (45 // 10)
    assert len(solver.train_acc_history) == 4 + 1
    assert len(solver.val_acc_history) == 4 + 1
    assert solver.epoch == 4


def test_one_iteration_per_epoch_when_batch_exceeds_data():
    data = synthetic_data(num_train=8)
    model = FullyConnectedNet([10], input_dim=12, num_classes=3)
    solver = Solver(model, data, num_epochs=3, batch_size=100, verbose=False)
    solver.train()
    assert len(solver.loss_history) == 3
    # The first iteration is also the end of the first epoch: one check, not two.
    assert len(solver.val_acc_history) == 3


def test_best_params_are_swapped_in():
    y_val = np.array([0, 1, 1, 0])
    data = {"X_train": np.zeros((2, 1)), "y_train": np.zeros(2, dtype=int),
            "X_val": np.zeros((4, 1)), "y_val": y_val}
    model = CountingModel(y_val)
    solver = Solver(model, data, update_rule="sgd", optim_config={"learning_rate": 1.0},
                    num_epochs=3, batch_size=1, verbose=False)
    solver.train()
    # Checks after iterations 1, 2, 4, 6 (w = 1, 2, 4, 6); only w == 2 is right.
    assert solver.val_acc_history == [0.0, 1.0, 0.0, 0.0]
    assert solver.best_val_acc == 1.0
    np.testing.assert_array_equal(model.params["w"], [2.0])


def test_lr_decay_per_epoch():
    data = synthetic_data(num_train=40)
    model = FullyConnectedNet([10], input_dim=12, num_classes=3)
    solver = Solver(model, data, update_rule="sgd_momentum",
                    optim_config={"learning_rate": 0.1}, lr_decay=0.5, num_epochs=3,
                    batch_size=10, verbose=False)
    solver.train()
    for config in solver.optim_configs.values():
        assert config["learning_rate"] == pytest.approx(0.1 * 0.5**3)
    assert solver.optim_config == {"learning_rate": 0.1}  # each param got its own copy


def test_check_accuracy_batches_and_subsamples():
    y = np.array([0, 1, 2, 0, 1, 2, 0])
    data = {"X_train": np.eye(7), "y_train": y, "X_val": np.eye(7), "y_val": y}

    class Lookup:
        params = {}

        def loss(self, X, y=None):
            return X @ np.eye(7, 3)[[0, 1, 2, 0, 1, 1, 1]]  # rows 5 and 6 predicted as 1

    solver = Solver(Lookup(), data, verbose=False)
    assert solver.check_accuracy(np.eye(7), y, batch_size=3) == pytest.approx(5 / 7)
    np.random.seed(0)
    before = np.random.get_state()[1].copy()
    solver.check_accuracy(np.eye(7), y, num_samples=4)
    assert not np.array_equal(np.random.get_state()[1], before)  # drew a random subsample


def test_checkpoints_are_written(tmp_path):
    data = synthetic_data(num_train=20)
    model = FullyConnectedNet([5], input_dim=12, num_classes=3)
    name = str(tmp_path / "ckpt")
    solver = Solver(model, data, num_epochs=2, batch_size=10, checkpoint_name=name,
                    verbose=False)
    solver.train()
    for epoch in (0, 1, 2):
        with open(f"{name}_epoch_{epoch}.pkl", "rb") as f:
            checkpoint = pickle.load(f)
        assert checkpoint["epoch"] == epoch
    assert len(checkpoint["loss_history"]) == 4


def test_verbose_output(capsys):
    data = synthetic_data(num_train=20)
    model = FullyConnectedNet([5], input_dim=12, num_classes=3)
    Solver(model, data, num_epochs=1, batch_size=10, print_every=1).train()
    out = capsys.readouterr().out
    assert "(Iteration 1 / 2) loss:" in out
    assert "(Epoch 1 / 1) train acc:" in out


def test_unknown_kwarg_and_bad_update_rule_raise():
    data = synthetic_data()
    model = FullyConnectedNet([5], input_dim=12, num_classes=3)
    with pytest.raises(ValueError, match="learning_rate"):
        Solver(model, data, learning_rate=1e-3)
    with pytest.raises(ValueError, match="update_rule"):
        Solver(model, data, update_rule="adagrad")


@pytest.mark.parametrize("rule, config", [
    ("sgd", {"learning_rate": 0.1}),
    ("sgd_momentum", {"learning_rate": 0.02}),
    ("rmsprop", {"learning_rate": 0.01}),
    ("adam", {"learning_rate": 0.05}),
])
def test_update_rules_decrease_a_quadratic(rule, config):
    update = getattr(optim, rule)
    target = np.array([1.0, -2.0, 3.0, 0.5])
    scale = np.array([1.0, 2.0, 0.5, 1.5])

    def loss_and_grad(w):
        return 0.5 * np.sum(scale * (w - target) ** 2), scale * (w - target)

    w = np.zeros(4)
    start, _ = loss_and_grad(w)
    for _ in range(300):
        _, dw = loss_and_grad(w)
        w, config = update(w, dw, config)
    end, _ = loss_and_grad(w)
    assert end < 1e-2 * start


def test_update_rule_defaults_and_first_steps():
    dw = np.array([0.5, -2.0])
    w = np.zeros(2)
    next_w, config = optim.sgd(w, dw)
    assert config["learning_rate"] == 1e-2
    np.testing.assert_allclose(next_w, -1e-2 * dw)

    next_w, config = optim.sgd_momentum(w, dw)
    assert (config["learning_rate"], config["momentum"]) == (1e-2, 0.9)
    np.testing.assert_allclose(next_w, -1e-2 * dw)
    np.testing.assert_allclose(config["velocity"], -1e-2 * dw)

    next_w, config = optim.rmsprop(w, dw)
    assert (config["learning_rate"], config["decay_rate"], config["epsilon"]) == (1e-2, 0.99, 1e-8)
    np.testing.assert_allclose(next_w, -1e-2 * dw / (np.sqrt(0.01 * dw**2) + 1e-8))

    next_w, config = optim.adam(w, dw)
    assert (config["learning_rate"], config["beta1"], config["beta2"], config["epsilon"]) == (
        1e-3, 0.9, 0.999, 1e-8)
    assert config["t"] == 1
    # With bias correction the first step has size learning_rate in every coordinate.
    np.testing.assert_allclose(next_w, -1e-3 * np.sign(dw), rtol=1e-6)


@pytest.mark.parametrize("dtype, gradient_dtype", [(np.float64, np.float64),
                                                   (np.float32, np.float32),
                                                   (np.float64, np.float32)])
def test_adam_gives_the_textbook_formulas_numbers_exactly(dtype, gradient_dtype):
    """The intermediate results are written in place into scratch arrays kept in the config (no
    new array per operation): bit for bit the numbers of m = beta1 * m + (1 - beta1) * dw,
    v = beta2 * v + (1 - beta2) * dw**2 and the corrected step, in the parameters' dtype (the
    notebook's nets are float32), also where the gradient's dtype is not the parameters' (its
    scaled copy then has an array of its own), over several steps, from zero state and from a
    given one."""
    rng = np.random.RandomState(231)
    w = rng.randn(6, 5).astype(dtype)
    for start in ({}, {"m": rng.randn(6, 5).astype(dtype), "v": rng.rand(6, 5).astype(dtype),
                       "t": 4}):
        config = {key: value.copy() if isinstance(value, np.ndarray) else value
                  for key, value in start.items()}
        m, v, t = start.get("m", np.zeros_like(w)), start.get("v", np.zeros_like(w)), start.get("t", 0)
        expected_w = actual_w = w
        for _ in range(5):
            dw = rng.randn(6, 5).astype(gradient_dtype)
            actual_w, config = optim.adam(actual_w, dw, config)
            t += 1
            m = 0.9 * m + (1 - 0.9) * dw
            v = 0.999 * v + (1 - 0.999) * dw**2
            expected_w = expected_w - 1e-3 * (m / (1 - 0.9**t)) / (np.sqrt(v / (1 - 0.999**t)) + 1e-8)
            assert actual_w.dtype == expected_w.dtype == dtype
            assert np.array_equal(actual_w, expected_w)
            assert np.array_equal(config["m"], m) and np.array_equal(config["v"], v)
        assert config["t"] == t
    # A state that gives m alone gets its v made, as setdefault did.
    next_w, config = optim.adam(w, np.ones_like(w), {"m": np.zeros_like(w)})
    assert np.array_equal(config["v"], (1 - 0.999) * np.ones_like(w))


def test_the_loss_without_regularization_is_the_data_loss_and_with_it_adds_the_weights():
    """reg=0 skips the weights' sum and their gradient's term: the loss is softmax_loss of the
    scores, to the bit; reg > 0 adds 0.5 * reg * (the sum of every squared weight) to the loss
    and exactly reg * W to each weight's gradient (the other gradients unchanged)."""
    from cs231n.layers import softmax_loss

    np.random.seed(0)
    X, y = np.random.randn(4, 7), np.array([0, 2, 1, 2])
    model = FullyConnectedNet([6, 5], input_dim=7, num_classes=3, reg=0.0, weight_scale=0.1)
    data_loss = softmax_loss(model.loss(X), y)[0]
    loss, data_grads = model.loss(X, y)
    assert loss == data_loss
    model.reg = 0.3
    squares = sum(np.sum(model.params[f"W{layer}"] ** 2) for layer in (1, 2, 3))
    loss, grads = model.loss(X, y)
    assert loss == pytest.approx(data_loss + 0.5 * 0.3 * squares, rel=1e-12)
    for name, grad in grads.items():
        weight = name.startswith("W")
        expected = data_grads[name] + 0.3 * model.params[name] if weight else data_grads[name]
        assert np.array_equal(grad, expected), name
