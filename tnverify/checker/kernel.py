"""The kernel of the independent checker: parsing, numbers, facts, rules, and the one inference.

The kernel imports only the standard library and :mod:`tnverify.checker.linalg` (the single
gate to python-flint). No checker module imports another tnverify module or numba_kernels:
the checker shares no code with the prover, so a prover bug cannot hide itself in it.

The central inference, "this r x r matrix is nonsingular (mod p, or over Z)", is written once,
in :func:`check_minor`. Rule families (:mod:`tnverify.checker.families`) construct the
matrices their claims are about (a flattening, a Jacobian, a grid block computed by a forward
pass, a compound matrix) and hand their minors to it.

A certificate (version 1; docs/certificates.md, "Format at a glance") holds informational
``claim``, typed ``objects``, ``steps`` (each checked by its rule, yielding facts ``(kind,
subject, value)``) and a ``conclusion``. It is VERIFIED when every step checks and every
conclusion fact is implied by a derived fact (``-at-least`` kinds by a value at least as
large, ``-at-most`` by one at most as large, others by equality). JSON floats, NaN, Infinity
and a key repeated within one object make it MALFORMED.

Numbers: JSON integers, decimal strings ``-?[0-9]+`` (ASCII digits only) and ``"p/q"``; each
integer has at most :data:`MAX_DIGITS` digits (the prover's limit, copied: the checker imports
nothing from the prover), and since converting d digits costs O(d^2), one check may convert
at most :data:`MAX_DIGIT_WORK` in total (sum of d^2, :func:`digit_budget`).
"""
from __future__ import annotations

import contextlib
import contextvars
import itertools
import json
import re
import sys
import threading
from fractions import Fraction
from math import lcm

from tnverify.checker import linalg

FORMAT = "tnverify-certificate"
VERSIONS = (1,)
#: Largest number of entries one object (or one rebuilt matrix) may have.
MAX_ENTRIES = 50_000_000
#: Largest certificate file, in bytes.
MAX_FILE_BYTES = 2 * 1024**3
#: Most decimal digits of one integer (of a numerator, of a denominator): tnverify.numbers.MAX_DIGITS.
MAX_DIGITS = 100_000
#: Budget of one check: the sum of d^2 over the numbers of d digits it converts (ten numbers of MAX_DIGITS digits).
MAX_DIGIT_WORK = 10 * MAX_DIGITS**2
#: Numbers of at most this many digits convert in constant time and are not counted.
SHORT_DIGITS = 20

_INT_RE = re.compile(r"-?[0-9]+")  # used with fullmatch: "$" would also match before a final newline
_RAT_RE = re.compile(r"(-?[0-9]+)/([0-9]+)")


class Malformed(Exception):
    """The certificate does not follow the schema (verdict MALFORMED)."""


class CheckFailure(Exception):
    """A well-formed step that does not hold (verdict NOT VERIFIED)."""


RULES: dict = {}


def rule(name: str):
    """Register a rule checker ``fn(step, ctx) -> list of (kind, subject, value)``."""

    def deco(fn):
        if name in RULES:  # two families claiming one rule name: fail at import, never silently
            raise ImportError(f"checker rule {name!r} is registered twice")
        RULES[name] = fn
        return fn

    return deco


# ------------------------------------------------------------------ JSON, numbers
def _no_float(s):
    raise Malformed(f"JSON float {show(s)} is not allowed in an exact certificate")


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


#: Longest line of a verdict (its message, each step line) and of one value in it, in characters.
MAX_LINE, MAX_VALUE = 2000, 500


def clip(text: str, limit: int = MAX_LINE) -> str:
    """``text`` cut to at most ``limit`` characters (the note included), saying how many were left out."""
    if len(text) <= limit:
        return text
    keep = max(0, limit - len(f"... ({len(text)} more characters)"))
    return f"{text[:keep]}... ({len(text) - keep} more characters)"


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


_DIGIT_WORK: contextvars.ContextVar = contextvars.ContextVar("tnverify_checker_digit_work", default=None)


