"""First-order update rules used by the Solver.

Each rule has the signature

    next_w, config = update(w, dw, config=None)

- w: A numpy array giving the current weights.
- dw: A numpy array of the same shape as w giving the gradient of the loss with respect to w.
- config: A dictionary of hyperparameters (learning rate, decay rates, ...) plus any state
  the rule keeps between steps (velocities, moment estimates). Missing hyperparameters get
  the defaults listed in each rule; the state is created on the first call.

It returns the updated weights and the config to pass to the next call for the same weights.
"""

import numpy as np

__all__ = ["sgd", "sgd_momentum", "rmsprop", "adam"]


def sgd(w, dw, config=None):
    """Vanilla stochastic gradient descent.

    config format:
    - learning_rate: Scalar learning rate, default 1e-2.
    """
    config = {} if config is None else config
    config.setdefault("learning_rate", 1e-2)
    next_w = w - config["learning_rate"] * dw
    return next_w, config


def sgd_momentum(w, dw, config=None):
    """Stochastic gradient descent with momentum.

    config format:
    - learning_rate: Scalar learning rate, default 1e-2.
    - momentum: Scalar between 0 and 1 giving the momentum value, default 0.9;
      0 turns this into plain sgd.
    - velocity: A numpy array of the same shape as w and dw holding a moving
      average of the gradients (state, starts at zero).
    """
    config = {} if config is None else config
    config.setdefault("learning_rate", 1e-2)
    config.setdefault("momentum", 0.9)
    velocity = config.get("velocity", np.zeros_like(w))
    velocity = config["momentum"] * velocity - config["learning_rate"] * dw
    config["velocity"] = velocity
    return w + velocity, config


def rmsprop(w, dw, config=None):
    """RMSProp: scales the step of each weight by a moving average of its squared gradients.

    config format:
    - learning_rate: Scalar learning rate, default 1e-2.
    - decay_rate: Scalar between 0 and 1 giving the decay rate for the squared
      gradient cache, default 0.99.
    - epsilon: Small scalar used for smoothing to avoid dividing by zero, default 1e-8.
    - cache: Moving average of second moments of gradients (state, starts at zero).
    """
    config = {} if config is None else config
    config.setdefault("learning_rate", 1e-2)
    config.setdefault("decay_rate", 0.99)
    config.setdefault("epsilon", 1e-8)
    decay = config["decay_rate"]
    cache = config.get("cache", np.zeros_like(w))
    cache = decay * cache + (1 - decay) * dw**2
    config["cache"] = cache
    next_w = w - config["learning_rate"] * dw / (np.sqrt(cache) + config["epsilon"])
    return next_w, config


def adam(w, dw, config=None):
    """Adam: moving averages of the gradient and its square, with bias correction.

    config format:
    - learning_rate: Scalar learning rate, default 1e-3.
    - beta1: Decay rate for moving average of first moment of gradient, default 0.9.
    - beta2: Decay rate for moving average of second moment of gradient, default 0.999.
    - epsilon: Small scalar used for smoothing to avoid dividing by zero, default 1e-8.
    - m: Moving average of gradient (state, starts at zero).
    - v: Moving average of squared gradient (state, starts at zero).
    - t: Iteration number (state, starts at 0 and is incremented before it is used).
    """
    config = {} if config is None else config
    config.setdefault("learning_rate", 1e-3)
    config.setdefault("beta1", 0.9)
    config.setdefault("beta2", 0.999)
    config.setdefault("epsilon", 1e-8)
    for moment in ("m", "v"):  # (setdefault would build the zeros at every step)
        if moment not in config:
            config[moment] = np.zeros_like(w)
    config.setdefault("t", 0)

    config["t"] += 1
    t = config["t"]
    # The textbook's formulas, operation for operation and in the arrays' own dtype (the same
    # numbers to the bit), with the intermediate results written in place into scratch arrays
    # the config keeps between steps: w is as large as the input layer's weights, and the
    # notebook trains for thousands of steps, where a new array per operation costs more than
    # the operation.
    #   m = beta1 * m + (1 - beta1) * dw
    #   v = beta2 * v + (1 - beta2) * dw**2
    #   next_w = w - learning_rate * m_hat / (sqrt(v_hat) + epsilon)
    # where m_hat = m / (1 - beta1**t) and v_hat = v / (1 - beta2**t) undo the bias of both
    # averages starting at zero.
    beta1, beta2 = float(config["beta1"]), float(config["beta2"])
    m, v = config["m"], config["v"]
    scaled, root, step = _scratch(config, dw, v, m)
    np.multiply(dw, 1 - beta1, out=scaled)
    m *= beta1
    m += scaled
    np.multiply(dw, dw, out=scaled)
    scaled *= 1 - beta2
    v *= beta2
    v += scaled
    np.divide(v, 1 - beta2**t, out=root)  # v_hat, then its root plus epsilon
    np.sqrt(root, out=root)
    root += float(config["epsilon"])
    np.divide(m, 1 - beta1**t, out=step)  # m_hat, then the whole step
    step *= float(config["learning_rate"])
    step /= root
    next_w = w - step
    return next_w, config


def _scratch(config, dw, v, m):
    """Arrays for adam's intermediate results, kept in config: the scaled gradient (dw's dtype),
    the root (v's) and the step (m's), the first and second one array when their dtypes agree.
    Made again when a shape or dtype differs from the arrays they are for."""
    scratch = config.get("scratch")
    if scratch is None or any(a.shape != b.shape or a.dtype != b.dtype
                              for a, b in zip(scratch, (dw, v, m))):
        root, step = np.empty_like(v), np.empty_like(m)
        scaled = root if dw.dtype == v.dtype else np.empty_like(dw)
        scratch = config["scratch"] = (scaled, root, step)
    return scratch
