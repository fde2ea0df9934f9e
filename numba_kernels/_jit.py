"""The one shared numba decorator: every kernel is compiled with ``cache=True``."""
import functools

import numba

njit = functools.partial(numba.njit, cache=True)
pnjit = functools.partial(numba.njit, cache=True, parallel=True)

#: Status codes returned by kernels (never exceptions).
OK = 0
NOT_CONVERGED = 1
SINGULAR = 2
BAD_INPUT = 3
