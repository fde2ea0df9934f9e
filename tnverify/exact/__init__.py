"""Tier 2: exact objects and witnesses over Q, Z and GF(p) (python-flint, sympy).

The representation and the algorithms are kept apart, as in sympy's ``polys/matrices``:

* :mod:`~tnverify.exact.fields` -- :class:`Field` (``Q``, ``Z``, ``GF(p)``), :func:`parse_field`;
* :mod:`~tnverify.exact.arrays` -- exact arrays: :func:`as_exact_array`, :func:`integer_rows`,
  :func:`reduce_mod`, :func:`to_fmpq_mat`;
* :mod:`~tnverify.exact.rank` -- :func:`rank` with pivots, a nonzero minor and an upper-bound
  witness (:class:`RankResult`), :func:`hadamard_log2`;
* :mod:`~tnverify.exact.solve` -- :func:`det`, :func:`nullspace`, :func:`solve`, :func:`nonzero_minor`;
* :mod:`~tnverify.exact.tensor` -- flattenings (:func:`flatten`, one documented index order);
* :mod:`~tnverify.exact.io` -- reading exact arrays from untrusted files.

Exact numbers are read and written by :mod:`tnverify.numbers`; primes come from the one prime
module :mod:`tnverify.numeric.modp`, whose :func:`is_prime` and :func:`random_prime`
are re-exported here; ranks mod p are :func:`tnverify.numeric.modp.rank` and
:func:`tnverify.numeric.modp.rank_profile`. See docs/architecture.md for the tiers and README.md, "Exact ranks with witnesses".
"""
from tnverify.exact.arrays import as_exact_array, as_exact_matrix, integer_rows, reduce_mod, to_fmpq_mat
from tnverify.exact.fields import Field, Q, Z, parse_field
from tnverify.exact.rank import RankResult, hadamard_log2, rank
from tnverify.exact.solve import det, nonzero_minor, nullspace, solve
from tnverify.exact.tensor import flatten
from tnverify.numeric.modp import is_prime, random_prime

__all__ = [
    "Field", "Q", "Z", "parse_field",
    "as_exact_array", "as_exact_matrix", "integer_rows", "reduce_mod", "to_fmpq_mat",
    "RankResult", "rank", "hadamard_log2",
    "det", "nullspace", "solve", "nonzero_minor",
    "flatten",
    "is_prime", "random_prime",
]
