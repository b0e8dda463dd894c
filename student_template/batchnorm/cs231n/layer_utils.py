"""Convenience layers that chain common sequences of the layers in `cs231n.layers`."""

from .layers import affine_backward, affine_forward, relu_backward, relu_forward

__all__ = ["affine_relu_forward", "affine_relu_backward"]


def affine_relu_forward(x, w, b):
    """Affine transform followed by a ReLU.

    Inputs:
    - x: Input to the affine layer, of shape (N, d_1, ..., d_k)
    - w: Weights, of shape (D, M), with D = d_1 * ... * d_k
    - b: Biases, of shape (M,)

    Returns a tuple of:
    - out: Output of the ReLU, of shape (N, M)
    - cache: (affine cache, relu cache), for affine_relu_backward
    """
    a, fc_cache = affine_forward(x, w, b)
    out, relu_cache = relu_forward(a)
    return out, (fc_cache, relu_cache)


def affine_relu_backward(dout, cache):
    """Backward pass for the affine-relu convenience layer.

    Inputs:
    - dout: Upstream derivatives, of shape (N, M)
    - cache: (affine cache, relu cache) from affine_relu_forward

    Returns a tuple of:
    - dx: Gradient with respect to x, of shape (N, d_1, ..., d_k)
    - dw: Gradient with respect to w, of shape (D, M)
    - db: Gradient with respect to b, of shape (M,)
    """
    fc_cache, relu_cache = cache
    da = relu_backward(dout, relu_cache)
    return affine_backward(da, fc_cache)
