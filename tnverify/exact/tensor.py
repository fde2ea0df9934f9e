"""Exact dense tensors and flattenings (matricizations).

Convention (used everywhere in tnverify, in certificates and by the checker):
the flattening ``[T]_{I,J}`` of an order-N tensor with row modes ``I`` has

* rows indexed by the C-order (row-major) multi-index over the modes of ``I``,
  **in the order given**;
* columns indexed by the C-order multi-index over the remaining modes ``J``,
  **in increasing order**.

So ``flatten(T, (2, 0))`` equals ``np.transpose(T, (2, 0) + J).reshape(n2 * n0, -1)``.
TensorLy's ``unfold(T, k)`` is ``flatten(T, (k,))``; Kolda and Bader's mode-k
unfolding uses Fortran order for the columns instead.

Its rank is the separation rank, with respect to the partition (I, J) of its
inputs, of the multilinear function whose coefficient tensor is T [1]_
(docs/grid_tensors.md, section 2), and a lower bound on the CP rank of T
(docs/mathematics.md, section 7).

References
----------
.. [1] N. Cohen, A. Shashua, "Inductive bias of deep convolutional networks
   through pooling geometry", ICLR 2017.
.. [2] T. G. Kolda, B. W. Bader, "Tensor decompositions and applications",
   SIAM Review 51(3), 2009.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from tnverify.errors import ShapeError

__all__ = ["parse_modes", "column_modes", "flatten"]


def parse_modes(spec: "str | Sequence[int] | None", order: int) -> tuple[int, ...]:
    """Validate row modes for a tensor of the given order.

    ``spec`` is ``"0,2"``, a sequence of ints, or None (mode 0 for order > 2; the
    matrix rows for order 2). Raises :class:`ShapeError` for modes out of range,
    repeated modes, or a partition with an empty side.
    """
    if spec is None:
        return (0,)
    if isinstance(spec, str):
        parts = [s for s in spec.replace(" ", "").split(",") if s != ""]
        try:
            modes = tuple(int(s) for s in parts)
        except ValueError:
            raise ShapeError(f"expected row modes as comma-separated integers like 0,2, got {spec!r}") from None
    else:
        modes = tuple(int(s) for s in spec)
    if not modes:
        raise ShapeError("expected at least one row mode, got none")
    bad = [k for k in modes if not 0 <= k < order]
    if bad:
        raise ShapeError(f"expected row modes in 0..{order - 1} for an order-{order} tensor, got {list(bad)}")
    if len(set(modes)) != len(modes):
        raise ShapeError(f"expected distinct row modes, got {list(modes)} (repeated)")
    if len(modes) == order:
        raise ShapeError(f"expected row modes leaving at least one column mode, got all {order} modes")
    return modes


def column_modes(rows: Sequence[int], order: int) -> tuple[int, ...]:
    """The column modes of a flattening: the modes not in ``rows``, increasing."""
    s = set(rows)
    return tuple(k for k in range(order) if k not in s)


def flatten(T: np.ndarray, rows: Sequence[int]) -> np.ndarray:
    """The flattening ``[T]_{rows, rest}`` (see the module docstring for the order).

    A transpose and a reshape: one copy of the prod_k n_k entries.

    Examples
    --------
    >>> T = np.arange(24).reshape(2, 3, 4)
    >>> flatten(T, (1,)).shape
    (3, 8)
    >>> int(flatten(T, (2, 0))[1 * 2 + 1, 2]) == int(T[1, 2, 1])
    True
    """
    T = np.asarray(T)
    rows = parse_modes(rows, T.ndim)
    cols = column_modes(rows, T.ndim)
    nr = int(np.prod([T.shape[k] for k in rows]))
    return np.ascontiguousarray(np.transpose(T, rows + cols).reshape(nr, -1))
