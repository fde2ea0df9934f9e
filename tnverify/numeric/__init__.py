"""Tier 1, untrusted numeric search: float decompositions and modular ranks (docs/architecture.md).

The only importer of :mod:`numba_kernels` (jitted loops); the algorithms live in this package
and raise :mod:`tnverify.errors` errors, so a result is either usable or an exception. Float
results are *numerical* evidence: they never prove anything by themselves. Modules:

* :mod:`~tnverify.numeric.cp` -- CP-ALS sweep (dimension tree), :class:`CPResult`;
* :mod:`~tnverify.numeric.als` -- the CP-ALS driver (TensorLy's options, restarts, status);
* :mod:`~tnverify.numeric.cp_init` -- CP-ALS starting points;
* :mod:`~tnverify.numeric.hooi` -- iterated Tucker (HOOI) with fixed factors and a mask;
* :mod:`~tnverify.numeric.jennrich` -- Jennrich's simultaneous diagonalisation;
* :mod:`~tnverify.numeric.tucker` -- HOSVD, ST-HOSVD, TT-SVD;
* :mod:`~tnverify.numeric.moments` -- whitening, the robust tensor power method;
* :mod:`~tnverify.numeric.mttkrp` -- unfolding, Khatri-Rao product, MTTKRP;
* :mod:`~tnverify.numeric.modp`, :mod:`~tnverify.numeric.pluq` -- ranks mod p with witnesses;
* :mod:`~tnverify.numeric.kruskal_search` -- Kruskal ranks mod p;
* :mod:`~tnverify.numeric.implicit_bias` -- tensor completion by gradient descent (CP, HT);
* :mod:`~tnverify.numeric._validate` -- validation, dtype normalisation, status codes.

Conventions follow TensorLy: a CP value is ``(weights, factors)`` with ``factors[n]`` of shape
``(I_n, R)``; keywords ``rank``, ``n_iter_max``, ``tol``, ``init``, ``seed`` (every random draw
comes from ``seed``); the mode-``n`` unfolding is C-order.
"""
from tnverify.numeric._validate import STATUS_TEXT, as_float_tensor, check_rank, load_float_array
from tnverify.numeric.cp import CPResult, cp_als, cp_to_tensor
from tnverify.numeric.jennrich import jennrich
from tnverify.numeric.moments import power_method, tensor_power_method, whiten
from tnverify.numeric.mttkrp import khatri_rao, mttkrp, unfold
from tnverify.numeric.tucker import hosvd, st_hosvd, tt_svd, tt_to_tensor, tucker_to_tensor
from tnverify.numeric.hooi import TuckerResult, tucker_hooi

__all__ = ["CPResult", "cp_als", "jennrich", "TuckerResult", "tucker_hooi", "hosvd", "st_hosvd", "tt_svd", "whiten", "tensor_power_method",
           "power_method", "cp_to_tensor", "tucker_to_tensor", "tt_to_tensor", "khatri_rao", "mttkrp", "unfold",
           "as_float_tensor", "load_float_array", "check_rank", "STATUS_TEXT"]
