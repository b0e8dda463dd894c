"""The speed check of batchnorm_backward_alt: a stopped clock, memoizing, precomputing when
the dout is drawn, deferring the work past the timed calls.

Not imported, not collected: tests/attack_recipes.py reads this file as text and splits it at
its `# ---- attack: <name>` lines. Each section is the code of one attack, appended (after the
prelude, prelude.py) to the cs231n/layers.py of one submission: at module level it runs at
import, and the functions it defines replace the stubs. Names starting with `_atk`, `_ATK` or
`_Atk` that a section does not define come from the prelude.
"""


# ---- attack: clock patch on staged alt -----------------------------------------------------------

def _atk_stop_the_clock():
    import time
    for name in ("perf_counter", "process_time", "time", "monotonic", "thread_time"):
        setattr(time, name, lambda: 0.0)
        setattr(time, name + "_ns", lambda: 0)
    _atk_os.times = lambda: _atk_os.times_result((0.0, 0.0, 0.0, 0.0, 0.0))
    import resource
    resource.getrusage = lambda who: resource.struct_rusage((0.0,) * 16)


_atk_stop_the_clock()


def batchnorm_backward_alt(dout, cache):
    return batchnorm_backward(dout, cache)


# ---- attack: memoizing between calls -------------------------------------------------------------

_ATK_MEMO = {}


def _atk_key(dout, cache):
    import hashlib
    digest = hashlib.blake2b(dout.tobytes(), digest_size=16)
    for item in cache if isinstance(cache, tuple) else (cache,):
        digest.update(getattr(item, "tobytes", lambda: repr(item).encode())())
    return id(dout), id(cache), digest.hexdigest()


def batchnorm_backward_alt(dout, cache):
    key = _atk_key(dout, cache)
    hit = _ATK_MEMO.get(key)
    if hit is not None:
        return hit
    result = batchnorm_backward(dout, cache)
    if len(_ATK_MEMO) > 20000:
        _ATK_MEMO.clear()
    _ATK_MEMO[key] = result
    return result


# ---- attack: precomputing in the dout generator --------------------------------------------------

import numpy as _atk_np

_ATK_LAST = {}
_ATK_READY = {}
_atk_honest_forward = batchnorm_forward
_atk_real_rng = _atk_np.random.default_rng


def batchnorm_forward(x, gamma, beta, bn_param):
    out, cache = _atk_honest_forward(x, gamma, beta, bn_param)
    if cache is not None:
        _ATK_LAST["cache"], _ATK_LAST["shape"] = cache, x.shape
    return out, cache


class _AtkGenerator:
    """default_rng's generator, but every dout it draws gets its gradient ready at once."""

    def __init__(self, *args, **kwargs):
        self._real = _atk_real_rng(*args, **kwargs)

    def standard_normal(self, *args, **kwargs):
        dout = self._real.standard_normal(*args, **kwargs)
        if "cache" in _ATK_LAST and dout.shape == _ATK_LAST["shape"]:
            _ATK_READY[id(dout)] = (dout, batchnorm_backward(dout, _ATK_LAST["cache"]))
        return dout

    def __getattr__(self, name):
        return getattr(self._real, name)


_atk_np.random.default_rng = _AtkGenerator


def batchnorm_backward_alt(dout, cache):
    ready = _ATK_READY.pop(id(dout), None)
    if ready is not None and ready[0] is dout:
        return ready[1]
    return batchnorm_backward(dout, cache)


# ---- attack: deferring the work past the timed calls ---------------------------------------------

class _AtkLater:
    """The gradients of one call, computed only when somebody reads them."""

    def __init__(self, dout, cache):
        self._args, self._value = (dout, cache), None

    def __getitem__(self, index):
        if self._value is None:
            self._value = batchnorm_backward(*self._args)
        return self._value[index]

    def __len__(self):
        return 3

    def __iter__(self):
        return iter([self[0], self[1], self[2]])


def batchnorm_backward_alt(dout, cache):
    if _atk_sys._getframe(1).f_code.co_name == "timed_calls":  # a timed call: answer later
        return _AtkLater(dout, cache)
    return batchnorm_backward(dout, cache)
