"""Hidden checks of FullyConnectedNet with batchnorm (fc_net_batchnorm) and layernorm
(fc_net_layernorm).

The checks are written once, parameterized by the normalization, and registered for both
questions. The model lives in the worker (a handle); its expected behaviour comes from the
reference model built here with the same parameters.
"""

from __future__ import annotations

import contextlib

import numpy as np

from autograder.runtime import wire
from autograder.checks.base import (
    NET,
    CheckFailed,
    StudentError,
    WorkerLost,
    check,
    expect_close,
    matches,
)

QUESTION = {"batchnorm": "fc_net_batchnorm", "layernorm": "fc_net_layernorm"}
OTHER = {"batchnorm": "layernorm", "layernorm": "batchnorm"}
MODEL = "FullyConnectedNet"

# The seed notebook's gradient-check network (with more examples, for well-conditioned
# gradients), a small one for numeric gradients, and an odd-shaped one for the parameter set.
SETUP = dict(D=15, hidden=[20, 30], C=10, weight_scale=5e-2)
SMALL = dict(D=6, hidden=[5, 4], C=3, weight_scale=0.5)
ODD = dict(D=9, hidden=[7, 5, 6], C=4, weight_scale=1e-2)
REG = 3.14  # the notebook's regularization strength


@contextlib.contextmanager
def seeded(seed: int):
    """np.random seeded for the block, the judge's global state restored afterwards."""
    state = np.random.get_state()
    np.random.seed(seed)
    try:
        yield
    finally:
        np.random.set_state(state)


# The student's model, in the worker --------------------------------------------------------------

def build(ctx, normalization: str, D: int, hidden, C: int, weight_scale: float,
          reg: float = 0.0, seed: int | None = None):
    """A handle to the student's model (float64; dtypes cannot cross the wire, names can)."""
    if seed is not None:
        ctx.request(MODEL, "seed", seed=seed)
    return ctx.call(NET, list(hidden), input_dim=D, num_classes=C, reg=reg,
                    weight_scale=weight_scale, dtype="float64", normalization=normalization,
                    keep=True, what=MODEL)


def get_attr(ctx, model, attr: str, kind: type, what: str):
    value = ctx.request(f"{MODEL}.{attr}", "get", target=model, attr=attr)
    if not isinstance(value, kind):
        raise CheckFailed(f"{what} must be a {kind.__name__}, got {type(value).__name__}")
    return value


def set_params(ctx, model, params: dict) -> None:
    handle = ctx.request(f"{MODEL}.params", "get", target=model, attr="params", keep=True)
    for name, value in params.items():
        ctx.request(f"{MODEL}.params", "set", target=handle, key=name, value=wire.encode(value))


def student_loss(ctx, model, X, y):
    """(loss as a float, grads dict) from the student's model.loss(X, y)."""
    result = ctx.call(model, X, y, method="loss", what=f"{MODEL}.loss")
    if not isinstance(result, tuple) or len(result) != 2:
        raise CheckFailed("loss(X, y) must return a tuple (loss, grads)")
    loss, grads = result
    if isinstance(loss, np.ndarray) and loss.size == 1:
        loss = loss.reshape(())[()]
    if isinstance(loss, (bool, np.bool_)) or not isinstance(
            loss, (int, float, np.integer, np.floating)):
        raise CheckFailed(f"the loss must be a number, got {type(loss).__name__}")
    if not np.isfinite(loss):
        raise CheckFailed("the loss is NaN or infinite")
    if not isinstance(grads, dict):
        raise CheckFailed(f"grads must be a dict, got {type(grads).__name__}")
    return float(loss), grads


def student_scores(ctx, model, X, N: int, C: int, what: str):
    scores = ctx.call(model, X, method="loss", what=f"{MODEL}.loss")
    if not isinstance(scores, np.ndarray):
        raise CheckFailed(f"loss(X) without y must return the scores array, got "
                          f"{type(scores).__name__}")
    if scores.shape != (N, C):
        raise CheckFailed(f"{what} has shape {scores.shape}; it must have shape (N, C)")
    return scores


# The reference, here ------------------------------------------------------------------------------

def names_for(hidden) -> list[str]:
    L = len(hidden) + 1
    return ([f"W{i}" for i in range(1, L + 1)] + [f"b{i}" for i in range(1, L + 1)]
            + [f"gamma{i}" for i in range(1, L)] + [f"beta{i}" for i in range(1, L)])


def reference_model(ctx, normalization, D, hidden, C, weight_scale, reg=0.0, seed=231):
    with seeded(seed):
        return ctx.ref.fc_net.FullyConnectedNet(
            list(hidden), input_dim=D, num_classes=C, reg=reg, weight_scale=weight_scale,
            dtype=np.float64, normalization=normalization)


