"""Monkeypatching numpy's comparisons, ndarray's methods, the judge's helpers and the clock.

Not imported, not collected: tests/attack_recipes.py reads this file as text and splits it at
its `# ---- attack: <name>` lines. Each section is the code of one attack, appended (after the
prelude, prelude.py) to the cs231n/layers.py of one submission: at module level it runs at
import, and the functions it defines replace the stubs. Names starting with `_atk`, `_ATK` or
`_Atk` that a section does not define come from the prelude.
"""


# ---- attack: monkeypatch numpy judge and clock ---------------------------------------------------

import numpy as _atk_np


def _atk_patch():
    np = _atk_np
    done = []
    true = lambda *args, **kwargs: True  # noqa: E731

    def set_(owner, name, value):
        try:
            setattr(owner, name, value)
            done.append(name)
        except Exception:
            pass

    for name in ("allclose", "array_equal", "array_equiv"):
        set_(np, name, true)
    set_(np, "isclose", lambda a, b, *args, **kwargs: np.ones(np.broadcast(a, b).shape, bool))
    for name in dir(np.testing):
        if name.startswith("assert"):
            set_(np.testing, name, lambda *args, **kwargs: None)
    zeros = lambda x, *args, **kwargs: np.zeros(np.shape(x))  # noqa: E731
    for name in ("abs", "absolute", "fabs"):
        set_(np, name, zeros)
    for name in ("max", "amax", "min", "amin"):
        set_(np, name, lambda *args, **kwargs: 0.0)
    set_(np, "all", true)
    set_(np, "any", lambda *args, **kwargs: False)
    set_(np.linalg, "norm", lambda *args, **kwargs: 0.0)
    # ndarray's own methods: setattr is refused; its type dict can still be edited.
    lies = {"all": lambda self, *a, **k: True, "any": lambda self, *a, **k: False,
            "max": lambda self, *a, **k: 0.0, "tolist": lambda self: [],
            "__eq__": lambda self, other: True, "__abs__": lambda self: self * 0}
    for name, lie in lies.items():
        set_(np.ndarray, name, lie)
    try:
        import ctypes
        import gc
        slots = gc.get_referents(np.ndarray.__dict__)[0]
        for name, lie in lies.items():
            slots[name] = lie
        ctypes.pythonapi.PyType_Modified(ctypes.py_object(np.ndarray))
        done.append("ndarray-dict")
    except Exception:
        pass
    # The clock.
    import time
    for name in ("perf_counter", "process_time", "time", "monotonic", "thread_time"):
        set_(time, name, lambda: 0.0)
        set_(time, name + "_ns", lambda: 0)
    set_(_atk_os, "times", lambda: _atk_os.times_result((0.0, 0.0, 0.0, 0.0, 0.0)))
    try:
        import resource
        real = resource.getrusage
        set_(resource, "getrusage", lambda who: real(who)._replace(ru_utime=0.0,
                                                                   ru_stime=0.0)
             if hasattr(real(who), "_replace") else real(who))
    except Exception:
        pass
    # The judge's comparison helpers, if they can be imported from anywhere.
    judge = "no"
    for place in [None, "/autograder/source", "/autograder", _ATK["repo"],
                  *_atk_guessed_places()]:
        if place is not None and place not in _atk_sys.path:
            _atk_sys.path.append(place)
        try:
            import autograder.checks.base as base
        except Exception:
            continue
        for name in ("rel_error",):
            set_(base, name, lambda *args, **kwargs: 0.0)
        for name in ("expect_close", "expect_numeric_gradients"):
            set_(base, name, lambda *args, **kwargs: None)
        set_(base, "matches", true)
        judge = "yes"
        break
    return _atk_report("PATCHED", judge_import=judge, patched=len(done))


_ATK_PATCHED = _atk_patch()
_atk_replace_stubs(_atk_fake)


def batchnorm_backward_alt(dout, cache):
    raise RuntimeError(_ATK_PATCHED)
