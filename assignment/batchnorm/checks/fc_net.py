"""Hidden checks of FullyConnectedNet with batchnorm (fc_net_batchnorm) and layernorm
(fc_net_layernorm).

The checks are written once, parameterized by the normalization, and registered for both
questions. The model lives in the worker (a handle, see student_model); its expected behaviour
comes from the reference model built here with the same parameters, and a wrong answer is named
by the catalogue of known mistakes (net_mistakes) when it matches one.
"""

from __future__ import annotations

import contextlib

import numpy as np

from autograder.checks.base import CheckFailed, check, expect_close, matches, numbers_match
from .net_mistakes import (
    first_matching_variant,
    grad_mistake,
    loss_mistake,
    noting_broken_layers,
    scores_variants,
)
from .student_model import (
    build_student_model,
    numeric_loss_gradients,
    set_student_params,
    student_attribute,
    student_loss,
    student_scores,
)

QUESTION = {"batchnorm": "fc_net_batchnorm", "layernorm": "fc_net_layernorm"}

# The seed notebook's gradient-check network (with more examples, for well-conditioned
# gradients), a small one for numeric gradients, and an odd-shaped one for the parameter set.
SETUP = dict(D=15, hidden=[20, 30], C=10, weight_scale=5e-2)
SMALL = dict(D=6, hidden=[5, 4], C=3, weight_scale=0.5)
ODD = dict(D=9, hidden=[7, 5, 6], C=4, weight_scale=1e-2)
REG = 3.14  # the notebook's regularization strength


# The reference, here ------------------------------------------------------------------------------

@contextlib.contextmanager
def seeded(seed: int):
    """np.random seeded for the block, the judge's global state restored afterwards."""
    state = np.random.get_state()
    np.random.seed(seed)
    try:
        yield
    finally:
        np.random.set_state(state)


def param_names(hidden) -> list[str]:
    """The names of every parameter of a net with these hidden layers, in params' order."""
    L = len(hidden) + 1
    return ([f"W{i}" for i in range(1, L + 1)] + [f"b{i}" for i in range(1, L + 1)]
            + [f"gamma{i}" for i in range(1, L)] + [f"beta{i}" for i in range(1, L)])


def reference_model(ctx, normalization, D, hidden, C, weight_scale, reg=0.0, seed=231):
    """The reference FullyConnectedNet (float64), initialized under np.random.seed(seed)."""
    with seeded(seed):
        return ctx.ref.fc_net.FullyConnectedNet(
            list(hidden), input_dim=D, num_classes=C, reg=reg, weight_scale=weight_scale,
            dtype=np.float64, normalization=normalization)


def load_params(model, params: dict) -> None:
    """Put copies of `params` into the reference `model`."""
    model.params.update({name: value.copy() for name, value in params.items()})


def perturbed_params(params: dict, seed: int) -> dict:
    """Params with gamma, beta and b moved off their initial values (so that a penalty on
    them, or a bias that a normalization cancels, shows)."""
    rng = np.random.RandomState(seed)
    out = {}
    for name, value in params.items():
        value = np.array(value, dtype=np.float64)
        if name.startswith("gamma"):
            value = value + 0.3 * rng.randn(*value.shape)
        elif name.startswith(("beta", "b")):
            value = value + 0.2 * rng.randn(*value.shape)
        out[name] = value
    return out


# Comparing the gradients -------------------------------------------------------------------------

def grad_shape(name: str) -> str:
    """The shape of grads[name], as the messages write it."""
    return "(H,)" if name.startswith(("gamma", "beta")) else (
        "the shape of params['" + name + "']")


def expect_grads(grads, expected: dict, params, reg, L, only=None, fallback="") -> None:
    """grads has exactly the params' entries, each (or each whose name starts with `only`)
    right; a wrong one is named by its regularization mistake, else by `fallback`."""
    missing = [name for name in expected if name not in grads]
    if missing:
        raise CheckFailed(f"grads has no entry '{missing[0]}': it needs one gradient for every "
                          "entry of params")
    extra = sorted(set(grads) - set(expected))
    if extra:
        raise CheckFailed(f"grads has an entry '{extra[0]}' that is not a parameter")
    for name in expected:
        if only and not name.startswith(only):
            continue
        expect_close(grads[name], expected[name], f"grads['{name}']", grad_shape(name),
                     hint=grad_mistake(name, grads[name], expected[name], params, reg, L)
                     or fallback)


