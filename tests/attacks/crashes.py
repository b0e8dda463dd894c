"""Crashes: a function that never returns, an import that never ends, exits at import
and in a function, a memory bomb.

Not imported, not collected: tests/attack_recipes.py reads this file as text and splits it at
its `# ---- attack: <name>` lines. Each section is the code of one attack, appended (after the
prelude, prelude.py) to the cs231n/layers.py of one submission: at module level it runs at
import, and the functions it defines replace the stubs. Names starting with `_atk`, `_ATK` or
`_Atk` that a section does not define come from the prelude.
"""


# ---- attack: infinite loop in a function ---------------------------------------------------------

def batchnorm_backward(dout, cache):
    while True:
        pass


# ---- attack: hang at import ----------------------------------------------------------------------

while True:
    pass


# ---- attack: sys exit at import ------------------------------------------------------------------

import sys
sys.exit(0)


# ---- attack: os exit in a function ---------------------------------------------------------------

def batchnorm_backward(dout, cache):
    import os
    os._exit(0)


# ---- attack: memory bomb -------------------------------------------------------------------------

_atk_hoard = []


def batchnorm_backward(dout, cache):
    import numpy as np
    hoard = []
    try:
        while True:
            hoard.append(np.ones(2**24))  # 128 MiB, touched
    finally:
        _atk_hoard.append(len(hoard))
