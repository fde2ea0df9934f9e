"""Benchmark of the COV identifiability criterion against the plain Terracini route.

Ours: :func:`tnverify.theory.cov.cov_identifiability` on 6 x 6 x 6 at the largest rank it
decides (r = 13, the largest r with 16 r < 216), then the independent checker on its
certificate. Baseline, side by side: the plain Terracini route, which builds the same Jacobian
and takes its rank with python-flint's ``nmod_mat.rank`` -- it proves only that sigma_13 has the
expected dimension, not identifiability (the contact locus and the span of the points are the
criterion's extra steps).
"""
from __future__ import annotations

from tnverify.bench import case, row, timeit


def _terracini(n: int, r: int, seed: int = 0) -> int:
    import flint

    from tnverify.numeric.modp import pick_prime
    from tnverify.theory import jacobian as J

    spec = J.cp_spec([n, n, n], r)
    p = pick_prime(seed)
    M = J.build(spec, p, J.random_parameters(spec, p, seed)).matrix
    return flint.nmod_mat(M.shape[0], M.shape[1], M.ravel().tolist(), p).rank()


def _case(n: int, target_s: float, repeat: int):
    from tnverify.checker import check
    from tnverify.theory.cov import cov_identifiability, cov_max_rank

    r = cov_max_rank([n, n, n])
    ours_s, res = timeit(lambda: cov_identifiability([n, n, n], r), repeat)
    check_s, verdict = timeit(lambda: check(res.certificate.to_dict()) if res.certificate else None, 1)
    base_s, br = timeit(lambda: _terracini(n, r), 1)
    ok = res.status == "proved" and verdict is not None and verdict.ok
    note = (f"rank {r}: {res.status} ({verdict.status if verdict else 'no certificate'}, check {check_s:.2f} s); "
            f"Terracini rank {br} = {r} x {3 * n - 2}: {br == r * (3 * n - 2)} (dimension only)")
    return row(f"cov-identifiable-{n}x{n}x{n}-r{r}", "COV: Terracini + contact locus + span, mod p", ours_s,
               "Jacobian, flint nmod_mat.rank", base_s, f"<= {target_s} s", ok and ours_s + check_s <= target_s, note)


@case("cov-identifiability", "identifiability")
def _bench_cov(repeat, quick):
    return [_case(4 if quick else 6, 60.0, repeat)]
