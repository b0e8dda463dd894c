"""Is batchnorm_backward_alt the simplified closed form, or the staged graph's algebra again?

The simplified closed form equals the staged graph only on a consistent cache, where x_hat has
zero mean and unit variance per feature: the simplification uses exactly those identities. So the
witness moves the cache off that manifold and looks whether alt still agrees with the student's
own batchnorm_backward:

- The judge reads the student's cache (as plain data) and recognizes each of its float arrays as
  a quantity of the forward pass computed from x, gamma, beta, eps and the batch's mean and
  variance (x, the mean, the variance, var + eps, the standard deviation and its inverse, the
  centered x, its square, x_hat, the output, ...), whatever the layout: tuple, dict, extra keys.
- It rebuilds every recognized quantity from the same x but a mean and variance moved by 0.1 % of
  a standard deviation: the cache stays consistent in every elementwise relation (std is still
  sqrt(var + eps), x_hat still (x - mean) / std), but the mean is no longer x's mean.
- Both functions get their own copy of that cache and the same dout. The same algebra, however it
  is written (divided or multiplied, loops, ones-matrices, the paper's equations), agrees to
  rounding (a relative difference near 1e-16); a simplification differs by about 1e-4.

Where the cache holds no batch statistics to move (only x, gamma, eps), nothing distinguishes the
two algebras, and the witness says so rather than guess.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

SAME_ALGEBRA = 1e-9  # relative difference of dx below which the two are one computation
SIMPLIFIED = 1e-6  # above which alt uses identities the staged graph does not
SHIFT = 1e-3  # how far the statistics move, in standard deviations (mean) and relative (var)
RECOGNIZE_RTOL = 1e-7  # a cache array is a known quantity if it matches it to this tolerance


@dataclass(frozen=True)
class Witness:
    """What moving the cache off the manifold showed about alt's dx there.

    verdict: "simplified" (the simplified closed form's algebra), "staged" (the staged graph's,
    the paper's unsimplified equations included), else by comparison with the student's own
    batchnorm_backward: "differs" (alt uses identities it does not), "same" (one computation),
    "between" (neither clearly), or "unmoved" (the cache holds no batch statistics to move).
    """

    verdict: str
    to_own: float = float("nan")  # relative difference from the student's batchnorm_backward
    to_simplified: float = float("nan")
    to_staged: float = float("nan")
    moved: tuple[str, ...] = ()  # the quantities of the cache that were moved


@dataclass(frozen=True)
class Point:
    """A cache moved off the manifold, and the statistics it was rebuilt from."""

    cache: object
    moved: tuple[str, ...]
    mean: np.ndarray
    var: np.ndarray


def quantities(x, gamma, beta, eps, mean, var) -> dict[str, np.ndarray]:
    """The quantities of a batchnorm forward pass a cache may hold, from its statistics."""
    std = np.sqrt(var + eps)
    centered = x - mean
    x_hat = centered / std
    return {
        "x": x, "gamma": gamma, "beta": beta,
        "mean": mean, "var": var, "var + eps": var + eps, "std": std, "1 / std": 1.0 / std,
        "1 / (var + eps)": 1.0 / (var + eps), "sqrt(var)": np.sqrt(var),
        "x - mean": centered, "(x - mean) ** 2": centered ** 2, "x_hat": x_hat,
        "gamma * x_hat": gamma * x_hat, "out": gamma * x_hat + beta,
    }


def recognize(leaf, known: dict[str, np.ndarray]) -> str | None:
    """The name of the known quantity `leaf` holds (any shape it broadcasts to, keepdims), or
    None."""
    if not (isinstance(leaf, np.ndarray) and leaf.dtype.kind == "f" and leaf.size > 1):
        return None
    for name, value in known.items():
        if leaf.size == value.size and np.allclose(leaf.reshape(value.shape), value,
                                                   rtol=RECOGNIZE_RTOL, atol=0.0):
            return name
    return None


def moved_cache(cache, known: dict[str, np.ndarray], moved: dict[str, np.ndarray],
                found: list[str]):
    """`cache` with every recognized quantity replaced by its moved value (same shape and
    dtype), its structure kept; anything else (handles, scalars, unknown arrays) as it was."""
    if isinstance(cache, (tuple, list)):
        items = [moved_cache(item, known, moved, found) for item in cache]
        return tuple(items) if isinstance(cache, tuple) else items
    if isinstance(cache, dict):
        return {key: moved_cache(item, known, moved, found) for key, item in cache.items()}
    name = recognize(cache, known)
    if name is None:
        return cache
    found.append(name)
    return moved[name].reshape(cache.shape).astype(cache.dtype)


def off_manifold(cache, x, gamma, beta, eps, seed: int = 152) -> Point | None:
    """The cache moved off the manifold, or None where it holds nothing that depends on the
    batch's statistics."""
    mean, var = x.mean(axis=0), x.var(axis=0)
    known = quantities(x, gamma, beta, eps, mean, var)
    rng = np.random.default_rng(seed)
    moved_mean = mean + SHIFT * np.sqrt(var + eps) * rng.standard_normal(mean.shape)
    moved_var = var * (1.0 + SHIFT * rng.standard_normal(var.shape))
    moved = quantities(x, gamma, beta, eps, moved_mean, moved_var)
    found: list[str] = []
    result = moved_cache(cache, known, moved, found)
    if not set(found) - {"x", "gamma", "beta"}:
        return None
    return Point(result, tuple(dict.fromkeys(found)), moved_mean, moved_var)


def staged_dx(dout, x, gamma, eps, mean, var) -> np.ndarray:
    """dx of the staged graph (the paper's equations, unsimplified) at these statistics."""
    N = dout.shape[0]
    centered, std = x - mean, np.sqrt(var + eps)
    dx_hat = dout * gamma
    dvar = -0.5 * np.sum(dx_hat * centered, axis=0) / std ** 3
    dmean = -np.sum(dx_hat, axis=0) / std + dvar * np.mean(-2.0 * centered, axis=0)
    return dx_hat / std + dvar * 2.0 * centered / N + dmean / N


def simplified_dx(dout, x, gamma, eps, mean, var) -> np.ndarray:
    """dx of the simplified closed form at these statistics."""
    N = dout.shape[0]
    std = np.sqrt(var + eps)
    x_hat = (x - mean) / std
    return gamma / (N * std) * (N * dout - np.sum(dout, axis=0)
                                - x_hat * np.sum(dout * x_hat, axis=0))


def relative_difference(a: np.ndarray, b: np.ndarray) -> float:
    scale = max(float(np.linalg.norm(a)), float(np.linalg.norm(b)), 1e-300)
    return float(np.linalg.norm(a - b)) / scale


def classify(alt_dx, own_dx, dout, x, gamma, eps, point: Point) -> Witness:
    """The witness's verdict from alt's and batchnorm_backward's dx on the moved cache."""
    alt = np.asarray(alt_dx, dtype=float)
    distances = {
        "to_own": relative_difference(alt, np.asarray(own_dx, dtype=float)),
        "to_simplified": relative_difference(alt, simplified_dx(dout, x, gamma, eps,
                                                                point.mean, point.var)),
        "to_staged": relative_difference(alt, staged_dx(dout, x, gamma, eps, point.mean,
                                                        point.var)),
    }
    if distances["to_simplified"] < SAME_ALGEBRA:
        verdict = "simplified"
    elif distances["to_staged"] < SAME_ALGEBRA:
        verdict = "staged"
    elif distances["to_own"] > SIMPLIFIED:
        verdict = "differs"
    elif distances["to_own"] < SAME_ALGEBRA:
        verdict = "same"
    else:
        verdict = "between"
    return Witness(verdict, moved=point.moved, **distances)
