"""Numerical gradients by centered differences, to check analytic backward passes."""

import numpy as np

__all__ = ["eval_numerical_gradient", "eval_numerical_gradient_array"]


def eval_numerical_gradient(f, x, verbose=True, h=1e-5):
    """Numerical gradient of a scalar function at x.

    Each element of x is perturbed in place by +h and -h and restored afterwards, so f may
    read x through a closure (as the model-loss lambdas in the notebooks do).

    Inputs:
    - f: A function that takes a single argument and returns a scalar
    - x: A numpy float array, the point at which to evaluate the gradient
    - verbose: If True, print the index and gradient value of every element
    - h: The step size

    Returns:
    - grad: Array of the same shape as x, the numerical gradient df/dx
    """
    grad = np.zeros_like(x)
    for ix in np.ndindex(x.shape):
        original = x[ix]
        x[ix] = original + h
        f_plus = f(x)
        x[ix] = original - h
        f_minus = f(x)
        x[ix] = original
        grad[ix] = (f_plus - f_minus) / (2 * h)
        if verbose:
            print(ix, grad[ix])
    return grad


def eval_numerical_gradient_array(f, x, df, h=1e-5):
    """Numerical gradient, through an upstream gradient, of a function returning an array.

    For each element i of x this computes sum((f(x + h e_i) - f(x - h e_i)) * df) / (2h),
    that is the gradient of sum(f(x) * df) with respect to x.

    Inputs:
    - f: A function that takes a single array argument and returns an array
    - x: A numpy float array, the point at which to evaluate the gradient (perturbed in place
      and restored)
    - df: Upstream gradient, of the same shape as f(x)
    - h: The step size

    Returns:
    - grad: Array of the same shape as x
    """
    grad = np.zeros_like(x)
    for ix in np.ndindex(x.shape):
        original = x[ix]
        x[ix] = original + h
        # Copy: f may return a view of x, which the next perturbation would change.
        f_plus = np.array(f(x), copy=True)
        x[ix] = original - h
        f_minus = np.array(f(x), copy=True)
        x[ix] = original
        grad[ix] = np.sum((f_plus - f_minus) * df) / (2 * h)
    return grad