# The checks, written once for both normalizations ------------------------------------------------

def parameter_set(normalization):
    def run(ctx):
        D, hidden, C = ODD["D"], ODD["hidden"], ODD["C"]
        model = build_student_model(ctx, normalization, D, hidden, C, ODD["weight_scale"])
        params = student_attribute(ctx, model, "params", dict, "model.params")
        expect_param_names(params, hidden, normalization)
        dims = [D, *hidden, C]
        for name in param_names(hidden):
            expect_initial_param(name, params[name], dims)
    return run


def expect_param_names(params: dict, hidden, normalization) -> None:
    """params holds W and b for every layer, gamma and beta for the hidden ones, nothing else."""
    L = len(hidden) + 1
    expected = param_names(hidden)
    for name in (f"gamma{L}", f"beta{L}"):
        if name in params:
            raise CheckFailed(f"params has '{name}': the output layer is never normalized, "
                              "so only the hidden layers get gamma and beta")
    missing = [name for name in expected if name not in params]
    if missing:
        raise CheckFailed(f"params has no '{missing[0]}' with normalization="
                          f"'{normalization}' (W1..WL, b1..bL, and gamma and beta for "
                          "each hidden layer)")
    extra = sorted(set(params) - set(expected))
    if extra:
        raise CheckFailed(f"params has an unexpected entry '{extra[0]}'")


def expect_initial_param(name: str, value, dims: list[int]) -> None:
    """params[name] is a float64 array of its layer's shape (`dims`: the width of every layer,
    input first); gamma starts as ones, beta and b as zeros."""
    if not isinstance(value, np.ndarray):
        raise CheckFailed(f"params['{name}'] must be a numpy array")
    layer = int(name.lstrip("Wbgamet"))
    if name.startswith("W"):
        shape, text = (dims[layer - 1], dims[layer]), "(fan_in, fan_out) of its layer"
    else:
        shape, text = (dims[layer],), "(width of its layer,)"
    if value.shape != shape:
        raise CheckFailed(f"params['{name}'] has shape {value.shape}; it must have "
                          f"shape {text}")
    if value.dtype != np.float64:
        raise CheckFailed(f"params['{name}'] has dtype {value.dtype}; every parameter "
                          "must be cast to the model's dtype")
    if name.startswith("gamma") and not np.all(value == 1):
        raise CheckFailed(f"params['{name}'] must start as ones")
    if name.startswith(("beta", "b")) and not np.all(value == 0):
        raise CheckFailed(f"params['{name}'] must start as zeros")


def initialization(normalization):
    def run(ctx):
        D, hidden, C, scale = SETUP["D"], SETUP["hidden"], SETUP["C"], SETUP["weight_scale"]
        model = build_student_model(ctx, normalization, D, hidden, C, scale, seed=231)
        params = student_attribute(ctx, model, "params", dict, "model.params")
        expected = reference_model(ctx, normalization, D, hidden, C, scale, seed=231).params
        L = len(hidden) + 1
        for index, name in enumerate(f"W{i}" for i in range(1, L + 1)):
            got = params.get(name)
            if matches(got, expected[name], tol=1e-10):
                continue
            if isinstance(got, np.ndarray) and got.shape == expected[name].shape:
                ratio = got / expected[name]
                if np.allclose(ratio, ratio.flat[0], rtol=1e-8) and ratio.flat[0] != 1:
                    raise CheckFailed(f"params['{name}'] has the expected draws but another "
                                      "scale: every W, the output layer's too, is "
                                      "weight_scale * np.random.randn(fan_in, fan_out)")
            if name == f"W{L}" and index:
                raise CheckFailed("the output layer's weights are initialized differently "
                                  "from the hidden layers': draw every W as weight_scale * "
                                  "np.random.randn(fan_in, fan_out)")
            raise CheckFailed(f"params['{name}'] differs from the weights drawn under a fixed "
                              "seed: draw W1, W2, ... in layer order, each as weight_scale * "
                              "np.random.randn(fan_in, fan_out), and nothing else from "
                              "np.random in between (the notebook's figures depend on it)")
    return run


