"""Cost estimates of the engines whose modules are full: ``(bytes, operations)`` from sizes alone.

Each estimate is an upper bound up to small constants, computed as floats (``inf`` when
astronomically large) before anything is allocated; the engines compare it with the budget
(:func:`tnverify.budget.require`, docs/cli.md, "Budgets"):

* uniqueness (:mod:`tnverify.theory.uniqueness`): the compound-matrix condition
  (:func:`compound_cost`), the identifiability of a 2-layer polynomial network
  (:func:`pnn_cost`), exact Jennrich (:func:`jennrich_cost`);
* separation ranks (:mod:`tnverify.theory.separation`): the largest dense sketch the memory
  budget allows (:func:`sketch_limit`) and one attempt from the min cut (:func:`separation_cost`).
"""
from __future__ import annotations

import math

from tnverify import budget
from tnverify.theory.kruskal import kruskal_cost

__all__ = ["compound_cost", "generic_uniqueness_cost", "pnn_cost", "jennrich_cost", "sketch_limit", "separation_cost", "SKETCH_BYTES",
           "OBJECT_BYTES", "OBJECT_OPS"]

#: Bytes per entry of an object-dtype (Python integer) matrix, pointer included.
OBJECT_BYTES = 48
#: Operations charged per entry computed by object-dtype arithmetic or a Python loop.
OBJECT_OPS = 50


def compound_cost(Ix: int, Iy: int, R: int) -> tuple[float, float]:
    """``(bytes, operations)`` of the compound condition on factors of ``Ix`` and ``Iy`` rows and R columns.

    ``C2(A) (.) C2(B)`` has ``C(Ix, 2) C(Iy, 2)`` rows and ``C(R, 2)`` columns of Python
    integers, each made by object arithmetic; its rank mod p costs rows x cols x min(rows, cols).
    """
    rows, cols = budget.comb(Ix, 2) * budget.comb(Iy, 2), budget.comb(R, 2)
    entries = rows * cols
    return OBJECT_BYTES * entries, OBJECT_OPS * entries + entries * min(rows, cols)


def generic_uniqueness_cost(shape, R: int, tries: int = 2) -> tuple[float, float]:
    """``(bytes, operations)`` of the generic uniqueness of rank-R CP of a format, at ``tries`` points:
    the random factors and, for 3 modes, the compound condition with the two other factors when a
    factor can have full column rank (``I >= R``), whichever pair costs most."""
    compound = [compound_cost(*[shape[i] for i in range(3) if i != fr], R) for fr in range(3)
                if len(shape) == 3 and shape[fr] >= R] or [(0.0, 0.0)]
    return max(8.0 * sum(shape) * R, max(m for m, _ in compound)), tries * max(w for _, w in compound)


def _log2_comb(n: int, k: int) -> float:
    """log2 C(n, k) from ``math.lgamma`` (the exact integer may have millions of digits)."""
    if k < 0 or k > n:
        return 0.0
    return (math.lgamma(n + 1.0) - math.lgamma(k + 1.0) - math.lgamma(n - k + 1.0)) / math.log(2)


def _a_star(n: int, m: int, d: int) -> int:
    """``min {a <= d : C(n+a-1, a) >= m}`` (d when none): the largest group size the grouping of the modes tries."""
    if n == 1:
        return d if m > 1 else 1
    if n == 2:
        return max(1, min(d, m - 1))  # C(a + 1, a) = a + 1
    a = 1
    while a < d and budget.comb(n + a - 1, a) < m:  # grows at least like a^2 / 2: at most sqrt(2 m) steps
        a += 1
    return a


