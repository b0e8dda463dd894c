"""Hidden checks of FullyConnectedNet with dropout (fc_net_dropout), without normalization.

The question judges the network's wiring: one dropout_param shared by every layer, its mode
switched by loss(), the seed passed on, dropout after every hidden ReLU and nowhere else. Where
masks matter, the expected values are computed here with the reference's affine, ReLU and softmax
layers and the student's OWN dropout_forward (called in the worker with the same dropout_param),
so that a mistake inside the dropout layer is charged to the layer's questions, not twice.
The gradients are compared with numeric gradients of the student's own seeded loss; when they are
wrong because the student's dropout layers are, the message says so first.
"""

from __future__ import annotations

import numpy as np

from autograder.checks.base import CheckFailed, check, expect_close, numbers_match
from .student import (
    BACKWARD,
    FORWARD,
    build_student_model,
    numeric_loss_gradients,
    set_student_params,
    student_backward,
    student_forward,
    student_loss,
    student_scores,
)

NET = dict(D=12, hidden=[20, 15], C=6)
SMALL = dict(D=6, hidden=[5, 4], C=3)


def make_params(seed: int, D: int, hidden, C: int, scale: float = 0.4) -> dict:
    """Weights large enough that dropout changes the loss, and nonzero biases."""
    rng = np.random.RandomState(seed)
    dims = [D, *hidden, C]
    params = {}
    for layer in range(1, len(dims)):
        params[f"W{layer}"] = scale * rng.randn(dims[layer - 1], dims[layer])
        params[f"b{layer}"] = 0.1 * rng.randn(dims[layer])
    return params


def data(seed: int, N: int, D: int, C: int):
    rng = np.random.RandomState(seed)
    return rng.randn(N, D), rng.randint(C, size=N)


def penalty(params: dict, reg: float) -> float:
    return 0.5 * reg * sum(float(np.sum(value * value)) for name, value in params.items()
                           if name.startswith("W"))


def scores_with(ctx, params, X, dropout=None, after_last=False, layers=None) -> np.ndarray:
    """Scores of the net with the reference's affine and ReLU layers; `dropout(h)` (if given)
    follows the ReLU of every hidden layer in `layers` (default: all), and the last affine too
    when `after_last`."""
    ref = ctx.ref.layers
    L = len([name for name in params if name.startswith("W")])
    hidden = X
    for layer in range(1, L):
        hidden, _ = ref.affine_forward(hidden, params[f"W{layer}"], params[f"b{layer}"])
        hidden = np.maximum(hidden, 0)
        if dropout is not None and (layers is None or layer in layers):
            hidden = dropout(hidden)
    scores, _ = ref.affine_forward(hidden, params[f"W{L}"], params[f"b{L}"])
    return dropout(scores) if dropout is not None and after_last else scores


def own_dropout(ctx, mode: str, p: float, seed: int):
    """The student's own dropout_forward with the net's dropout_param, as a function of h."""
    def apply(h):
        out, _ = student_forward(ctx, h, {"mode": mode, "p": p, "seed": seed}, shape="(N, H)")
        return out
    return apply


def data_loss(ctx, scores, y) -> float:
    return float(ctx.ref.layers.softmax_loss(scores, y)[0])


# What a failing check says when the student's dropout layers themselves are wrong -------------

def layer_problems(ctx) -> list[str]:
    """The student's dropout layer mistakes that a network inherits (empty when none is seen)."""
    x = np.random.RandomState(600).rand(30, 20) + 0.5
    param = {"mode": "train", "p": 0.6, "seed": 601}
    try:
        first, cache = student_forward(ctx, x, param, keep_cache=True)
        ctx.request(FORWARD, "seed", seed=602)
        again, _ = student_forward(ctx, x, param)
    except CheckFailed:
        return [f"your {FORWARD} fails (see dropout_forward_train)"]
    problems = []
    if not np.array_equal(first, again):
        problems.append(f"your {FORWARD} ignores dropout_param['seed'] "
                        "(see dropout_forward_train)")
    try:
        if not np.array_equal(student_forward(ctx, x, {"mode": "test", "p": 0.6})[0], x):
            problems.append(f"your {FORWARD} is not the identity in test mode "
                            "(see dropout_forward_test)")
    except CheckFailed:
        problems.append(f"your {FORWARD} fails in test mode (see dropout_forward_test)")
    dout = np.random.RandomState(603).randn(*x.shape)
    try:
        dx = student_backward(ctx, dout, cache)
        if not np.allclose(dx, dout * first / x, rtol=1e-8, atol=1e-12):
            problems.append(f"your {BACKWARD} is wrong (see dropout_backward)")
    except CheckFailed:
        problems.append(f"your {BACKWARD} fails (see dropout_backward)")
    return problems