def perturbed(params: dict, seed: int) -> dict:
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


def scores_variant(ctx, params, X, L, normalization, mode="train", relu_last=False):
    """Scores of the net with the reference layers, for recognizing mistakes."""
    layers = ctx.ref.layers
    hidden = X
    for i in range(1, L):
        hidden, _ = layers.affine_forward(hidden, params[f"W{i}"], params[f"b{i}"])
        gamma, beta = params.get(f"gamma{i}"), params.get(f"beta{i}")
        if normalization == "batchnorm":
            hidden, _ = layers.batchnorm_forward(hidden, gamma, beta, {"mode": mode})
        elif normalization == "layernorm":
            hidden, _ = layers.layernorm_forward(hidden, gamma, beta, {})
        hidden = np.maximum(hidden, 0)
    scores, _ = layers.affine_forward(hidden, params[f"W{L}"], params[f"b{L}"])
    return np.maximum(scores, 0) if relu_last else scores


def penalty(params, reg, prefixes=("W",)) -> float:
    return 0.5 * reg * sum(float(np.sum(value * value)) for name, value in params.items()
                           if name.rstrip("0123456789") in prefixes)


def close(a: float, b: float, tol: float = 1e-7) -> bool:
    return abs(a - b) <= tol * max(1.0, abs(b))


def loss_mistake(ctx, normalization, got: float, params, X, y, L, reg) -> str:
    """Name the mistake when the loss equals a known wrong variant."""
    data = lambda scores: float(ctx.ref.layers.softmax_loss(scores, y)[0])  # noqa: E731
    right_data = data(scores_variant(ctx, params, X, L, normalization))
    right_penalty = penalty(params, reg)
    variants = [
        (f"normalization='{normalization}' is ignored: the loss matches the same network "
         "without normalization layers",
         lambda: data(scores_variant(ctx, params, X, L, None)) + right_penalty),
        (f"with normalization='{normalization}' the hidden layers are normalized as "
         f"{OTHER[normalization]} does, not as {normalization} does",
         lambda: data(scores_variant(ctx, params, X, L, OTHER[normalization])) + right_penalty),
        ("a ReLU is applied after the last affine layer; the scores must go straight into "
         "the softmax", lambda: data(scores_variant(ctx, params, X, L, normalization,
                                                     relu_last=True)) + right_penalty),
    ]
    if reg:
        last = f"W{L}"
        variants += [
            ("the output layer's weights are left out of the L2 regularization: the penalty "
             "0.5 * reg * sum(W * W) covers every W, the last one too",
             lambda: right_data + right_penalty - penalty({last: params[last]}, reg)),
            ("gamma or beta are regularized: the L2 penalty covers the weights W only",
             lambda: right_data + penalty(params, reg, ("W", "gamma", "beta"))),
            ("the L2 penalty covers the weights W only, not the biases, gamma or beta",
             lambda: right_data + penalty(params, reg, ("W", "b", "gamma", "beta"))),
            ("the L2 penalty covers the weights W only, not the biases",
             lambda: right_data + penalty(params, reg, ("W", "b"))),
            ("the loss lacks the L2 regularization term 0.5 * reg * sum(W * W)",
             lambda: right_data),
            ("the L2 regularization term must be 0.5 * reg * sum(W * W) (mind the 0.5)",
             lambda: right_data + 2 * right_penalty),
        ]
    for name, variant in variants:
        try:
            with np.errstate(all="ignore"):
                value = variant()
        except Exception:
            continue
        if close(got, value):
            return name
    return ""


def grad_mistake(name: str, got, expected, params, reg, L) -> str:
    if not reg:
        return ""
    value = params[name]
    if name.startswith("W"):
        if matches(got, expected - reg * value):
            return (f"grads['{name}'] lacks the regularization gradient reg * {name}"
                    + (" (the output layer is regularized too)" if name == f"W{L}" else ""))
        if matches(got, expected - 0.5 * reg * value):
            return f"the regularization gradient of {name} is reg * {name}"
    elif matches(got, expected + reg * value):
        return (f"grads['{name}'] includes a regularization gradient: the L2 penalty covers "
                "the weights W only, never b, gamma or beta")
    return ""


def expect_grads(grads, expected: dict, params, reg, L, only=None, fallback="") -> None:
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
        shape = "(H,)" if name.startswith(("gamma", "beta")) else (
            "the shape of params['" + name + "']")
        expect_close(grads[name], expected[name], f"grads['{name}']", shape,
                     hint=grad_mistake(name, grads[name], expected[name], params, reg, L)
                     or fallback)