def pnn_cost(n: int, m: int, d: int, outputs: int = 1, tries: int = 2) -> tuple[float, float]:
    """``(bytes, operations)`` of :func:`tnverify.theory.uniqueness.pnn_identifiability` for n inputs, m neurons, degree d, o outputs.

    The exact ambient dimension ``o C(n+d-1, d)`` (``(log2)^2 / 64`` word operations), the
    grouping's dynamic programme (``d a* min_parts`` steps), and, ``tries`` times, the
    Veronese factor of the largest group (``C(n+a*-1, a*) x m`` Python integers) with its
    Kruskal enumeration up to ``k_max = m`` (:func:`tnverify.theory.kruskal.kruskal_cost`).
    Floats from the sizes alone.
    """
    bits = _log2_comb(n + d - 1, d) + math.log2(max(outputs, 1))
    parts = 2 if outputs > 1 else 3
    a = _a_star(n, m, d)
    rows = budget.comb(n + a - 1, a)
    k_mem, k_work = kruskal_cost(rows, m, min(m, rows) + 1) if rows < 1e300 else (math.inf, math.inf)
    memory = max(64.0 * (parts + 1) * (d + 1), OBJECT_BYTES * rows * m, k_mem)
    work = bits * bits / 64 + OBJECT_OPS * float(d) * a * (parts + 1) + tries * (OBJECT_OPS * rows * m * a + k_work)
    return memory, work


def jennrich_cost(I: int, J: int, K: int) -> tuple[float, float]:
    """``(bytes, operations)`` of :func:`tnverify.theory.uniqueness.exact_jennrich` on an ``I x J x K`` tensor (three attempts).

    Per attempt: two pencils ``T(z)`` (object arithmetic over the ``I J K`` entries), the
    characteristic polynomials and eigenvector nullspaces of ``I x I`` and ``J x J`` rational
    matrices (charged ``n^4``: n^3 operations on entries of up to n words), and the
    exact solve of the Khatri-Rao system (``I J x R``, ``R <= min(I, J)``).
    """
    R = min(I, J)
    work = 3 * (2 * OBJECT_OPS * float(I) * J * K + float(I) ** 4 + float(J) ** 4 + float(I) * J * R * R * K)
    return OBJECT_BYTES * 3 * float(I) * J * K, work


#: Bytes per entry of a dense sketched tensor while its rank is computed: the contraction's
#: int64 result and intermediates, the flattening and the float64 copy of the elimination.
SKETCH_BYTES = 64


def sketch_limit() -> int:
    """Most entries of a dense sketched tensor (or sampled block) the memory budget allows.

    ``budget.MEMORY * factor / SKETCH_BYTES`` (about 6.7e7 at the default budget; see
    :mod:`tnverify.budget`), and 2^62 when the budget is unlimited.
    """
    return int(min(budget.MEMORY * budget.factor() / SKETCH_BYTES, 2.0**62))


def separation_cost(subject, rows) -> tuple[float, float]:
    """``(bytes, operations)`` of one attempt of :func:`tnverify.theory.separation.separation`, from the min cut u alone.

    The sketched flattening is shrunk to about ``u x u`` (heights at least u per side): about
    ``min(4 u^2, sketch_limit())`` entries, contracted over the N inputs and eliminated to rank
    at most u. Used by loops (``tnverify sweep``) to bound their whole run before they start.
    """
    from tnverify.errors import BudgetError, NoNetworkError
    from tnverify.networks.architectures import network
    from tnverify.networks.forward import Arch
    from tnverify.networks.mincut import min_cut
    from tnverify.networks.overlap import CONV_FAMILIES

    try:
        net = network(subject) if isinstance(subject, Arch) else subject
    except (BudgetError, NoNetworkError):  # too many copies, or a mixed network: the shape bounds the block
        if subject.family not in CONV_FAMILIES:
            raise
        u = min(math.prod(subject.M[k] for k in rows), math.prod(m for k, m in enumerate(subject.M) if k not in rows))
        E = min(4.0 * u * u, float(sketch_limit()))
        return SKETCH_BYTES * E, E * (u + subject.N)
    fam = net.structure()
    u = min_cut(fam, tuple(sorted(rows))).value
    E = min(4.0 * u * u, float(sketch_limit()))
    return SKETCH_BYTES * E, E * (u + fam.order)