def noting_layer_problems(run):
    """Run a check; if it fails while the student's dropout layers are wrong, say so first."""
    def wrapped(ctx):
        try:
            run(ctx)
        except CheckFailed as failure:
            problems = layer_problems(ctx)
            if not problems:
                raise
            raise CheckFailed(f"{' and '.join(problems)}, and the network uses it: fix that "
                              f"first. Here, {failure}") from None
    wrapped.__name__ = run.__name__
    return wrapped


# The checks ---------------------------------------------------------------------------------

def keep_ratio_one(ctx):
    D, hidden, C = NET["D"], NET["hidden"], NET["C"]
    reg = 0.2
    X, y = data(610, 8, D, C)
    params = make_params(611, D, hidden, C)
    # Only a network that runs with dropout is judged here: the handout's stubs already give
    # the right loss at a keep ratio of 1, and must not earn points for it.
    try:
        model, name = build_student_model(ctx, 0.5, 613, D, hidden, C, reg=reg)
        set_student_params(ctx, model, name, params)
        student_loss(ctx, model, name, X, y)
    except CheckFailed as failure:
        raise CheckFailed(f"a keep ratio of 1 cannot be judged before the network runs with "
                          f"dropout: {failure}") from None
    model, name = build_student_model(ctx, 1, 612, D, hidden, C, reg=reg)
    set_student_params(ctx, model, name, params)
    ref = ctx.ref.fc_net.FullyConnectedNet(hidden, input_dim=D, num_classes=C, reg=reg,
                                           dtype=np.float64, dropout_keep_ratio=1)
    ref.params.update({key: value.copy() for key, value in params.items()})
    loss, grads = student_loss(ctx, model, name, X, y)
    expected_loss, expected_grads = ref.loss(X, y)
    if not numbers_match(loss, float(expected_loss)):
        raise CheckFailed("with dropout_keep_ratio=1 the loss differs from the network's loss "
                          "without dropout: a keep ratio of 1 means no dropout at all")
    for key, value in expected_grads.items():
        if key not in grads:
            raise CheckFailed(f"grads has no entry '{key}': it needs one gradient for every "
                              "entry of params")
        expect_close(grads[key], value, f"grads['{key}'] with dropout_keep_ratio=1",
                     f"the shape of params['{key}']")


def test_time_scores(ctx):
    D, hidden, C = NET["D"], NET["hidden"], NET["C"]
    keep, seed = 0.5, 620
    X, y = data(621, 8, D, C)
    X_test, _ = data(622, 9, D, C)
    params = make_params(623, D, hidden, C)
    model, name = build_student_model(ctx, keep, seed, D, hidden, C)
    set_student_params(ctx, model, name, params)
    student_loss(ctx, model, name, X, y)  # a training call first: the mode must switch back
    scores = student_scores(ctx, model, name, X_test, C)
    expected = scores_with(ctx, params, X_test)
    if np.allclose(scores, expected, rtol=1e-7, atol=1e-10):
        return
    if np.allclose(scores, scores_with(ctx, params, X_test, own_dropout(ctx, "test", keep, seed)),
                   rtol=1e-7, atol=1e-10):
        return  # the student's test-mode layer is wrong: dropout_forward_test charges it
    hint = ""
    try:
        if np.allclose(scores, scores_with(ctx, params, X_test,
                                           own_dropout(ctx, "train", keep, seed)),
                       rtol=1e-7, atol=1e-10):
            hint = (": they are training-mode scores (with dropout); loss() must set "
                    "self.dropout_param['mode'] to 'test' when y is None")
    except CheckFailed:
        pass
    raise CheckFailed("loss(X) without y must give the scores without dropout (test mode)"
                      + hint)


