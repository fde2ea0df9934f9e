"""Core of the independent checker: parsing, numbers, facts, the rule registry.

This package imports only the standard library (plus python-flint, optionally,
for large modular determinants and ranks). It never imports another tnverify
module or numba_kernels: it shares no code with the prover, so a prover bug
cannot hide itself in the checker.

A certificate (version 1) is a JSON object::

    {"format": "tnverify-certificate", "version": 1,
     "claim": {...informational...},
     "objects": {NAME: {"type": "matrix", "shape": [m, n], "entries": [[...], ...]},
                 NAME: {"type": "tensor", "shape": [...], "entries": [flat, C order]}, ...},
     "steps": [{"id": ..., "rule": RULE, ...rule data and hints...}, ...],
     "conclusion": [{"fact": KIND, "subject": {...}, "value": V}, ...]}

Each step, checked by its rule, yields facts ``(kind, subject, value)``. The
certificate is VERIFIED when every step checks and every conclusion fact is
implied by a derived fact: kinds ending in ``-at-least`` by a fact with a value
at least as large, ``-at-most`` by one at most as large, others by equality.
Numbers are JSON integers, decimal strings or ``"p/q"`` strings; JSON floats,
NaN and Infinity make a certificate MALFORMED, and so does a key repeated within
one JSON object (two readers could otherwise see two different claims).
"""
from __future__ import annotations

import contextlib
import json
import re
import sys
import threading
from fractions import Fraction

FORMAT = "tnverify-certificate"
VERSIONS = (1,)
#: Largest number of entries one object (or one rebuilt matrix) may have.
MAX_ENTRIES = 50_000_000
#: Largest certificate file, in bytes.
MAX_FILE_BYTES = 2 * 1024**3
#: Longest decimal number accepted.
MAX_DIGITS = 200_000

_INT_RE = re.compile(r"^-?[0-9]+$")
_RAT_RE = re.compile(r"^-?[0-9]+/[0-9]+$")


class Malformed(Exception):
    """The certificate does not follow the schema (verdict MALFORMED)."""


class CheckFailure(Exception):
    """A well-formed step that does not hold (verdict NOT VERIFIED)."""


RULES: dict = {}


def rule(name: str):
    """Register a rule checker ``fn(step, ctx) -> list of (kind, subject, value)``."""

    def deco(fn):
        RULES[name] = fn
        return fn

    return deco


# ------------------------------------------------------------------ JSON, numbers
def _no_float(s):
    raise Malformed(f"JSON float {s} is not allowed in an exact certificate")


def _no_const(s):
    raise Malformed(f"JSON constant {s} is not allowed in an exact certificate")


def _no_duplicates(pairs):
    """object_pairs_hook: a repeated key would let two readers see two different claims."""
    out = {}
    for k, v in pairs:
        if k in out:
            raise Malformed(f"duplicate JSON key {show(k)}")
        out[k] = v
    return out


def show(x, limit: int = 80) -> str:
    """A short, printable repr of certificate data for messages (huge integers, long strings)."""
    if isinstance(x, int) and not isinstance(x, bool) and x.bit_length() > 200:
        return f"<integer of {x.bit_length()} bits>"
    try:
        r = repr(x)
    except (ValueError, RecursionError):  # nested huge integers, deep nesting
        return f"<{type(x).__name__}>"
    return r if len(r) <= limit else f"{r[:limit]}... ({len(r)} characters)"


_digits_lock = threading.Lock()
_digits_users = 0
_digits_saved = 0


@contextlib.contextmanager
def no_int_digit_limit():
    """Lift Python's limit on int/text conversions while any check in this process runs.

    Reference-counted under a lock: overlapping checks in several threads keep the limit lifted
    until the last one ends, which then restores the saved value.
    """
    global _digits_users, _digits_saved
    with _digits_lock:
        if _digits_users == 0:
            _digits_saved = sys.get_int_max_str_digits()
            sys.set_int_max_str_digits(0)
        _digits_users += 1
    try:
        yield
    finally:
        with _digits_lock:
            _digits_users -= 1
            if _digits_users == 0:
                sys.set_int_max_str_digits(_digits_saved)


def _int_literal(s: str) -> int:
    if len(s) > MAX_DIGITS:  # int() of a long literal takes time quadratic in its length
        raise Malformed(f"integer literal with more than {MAX_DIGITS} digits")
    return int(s)


def loads(text: str):
    """Parse certificate text; floats/NaN/Infinity are Malformed."""
    with no_int_digit_limit():
        try:
            return json.loads(text, parse_float=_no_float, parse_constant=_no_const, parse_int=_int_literal,
                              object_pairs_hook=_no_duplicates)
        except json.JSONDecodeError as e:
            raise Malformed(f"not valid JSON: {e.msg} at line {e.lineno} column {e.colno}") from None
        except RecursionError:
            raise Malformed("JSON nested too deeply") from None


