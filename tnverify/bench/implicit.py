"""Benchmarks of the implicit-bias completion (group ``implicit``), side by side in one run.

* ``implicit-bias-vs-numpy``: gradient descent for tensor completion on a 10 x 10 x 10 tensor with a
  rank-2 integer ground truth and 30% of the entries observed, from the same start for the same
  number of steps: the jitted engine (:mod:`numba_kernels.implicit_bias`) against the same descent
  vectorised with numpy (``engine="numpy"`` of :func:`tnverify.numeric.implicit_bias.complete`,
  one gather and one one-hot product per factor and step). CP with 10 components (20000 steps, the
  default run of ``tnverify implicit-bias``) and HT with width 10 (2000 steps), both recording the
  component norms and errors every 10 steps (as the command's default). Target: ours
  <= 0.2x numpy (5 times faster), and the whole CP command's descent under 60 s. The note gives
  the largest difference between the two learned tensors (the same algorithm: rounding only).

The jitted engine shares the products of the observed entries that have a sub-multi-index in
common (a prefix trie for CP, the classes of each tree node for HT; docs/implicit_bias.md); the
numpy baseline computes them entry by entry, as a plain vectorisation does.
"""
from __future__ import annotations

import numpy as np

from tnverify.bench import case, row, timeit


def _problem(seed: int = 0):
    from tnverify.theory.implicit_bias import ground_truth, observation_mask

    truth = ground_truth((10, 10, 10), 2, seed)
    Y = truth.tensor / truth.scale
    return Y, observation_mask(Y.shape, 0.3, seed)


@case("implicit-bias-vs-numpy", "implicit")
def _bench_implicit(repeat, quick):
    from tnverify.numeric.implicit_bias import complete

    Y, mask = _problem()
    rows = []
    for model, iters in (("cp", 2000 if quick else 20000), ("ht", 200 if quick else 2000)):
        opts = dict(model=model, components=10, init_scale=1e-3 if model == "cp" else 2e-2, step=10.0, seed=0,
                    truth=Y, record_every=10)
        for engine in ("numba", "numpy"):
            complete(Y, mask, iterations=2, engine=engine, **opts)  # compile / warm up
        ours_s, ours = timeit(lambda: complete(Y, mask, iterations=iters, engine="numba", **opts), repeat)
        base_s, base = timeit(lambda: complete(Y, mask, iterations=iters, engine="numpy", **opts), max(1, repeat // 2))
        diff = float(np.max(np.abs(ours.tensor() - base.tensor())))
        ratio = ours_s / base_s
        met = ratio <= 0.2 and (model != "cp" or ours_s < 60.0)
        rows.append(row(f"implicit-{model}-10^3-R10-{iters}", f"numba gradient descent, {iters} steps", ours_s,
                        f"the same descent in numpy, {iters} steps", base_s,
                        "<= 0.2x numpy" + (", < 60 s" if model == "cp" else ""), met,
                        f"{ours_s / iters * 1e6:.1f} vs {base_s / iters * 1e6:.1f} us per step; final error "
                        f"{ours.full_error[-1]:.3g}; max |W_numba - W_numpy| = {diff:.2g}"))
    return rows
