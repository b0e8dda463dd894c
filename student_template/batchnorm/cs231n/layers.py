"""Forward and backward passes of the layers used by the networks in this assignment.

Every forward function returns `(out, cache)`; the matching backward function takes the
upstream gradient and that cache and returns the gradients of the forward function's inputs.
"""

import numpy as np

__all__ = [
    "affine_forward",
    "affine_backward",
    "relu_forward",
    "relu_backward",
    "softmax_loss",
    "dropout_forward",
    "dropout_backward",
    "batchnorm_forward",
    "batchnorm_backward",
    "batchnorm_backward_alt",
    "layernorm_forward",
    "layernorm_backward",
]


def affine_forward(x, w, b):
    """Forward pass for an affine (fully connected) layer.

    Each example x[i] of shape (d_1, ..., d_k) is flattened into a row of length
    D = d_1 * ... * d_k and mapped to an output row of length M.

    Inputs:
    - x: A numpy array of shape (N, d_1, ..., d_k) holding a minibatch of N examples
    - w: A numpy array of weights, of shape (D, M)
    - b: A numpy array of biases, of shape (M,)

    Returns a tuple of:
    - out: output, of shape (N, M)
    - cache: (x, w, b)
    """
    out = x.reshape(x.shape[0], -1) @ w + b
    return out, (x, w, b)


def affine_backward(dout, cache):
    """Backward pass for an affine layer.

    Inputs:
    - dout: Upstream derivative, of shape (N, M)
    - cache: (x, w, b) as returned by affine_forward

    Returns a tuple of:
    - dx: Gradient with respect to x, of shape (N, d_1, ..., d_k)
    - dw: Gradient with respect to w, of shape (D, M)
    - db: Gradient with respect to b, of shape (M,)
    """
    x, w, _ = cache
    x_rows = x.reshape(x.shape[0], -1)
    dx = (dout @ w.T).reshape(x.shape)
    dw = x_rows.T @ dout
    db = dout.sum(axis=0)
    return dx, dw, db


def relu_forward(x):
    """Forward pass for a layer of rectified linear units (ReLUs).

    Inputs:
    - x: Inputs, of any shape

    Returns a tuple of:
    - out: Output, of the same shape as x
    - cache: x
    """
    return np.maximum(0, x), x


def relu_backward(dout, cache):
    """Backward pass for a layer of rectified linear units (ReLUs).

    Inputs:
    - dout: Upstream derivatives, of any shape
    - cache: Input x, of the same shape as dout

    Returns:
    - dx: Gradient with respect to x, of the same shape as dout
    """
    x = cache
    return dout * (x > 0)


def softmax_loss(x, y):
    """Average softmax (cross-entropy) loss over a minibatch, and its gradient.

    Inputs:
    - x: Input data, of shape (N, C) where x[i, j] is the score for the jth class
      for the ith input.
    - y: Vector of labels, of shape (N,) where y[i] is the label for x[i] and
      0 <= y[i] < C

    Returns a tuple of:
    - loss: Scalar giving the loss
    - dx: Gradient of the loss with respect to x, of shape (N, C)
    """
    n = x.shape[0]
    # Subtracting the row maximum leaves the softmax unchanged and keeps exp() from overflowing.
    shifted = x - x.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    rows = np.arange(n)
    loss = -log_probs[rows, y].sum() / n
    dx = np.exp(log_probs)
    dx[rows, y] -= 1
    dx /= n
    return loss, dx


def dropout_forward(x, dropout_param):
    """Forward pass for inverted dropout.

    In train mode each unit is kept with probability p and the kept units are scaled by 1 / p,
    so that test mode can be the identity.

    Inputs:
    - x: Input data, of any shape
    - dropout_param: A dictionary with the following keys:
      - p: Dropout parameter. We keep each neuron output with probability p.
      - mode: 'test' or 'train'. If the mode is train, then perform dropout;
        if the mode is test, then just return the input.
      - seed: (optional) Seed for the random number generator. Passing seed makes this
        function deterministic, which is needed for gradient checking; the global numpy
        random state is left untouched in that case.

    Returns a tuple of:
    - out: Array of the same shape as x
    - cache: tuple (dropout_param, mask). In training mode, mask is the dropout mask
      (already scaled by 1 / p) that was used to multiply the input; in test mode, mask is None.
    """
    p, mode = dropout_param["p"], dropout_param.get("mode")
    # TODO: In train mode, draw a mask that keeps each unit with probability p (from
    # np.random.RandomState(dropout_param["seed"]) when a seed is given, else from np.random),
    # scale the kept units by 1 / p (inverted dropout) and multiply x by it; in test mode the
    # output is x itself and the mask is None. Any other mode raises ValueError. Return out and
    # the cache (dropout_param, mask).
    raise NotImplementedError('dropout_forward in cs231n/layers.py is part of the Dropout assignment, not this one: copy your own code from that assignment if you want to use it here.')


