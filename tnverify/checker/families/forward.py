"""Rules about a user's own forward pass: the user's code is part of the claim.

Object type ``forward``::

    {"type": "forward", "source": "path/to/mynet.py", "function": "score", "sha256": HEX,
     "inputs": N, "features": M, "weight_shapes": {NAME: [dims]},
     "weights": {NAME: [flat C-order integers]} (a point; absent for the family)}

The checker imports the file named by ``source`` only when the caller allows it
(``check(..., allow_code=True)``, ``tnverify check --allow-code``), after checking
that its SHA-256 is the recorded one, and calls ``function(weights, inputs, p)``
(weights as nested lists mod p, inputs one-hot template vectors).

``forward-rank-at-least``
    ``{"forward": POINT, "rows": I, "modulus": p, "minor": {"rows", "cols"}, "rank": r}``:
    the r x r minor of the grid flattening [A]_{I,J}, A[d] = function(W, e_d, p),
    row index = C-order multi-index of templates over I, computed by calling the
    function; det != 0 mod p. Fact ``rank-at-least`` r for ``{"forward": POINT, "rows": I, "field": "Q"}``.
``forward-generic-from-point``
    lifts it to ``generic-rank-at-least`` for ``{"forward": FAMILY, "rows": I}``, under
    the protocol's requirement that the function is a polynomial in its weights.
``forward-shape-bound``
    ``generic-rank-at-most`` min(M^|I|, M^|J|).
"""
from __future__ import annotations

import contextvars
import hashlib
import importlib.util
from math import prod

from tnverify.checker.kernel import (
    CheckFailure, Malformed, OBJECT_TYPES, check_minor, field, int_list, integer, minor_hint, one_hot, prime, rule,
)

#: Set by :func:`tnverify.checker.check` (``allow_code=True``): may this check run the user's code?
ALLOW_CODE: contextvars.ContextVar = contextvars.ContextVar("tnverify_allow_code", default=False)
_KEYS = {"type", "source", "function", "sha256", "inputs", "features", "weight_shapes", "weights"}
#: Most calls of the user's function one minor may need.
MAX_CALLS = 4_000_000


def _parse_forward(o: dict, where: str) -> dict:
    extra = set(o) - _KEYS
    if extra:
        raise Malformed(f"{where}: unknown keys {sorted(extra)} in a forward object")
    src = field(o, "source", where, str)
    fn = field(o, "function", where, str)
    digest = field(o, "sha256", where, str)
    if len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
        raise Malformed(f"{where}.sha256: expected 64 lowercase hex digits")
    N = integer(field(o, "inputs", where), f"{where}.inputs", 2, 256)
    M = integer(field(o, "features", where), f"{where}.features", 1, 1 << 16)
    shapes = {}
    for k, s in field(o, "weight_shapes", where, dict).items():
        shapes[k] = int_list(s, f"{where}.weight_shapes.{k}", 1, 1 << 20, distinct=False)
        if not shapes[k]:
            raise Malformed(f"{where}.weight_shapes.{k}: expected a nonempty shape")
    W = None
    if "weights" in o:
        raw = field(o, "weights", where, dict)
        if set(raw) != set(shapes):
            raise Malformed(f"{where}.weights: expected the weights {sorted(shapes)}")
        W = {}
        for k, s in shapes.items():
            flat = raw[k]
            if not isinstance(flat, list) or len(flat) != prod(s):
                raise Malformed(f"{where}.weights.{k}: expected {prod(s)} integers")
            W[k] = [integer(x, f"{where}.weights.{k}") for x in flat]
    return {"type": "forward", "source": src, "function": fn, "sha256": digest, "N": N, "M": M,
            "shapes": shapes, "weights": W}


OBJECT_TYPES["forward"] = _parse_forward


def _load(o: dict):
    if not ALLOW_CODE.get():
        raise Malformed(f"this certificate's claim is about the user's code {o['function']} in {o['source']}; "
                        "checking it runs that code: pass --allow-code (allow_code=True) to trust it")
    try:
        with open(o["source"], "rb") as fh:
            data = fh.read()
    except OSError as e:
        raise Malformed(f"cannot read the forward-pass source {o['source']!r}: {e.strerror or e}") from None
    if hashlib.sha256(data).hexdigest() != o["sha256"]:
        raise CheckFailure(f"the source {o['source']!r} has changed: its SHA-256 is not the recorded one")
    spec = importlib.util.spec_from_file_location(f"_tnverify_checked_{o['sha256'][:16]}", o["source"])
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except Exception as e:
        raise CheckFailure(f"importing {o['source']!r} failed: {type(e).__name__}: {e}") from None
    fn = getattr(module, o["function"], None)
    if not callable(fn):
        raise CheckFailure(f"{o['source']!r} has no function {o['function']!r}")
    return fn


def _nested(flat, shape):
    if len(shape) == 1:
        return list(flat)
    step = prod(shape[1:])
    return [_nested(flat[i * step:(i + 1) * step], shape[1:]) for i in range(shape[0])]


