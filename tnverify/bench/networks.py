"""Benchmarks of certified separation ranks (group ``networks``), measured side by side.

* ``separation-deep-24``: deep ConvAC, N=24, M=2, widths 2, neighbour-pooling
  tree, interleaved partition (rank 2^12 = 4096). Ours: the prover (a product point,
  docs/grid_tensors.md section 5), then the independent checker; baseline: the naive route (dense 2^24-entry tensor mod p,
  flatten, python-flint ``nmod_mat.rank``). Targets: prove <= 60 s, check <= 60 s,
  prove not slower than the naive route.
* ``separation-deep-16x8``: N=16, M=8, widths 3 (rank 3^8 = 6561); the dense
  tensor would have 8^16 entries, so there is no dense baseline (the sketched route's
  figures are in the ``checker`` group). Targets: prove <= 120 s, check <= 120 s.
* ``separation-small``: N=8, M=3, widths 2 (16) and M=3, widths 3 (81 x 81):
  prove well under a second.
* ``separation-rac-24``: depth-2 RAC, T=24, M=2, R=3, Start-End partition (a
  4096 x 4096 matricization of a grid tensor with 2^24 entries). Ours: bounds
  (min cut, boundary states) and a lower bound on sampled template sequences,
  then the checker's own forward passes; baseline: the dense matricization from
  the forward pass (in row chunks) and python-flint ``nmod_mat.rank``. Targets:
  both bounds <= 60 s, check <= 60 s.

``quick`` runs smaller sizes (N=16 / M=4) as a smoke test; its targets are scaled.
"""
from __future__ import annotations

import time

import numpy as np

from tnverify.bench import case, row, timeit

__all__: list = []


def _prove_and_check(arch, rows):
    from tnverify.checker import check
    from tnverify.theory.separation import architecture_separation

    t0 = time.perf_counter()
    res = architecture_separation(arch, rows)
    prove_s = time.perf_counter() - t0
    d = res.certificate.to_dict()
    t0 = time.perf_counter()
    v = check(d)
    return res, prove_s, time.perf_counter() - t0, v


def _route(res) -> str:
    """How the lower bound was proved: a product point (its factor ranks) or a sketch (its shape)."""
    if res.factors:
        return f"product point, {len(res.factors)} separators of ranks {'x'.join(str(r) for _, r in res.factors)}"
    return f"sketch {res.sketch_shape}"


def _naive(arch, rows, seed=0):
    """Dense grid tensor mod p at a random point (contraction of the grid network), flatten, python-flint rank."""
    from tnverify.networks.architectures import network
    from tnverify.numeric.modp import random_prime, to_nmod_mat
    from tnverify.networks.forward import network_values, random_weights
    from tnverify.networks.network import contract
    from tnverify.exact.tensor import flatten

    rng = np.random.default_rng(seed)
    p = random_prime(rng, bits=20)
    net = network(arch)
    T = contract(net.with_values(network_values(arch, random_weights(arch, rng, p), net.names)), modulus=p)
    return to_nmod_mat(flatten(T, rows), p).rank()


def _naive_grid(arch, rows, seed=0, chunk=128):
    """The dense Start-End matricization from the forward pass (row chunks), python-flint rank."""
    from tnverify.numeric.modp import random_prime, to_nmod_mat
    from tnverify.networks.forward import grid_block, random_weights

    rng = np.random.default_rng(seed)
    p = random_prime(rng, bits=20)
    W = random_weights(arch, rng, p)
    cols = [k for k in range(arch.N) if k not in rows]
    R = np.array(np.unravel_index(np.arange(arch.M[0] ** len(rows)), [arch.M[0]] * len(rows))).T
    C = np.array(np.unravel_index(np.arange(arch.M[0] ** len(cols)), [arch.M[0]] * len(cols))).T
    F = np.concatenate([grid_block(arch, W, rows, R[i:i + chunk], C, p) for i in range(0, len(R), chunk)])
    return to_nmod_mat(F, p).rank()


@case("separation-deep-24", "networks")
def _bench_deep24(repeat, quick):
    from tnverify.networks.architectures import spec
    from tnverify.networks.partitions import parse_partition

    N = 16 if quick else 24
    arch = spec("convac", N, 2, 2, tree="pairs")
    rows = parse_partition("interleaved", N)
    res, prove_s, check_s, v = _prove_and_check(arch, rows)
    base_s, base_rank = timeit(lambda: _naive(arch, rows), 1)
    lim = 60.0
    ok = res.status == "proved" and v.ok
    return [
        row(f"separation-deep-{N}-prove", f"sketched prove (rank {res.rank}, {res.status})", prove_s,
            f"dense 2^{N} tensor + flint rank ({base_rank})", base_s, f"<= {lim:.0f} s and ratio <= 1",
            ok and prove_s <= lim and (quick or prove_s <= base_s), _route(res)
            + ("; quick: ratio not a target (JIT warm-up dominates)" if quick else "")),
        row(f"separation-deep-{N}-check", f"checker ({v.status})", check_s, None, None, f"<= {lim:.0f} s",
            ok and check_s <= lim),
    ]