@contextlib.contextmanager
def digit_budget():
    """A fresh :data:`MAX_DIGIT_WORK` budget for the numbers converted while the block runs (one check)."""
    token = _DIGIT_WORK.set([0])
    try:
        yield
    finally:
        _DIGIT_WORK.reset(token)


def _digits(text: str, where: str) -> int:
    """``text``, already matched as ``-?[0-9]+``, as an int: within :data:`MAX_DIGITS` and the check's budget."""
    d = len(text) - text.startswith("-")
    if d > MAX_DIGITS:  # int() of a long literal takes time quadratic in its length
        raise Malformed(f"{where}: integer with {d} digits, more than the limit of {MAX_DIGITS}")
    if d > SHORT_DIGITS:
        used = _DIGIT_WORK.get()
        if used is not None:
            used[0] += d * d
            if used[0] > MAX_DIGIT_WORK:
                raise Malformed(f"{where}: the certificate's numbers are too long in total: converting them costs "
                                f"more than {MAX_DIGIT_WORK:.0e} digit operations (the sum of d^2 over numbers of "
                                f"d digits; ten numbers of {MAX_DIGITS} digits)")
    return int(text)


def _int_literal(s: str) -> int:
    if len(s) <= SHORT_DIGITS:  # the common case: constant time, nothing to count
        return int(s)
    return _digits(s, "JSON integer literal")


#: A run of more than SHORT_DIGITS digits anywhere in the text (an integer literal that needs counting).
_LONG_DIGITS = re.compile(r"[0-9]{%d}" % (SHORT_DIGITS + 1))


