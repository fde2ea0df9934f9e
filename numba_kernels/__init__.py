"""Jitted loops only: the numba kernels under the numeric tier (docs/architecture.md).

Every public function here is compiled by the shared decorator of :mod:`numba_kernels._jit`
(``njit = functools.partial(numba.njit, cache=True)``); the only other code is private helpers of
jitted functions. Algorithms (ALS sweeps, line search, stopping rules, SVD-based drivers, the
recursive elimination) live in :mod:`tnverify.numeric`, the only importer of this package.

* :mod:`numba_kernels.mttkrp` -- Khatri-Rao pairs, MTTKRP reductions, the fused MTTKRP rows;
* :mod:`numba_kernels.moments` -- the robust tensor power method;
* :mod:`numba_kernels.modp` -- exact elimination over GF(p) on float64 panels;
* :mod:`numba_kernels.kruskal` -- Kruskal-rank enumeration mod p;
* :mod:`numba_kernels.implicit_bias` -- gradient descent for tensor completion (CP and HT factorizations);
* :mod:`numba_kernels._modarith` -- scalar arithmetic mod a word-size prime.

Kernels import only numpy and numba, take C-contiguous float64 / int64 arrays (the drivers
normalise dtypes, so each kernel compiles once), never draw random numbers (random inputs are
passed in) and report problems as the integer status codes of :mod:`numba_kernels._jit`, never
as exceptions.
"""