@case("separation-deep-16x8", "networks")
def _bench_deep16x8(repeat, quick):
    from tnverify.networks.architectures import spec
    from tnverify.networks.partitions import parse_partition

    M, w = (4, 2) if quick else (8, 3)
    arch = spec("convac", 16, M, w)
    rows = parse_partition("interleaved", 16)
    res, prove_s, check_s, v = _prove_and_check(arch, rows)
    ok = res.status == "proved" and v.ok
    return [
        row(f"separation-deep-16x{M}-prove", f"sketched prove (rank {res.rank}, {res.status})", prove_s,
            f"dense route: {M}^16 entries, infeasible", None, "<= 120 s", ok and prove_s <= 120,
            _route(res)),
        row(f"separation-deep-16x{M}-check", f"checker ({v.status})", check_s, None, None, "<= 120 s",
            ok and check_s <= 120),
    ]


@case("separation-small", "networks")
def _bench_small(repeat, quick):
    from tnverify.networks.architectures import spec
    from tnverify.networks.partitions import parse_partition
    from tnverify.theory.separation import architecture_separation

    out = []
    for w in (2, 3):
        arch = spec("convac", 8, 3, w)
        rows = parse_partition("interleaved", 8)
        ours_s, res = timeit(lambda: architecture_separation(arch, rows), max(repeat, 5))
        base_s, _ = timeit(lambda: _naive(arch, rows), max(repeat, 5))
        out.append(row(f"separation-8x3-w{w}", f"prove + certificate (rank {res.rank}, {res.status})", ours_s,
                       "dense tensor + flint rank (no certificate)", base_s, "<= 0.25 s",
                       res.status == "proved" and ours_s <= 0.25))
    return out


@case("separation-rac-24", "networks")
def _bench_rac24(repeat, quick):
    from tnverify.networks.architectures import spec
    from tnverify.networks.partitions import parse_partition

    T = 16 if quick else 24
    arch = spec("rac", T, 2, 3, shared=True, depth=2)
    rows = parse_partition("start-end", T)
    res, prove_s, check_s, v = _prove_and_check(arch, rows)
    base_s, base_rank = timeit(lambda: _naive_grid(arch, rows), 1)
    lim = 60.0
    ok = v.ok and res.status in ("proved", "unknown")
    b = ", ".join(f"{k} {x}" for k, x in res.bounds.items())
    return [
        row(f"separation-rac-{T}-prove", f"bounds [{res.lower}, {res.upper}] ({res.status})", prove_s,
            f"dense {2 ** (T // 2)}^2 matricization + flint rank ({base_rank})", base_s, f"<= {lim:.0f} s",
            ok and prove_s <= lim, f"upper bounds: {b}; block {res.sketch_shape}"),
        row(f"separation-rac-{T}-check", f"checker ({v.status})", check_s, None, None, f"<= {lim:.0f} s",
            ok and check_s <= lim),
    ]


@case("separation-relu-16x4", "networks")
def _bench_relu16(repeat, quick):
    """Deep ReLU/max-pool ConvNet, N=16, M=4 one-hot templates, widths 3, interleaved partition.

    Ours: a proved lower bound on the rank on an open set of weights (a sampled block of at most
    256 x 256 template sequences, exact forward passes, breakpoint margins), then the checker's
    own exact forward passes and margins. The dense 4^8 x 4^8 matricization has 2^32 exact entries,
    so there is no baseline. Targets: prove <= 60 s, check <= 60 s (docs/rectifier.md).
    """
    from tnverify.checker import check
    from tnverify.networks.partitions import parse_partition
    from tnverify.networks.rectifier import rect_spec
    from tnverify.theory.rectifier import rectifier_separation

    N, M, block = (8, 3, 64) if quick else (16, 4, 256)
    a = rect_spec("relu-ht", N, 3, features=M, activation="relu", pooling="max")
    rows = parse_partition("interleaved", N)
    t0 = time.perf_counter()
    res = rectifier_separation(a, rows, seed=2, attempts=1, max_block=block)
    prove_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    v = check(res.certificate.to_dict())
    check_s = time.perf_counter() - t0
    ok = v.ok and res.lower > 0
    return [
        row(f"separation-relu-{N}x{M}-prove", f"rank >= {res.lower} on an open set ({res.status})", prove_s,
            f"dense {M}^{N // 2} x {M}^{N // 2} matricization: infeasible", None, "<= 60 s",
            ok and prove_s <= 60, f"block {res.block}, least margin {res.margin}"),
        row(f"separation-relu-{N}x{M}-check", f"checker ({v.status})", check_s, None, None, "<= 60 s",
            ok and check_s <= 60),
    ]
