"""A fully connected network of any depth with optional batch/layer normalization and dropout."""

import numpy as np

from ..layers import *
from ..layer_utils import *

NORMALIZATIONS = (None, "batchnorm", "layernorm")


class FullyConnectedNet:
    """A softmax classifier with any number of hidden ReLU layers.

    With L layers (L - 1 hidden ones) the architecture is

    {affine - [batch/layer norm] - relu - [dropout]} x (L - 1) - affine - softmax

    where the normalization and the dropout are optional; the last affine layer is never
    normalized. self.params maps parameter names to arrays, which the Solver updates:
    W1..WL and b1..bL for the affine layers and, with normalization, gamma1..gamma(L-1) and
    beta1..beta(L-1) for the hidden layers.
    """

    def __init__(
        self,
        hidden_dims,
        input_dim=3 * 32 * 32,
        num_classes=10,
        dropout_keep_ratio=1,
        normalization=None,
        reg=0.0,
        weight_scale=1e-2,
        dtype=np.float32,
        seed=None,
    ):
        """Create the network's parameters and the per-layer dicts of dropout and normalization.

        Inputs:
        - hidden_dims: A list of integers, the size of each hidden layer.
        - input_dim: An integer, the size of one flattened input example.
        - num_classes: An integer, the number of classes C.
        - dropout_keep_ratio: Probability of keeping each hidden unit in dropout, in (0, 1];
          1 means no dropout.
        - normalization: "batchnorm", "layernorm", or None (the default) for none; anything
          else raises ValueError.
        - reg: Scalar giving the L2 regularization strength.
        - weight_scale: Standard deviation of the normal distribution the weights are drawn
          from (biases start at zero).
        - dtype: numpy datatype of every parameter and computation; float32 is faster,
          float64 is needed for numeric gradient checks.
        - seed: If not None, passed to the dropout layers so that their masks are
          deterministic, which makes the model gradient-checkable.
        """
        if normalization not in NORMALIZATIONS:
            raise ValueError(
                f"normalization must be None, 'batchnorm' or 'layernorm', got {normalization!r}"
            )
        self.normalization = normalization
        self.use_dropout = dropout_keep_ratio != 1
        self.reg = reg
        self.num_layers = 1 + len(hidden_dims)
        self.dtype = dtype
        self.params = {}

        # The weights are drawn layer by layer from the global random state, in this order,
        # so that a seeded notebook reproduces the same network.
        dims = [input_dim, *hidden_dims, num_classes]
        for layer in range(1, self.num_layers + 1):
            fan_in, fan_out = dims[layer - 1], dims[layer]
            self.params[f"W{layer}"] = weight_scale * np.random.randn(fan_in, fan_out)
            self.params[f"b{layer}"] = np.zeros(fan_out)

        if self.normalization is not None:
            # TODO: Create the normalization parameters of every hidden layer (not the
            # output layer): for hidden layer i (1 <= i <= L - 1, with hidden_dims[i - 1]
            # units) store self.params[f"gamma{i}"] initialized to ones and
            # self.params[f"beta{i}"] initialized to zeros. The same names are used for
            # batchnorm and layernorm. Do not draw random numbers here.
            # BEGIN SOLUTION batchnorm
            for layer, width in enumerate(hidden_dims, start=1):
                self.params[f"gamma{layer}"] = np.ones(width)
                self.params[f"beta{layer}"] = np.zeros(width)
            # END SOLUTION

        # One dict shared by every dropout layer; loss() switches its mode between calls.
        self.dropout_param = {}
        if self.use_dropout:
            # TODO: Make self.dropout_param the dict every dropout layer shares: mode "train",
            # p the keep ratio, and "seed" only when seed is not None.
            # BEGIN SOLUTION dropout
            self.dropout_param = {"mode": "train", "p": dropout_keep_ratio}
            if seed is not None:
                self.dropout_param["seed"] = seed
            # END SOLUTION

        # One parameter dict per normalization layer: self.bn_params[0] goes to the first
        # layer, and so on. They live as long as the model, so batchnorm's running
        # statistics accumulate across calls to loss().
        self.bn_params = []
        if self.normalization == "batchnorm":
            self.bn_params = [{"mode": "train"} for _ in range(self.num_layers - 1)]
        elif self.normalization == "layernorm":
            self.bn_params = [{} for _ in range(self.num_layers - 1)]

        for name, value in self.params.items():
            self.params[name] = value.astype(dtype)  # float64 for gradient checks

    def loss(self, X, y=None):
        """Compute loss and gradient for the fully connected net.

        Inputs:
        - X: Array of input data of shape (N, d_1, ..., d_k)
        - y: Array of labels, of shape (N,). y[i] gives the label for X[i].

        Returns:
        If y is None, then run a test-time forward pass of the model and return:
        - scores: Array of shape (N, C) giving classification scores, where
          scores[i, c] is the classification score for X[i] and class c.

        If y is not None, then run a training-time forward and backward pass and
        return a tuple of:
        - loss: Scalar value giving the loss
        - grads: Dictionary with the same keys as self.params, mapping parameter
          names to gradients of the loss with respect to those parameters.
        """
        X = X.astype(self.dtype)
        mode = "test" if y is None else "train"

        # Dropout and batchnorm act differently at test time; layernorm has no mode.
        if self.use_dropout:
            # TODO: Switch the shared dropout_param to this call's mode ("test" when y is None).
            # BEGIN SOLUTION dropout
            self.dropout_param["mode"] = mode
            # END SOLUTION
        if self.normalization == "batchnorm":
            for bn_param in self.bn_params:
                bn_param["mode"] = mode

        caches = []
        hidden = X
        for layer in range(1, self.num_layers):
            hidden, fc_cache = affine_forward(
                hidden, self.params[f"W{layer}"], self.params[f"b{layer}"]
            )
            norm_cache = None
            if self.normalization is not None:
                hidden, norm_cache = self._normalize_forward(hidden, layer)
            hidden, relu_cache = relu_forward(hidden)
            dropout_cache = None
            if self.use_dropout:
                hidden, dropout_cache = self._dropout_forward(hidden)
            caches.append((fc_cache, norm_cache, relu_cache, dropout_cache))

        L = self.num_layers
        scores, out_cache = affine_forward(hidden, self.params[f"W{L}"], self.params[f"b{L}"])

        if mode == "test":
            return scores

        loss, dscores = softmax_loss(scores, y)
        if self.reg:  # (the sum costs a pass over every weight)
            weights = [self.params[f"W{layer}"] for layer in range(1, L + 1)]
            loss += 0.5 * self.reg * sum(np.sum(W * W) for W in weights)

        # (With reg 0 the weights' gradients are affine_backward's as they are: adding 0 * W
        # would cost two passes over every weight at every training step.)
        grads = {}
        dhidden, dW, grads[f"b{L}"] = affine_backward(dscores, out_cache)
        grads[f"W{L}"] = dW + self.reg * self.params[f"W{L}"] if self.reg else dW
        for layer in range(L - 1, 0, -1):
            fc_cache, norm_cache, relu_cache, dropout_cache = caches[layer - 1]
            if self.use_dropout:
                dhidden = self._dropout_backward(dhidden, dropout_cache)
            dhidden = relu_backward(dhidden, relu_cache)
            if self.normalization is not None:
                dhidden, grads[f"gamma{layer}"], grads[f"beta{layer}"] = self._normalize_backward(
                    dhidden, norm_cache
                )
            dhidden, dW, grads[f"b{layer}"] = affine_backward(dhidden, fc_cache)
            grads[f"W{layer}"] = dW + self.reg * self.params[f"W{layer}"] if self.reg else dW

        return loss, grads

    def _normalize_forward(self, x, layer):
        """Forward pass of the normalization step of hidden layer `layer` (1-based).

        Inputs:
        - x: Output of the layer's affine transform, of shape (N, H)
        - layer: Index of the hidden layer, 1 <= layer <= L - 1

        Returns a tuple of:
        - out: Normalized, scaled and shifted x, of shape (N, H)
        - cache: The normalization layer's cache, for _normalize_backward
        """
        # TODO: Apply batchnorm_forward when self.normalization == "batchnorm", and
        # layernorm_forward when it is "layernorm", to x with this layer's parameters
        # self.params[f"gamma{layer}"] and self.params[f"beta{layer}"] and its parameter
        # dict self.bn_params[layer - 1] (pass that same dict, so that batchnorm's running
        # statistics persist across calls). Return the layer's (out, cache).
        # BEGIN SOLUTION batchnorm
        gamma, beta = self.params[f"gamma{layer}"], self.params[f"beta{layer}"]
        forward = batchnorm_forward if self.normalization == "batchnorm" else layernorm_forward
        return forward(x, gamma, beta, self.bn_params[layer - 1])
        # END SOLUTION

    def _normalize_backward(self, dout, cache):
        """Backward pass of the normalization step of a hidden layer.

        Inputs:
        - dout: Upstream derivatives, of shape (N, H)
        - cache: The cache returned by _normalize_forward for that layer

        Returns a tuple of:
        - dx: Gradient with respect to the normalization's input, of shape (N, H)
        - dgamma: Gradient with respect to the layer's gamma, of shape (H,)
        - dbeta: Gradient with respect to the layer's beta, of shape (H,)
        """
        # TODO: Backpropagate through the normalization step with the backward function that
        # matches self.normalization (batchnorm_backward or batchnorm_backward_alt for
        # "batchnorm", layernorm_backward for "layernorm") and return its dx, dgamma, dbeta.
        # BEGIN SOLUTION batchnorm
        if self.normalization == "batchnorm":
            return batchnorm_backward_alt(dout, cache)
        return layernorm_backward(dout, cache)
        # END SOLUTION

    def _dropout_forward(self, x):
        """Dropout after a hidden layer's ReLU.

        Inputs:
        - x: The ReLU's output, of shape (N, H)

        Returns a tuple of:
        - out: x after dropout, of shape (N, H)
        - cache: The dropout layer's cache, for _dropout_backward
        """
        # TODO: Apply dropout_forward to x with the dict every layer shares,
        # self.dropout_param, and return its (out, cache).
        # BEGIN SOLUTION dropout
        return dropout_forward(x, self.dropout_param)
        # END SOLUTION

    def _dropout_backward(self, dout, cache):
        """Backward pass of a hidden layer's dropout.

        Inputs:
        - dout: Upstream derivatives, of shape (N, H)
        - cache: The cache _dropout_forward returned for that layer

        Returns:
        - dx: Gradient with respect to the dropout's input, of shape (N, H)
        """
        # TODO: Backpropagate through that layer's dropout with dropout_backward.
        # BEGIN SOLUTION dropout
        return dropout_backward(dout, cache)
        # END SOLUTION
