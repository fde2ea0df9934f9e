"""Tier 2: exact objects and witnesses over Q, Z and GF(p) (python-flint, sympy).

``rank`` (with pivots, a nonzero minor and an upper-bound witness), ``nullspace``,
``det``, ``solve``, fields, exact arrays and flattenings. See docs/architecture.md.
"""
from tnverify.exact.rank import (  # noqa: F401
    Field, Q, RankResult, Z, as_exact_array, det, hadamard_log2, integer_rows, is_prime, nonzero_minor, nullspace,
    parse_field, random_prime, rank, reduce_mod, solve,
)
from tnverify.exact.tensor import flatten  # noqa: F401

__all__ = ["Field", "Q", "Z", "RankResult", "rank", "nonzero_minor", "nullspace", "det", "solve", "parse_field",
           "as_exact_array", "integer_rows", "reduce_mod", "flatten", "hadamard_log2", "is_prime", "random_prime"]
