"""The algebra witness of the speed question (assignment/batchnorm/checks/algebra.py): moving a cache of
any layout off the manifold, and telling the two algebras apart there."""

from __future__ import annotations

import numpy as np
import pytest

from assignments import batchnorm

algebra = batchnorm("checks.algebra")
random_inputs = batchnorm("checks.common").random_inputs

EPS = 1e-5


@pytest.fixture
def batch():
    _, x, gamma, beta = random_inputs(7, 32, 6)
    mean, var = x.mean(axis=0), x.var(axis=0)
    return x, gamma, beta, algebra.quantities(x, gamma, beta, EPS, mean, var)


def test_every_quantity_of_a_cache_is_moved_whatever_its_layout(batch):
    x, gamma, beta, known = batch
    cache = {"x": x, "mu": known["mean"].reshape(1, -1), "ivar": known["1 / std"],
             "params": (gamma, EPS, "train"), "running": np.ones(6)}
    point = algebra.off_manifold(cache, x, gamma, beta, EPS)
    assert point is not None
    assert set(point.moved) == {"x", "mean", "1 / std", "gamma"}
    moved = point.cache
    assert moved["mu"].shape == (1, 6) and not np.allclose(moved["mu"], cache["mu"])
    np.testing.assert_allclose(moved["mu"].ravel(), point.mean)
    np.testing.assert_allclose(moved["ivar"], 1 / np.sqrt(point.var + EPS))
    np.testing.assert_array_equal(moved["x"], x)  # x itself stays
    np.testing.assert_array_equal(moved["params"][0], gamma)
    assert moved["params"][1:] == (EPS, "train")
    assert moved["running"] is cache["running"]  # unknown: left as it was
    # Off the manifold by 0.1 % of a standard deviation: no longer x's own mean.
    shift = np.abs(point.mean - x.mean(axis=0)) / x.std(axis=0)
    assert 1e-6 < shift.max() < 1e-2


def test_a_cache_without_batch_statistics_cannot_be_moved(batch):
    x, gamma, beta, _ = batch
    assert algebra.off_manifold((x, gamma, EPS), x, gamma, beta, EPS) is None


def classify(alt, own, batch, layout=("x_hat", "x - mean", "var", "std", "gamma")):
    x, gamma, beta, known = batch
    point = algebra.off_manifold(tuple(known[name] for name in layout) + (EPS,),
                                 x, gamma, beta, EPS)
    dout = np.random.default_rng(3).standard_normal(x.shape)
    return algebra.classify(alt(dout, x, gamma, EPS, point.mean, point.var),
                            own(dout, x, gamma, EPS, point.mean, point.var), dout, x, gamma,
                            EPS, point)


def test_the_two_algebras_are_told_apart_by_orders_of_magnitude(batch):
    closed = classify(algebra.simplified_dx, algebra.staged_dx, batch)
    assert closed.verdict == "simplified"
    assert closed.to_simplified < 1e-13 and closed.to_staged > 1e-6
    staged = classify(algebra.staged_dx, algebra.staged_dx, batch)
    assert staged.verdict == "staged" and staged.to_own == 0.0


def test_the_staged_algebra_retyped_is_still_the_staged_algebra(batch):
    def retyped(dout, x, gamma, eps, mean, var):
        N, centered = dout.shape[0], x - mean
        dx_hat = gamma * dout
        dvar = np.mean(dx_hat * centered, axis=0) * -0.5 / (var + eps) / np.sqrt(var + eps)
        dx_centered = dx_hat / np.sqrt(var + eps) + 2.0 * centered * dvar
        return dx_centered - dx_centered.sum(axis=0) / N

    assert classify(retyped, algebra.staged_dx, batch).verdict == "staged"


def test_neither_known_algebra_is_judged_against_the_students_own(batch):
    def other(dout, x, gamma, eps, mean, var):  # recomputes the variance from the centered x
        return algebra.simplified_dx(dout, x, gamma, eps, mean, ((x - mean) ** 2).mean(axis=0))

    assert classify(other, algebra.staged_dx, batch).verdict == "differs"
    assert classify(other, other, batch).verdict == "same"
    nan = classify(lambda *a: np.full_like(a[0], np.nan), algebra.staged_dx, batch)
    assert nan.verdict == "between"
