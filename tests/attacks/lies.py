"""Lies: layers that return zeros of the right shapes (the control), and ndarray subclasses
whose comparisons and arithmetic lie.

Not imported, not collected: tests/attack_recipes.py reads this file as text and splits it at
its `# ---- attack: <name>` lines. Each section is the code of one attack, appended (after the
prelude, prelude.py) to the cs231n/layers.py of one submission: at module level it runs at
import, and the functions it defines replace the stubs. Names starting with `_atk`, `_ATK` or
`_Atk` that a section does not define come from the prelude.
"""


# ---- attack: zeros everywhere --------------------------------------------------------------------

_atk_replace_stubs(_atk_fake)


# ---- attack: lying ndarray subclasses ------------------------------------------------------------

import numpy as _atk_np


class _AtkLiar(_atk_np.ndarray):
    def __eq__(self, other):
        return True

    def __ne__(self, other):
        return False

    def _zeros(self, *args, **kwargs):
        return _atk_np.zeros(self.shape).view(_AtkLiar)

    __sub__ = __rsub__ = __add__ = __radd__ = __mul__ = __truediv__ = _zeros

    def __abs__(self):
        return self._zeros()

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        shape = _atk_np.broadcast(*[_atk_np.asarray(i).view(_atk_np.ndarray)
                                    for i in inputs if hasattr(i, "shape")]).shape
        if ufunc.__name__ in ("equal", "isclose", "less_equal", "greater_equal", "isfinite"):
            return _atk_np.ones(shape, bool)
        return _atk_np.zeros(shape)

    def __array_function__(self, function, types, args, kwargs):
        if function.__name__ in ("allclose", "array_equal", "all"):
            return True
        return _atk_np.zeros(self.shape)

    def tolist(self):
        return [0.0] * len(self)

    def all(self, *args, **kwargs):
        return True

    def max(self, *args, **kwargs):
        return 0.0

    def __float__(self):
        return 0.0


def _atk_lying(stub):
    honest = _atk_fake(stub)

    def lie(*args, **kwargs):
        result = honest(*args, **kwargs)
        return tuple(r.view(_AtkLiar) if isinstance(r, _atk_np.ndarray) else r
                     for r in result)
    return lie


_atk_replace_stubs(_atk_lying)