def _obj(ctx, name, where, weights):
    o = ctx.obj(name, where)
    if o["type"] != "forward":
        raise Malformed(f"{where}: {name!r} is a {o['type']}, not a forward object")
    if weights and o["weights"] is None:
        raise Malformed(f"{where}: {name!r} has no weights")
    return o


def _rows(step, o):
    rows = int_list(field(step, "rows", "step"), "step.rows", 0, o["N"] - 1)
    if not rows or len(rows) == o["N"] or rows != sorted(rows):
        raise Malformed("step.rows: expected increasing inputs, both sides nonempty")
    return rows


@rule("forward-rank-at-least")
def forward_rank_at_least(step: dict, ctx) -> list:
    """``forward-rank-at-least``: the hinted minor of the user function's grid flattening is nonsingular.

    The matrix is [A]_{I,J}, A[d] = function(W, e_d, p) with W = POINT's weights mod p, row
    index the C-order multi-index of templates over I. The checker builds the r x r entries by
    calling the function (after checking its SHA-256) and hands them to ``check_minor``. These
    entries ARE the grid tensor's (mod p), so a minor nonzero mod p is nonzero over Z and the
    grid flattening has rank >= r over Q (docs/mathematics.md, section 1; docs/grid_tensors.md,
    section 6). Cost: r^2 calls of the function, then one r x r determinant mod p.
    """
    name = field(step, "forward", "step", str)
    o = _obj(ctx, name, "step.forward", True)
    rows = _rows(step, o)
    N, M = o["N"], o["M"]
    cols = [k for k in range(N) if k not in rows]
    r = integer(field(step, "rank", "step"), "step.rank", 1)
    p = prime(field(step, "modulus", "step"), "step.modulus")
    mr, mc = minor_hint(step, M ** len(rows), M ** len(cols), r)
    if r * r > MAX_CALLS:
        raise Malformed(f"step.minor: {r} x {r} calls exceed the checker limit")
    fn = _load(o)
    W = {k: _nested([x % p for x in v], o["shapes"][k]) for k, v in o["weights"].items()}

    def digits(idx, n):
        out = [0] * n
        for q in range(n - 1, -1, -1):
            idx, out[q] = divmod(idx, M)
        return out

    entries = []
    for i in mr:
        dr = digits(i, len(rows))
        for j in mc:
            dc = digits(j, len(cols))
            x = [None] * N
            for q, k in enumerate(rows):
                x[k] = one_hot(dr[q], M)
            for q, k in enumerate(cols):
                x[k] = one_hot(dc[q], M)
            try:
                y = fn(W, x, p)
            except Exception as e:
                raise CheckFailure(f"{o['function']} raised {type(e).__name__}: {e}") from None
            if isinstance(y, bool) or not isinstance(y, int):
                raise CheckFailure(f"{o['function']} returned {type(y).__name__}, not an int")
            entries.append(y % p)
    check_minor(entries, r, p, f"of the grid flattening of {o['function']}")
    return [("rank-at-least", {"forward": name, "rows": rows, "field": "Q"}, r)]


@rule("forward-generic-from-point")
def forward_generic_from_point(step: dict, ctx) -> list:
    """``forward-generic-from-point``: lifts a point's rank to generic weights of the same function.

    POINT and FAMILY must name the same file, hash, function and shapes, and the point's
    ``rank-at-least`` fact must be derived. The minor is a polynomial in the weights (the
    protocol's requirement on the function), nonzero at POINT, hence on a dense Zariski-open
    set (docs/mathematics.md, section 1). Fact: ``generic-rank-at-least`` r for the family.
    """
    pname = field(step, "point", "step", str)
    fname = field(step, "family", "step", str)
    P = _obj(ctx, pname, "step.point", True)
    F = _obj(ctx, fname, "step.family", False)
    for k in ("source", "function", "sha256", "N", "M", "shapes"):
        if P[k] != F[k]:
            raise CheckFailure(f"the point {pname!r} and the family {fname!r} differ in {k}")
    rows = _rows(step, F)
    r = integer(field(step, "rank", "step"), "step.rank", 0)
    ctx.require("rank-at-least", {"forward": pname, "rows": rows, "field": "Q"}, r, "step")
    return [("generic-rank-at-least", {"forward": fname, "rows": rows}, r)]


@rule("forward-shape-bound")
def forward_shape_bound(step: dict, ctx) -> list:
    """``forward-shape-bound``: the grid flattening is M^|I| x M^|J|, so its rank is <= the smaller side."""
    name = field(step, "forward", "step", str)
    o = _obj(ctx, name, "step.forward", False)
    rows = _rows(step, o)
    value = integer(field(step, "rank", "step"), "step.rank", 1)
    S = min(o["M"] ** len(rows), o["M"] ** (o["N"] - len(rows)))
    if S != value:
        raise CheckFailure(f"min(M^|I|, M^|J|) is {S}, not {value}")
    return [("generic-rank-at-most", {"forward": name, "rows": rows}, S)]