def loads(text: str):
    """Parse certificate text; floats/NaN/Infinity are Malformed.

    Integer literals of more than :data:`SHORT_DIGITS` digits go through :func:`_int_literal`,
    which counts their conversion work; when the text has no such run of digits at all (one
    regex scan), the JSON scanner converts every integer itself, which is several times faster.
    """
    hook = _int_literal if _LONG_DIGITS.search(text) else None
    with no_int_digit_limit():
        try:
            return json.loads(text, parse_float=_no_float, parse_constant=_no_const, parse_int=hook,
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
        if _INT_RE.fullmatch(x):  # long decimal strings rely on check() lifting the int digit limit
            return _digits(x, where)
        m = _RAT_RE.fullmatch(x)
        if m:
            a, b = _digits(m[1], where), _digits(m[2], where)
            if b == 0:
                raise Malformed(f"{where}: zero denominator in {show(x)}")
            f = Fraction(a, b)
            return f.numerator if f.denominator == 1 else f
    raise Malformed(f"{where}: expected an integer, a decimal string or 'p/q' (digits 0-9), got {show(x)}")


def integer(x, where: str, lo: int | None = None, hi: int | None = None) -> int:
    """An integer field within [lo, hi]: a JSON integer, or a decimal string (as integers beyond 2^53 are written)."""
    if isinstance(x, bool) or not isinstance(x, int):
        if isinstance(x, str) and _INT_RE.fullmatch(x):
            x = num(x, where)
        else:
            raise Malformed(f"{where}: expected an integer, got {show(x)}")
    if lo is not None and x < lo:
        raise Malformed(f"{where}: expected an integer >= {lo}, got {x}")
    if hi is not None and x > hi:
        raise Malformed(f"{where}: expected an integer <= {hi}, got {x}")
    return x


def int_list(x, where: str, lo: int = 0, hi: int | None = None, distinct: bool = True) -> list:
    """A list of integers in [lo, hi] (distinct unless told otherwise); Malformed otherwise."""
    if not isinstance(x, list):
        raise Malformed(f"{where}: expected a list of integers, got {type(x).__name__}")
    out = [integer(v, f"{where}[{i}]", lo, hi) for i, v in enumerate(x)]
    if distinct and len(set(out)) != len(out):
        raise Malformed(f"{where}: expected distinct indices, got repeats")
    return out


def field(d: dict, key: str, where: str, kind=None):
    """The value of ``key`` in the object ``d`` (of type ``kind`` when given); Malformed when missing."""
    if not isinstance(d, dict):
        raise Malformed(f"{where}: expected an object, got {type(d).__name__}")
    if key not in d:
        raise Malformed(f"{where}: missing field {key!r}")
    v = d[key]
    if kind is not None and not isinstance(v, kind):
        raise Malformed(f"{where}.{key}: expected {getattr(kind, '__name__', kind)}, got {type(v).__name__}")
    return v


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
    """A prime modulus below 2^64, proved prime by deterministic Miller-Rabin (CheckFailure if composite)."""
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

    # ---- objects
    def obj(self, name, where: str) -> dict:
        if not isinstance(name, str) or name not in self.raw:
            raise Malformed(f"{where}: unknown object {show(name)}")
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
    """Does a derived fact (or a fact that needs no step, :data:`STEPLESS`) imply (kind, subject, value)?"""
    if any(holds(ctx, kind, subject, value) for holds in STEPLESS):
        return True
    have = ctx.get(kind, subject)
    if have is None:
        return False
    if kind.endswith("-at-least"):
        return have >= value
    if kind.endswith("-at-most"):
        return have <= value
    return type(have) is type(value) and have == value  # True must not stand for 1


def parse_object(o: dict, where: str) -> dict:
    """Parse a certificate object by the parser registered for its ``type`` in :data:`OBJECT_TYPES`."""
    typ = field(o, "type", where, str)
    if typ not in OBJECT_TYPES:
        raise Malformed(f"{where}: unknown object type {show(typ)} (known: {', '.join(sorted(OBJECT_TYPES))})")
    return OBJECT_TYPES[typ](o, where)


#: Object types registered by rule families: type -> parser(o, where) -> parsed dict.
OBJECT_TYPES: dict = {}
#: Facts that hold by definition, with no step: functions (ctx, kind, subject, value) -> bool.
STEPLESS: list = []


def one_hot(d: int, M: int) -> list:
    """The template e_d of length M (built when a grid entry reads it; never an M x M table)."""
    v = [0] * M
    v[d] = 1
    return v


def clear_rows(M: list) -> list:
    """Scale each row by the lcm of its denominators (an integer matrix of the same rank and kernel over Q)."""
    out = []
    for row in M:  # entries are ints or Fractions (``num``); ``type`` is much cheaper than the ABC isinstance
        if Fraction not in set(map(type, row)):
            out.append(list(row))  # a copy: callers may eliminate in place
            continue
        m = lcm(*(x.denominator for x in row if type(x) is Fraction))
        out.append([int(x * m) for x in row])
    return out


# ------------------------------------------------------------ the one inference
_NOTES: contextvars.ContextVar = contextvars.ContextVar("tnverify_checker_notes", default=None)


@contextlib.contextmanager
def engine_notes():
    """Collect, while one step is checked, which engine computed each determinant or rank."""
    token = _NOTES.set([])
    try:
        yield _NOTES.get()
    finally:
        _NOTES.reset(token)


def note(text: str) -> None:
    """Record ``text`` (e.g. ``"det 8x8 mod 101 by python"``) on the current step's verdict line."""
    notes = _NOTES.get()
    if notes is not None:
        notes.append(text)


def minor_hint(step: dict, m: int, n: int, r: int, where: str = "step") -> tuple[list, list]:
    """The hinted ``{"rows": [...], "cols": [...]}`` of an r x r minor of an m x n matrix, validated."""
    minor = field(step, "minor", where, dict)
    rows = int_list(field(minor, "rows", f"{where}.minor"), f"{where}.minor.rows", 0, m - 1)
    cols = int_list(field(minor, "cols", f"{where}.minor"), f"{where}.minor.cols", 0, n - 1)
    if len(rows) != r or len(cols) != r:
        raise Malformed(f"{where}.minor: expected {r} rows and {r} columns, got {len(rows)} and {len(cols)}")
    if r * r > MAX_ENTRIES:
        raise Malformed(f"{where}.minor: {r} x {r} exceeds the checker limit")
    return rows, cols


def check_minor(entries_or_rows, r: int, modulus: int | None, what: str, *, residues: bool = False) -> None:
    """Check that an r x r matrix is nonsingular: the checker's one inference.

    Parameters
    ----------
    entries_or_rows : list or iterator
        The matrix, as r rows of r numbers or as r * r numbers in row-major order. Entries are
        ints or Fractions (each row is scaled by the lcm of its denominators first, a nonzero
        factor that does not change whether the determinant vanishes). An iterator (not a
        list) yields r rows of r integers, which are reduced mod p and written into the
        determinant's matrix one row at a time (:func:`linalg.det_rows_mod_p`); it needs a
        modulus.
    r : int
        The size; ``r = 0`` holds trivially (the empty determinant is 1).
    modulus : int or None
        A prime p (already checked by :func:`prime`): the determinant must be nonzero mod p.
        None: it must be nonzero over Z.
    what : str
        Where the matrix comes from, for the message: "the r x r minor {what} has determinant 0".
    residues : bool
        The caller's entries are already ints in [0, modulus) (a forward pass mod p): no
        fractions to clear and nothing to reduce, which saves two passes over r^2 entries.

    Raises
    ------
    CheckFailure
        When the determinant is 0 (mod p).

    Notes
    -----
    An integer that is nonzero mod p is nonzero, so either way the matrix is nonsingular over
    Q. The rules turn that into their facts: rank >= r of any matrix with this minor, or of a
    matrix that this one factors through (a sketch), at this point; and, the minor being a
    polynomial in the parameters that is nonzero here, on a dense Zariski-open set of them.
    The determinant comes from :mod:`tnverify.checker.linalg`; the engine is noted on the step.
    """
    if r == 0:
        return
    over = "over Z" if modulus is None else f"mod {modulus}"
    if not isinstance(entries_or_rows, list):  # an iterator of integer rows, streamed mod p
        if modulus is None:
            raise ValueError("check_minor: a stream of rows needs a modulus")
        d, engine = linalg.det_rows_mod_p(entries_or_rows, r, modulus)
        note(f"det {r}x{r} {over} by {engine}, rows streamed")
    else:
        flat = entries_or_rows
        if isinstance(flat[0], list):
            flat = list(itertools.chain.from_iterable(flat))
        if len(flat) != r * r:
            raise ValueError(f"check_minor: expected {r} x {r} entries, got {len(flat)}")
        if not residues and not set(map(type, flat)) <= {int}:
            flat = [x for row in clear_rows([flat[i * r:(i + 1) * r] for i in range(r)]) for x in row]
        d, engine = linalg.det(flat, r, modulus, reduced=residues and modulus is not None)
        note(f"det {r}x{r} {over} by {engine}")
    if d == 0:
        raise CheckFailure(f"the {r} x {r} minor {what} has determinant 0 {over} (engine: {engine})")


def rank_mod(rows: list, p: int) -> int:
    """Rank over GF(p) of the integer matrix ``rows`` (by :mod:`linalg`; the engine is noted)."""
    value, engine = linalg.rank_mod_p(rows, p)
    note(f"rank {len(rows)}x{len(rows[0]) if rows else 0} mod {p} by {engine}")
    return value


def check_k_subsets(cols: list, k: int, p: int) -> None:
    """Every k-subset of the columns ``cols`` (each reduced into [0, p)) is linearly independent mod p.

    The enumeration is :func:`linalg.first_dependent_subset`; the engine is noted on the step.
    Raises CheckFailure naming the first dependent set of columns.
    """
    bad, engine = linalg.first_dependent_subset(cols, k, p)
    note(f"{k}-subsets of {len(cols)} columns mod {p} by {engine}")
    if bad is not None:
        raise CheckFailure(f"columns {list(bad)} are linearly dependent mod {p} (engine: {engine})")
