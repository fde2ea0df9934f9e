"""Bipartitions (I, J) of the inputs of a network: the one parser.

A separation rank is taken with respect to a partition of the N inputs (open legs)
into I and J, both nonempty; the rows of the flattening [T]_{I,J} are indexed by the
legs of I (docs/grid_tensors.md, section 2). The named partitions of Cohen and
Shashua [1]_:

* ``interleaved`` -- I = {0, 2, 4, ...} (the odd inputs 1, 3, 5, ... of the paper,
  counted from 1);
* ``left-right`` (also ``start-end`` for a recurrent network, [2]_) -- I = {0, ..., N/2 - 1}.

References
----------
.. [1] N. Cohen, A. Shashua, "Inductive bias of deep convolutional networks through
   pooling geometry", ICLR 2017.
.. [2] Y. Levine, O. Sharir, A. Ziv, A. Shashua, "Benefits of depth for long-term
   memory of recurrent networks", 2017 (arXiv:1710.09431).
"""
from __future__ import annotations

import numpy as np

from tnverify.errors import ShapeError

__all__ = ["parse_partition"]


def parse_partition(spec, N: int) -> tuple:
    """Row legs I of a bipartition (I, J) of the N open legs, sorted.

    Parameters
    ----------
    spec : str or sequence of int
        ``interleaved``, ``left-right`` / ``start-end``, a comma list ``0,2,4,6``, or
        the legs themselves.
    N : int
        Number of open legs (inputs).

    Returns
    -------
    tuple of int
        I, sorted; J is the complement in 0..N-1.

    Raises
    ------
    ShapeError
        Non-integer legs (booleans included), legs out of range, repeats, or an
        empty side.

    Examples
    --------
    >>> parse_partition("interleaved", 6), parse_partition("left-right", 6), parse_partition([3, 1], 4)
    ((0, 2, 4), (0, 1, 2), (1, 3))
    """
    if isinstance(spec, str):
        s = spec.strip()
        if s == "interleaved":
            rows = list(range(0, N, 2))
        elif s in ("left-right", "start-end"):
            rows = list(range(N // 2))
        else:
            try:
                rows = [int(x) for x in s.split(",") if x.strip() != ""]
            except ValueError:
                raise ShapeError(f"expected a partition interleaved, left-right or a list like 0,2,4, "
                                 f"got {spec!r}") from None
    else:
        rows = list(spec)
        if not all(isinstance(x, (int, np.integer)) and not isinstance(x, (bool, np.bool_)) for x in rows):
            raise ShapeError(f"expected integer legs in the partition, got {rows}")
        rows = [int(x) for x in rows]
    bad = [k for k in rows if not 0 <= k < N]
    if bad:
        raise ShapeError(f"partition legs must be in 0..{N - 1}, got {bad}")
    if len(set(rows)) != len(rows):
        raise ShapeError(f"partition repeats legs: {sorted(rows)}")
    if not rows or len(rows) == N:
        raise ShapeError(f"both sides of the partition must be nonempty, got I={sorted(rows)} of {N} legs")
    return tuple(sorted(rows))
