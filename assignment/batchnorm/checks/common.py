"""What the Batch Normalization checks share: where the student's functions are, the inputs
they make, and the comparisons the layer checks have in common."""

import numpy as np

from autograder.checks.base import CheckFailed, Context, expect_close, target

NET_TARGET = target("classifiers.fc_net", "FullyConnectedNet")


def layer_target(name: str) -> str:
    """The call target of the student's layer function `name` (in the package's layers)."""
    return target("layers", name)


def layer(ctx: Context, name: str, *args, keep=False):
    """Call the student's layer function `name`."""
    return ctx.call(layer_target(name), *args, keep=keep)


# Shapes named by what they test (the names reach students; the sizes do not).
BN_CASES = [
    ("a batch with more examples than features", 64, 13),
    ("a batch with fewer examples than features", 5, 40),
    ("a small batch", 2, 7),
    ("many features", 16, 1024),
]


def random_inputs(seed: int, N: int, D: int, scale: float = 5.0, shift: float = 12.0):
    rng = np.random.RandomState(seed)
    x = scale * rng.randn(N, D) + shift * rng.randn(D)
    gamma = 1.0 + rng.rand(D)
    beta = rng.randn(D)
    return rng, x, gamma, beta


def expect_inputs_unchanged(ctx, function: str, handles, originals) -> None:
    """The arrays behind `handles` (x, gamma, beta, passed to `function`) are as they were."""
    for name, handle, original in zip(("x", "gamma", "beta"), handles, originals):
        after = ctx.request(function, "get", target=handle)
        if not np.array_equal(after, original):
            raise CheckFailed(f"{function} modified its input {name} in place; "
                              "work on new arrays instead")


def expect_numeric_gradients(ctx: Context, forward: str, backward: str, grads, args,
                             dout) -> None:
    """Compare a layer's (dx, dgamma, dbeta) with numeric gradients of the student's `forward`
    with respect to its first three arguments (x, gamma, beta), computed in the worker."""
    from autograder.runtime import wire

    arguments = wire.encode(list(args))
    for index, (name, shape) in enumerate((("dx", "(N, D)"), ("dgamma", "(D,)"),
                                           ("dbeta", "(D,)"))):
        numeric = ctx.request(forward, "numeric_gradient", target=layer_target(forward),
                              args=arguments, wrt=index, dout=wire.encode(dout))
        expect_close(grads[index], numeric, f"{backward}'s {name} (against a numeric gradient "
                     f"of your {forward})", shape, tol=1e-5)