# When the layers themselves are wrong ------------------------------------------------------------

LAYER_QUESTIONS = {
    "batchnorm_forward": "bn_forward_train", "batchnorm_backward": "bn_backward",
    "batchnorm_backward_alt": "bn_backward_alt", "layernorm_forward": "ln_forward",
    "layernorm_backward": "ln_backward",
}


def broken_layers(ctx, normalization) -> list[str]:
    """The student's normalization layers that run but give wrong values (exceptions are
    already named by the failing check itself)."""
    rng = np.random.RandomState(350)
    x, gamma, beta, dout = rng.randn(6, 5) * 2 + 1, 1 + rng.rand(5), rng.randn(5), rng.randn(6, 5)
    param = {"mode": "train"} if normalization == "batchnorm" else {}
    forward = f"{normalization}_forward"
    ref_out, ref_cache = getattr(ctx.ref.layers, forward)(x, gamma, beta, dict(param))
    backwards = ([f"{normalization}_backward", "batchnorm_backward_alt"]
                 if normalization == "batchnorm" else [f"{normalization}_backward"])
    broken = []
    try:
        result = ctx.worker.call("cs231n.layers:" + forward, x, gamma, beta, dict(param),
                                 keep=[1])
        out, cache = result
        if not matches(out, ref_out):
            return [forward]
        for backward in backwards:
            expected = getattr(ctx.ref.layers, backward)(dout, ref_cache)
            try:
                grads = ctx.worker.call("cs231n.layers:" + backward, dout, cache)
            except StudentError:
                continue
            if not (isinstance(grads, tuple) and len(grads) == 3
                    and all(matches(g, e) for g, e in zip(grads, expected))):
                broken.append(backward)
    except (StudentError, WorkerLost, TypeError, ValueError):
        return broken
    return broken


def noting_layers(normalization, run):
    """Run a check; if it fails while the network's own layers are wrong, say so first."""
    def wrapped(ctx):
        try:
            run(ctx)
        except CheckFailed as failure:
            broken = broken_layers(ctx, normalization)
            if not broken:
                raise
            questions = ", ".join(LAYER_QUESTIONS[name] for name in broken)
            names = " and ".join(broken)
            raise CheckFailed(f"your {names} give{'s' if len(broken) == 1 else ''} wrong "
                              f"results (see {questions}) and the network may use "
                              f"{'it' if len(broken) == 1 else 'them'}: fix that first. "
                              f"Here, {failure}") from None
    return wrapped


# The checks, written once for both normalizations ------------------------------------------------

def parameter_set(normalization):
    def run(ctx):
        D, hidden, C = ODD["D"], ODD["hidden"], ODD["C"]
        model = build(ctx, normalization, D, hidden, C, ODD["weight_scale"])
        params = get_attr(ctx, model, "params", dict, "model.params")
        L = len(hidden) + 1
        expected = names_for(hidden)
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
        dims = [D, *hidden, C]
        for name in expected:
            value = params[name]
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
    return run


def initialization(normalization):
    def run(ctx):
        D, hidden, C, scale = SETUP["D"], SETUP["hidden"], SETUP["C"], SETUP["weight_scale"]
        model = build(ctx, normalization, D, hidden, C, scale, seed=231)
        params = get_attr(ctx, model, "params", dict, "model.params")
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
        model = build(ctx, normalization, D, hidden, C, scale, reg=reg)
        set_params(ctx, model, params)
        loss, grads = student_loss(ctx, model, X, y)
        expected_loss, expected_grads = ref.loss(X, y)
        if not close(loss, float(expected_loss)):
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
        params = perturbed(ref.params, 312)
        ref.params.update({name: value.copy() for name, value in params.items()})
        model = build(ctx, normalization, D, hidden, C, scale, reg=REG)
        set_params(ctx, model, params)
        loss, grads = student_loss(ctx, model, X, y)
        expected_loss, expected_grads = ref.loss(X, y)
        hint = ""
        if not close(loss, float(expected_loss)):
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
        params = perturbed(ref.params, 322)
        model = build(ctx, normalization, D, hidden, C, scale, reg=reg)
        set_params(ctx, model, params)
        _, grads = student_loss(ctx, model, X, y)
        names = names_for(hidden)
        missing = [name for name in names if name not in grads]
        if missing:
            raise CheckFailed(f"grads has no entry '{missing[0]}': it needs one gradient for "
                              "every entry of params")
        numeric = ctx.request(f"{MODEL}.loss", "numeric_loss_gradient", target=model,
                              X=wire.encode(X), y=wire.encode(y), names=names, h=1e-5)
        for name in names:
            got, want = grads[name], numeric[name]
            shape = "(H,)" if name.startswith(("gamma", "beta")) else (
                "the shape of params['" + name + "']")
            label = f"grads['{name}'] (against a numeric gradient of your own loss)"
            if isinstance(got, np.ndarray) and got.shape == want.shape \
                    and np.all(np.isfinite(got)) \
                    and np.all(np.abs(got - want) <= 1e-5 * np.abs(want) + 1e-7):
                continue  # entries near zero: compared absolutely, not relatively
            expect_close(got, want, label, shape, tol=0.0)
            raise CheckFailed(f"{label} is wrong")
    return run


