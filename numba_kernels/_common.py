"""Small helpers shared by the float decomposition kernels (no jitted code here)."""
import numpy as np

_EPS = np.finfo(np.float64).eps


def _f64(a):
    return np.ascontiguousarray(a, dtype=np.float64)


def _prod(seq):
    p = 1
    for s in seq:
        p *= int(s)
    return p


def _empty():
    return np.empty((0, 0))


def _is_int(x):
    return isinstance(x, (int, np.integer)) and not isinstance(x, (bool, np.bool_))