def dropout_backward(dout, cache):
    """Backward pass for inverted dropout.

    Inputs:
    - dout: Upstream derivatives, of any shape
    - cache: (dropout_param, mask) from dropout_forward

    Returns:
    - dx: Gradient with respect to x, of the same shape as dout
    """
    # TODO: Multiply dout by the mask the forward pass used (from the cache) in train mode; in
    # test mode the gradient passes through unchanged.
    raise NotImplementedError('dropout_backward in cs231n/layers.py is part of the Dropout assignment, not this one: copy your own code from that assignment if you want to use it here.')


def batchnorm_forward(x, gamma, beta, bn_param):
    """Forward pass for batch normalization.

    During training the sample mean and (biased) sample variance of each feature are computed
    from the minibatch and used to normalize the data. They also update exponentially decaying
    running averages of the mean and variance:

    running_mean = momentum * running_mean + (1 - momentum) * sample_mean
    running_var = momentum * running_var + (1 - momentum) * sample_var

    At test time the data are normalized with these running averages instead. Either way the
    normalized data are then scaled by gamma and shifted by beta.

    (The paper estimates the test-time statistics from a large set of training images after
    training; running averages avoid that extra pass and are what common frameworks use.)

    Inputs:
    - x: Data of shape (N, D)
    - gamma: Scale parameter of shape (D,)
    - beta: Shift parameter of shape (D,)
    - bn_param: Dictionary with the following keys:
      - mode: 'train' or 'test'; required
      - eps: Constant for numeric stability, default 1e-5
      - momentum: Constant for running mean / variance, default 0.9
      - running_mean: Array of shape (D,) giving running mean of features,
        default np.zeros(D, dtype=x.dtype)
      - running_var: Array of shape (D,) giving running variance of features,
        default np.zeros(D, dtype=x.dtype)
      In train mode, the updated running_mean and running_var are stored back into bn_param.

    Returns a tuple of:
    - out: of shape (N, D)
    - cache: In train mode, the values batchnorm_backward needs, eps included; None in
      test mode
    """
    mode = bn_param.get("mode")
    if mode not in ("train", "test"):
        raise ValueError(f"bn_param['mode'] must be 'train' or 'test', got {mode!r}")
    eps = bn_param.get("eps", 1e-5)
    momentum = bn_param.get("momentum", 0.9)

    N, D = x.shape
    running_mean = bn_param.get("running_mean", np.zeros(D, dtype=x.dtype))
    running_var = bn_param.get("running_var", np.zeros(D, dtype=x.dtype))

    if mode == "train":
        # TODO: Implement the training-time forward pass for batch normalization.
        # Use the minibatch to compute the mean and the biased variance (divide by N) of each
        # feature, normalize x with them (add eps to the variance inside the square root),
        # then scale the normalized data by gamma and shift it by beta to get `out`.
        # Update running_mean and running_var with the momentum formula in the docstring
        # and store both back into bn_param['running_mean'] and bn_param['running_var'].
        # Put into `cache` everything batchnorm_backward needs, including eps: the backward
        # pass must read eps from the cache rather than assume the default; a tuple such as
        # (x_hat, x - mean, var, std, gamma, eps) serves both backward functions. Do not
        # modify x, gamma or beta in place. Finally `return out, cache`.
        # Algorithm 1 of the paper (https://arxiv.org/abs/1502.03167) lists the steps.
        raise NotImplementedError('batchnorm_forward in cs231n/layers.py is not implemented yet: replace this line with your code, following the TODO comment above it.')
    else:
        # TODO: Implement the test-time forward pass for batch normalization.
        # Normalize x with running_mean and running_var (eps inside the square root, as in
        # train mode), then scale by gamma and shift by beta. The running averages are not
        # updated at test time. Return `out, None`: there is no backward pass in test mode.
        raise NotImplementedError('batchnorm_forward in cs231n/layers.py is not implemented yet: replace this line with your code, following the TODO comment above it.')


