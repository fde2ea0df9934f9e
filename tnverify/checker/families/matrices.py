"""The matrix and tensor objects, and the matrices a reference denotes (the flattening convention).

Object types::

    {"type": "matrix", "shape": [m, n], "entries": [[...], ...]}   (rows of numbers)
    {"type": "tensor", "shape": [n_1, ...], "entries": [...]}      (flat, C order)

A matrix reference ``REF`` is ``{"object": NAME}`` for a matrix, or ``{"object": NAME, "rows":
[modes]}`` for the flattening of a tensor: rows = C-order multi-index over the modes ``rows``
(in the order given), columns = C-order multi-index over the other modes, increasing: the one
flattening convention of docs/mathematics.md, section 10 (the prover's is
:mod:`tnverify.exact.tensor`, written separately). This module only *defines* matrices; the
rules that decide anything about them are in :mod:`tnverify.checker.rules_matrix`,
:mod:`.kruskal` and :mod:`.cp`.
"""
from __future__ import annotations

from math import prod
from operator import itemgetter

from tnverify.checker.kernel import MAX_ENTRIES, OBJECT_TYPES, Ctx, Malformed, field, int_list, integer, num


def _parse_array(o: dict, where: str) -> dict:
    """Parse a ``matrix`` or ``tensor`` object: ``{"type", "shape", "flat"}`` with exact numbers."""
    typ = o["type"]
    shape = field(o, "shape", where, list)
    dims = [integer(d, f"{where}.shape[{i}]", 1) for i, d in enumerate(shape)]
    size = prod(dims)
    if size > MAX_ENTRIES:
        raise Malformed(f"{where}: {size} entries exceed the checker limit {MAX_ENTRIES}")
    ents = field(o, "entries", where, list)
    if typ == "matrix":
        if len(dims) != 2:
            raise Malformed(f"{where}: a matrix needs a shape of length 2, got {dims}")
        if len(ents) != dims[0]:
            raise Malformed(f"{where}: shape says {dims[0]} rows, entries has {len(ents)}")
        flat = []
        for i, row in enumerate(ents):
            if not isinstance(row, list) or len(row) != dims[1]:
                raise Malformed(f"{where}.entries[{i}]: expected a row of length {dims[1]}")
            if set(map(type, row)) == {int}:  # the common case: JSON integers, already exact
                flat.extend(row)
            else:
                flat.extend(num(x, f"{where}.entries[{i}]") for x in row)
        return {"type": "matrix", "shape": dims, "flat": flat, "integral": set(map(type, flat)) <= {int}}
    if len(dims) < 1:
        raise Malformed(f"{where}: a tensor needs a nonempty shape")
    if len(ents) != size:
        raise Malformed(f"{where}: shape {dims} needs {size} entries, got {len(ents)}")
    flat = list(ents) if set(map(type, ents)) <= {int} else [num(x, f"{where}.entries[{i}]") for i, x in enumerate(ents)]
    return {"type": "tensor", "shape": dims, "flat": flat, "integral": set(map(type, flat)) <= {int}}


OBJECT_TYPES["matrix"] = OBJECT_TYPES["tensor"] = _parse_array


def matrix_ref(ref, where: str) -> dict:
    """Validate a matrix reference ``{"object": NAME}`` or ``{"object": NAME, "rows": [...]}``."""
    if not isinstance(ref, dict) or "object" not in ref:
        raise Malformed(f"{where}: expected a matrix reference {{'object': NAME, 'rows': [...]}}")
    extra = set(ref) - {"object", "rows"}
    if extra:
        raise Malformed(f"{where}: unknown keys {sorted(extra)} in a matrix reference")
    return ref


def _flattening(ctx: Ctx, ref: dict, where: str):
    """(shape, entry function (i, j) -> number) of a referenced matrix."""
    o = ctx.obj(ref["object"], where)
    if o["type"] == "matrix":
        if "rows" in ref:
            raise Malformed(f"{where}: 'rows' applies to tensors, {ref['object']!r} is a matrix")
        m, n = o["shape"]
        flat = o["flat"]
        return (m, n), (lambda i, j: flat[i * n + j])
    if o["type"] != "tensor":
        raise Malformed(f"{where}: {ref['object']!r} is a {o['type']}, not a matrix or tensor")
    shape = o["shape"]
    N = len(shape)
    rows = int_list(field(ref, "rows", where), f"{where}.rows", 0, N - 1)
    if not rows or len(rows) == N:
        raise Malformed(f"{where}.rows: both sides of the flattening must be nonempty")
    cols = [k for k in range(N) if k not in rows]
    strides = [0] * N
    s = 1
    for k in range(N - 1, -1, -1):
        strides[k] = s
        s *= shape[k]

    def split(idx, modes):
        out = 0
        for k in reversed(modes):
            idx, d = divmod(idx, shape[k])
            out += d * strides[k]
        return out

    m = prod(shape[k] for k in rows)
    n = prod(shape[k] for k in cols)
    flat = o["flat"]
    return (m, n), (lambda i, j: flat[split(i, rows) + split(j, cols)])


def matrix_shape(ctx: Ctx, ref: dict, where: str):
    """(m, n) of the referenced matrix or flattening."""
    return _flattening(ctx, matrix_ref(ref, where), where)[0]


def submatrix(ctx: Ctx, ref: dict, rows, cols, where: str) -> list:
    """Rows x cols entries of the referenced matrix (or flattening), as lists.

    Entry (i, j) of a flattening is read at the C-order offset of the split multi-indices;
    cost O(len(rows) len(cols) N) for an order-N tensor.
    """
    (m, n), at = _flattening(ctx, matrix_ref(ref, where), where)
    for i in rows:
        if not 0 <= i < m:
            raise Malformed(f"{where}: row index {i} outside 0..{m - 1}")
    for j in cols:
        if not 0 <= j < n:
            raise Malformed(f"{where}: column index {j} outside 0..{n - 1}")
    if len(rows) * len(cols) > MAX_ENTRIES:
        raise Malformed(f"{where}: {len(rows)} x {len(cols)} exceeds the checker limit")
    o = ctx.obj(ref["object"], where)
    if o["type"] == "matrix" and len(cols):  # rows of the flat list, columns picked in C
        flat, pick = o["flat"], itemgetter(*cols)
        if len(cols) == 1:
            return [[flat[i * n + cols[0]]] for i in rows]
        return [list(pick(flat[i * n:(i + 1) * n])) for i in rows]
    return [[at(i, j) for j in cols] for i in rows]


def full_matrix(ctx: Ctx, ref: dict, where: str) -> list:
    """All entries of the referenced matrix or flattening, as rows."""
    (m, n), _ = _flattening(ctx, matrix_ref(ref, where), where)
    return submatrix(ctx, ref, range(m), range(n), where)


_INT = {int}


def is_integer_matrix(M: list) -> bool:
    """Are all entries of the rows ``M`` integers?"""
    return all(set(map(type, row)) <= _INT for row in M)  # ints or Fractions (``num``): no ABC check needed


def is_integer_object(ctx: Ctx, ref: dict, where: str) -> bool:
    """Are ALL entries of the referenced matrix or tensor integers (so that "mod p" is defined)?"""
    o = ctx.obj(matrix_ref(ref, where)["object"], where)
    if "integral" in o:
        return o["integral"]
    return all(isinstance(x, int) for x in o.get("flat", ()))