def seeded_training_loss(ctx):
    D, hidden, C = NET["D"], NET["hidden"], NET["C"]
    keep, seed, reg = 0.6, 630, 0.1
    X, y = data(631, 10, D, C)
    params = make_params(632, D, hidden, C)
    model, name = build_student_model(ctx, keep, seed, D, hidden, C, reg=reg)
    set_student_params(ctx, model, name, params)
    loss, _ = student_loss(ctx, model, name, X, y)
    ctx.request(FORWARD, "seed", seed=633)  # moves the global generator between the calls
    again, _ = student_loss(ctx, model, name, X, y)
    if loss != again:
        raise CheckFailed("two training calls of loss(X, y) on a model built with a seed give "
                          "different losses: put the seed into self.dropout_param['seed'] so "
                          "that every mask is reproducible")
    right_penalty = penalty(params, reg)
    without = data_loss(ctx, scores_with(ctx, params, X), y) + right_penalty
    own = own_dropout(ctx, "train", keep, seed)
    expected = data_loss(ctx, scores_with(ctx, params, X, own), y) + right_penalty
    if numbers_match(expected, without):
        raise CheckFailed(f"the network cannot be judged: your {FORWARD} changes nothing "
                          "in train mode (see dropout_forward_train)")
    if numbers_match(loss, expected):
        return
    variants = [
        ("the training loss is the loss without dropout: with dropout_keep_ratio < 1, every "
         "hidden ReLU is followed by dropout in training", lambda: without),
        ("dropout is applied after the last affine layer too: only the hidden layers' ReLUs "
         "are followed by dropout",
         lambda: data_loss(ctx, scores_with(ctx, params, X, own, after_last=True), y)
         + right_penalty),
        ("dropout_param['p'] must be the keep ratio (dropout_keep_ratio), not the drop "
         "probability",
         lambda: data_loss(ctx, scores_with(ctx, params, X,
                                            own_dropout(ctx, "train", 1 - keep, seed)), y)
         + right_penalty),
        ("only the first hidden layer is followed by dropout: every hidden layer is",
         lambda: data_loss(ctx, scores_with(ctx, params, X, own, layers={1}), y)
         + right_penalty),
        ("only the last hidden layer is followed by dropout: every hidden layer is",
         lambda: data_loss(ctx, scores_with(ctx, params, X, own, layers={len(hidden)}), y)
         + right_penalty),
    ]
    for mistake, value in variants:
        try:
            candidate = value()
        except CheckFailed:  # the student's layer fails on this variant's inputs
            continue
        if numbers_match(loss, candidate):
            raise CheckFailed(f"the training loss with dropout is wrong: {mistake}")
    raise CheckFailed("the training loss with dropout is wrong: every hidden layer is "
                      "affine - relu - dropout, with the one dropout_param the model was built "
                      "with (p the keep ratio, the model's seed), and the last layer a plain "
                      "affine")


def numeric_gradients(ctx):
    D, hidden, C = SMALL["D"], SMALL["hidden"], SMALL["C"]
    names = [f"{kind}{layer}" for kind in "Wb" for layer in range(1, len(hidden) + 2)]
    for index, keep in enumerate((0.75, 0.5)):
        X, y = data(640 + index, 5, D, C)
        params = make_params(645 + index, D, hidden, C, scale=0.8)
        model, name = build_student_model(ctx, keep, 650 + index, D, hidden, C, reg=0.3)
        set_student_params(ctx, model, name, params)
        loss, grads = student_loss(ctx, model, name, X, y)
        if student_loss(ctx, model, name, X, y)[0] != loss:
            raise CheckFailed("the gradients cannot be compared with numeric ones: the seeded "
                              "training loss changes from one call to the next")
        missing = [key for key in names if key not in grads]
        if missing:
            raise CheckFailed(f"grads has no entry '{missing[0]}': it needs one gradient for "
                              "every entry of params")
        numeric = numeric_loss_gradients(ctx, model, name, X, y, names, h=1e-6)
        for key in names:
            got, want = grads[key], numeric[key]
            label = (f"grads['{key}'] with dropout (against a numeric gradient of your own "
                     "seeded loss)")
            if isinstance(got, np.ndarray) and got.shape == want.shape \
                    and np.all(np.isfinite(got)) \
                    and np.all(np.abs(got - want) <= 1e-5 * np.abs(want) + 1e-7):
                continue  # entries near zero: compared absolutely, not relatively
            expect_close(got, want, label, f"the shape of params['{key}']", tol=0.0)
            raise CheckFailed(f"{label} is wrong")


for title, weight, run in [
    ("dropout_keep_ratio=1 means no dropout: loss and gradients as without dropout", 2,
     keep_ratio_one),
    ("loss(X) without y: the scores without dropout, also after a training call", 2,
     test_time_scores),
    ("with a seed, the training loss is reproducible and has dropout after every hidden "
     "ReLU", 3, seeded_training_loss),
    ("gradients match a numeric gradient of your own seeded loss (keep ratios below 1)", 3,
     numeric_gradients),
]:
    check("fc_net_dropout", title, weight)(noting_layer_problems(run))