def batchnorm_backward(dout, cache):
    """Backward pass for batch normalization, through its staged computation graph.

    Inputs:
    - dout: Upstream derivatives, of shape (N, D)
    - cache: The cache returned by batchnorm_forward in train mode

    Returns a tuple of:
    - dx: Gradient with respect to inputs x, of shape (N, D)
    - dgamma: Gradient with respect to scale parameter gamma, of shape (D,)
    - dbeta: Gradient with respect to shift parameter beta, of shape (D,)
    """
    # TODO: Implement the backward pass for batch normalization by writing out the forward
    # pass as a graph of simple steps (mean, centering, variance, square root, division,
    # scale, shift) and backpropagating through each step in reverse order. Where a value
    # feeds several later steps (the centered data does), add up the gradients from every
    # branch. Read eps and the intermediates from the cache. Return dx, dgamma, dbeta with
    # the shapes given in the docstring.
    raise NotImplementedError('batchnorm_backward in cs231n/layers.py is not implemented yet: replace this line with your code, following the TODO comment above it.')


def batchnorm_backward_alt(dout, cache):
    """Alternative backward pass for batch normalization, from the simplified closed form.

    The gradients are derived on paper, so the code does no step-by-step backpropagation.
    It receives the same cache as batchnorm_backward and returns the same values, faster.

    Inputs / outputs: Same as batchnorm_backward
    """
    # TODO: Derive dx in closed form on paper (see the notebook), in terms of dout, the
    # normalized data x_hat, gamma, the standard deviation sqrt(var + eps) and N; it fits in
    # one short expression. Compute dgamma and dbeta as in batchnorm_backward and
    # return dx, dgamma, dbeta. Do not call batchnorm_backward.
    raise NotImplementedError('batchnorm_backward_alt in cs231n/layers.py is not implemented yet: replace this line with your code, following the TODO comment above it.')


def layernorm_forward(x, gamma, beta, ln_param):
    """Forward pass for layer normalization.

    Each data point is normalized over its own D features (not over the minibatch), then
    scaled by gamma and shifted by beta. Train and test time behave identically, so no running
    averages are kept.

    Inputs:
    - x: Data of shape (N, D)
    - gamma: Scale parameter of shape (D,)
    - beta: Shift parameter of shape (D,)
    - ln_param: Dictionary with the following keys:
        - eps: Constant for numeric stability, default 1e-5
      Any other key (for example 'mode') is ignored.

    Returns a tuple of:
    - out: of shape (N, D)
    - cache: The values layernorm_backward needs, eps included, laid out like
      batchnorm_forward's
    """
    eps = ln_param.get("eps", 1e-5)
    # TODO: Implement the forward pass for layer normalization. Compute the mean and the
    # biased variance of each row of x (over its D features), normalize each row with them
    # (eps inside the square root), then scale by gamma and shift by beta. Keep the cache in
    # the same layout as batchnorm_forward's, including eps, so that layernorm_backward can
    # read it the same way. Do not modify x, gamma or beta in place. Return out, cache.
    raise NotImplementedError('layernorm_forward in cs231n/layers.py is not implemented yet: replace this line with your code, following the TODO comment above it.')


def layernorm_backward(dout, cache):
    """Backward pass for layer normalization.

    Inputs:
    - dout: Upstream derivatives, of shape (N, D)
    - cache: The cache returned by layernorm_forward

    Returns a tuple of:
    - dx: Gradient with respect to inputs x, of shape (N, D)
    - dgamma: Gradient with respect to scale parameter gamma, of shape (D,)
    - dbeta: Gradient with respect to shift parameter beta, of shape (D,)
    """
    # TODO: Implement the backward pass for layer normalization. gamma and beta are shared by
    # all rows, so dgamma and dbeta still sum over the N rows (axis 0). The statistics were
    # computed per row, so the gradient through the normalization reduces over each row's
    # D features (axis 1) instead: the batchnorm closed form with the roles of N and D
    # swapped, applied to dout * gamma. Read eps (or the standard deviation) from the cache.
    # Return dx, dgamma, dbeta.
    raise NotImplementedError('layernorm_backward in cs231n/layers.py is not implemented yet: replace this line with your code, following the TODO comment above it.')