def loss_and_grads(normalization, reg):
    def run(ctx):
        D, hidden, C, scale = SETUP["D"], SETUP["hidden"], SETUP["C"], SETUP["weight_scale"]
        N, L = 5, len(hidden) + 1
        rng = np.random.RandomState(300 if reg else 301)
        X, y = rng.randn(N, D), rng.randint(C, size=N)
        ref = reference_model(ctx, normalization, D, hidden, C, scale, reg=reg, seed=302)
        params = {name: value.copy() for name, value in ref.params.items()}
        model = build_student_model(ctx, normalization, D, hidden, C, scale, reg=reg)
        set_student_params(ctx, model, params)
        loss, grads = student_loss(ctx, model, X, y)
        expected_loss, expected_grads = ref.loss(X, y)
        if not numbers_match(loss, float(expected_loss)):
            hint = loss_mistake(ctx, normalization, loss, params, X, y, L, reg)
            label = "the initial loss" + (" with regularization" if reg else "")
            raise CheckFailed(f"{label} is wrong" + (f": {hint}" if hint else ""))
        expect_grads(grads, expected_grads, params, reg, L)
    return run


def not_regularized(normalization):
    def run(ctx):
        D, hidden, C, scale = SETUP["D"], SETUP["hidden"], SETUP["C"], SETUP["weight_scale"]
        N, L = 6, len(hidden) + 1
        rng = np.random.RandomState(310)
        X, y = rng.randn(N, D), rng.randint(C, size=N)
        ref = reference_model(ctx, normalization, D, hidden, C, scale, reg=REG, seed=311)
        params = perturbed_params(ref.params, 312)
        load_params(ref, params)
        model = build_student_model(ctx, normalization, D, hidden, C, scale, reg=REG)
        set_student_params(ctx, model, params)
        loss, grads = student_loss(ctx, model, X, y)
        expected_loss, expected_grads = ref.loss(X, y)
        hint = ""
        if not numbers_match(loss, float(expected_loss)):
            hint = loss_mistake(ctx, normalization, loss, params, X, y, L, REG)
            if "gamma" in hint or "biases" in hint:
                raise CheckFailed(f"the loss with regularization is wrong: {hint}")
        expect_grads(grads, expected_grads, params, REG, L, only=("gamma", "beta", "b"),
                     fallback=hint)
    return run


def numeric_gradients(normalization):
    def run(ctx):
        D, hidden, C, scale = SMALL["D"], SMALL["hidden"], SMALL["C"], SMALL["weight_scale"]
        N, reg = 4, 0.7
        rng = np.random.RandomState(320)
        X, y = rng.randn(N, D), rng.randint(C, size=N)
        ref = reference_model(ctx, normalization, D, hidden, C, scale, reg=reg, seed=321)
        params = perturbed_params(ref.params, 322)
        model = build_student_model(ctx, normalization, D, hidden, C, scale, reg=reg)
        set_student_params(ctx, model, params)
        _, grads = student_loss(ctx, model, X, y)
        names = param_names(hidden)
        missing = [name for name in names if name not in grads]
        if missing:
            raise CheckFailed(f"grads has no entry '{missing[0]}': it needs one gradient for "
                              "every entry of params")
        numeric = numeric_loss_gradients(ctx, model, X, y, names, h=1e-5)
        for name in names:
            got, want = grads[name], numeric[name]
            label = f"grads['{name}'] (against a numeric gradient of your own loss)"
            if isinstance(got, np.ndarray) and got.shape == want.shape \
                    and np.all(np.isfinite(got)) \
                    and np.all(np.abs(got - want) <= 1e-5 * np.abs(want) + 1e-7):
                continue  # entries near zero: compared absolutely, not relatively
            expect_close(got, want, label, grad_shape(name), tol=0.0)
            raise CheckFailed(f"{label} is wrong")
    return run


