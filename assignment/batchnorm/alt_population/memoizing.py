"""The staged graph behind a memo keyed on the arguments (their ids and dout's bytes)."""

KIND = "memo"
SHOULD_PASS = False

_MEMO = {}


def batchnorm_backward_alt(dout, cache):
    key = (id(dout), id(cache), dout.tobytes()[:4096])
    if key not in _MEMO:
        _MEMO.clear()
        _MEMO[key] = batchnorm_backward(dout, cache)  # noqa: F821 (defined in layers.py)
    return _MEMO[key]