def num(x, where: str):
    """An exact number: int or Fraction (inside :func:`no_int_digit_limit`, as :func:`check` runs it)."""
    if isinstance(x, bool):
        raise Malformed(f"{where}: expected a number, got a boolean")
    if isinstance(x, int):
        return x
    if isinstance(x, str):
        if len(x) > MAX_DIGITS:
            raise Malformed(f"{where}: number with more than {MAX_DIGITS} characters")
        if _INT_RE.match(x):  # long decimal strings rely on check() lifting the int digit limit
            return int(x)
        if _RAT_RE.match(x):
            a, b = x.split("/")
            if int(b) == 0:
                raise Malformed(f"{where}: zero denominator in {x!r}")
            f = Fraction(int(a), int(b))
            return f.numerator if f.denominator == 1 else f
    raise Malformed(f"{where}: expected an integer, a decimal string or 'p/q', got {x!r}")


def integer(x, where: str, lo: int | None = None, hi: int | None = None) -> int:
    """An integer field within [lo, hi]: a JSON integer, or a decimal string (as integers beyond 2^53 are written)."""
    if isinstance(x, bool) or not isinstance(x, int):
        if isinstance(x, str) and _INT_RE.match(x):
            x = num(x, where)
        else:
            raise Malformed(f"{where}: expected an integer, got {show(x)}")
    if lo is not None and x < lo:
        raise Malformed(f"{where}: expected an integer >= {lo}, got {x}")
    if hi is not None and x > hi:
        raise Malformed(f"{where}: expected an integer <= {hi}, got {x}")
    return x


def int_list(x, where: str, lo: int = 0, hi: int | None = None, distinct: bool = True) -> list:
    if not isinstance(x, list):
        raise Malformed(f"{where}: expected a list of integers, got {type(x).__name__}")
    out = [integer(v, f"{where}[{i}]", lo, hi) for i, v in enumerate(x)]
    if distinct and len(set(out)) != len(out):
        raise Malformed(f"{where}: expected distinct indices, got repeats")
    return out


def field(d: dict, key: str, where: str, kind=None):
    if not isinstance(d, dict):
        raise Malformed(f"{where}: expected an object, got {type(d).__name__}")
    if key not in d:
        raise Malformed(f"{where}: missing field {key!r}")
    v = d[key]
    if kind is not None and not isinstance(v, kind):
        raise Malformed(f"{where}.{key}: expected {getattr(kind, '__name__', kind)}, got {type(v).__name__}")
    return v


def prod(xs) -> int:
    out = 1
    for x in xs:
        out *= x
    return out


# ------------------------------------------------------------------ primality
_MR_BASES = (2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41)


def is_prime(n: int) -> bool:
    """Deterministic Miller-Rabin, exact for n < 3.3e24 (bases up to 41)."""
    if n < 2:
        return False
    for q in _MR_BASES:
        if n % q == 0:
            return n == q
    if n >= 3_317_044_064_679_887_385_961_981:
        raise Malformed(f"prime {n} is too large for the checker (expected < 3.3e24)")
    d, s = n - 1, 0
    while d % 2 == 0:
        d //= 2
        s += 1
    for a in _MR_BASES:
        x = pow(a, d, n)
        if x in (1, n - 1):
            continue
        for _ in range(s - 1):
            x = x * x % n
            if x == n - 1:
                break
        else:
            return False
    return True


def prime(x, where: str) -> int:
    p = integer(x, where, 2, 2**64 - 1)
    if not is_prime(p):
        raise CheckFailure(f"{where}: {p} is not prime")
    return p


# ------------------------------------------------------------------ objects
class Ctx:
    """Checker state: parsed objects and derived facts."""

    def __init__(self, objects: dict):
        self.raw = objects
        self.cache: dict = {}
        self.facts: dict = {}
        self.lines: list = []

    # ---- objects
    def obj(self, name, where: str) -> dict:
        if not isinstance(name, str) or name not in self.raw:
            raise Malformed(f"{where}: unknown object {name!r}")
        if name not in self.cache:
            self.cache[name] = parse_object(self.raw[name], f"objects.{name}")
        return self.cache[name]

    # ---- facts
    def add(self, kind: str, subject: dict, value):
        key = (kind, canon(subject))
        old = self.facts.get(key)
        if old is None:
            self.facts[key] = value
        elif kind.endswith("-at-least"):
            self.facts[key] = max(old, value)
        elif kind.endswith("-at-most"):
            self.facts[key] = min(old, value)
        elif old != value:
            raise CheckFailure(f"contradictory facts {kind} {canon(subject)}: {old} and {value}")

    def get(self, kind: str, subject: dict):
        return self.facts.get((kind, canon(subject)))

    def require(self, kind: str, subject: dict, value, where: str):
        """Require a previously derived fact implying (kind, subject, value)."""
        if not implied(self, kind, subject, value):
            have = self.get(kind, subject)
            raise CheckFailure(
                f"{where}: needs the fact {kind} {value} for {canon(subject)}, "
                f"{'derived value is ' + str(have) if have is not None else 'not derived by any earlier step'}"
            )