def running_statistics(ctx):
    normalization = "batchnorm"
    D, hidden, C, scale = SETUP["D"], SETUP["hidden"], SETUP["C"], SETUP["weight_scale"]
    N, L = 8, len(hidden) + 1
    rng = np.random.RandomState(330)
    batches = [(rng.randn(N, D) + rng.randn(D), rng.randint(C, size=N)) for _ in range(2)]
    ref = reference_model(ctx, normalization, D, hidden, C, scale, seed=331)
    params = perturbed_params(ref.params, 332)
    load_params(ref, params)
    once = reference_model(ctx, normalization, D, hidden, C, scale, seed=331)
    load_params(once, params)
    model = build_student_model(ctx, normalization, D, hidden, C, scale)
    set_student_params(ctx, model, params)
    for X, y in batches:
        student_loss(ctx, model, X, y)
        ref.loss(X, y)
    once.loss(*batches[-1])
    bn_params = student_attribute(ctx, model, "bn_params", list, "model.bn_params")
    if len(bn_params) != L - 1:
        raise CheckFailed(f"model.bn_params has {len(bn_params)} entries; it needs one dict per "
                          "hidden layer")
    for index, (state, expected, single) in enumerate(zip(bn_params, ref.bn_params,
                                                          once.bn_params)):
        expect_running_averages(index, state, expected, single)


def expect_running_averages(index: int, state, expected: dict, single: dict) -> None:
    """model.bn_params[index] (`state`) holds the running averages of two training calls
    (`expected`), not those of the last call alone (`single`)."""
    if not isinstance(state, dict):
        raise CheckFailed(f"model.bn_params[{index}] must be a dict")
    for key in ("running_mean", "running_var"):
        where = f"model.bn_params[{index}]['{key}'] after two training calls of loss()"
        if key not in state:
            raise CheckFailed(f"model.bn_params[{index}] holds no '{key}' after training "
                              f"calls of loss(): pass self.bn_params[{index}] itself to "
                              "batchnorm_forward, so that the running averages are stored "
                              "in it")
        hint = ""
        if matches(state[key], single[key]):
            hint = ("it reflects only the last call: a fresh bn_param dict is made on every "
                    "call of loss(); create self.bn_params once, in __init__, and reuse "
                    "them so that the running statistics persist")
        expect_close(state[key], expected[key], where, "(H,)", hint=hint)


def scores_without_labels(normalization):
    def run(ctx):
        D, hidden, C, scale = SETUP["D"], SETUP["hidden"], SETUP["C"], SETUP["weight_scale"]
        N, L = 7, len(hidden) + 1
        rng = np.random.RandomState(340)
        batches = [(rng.randn(N, D) + rng.randn(D), rng.randint(C, size=N)) for _ in range(3)]
        X_test = rng.randn(N, D) + rng.randn(D)
        ref = reference_model(ctx, normalization, D, hidden, C, scale, seed=341)
        params = perturbed_params(ref.params, 342)
        load_params(ref, params)
        model = build_student_model(ctx, normalization, D, hidden, C, scale)
        set_student_params(ctx, model, params)
        if normalization == "batchnorm":
            for X, y in batches:
                student_loss(ctx, model, X, y)
                ref.loss(X, y)
        scores = student_scores(ctx, model, X_test, N, C, "the output of loss(X)")
        expected = ref.loss(X_test)
        variants = scores_variants(ctx, normalization, params, X_test, L, expected)
        hint = "" if matches(scores, expected) else first_matching_variant(scores, variants)
        label = ("the test-mode output of loss(X) after training calls"
                 if normalization == "batchnorm" else "the output of loss(X)")
        expect_close(scores, expected, label, "(N, C)", hint=hint)
    return run


def register_checks(normalization: str) -> None:
    """Register the checks of the question of `normalization`, in the order they are shown."""
    question = QUESTION[normalization]
    checks = [
        ("params: W, b for every layer, gamma and beta for the hidden layers", 2,
         parameter_set(normalization)),
        ("weights drawn layer by layer like the notebook's (fixed seed)", 1,
         initialization(normalization)),
        ("initial loss and every gradient, without regularization", 2,
         loss_and_grads(normalization, 0.0)),
        ("initial loss and every gradient, with regularization", 2,
         loss_and_grads(normalization, REG)),
        ("gamma, beta and the biases are never regularized", 1, not_regularized(normalization)),
        ("gradients match a numeric gradient of your own loss", 2,
         numeric_gradients(normalization)),
    ]
    if normalization == "batchnorm":
        checks += [
            ("running statistics persist across calls of loss()", 1, running_statistics),
            ("loss(X) without y: test-mode scores with the running statistics", 1,
             scores_without_labels(normalization)),
        ]
    else:
        checks.append(("loss(X) without y: the scores", 1, scores_without_labels(normalization)))
    for title, weight, run in checks:
        check(question, title, weight)(noting_broken_layers(normalization, run))


register_checks("batchnorm")
register_checks("layernorm")
