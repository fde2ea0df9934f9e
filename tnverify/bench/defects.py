"""Benchmarks of the defect certificates and Koszul-Young bounds, beside the plain Terracini route.

* ``defect-certificate``: dim sigma_R of a defective format proved by Terracini + equations
  (:mod:`tnverify.theory.defects`) and checked: 3 x 3 x 11 at R = 7 (99 ambient dimensions,
  unbalanced: dim 91), S^4(C^5) at R = 14 (70, Alexander-Hirschowitz: a hypersurface) and 3 x 4 x 4
  at R = 5 (48, Abo-Ottaviani-Peterson: dim 44). The baseline is the plain Terracini route (the
  Jacobian lower bound, the parameter count and one border-rank flattening), which cannot close
  the gap.
* ``koszul-3xnxn``: the border rank of a random 3 x n x n integer tensor bounded below by the
  Strassen-Koszul flattening (and checked); the baseline is the generic rank of the format by the
  Terracini route (a statement about generic tensors, not about the tensor at hand).
"""
from __future__ import annotations

from tnverify.bench import case, row, timeit


def _defect_case(blocks, R: int, truth: int, target_s: float, repeat: int):
    from tnverify.checker import check
    from tnverify.theory import terracini as G

    def ours():
        res = G.secant_dimension(blocks=blocks, rank=R, tries=1)
        return res, check(res.certificate.to_dict())

    ours_s, (res, verdict) = timeit(ours, repeat)
    base_s, base = timeit(lambda: G.format_dimension(G.J.partial_spec(blocks, R), tries=1, defects=False), 1)
    ok = res.status == "proved" and res.dim == truth and verdict.ok
    name = G.J.format_name(blocks)
    note = (f"dim sigma_{R} = {res.dim} ({res.status}, checker {verdict.status}), ambient {res.ambient}; "
            f"plain Terracini: [{base.lower}, {base.upper}] {base.status}; {res.upper_source}")
    return row(f"defect-{name}-R{R}", "Terracini + equations + checker", ours_s, "Terracini + parameter count",
               base_s, f"<= {target_s} s, proved", ok and ours_s <= target_s, note)


@case("defect-certificate", "defects")
def _bench_defect(repeat, quick):
    if quick:
        return [_defect_case([(2, 1)] * 4, 3, 14, 5.0, repeat)]
    return [_defect_case([(3, 1), (3, 1), (11, 1)], 7, 91, 10.0, repeat),
            _defect_case([(5, 4)], 14, 69, 10.0, repeat), _defect_case([(3, 1), (4, 1), (4, 1)], 5, 44, 10.0, repeat)]


def _koszul_case(n: int, target_s: float, repeat: int):
    import numpy as np

    from tnverify.checker import check
    from tnverify.theory.koszul import border_rank_lower
    from tnverify.theory.terracini import generic_rank

    T = np.random.default_rng(n).integers(-9, 10, (3, n, n))

    def ours():
        res = border_rank_lower(T)
        return res, check(res.certificate.to_dict())

    ours_s, (res, verdict) = timeit(ours, repeat)
    base_s, g = timeit(lambda: generic_rank([3, n, n], tries=1), 1)
    want = -(-3 * n // 2)
    ok = res.lower == want and verdict.ok
    note = (f"border rank >= {res.lower} (checker {verdict.status}; Strassen: ceil(3n/2) = {want}); "
            f"generic rank of 3x{n}x{n} by Terracini: {g.generic_rank} ({g.status})")
    return row(f"koszul-3x{n}x{n}", "Koszul flattening + checker", ours_s, "generic rank by Terracini", base_s,
               f"<= {target_s} s", ok and ours_s <= target_s, note)


@case("koszul-3xnxn", "defects")
def _bench_koszul(repeat, quick):
    sizes = (5,) if quick else (5, 10, 15)
    return [_koszul_case(n, 10.0, repeat) for n in sizes]