def canon(subject) -> str:
    """The canonical JSON text of a fact's subject (the key under which facts are stored)."""
    with no_int_digit_limit():
        return json.dumps(subject, sort_keys=True, separators=(",", ":"))


def implied(ctx: Ctx, kind: str, subject: dict, value) -> bool:
    have = ctx.get(kind, subject)
    if kind == "rank-at-most" and set(subject) == {"matrix", "field"}:
        # the shape bounds the rank over any field, for a well-formed subject
        try:
            m, n = matrix_shape(ctx, subject["matrix"], "conclusion")
            fld = subject["field"]
            if fld != "Q":
                if not (isinstance(fld, str) and fld.startswith("GF(") and fld.endswith(")")):
                    raise Malformed(f"expected the field Q or GF(p), got {show(fld)}")
                if fld != f"GF({prime(fld[3:-1], 'conclusion.field')})":
                    raise Malformed(f"expected the field written GF(p), got {show(fld)}")
                if not is_integer_object(ctx, subject["matrix"], "conclusion"):
                    raise Malformed("a GF(p) fact needs a matrix with integer entries")
            if value >= min(m, n):
                return True
        except (Malformed, CheckFailure):
            pass
    if have is None:
        return False
    if kind.endswith("-at-least"):
        return have >= value
    if kind.endswith("-at-most"):
        return have <= value
    return type(have) is type(value) and have == value  # True must not stand for 1


def parse_object(o: dict, where: str) -> dict:
    typ = field(o, "type", where, str)
    if typ in OBJECT_TYPES:  # registered types (e.g. "network") parse their own schema
        return OBJECT_TYPES[typ](o, where)
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
            flat.extend(num(x, f"{where}.entries[{i}]") for x in row)
        return {"type": "matrix", "shape": dims, "flat": flat}
    if typ == "tensor":
        if len(dims) < 1:
            raise Malformed(f"{where}: a tensor needs a nonempty shape")
        if len(ents) != size:
            raise Malformed(f"{where}: shape {dims} needs {size} entries, got {len(ents)}")
        return {"type": "tensor", "shape": dims, "flat": [num(x, f"{where}.entries[{i}]") for i, x in enumerate(ents)]}
    raise Malformed(f"{where}: unknown object type {typ!r}")


#: Extra object types registered by rule modules: type -> parser(o, where).
OBJECT_TYPES: dict = {}


# -------------------------------------------------------------- matrix access
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
    return _flattening(ctx, matrix_ref(ref, where), where)[0]


def submatrix(ctx: Ctx, ref: dict, rows, cols, where: str) -> list:
    """Rows x cols entries of the referenced matrix (or flattening), as lists."""
    (m, n), at = _flattening(ctx, matrix_ref(ref, where), where)
    for i in rows:
        if not 0 <= i < m:
            raise Malformed(f"{where}: row index {i} outside 0..{m - 1}")
    for j in cols:
        if not 0 <= j < n:
            raise Malformed(f"{where}: column index {j} outside 0..{n - 1}")
    if len(rows) * len(cols) > MAX_ENTRIES:
        raise Malformed(f"{where}: {len(rows)} x {len(cols)} exceeds the checker limit")
    return [[at(i, j) for j in cols] for i in rows]


def full_matrix(ctx: Ctx, ref: dict, where: str) -> list:
    (m, n), _ = _flattening(ctx, matrix_ref(ref, where), where)
    return submatrix(ctx, ref, range(m), range(n), where)


def clear_rows(M: list) -> list:
    """Scale each row by the lcm of its denominators (keeps rank and kernel over Q)."""
    out = []
    for row in M:
        lcm = 1
        for x in row:
            if isinstance(x, Fraction):
                d = x.denominator
                a, b = lcm, d
                while b:
                    a, b = b, a % b
                lcm = lcm * d // a
        out.append([int(x * lcm) for x in row] if lcm != 1 else [int(x) for x in row])
    return out


def is_integer_matrix(M: list) -> bool:
    return all(isinstance(x, int) for row in M for x in row)


def is_integer_object(ctx: Ctx, ref: dict, where: str) -> bool:
    """Are ALL entries of the referenced matrix or tensor integers (so that "mod p" is defined)?"""
    o = ctx.obj(matrix_ref(ref, where)["object"], where)
    return all(isinstance(x, int) for x in o.get("flat", ()))
