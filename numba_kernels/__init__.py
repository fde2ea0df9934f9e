"""Pure numeric kernels (numba): float decompositions and mod-p arithmetic.

Imports only numpy and numba. Kernels take C-contiguous float64 / complex128 / int64
arrays, never draw random numbers themselves (random inputs are passed in), and
report problems as integer status codes (:mod:`numba_kernels._jit`). The only
importer inside tnverify is :mod:`tnverify.numeric`.
"""
