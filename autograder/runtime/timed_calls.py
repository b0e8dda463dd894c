"""How the speed check's timed calls draw their inputs, for the worker and the judge alike.

A round is one request from one seed: a pool of normals, where the first dout starts in it, and
the random probes that reduce each result to a checksum. Each call's dout is a fresh copy of a
slice of the pool, and where the next one starts depends on this call's dx checksum, so no call's
input exists before the previous call has returned. The worker runs the calls (worker.py); the
judge rebuilds every dout from the reported checksums and checks them (checks/speed.py).

This file is imported by the trusted judge and copied beside the untrusted worker; it uses only
the standard library and numpy.
"""

import math

import numpy as np

POOL = 2  # the pool holds POOL douts' worth of normals
SPAN = POOL - 1  # a dout starts anywhere in the first SPAN * N * D of them


def draw_round(seed, shape):
    """(pool, first start, probes for dx, dgamma, dbeta) of the round drawn from `seed`."""
    rng = np.random.default_rng(seed)
    size = shape[0] * shape[1]
    pool = rng.standard_normal(POOL * size)
    start = int(rng.integers(0, SPAN * size + 1))
    probes = (rng.standard_normal(size), rng.standard_normal(shape[1]),
              rng.standard_normal(shape[1]))
    return pool, start, probes


def dout_at(pool, start, shape):
    """A fresh copy of the dout that starts at `start` in the pool."""
    return pool[start:start + shape[0] * shape[1]].reshape(shape).copy()


def next_start(checksum, size):
    """Where the next call's dout starts: a function of this call's dx checksum."""
    checksum = float(checksum)
    if not math.isfinite(checksum):
        return 0
    return int((checksum * 1024.0) % 1.0 * (SPAN * size + 1))