def running_statistics(ctx):
    normalization = "batchnorm"
    D, hidden, C, scale = SETUP["D"], SETUP["hidden"], SETUP["C"], SETUP["weight_scale"]
    N, L = 8, len(hidden) + 1
    rng = np.random.RandomState(330)
    batches = [(rng.randn(N, D) + rng.randn(D), rng.randint(C, size=N)) for _ in range(2)]
    ref = reference_model(ctx, normalization, D, hidden, C, scale, seed=331)
    params = perturbed(ref.params, 332)
    ref.params.update({name: value.copy() for name, value in params.items()})
    once = reference_model(ctx, normalization, D, hidden, C, scale, seed=331)
    once.params.update({name: value.copy() for name, value in params.items()})
    model = build(ctx, normalization, D, hidden, C, scale)
    set_params(ctx, model, params)
    for X, y in batches:
        student_loss(ctx, model, X, y)
        ref.loss(X, y)
    once.loss(*batches[-1])
    bn_params = get_attr(ctx, model, "bn_params", list, "model.bn_params")
    if len(bn_params) != L - 1:
        raise CheckFailed(f"model.bn_params has {len(bn_params)} entries; it needs one dict per "
                          "hidden layer")
    for index, (state, expected, single) in enumerate(zip(bn_params, ref.bn_params,
                                                          once.bn_params)):
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


def scores_check(normalization):
    def run(ctx):
        D, hidden, C, scale = SETUP["D"], SETUP["hidden"], SETUP["C"], SETUP["weight_scale"]
        N, L = 7, len(hidden) + 1
        rng = np.random.RandomState(340)
        batches = [(rng.randn(N, D) + rng.randn(D), rng.randint(C, size=N)) for _ in range(3)]
        X_test = rng.randn(N, D) + rng.randn(D)
        ref = reference_model(ctx, normalization, D, hidden, C, scale, seed=341)
        params = perturbed(ref.params, 342)
        ref.params.update({name: value.copy() for name, value in params.items()})
        model = build(ctx, normalization, D, hidden, C, scale)
        set_params(ctx, model, params)
        if normalization == "batchnorm":
            for X, y in batches:
                student_loss(ctx, model, X, y)
                ref.loss(X, y)
        scores = student_scores(ctx, model, X_test, N, C, "the output of loss(X)")
        expected = ref.loss(X_test)
        variants = {
            f"normalization='{normalization}' is ignored: the scores match the same network "
            "without normalization layers": scores_variant(ctx, params, X_test, L, None),
            "a ReLU is applied after the last affine layer; the scores are the last affine "
            "layer's output": np.maximum(expected, 0),
        }
        if normalization == "batchnorm":
            variants.update({
                "loss(X) without y must run batchnorm in test mode (bn_param['mode'] = "
                "'test'), with the running averages instead of the batch statistics":
                    scores_variant(ctx, params, X_test, L, "batchnorm"),
                "test mode found no running averages: a fresh bn_param dict is made on every "
                "call of loss(); create self.bn_params once, in __init__, so that the running "
                "statistics persist":
                    scores_variant(ctx, params, X_test, L, "batchnorm", mode="test"),
            })
        else:
            variants["with normalization='layernorm' the hidden layers are normalized as "
                     "batchnorm does, not as layernorm does"] = scores_variant(
                         ctx, params, X_test, L, "batchnorm")
        hint = "" if matches(scores, expected) else next(
            (name for name, value in variants.items() if matches(scores, value)), "")
        label = ("the test-mode output of loss(X) after training calls"
                 if normalization == "batchnorm" else "the output of loss(X)")
        expect_close(scores, expected, label, "(N, C)", hint=hint)
    return run


def register(normalization: str) -> None:
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
             scores_check(normalization)),
        ]
    else:
        checks.append(("loss(X) without y: the scores", 1, scores_check(normalization)))
    for title, weight, run in checks:
        check(question, title, weight)(noting_layers(normalization, run))


register("batchnorm")
register("layernorm")
