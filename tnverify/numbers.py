"""The one codec for exact numbers: Python values, flint values, strings and JSON.

An *exact number* in tnverify is a Python ``int`` or a :class:`fractions.Fraction` in
lowest terms whose denominator is not 1 (a rational with denominator 1 is returned
as an ``int``). Everything that enters or leaves the exact tiers passes through
this module:

* :func:`to_exact` reads ``int``, numpy integers, ``Fraction``, ``flint.fmpz``,
  ``flint.fmpq``, sympy ``Integer``/``Rational`` and the strings ``"12"``,
  ``"-3/4"``; it refuses floats (even integral ones), NaN, booleans and anything
  else with :class:`~tnverify.errors.NotExactError`;
* :func:`to_fmpq` is the way into FLINT's rationals (its inverse is
  :func:`to_exact`);
* :func:`enc` writes a number for a certificate: a JSON integer when
  ``|x| < 2^53`` (every JSON reader represents it exactly), a decimal string
  otherwise, ``"p/q"`` for a rational; never a float;
* :func:`strict_json_loads` reads JSON input with the same rules: floats, NaN
  and Infinity are refused and integer literals are limited to
  :data:`MAX_DIGITS` digits;
* :func:`parse_int` reads one decimal integer (a CLI flag, a TOML string),
  :func:`check_size` applies the limit to a number that arrived already parsed
  (a TOML integer, an entry of a pickled ``.npy`` array) and
  :func:`check_digit_runs` to a whole text before a parser that has no limit of
  its own (TOML) reads it.

Syntax, everywhere: an optional sign and ASCII digits ``0-9``, nothing else: no
``_`` separators and no other Unicode digits (Python's ``int()`` takes both); a
rational is ``p/q`` with a positive ``q`` written in digits, without blanks.

The limit, everywhere: at most :data:`MAX_DIGITS` decimal digits per integer
(per numerator and per denominator), i.e. ``|n| < 10^MAX_DIGITS``.

These are the conventions of README.md, "Certificates and the checker", and of
docs/certificates.md ("Format at a glance"). The independent checker
(``tnverify/checker/kernel.py``) has its own parser with the same rules; it
shares no code with this module by design (docs/architecture.md, "Tiers").

Cost: converting a decimal string of d digits takes O(d^2) time in CPython,
which is why every way in is limited to :data:`MAX_DIGITS` digits; Python's own
limit on int/str conversions (``sys.int_max_str_digits``) is lifted inside this
module by :func:`no_int_digit_limit`.

This module imports only the standard library and :mod:`tnverify.errors` when it
is loaded (the command line parses its flags with it before numpy is imported);
numpy, FLINT and sympy values are recognised once their modules are loaded.
"""
from __future__ import annotations

import contextlib
import json
import math
import re
import sys
import threading
from fractions import Fraction
from typing import TYPE_CHECKING

from tnverify.errors import InputError, NotExactError

if TYPE_CHECKING:  # the annotation only; flint is imported where it is used
    import flint

__all__ = ["MAX_DIGITS", "to_exact", "to_fmpq", "enc", "strict_json_loads", "no_int_digit_limit", "parse_int",
           "check_size", "check_digit_runs"]

#: Most decimal digits of one integer (of a numerator, of a denominator) read from any input.
MAX_DIGITS = 100_000
#: Integers with |x| below this bound are written as JSON integers, larger ones as strings.
JSON_SAFE = 2**53

_lock = threading.Lock()
_users = 0
_saved = 0


@contextlib.contextmanager
def no_int_digit_limit():
    """Lift Python's limit on int <-> str conversions while the block runs.

    Reference-counted under a lock, so overlapping blocks in several threads keep the
    limit lifted until the last one ends, which restores the saved value. The length
    checks against :data:`MAX_DIGITS` keep the conversions bounded.
    """
    global _users, _saved
    with _lock:
        if _users == 0:
            _saved = sys.get_int_max_str_digits()
            sys.set_int_max_str_digits(0)
        _users += 1
    try:
        yield
    finally:
        with _lock:
            _users -= 1
            if _users == 0:
                sys.set_int_max_str_digits(_saved)


def _normal(f: Fraction) -> "int | Fraction":
    return f.numerator if f.denominator == 1 else f


def _is_bool(x) -> bool:
    np = sys.modules.get("numpy")  # a numpy boolean exists only once numpy is loaded
    return isinstance(x, bool) or (np is not None and isinstance(x, np.bool_))


def _number(x) -> "int | Fraction | None":
    """``x`` as an exact number when it is a number object (not a string), else None."""
    if _is_bool(x):
        return None
    if isinstance(x, int):
        return int(x)
    if isinstance(x, Fraction):
        return _normal(x)
    np = sys.modules.get("numpy")
    if np is not None and isinstance(x, np.integer):
        return int(x)
    flint = sys.modules.get("flint")
    if flint is not None and isinstance(x, flint.fmpz):
        return int(x)
    if flint is not None and isinstance(x, flint.fmpq):
        return _normal(Fraction(int(x.p), int(x.q)))
    if getattr(x, "is_Rational", False) is True:  # sympy Integer / Rational (sympy is not imported here)
        return _normal(Fraction(int(x.p), int(x.q)))
    return None


#: ``|n| < 10^MAX_DIGITS`` holds for every n of at most this bit length (2^b < 10^MAX_DIGITS).
_SAFE_BITS = math.floor(MAX_DIGITS * math.log2(10)) - 1
_INTEGER = re.compile(r"[+-]?[0-9]+")
_RATIONAL = re.compile(r"([+-]?[0-9]+)/([0-9]+)")
#: A run of more than MAX_DIGITS digits, matched from its first character only (linear time).
_LONG_RUN = re.compile(r"(?<![0-9_])[0-9_]{%d}" % (MAX_DIGITS + 1))


def _show(s: str, limit: int = 40) -> str:
    """``repr(s)``, shortened for a one-line message."""
    return repr(s) if len(s) <= limit else f"{s[:limit]!r}... ({len(s)} characters)"


def _too_long(digits: int, where: str) -> InputError:
    return InputError(f"expected integers of at most {MAX_DIGITS} digits at {where}, got one of {digits} digits")


def _decimal(s: str, where: str) -> int:
    """A string already known to be ``[+-]?[0-9]+``, within the limit, as an int."""
    digits = len(s) - (s[0] in "+-")
    if digits > MAX_DIGITS:
        raise _too_long(digits, where)
    with no_int_digit_limit():
        return int(s)


def parse_int(text: str, where: str = "value") -> int:
    """A decimal integer: an optional sign and at most :data:`MAX_DIGITS` ASCII digits, blanks around allowed.

    Refuses what Python's ``int()`` would also take: ``_`` separators (``1_000``), other
    Unicode digits (Arabic-Indic, full-width), inner blanks. O(d^2) for d digits.

    Raises
    ------
    NotExactError
        Anything but an optional sign and ASCII digits.
    InputError
        More than :data:`MAX_DIGITS` digits.

    Examples
    --------
    >>> parse_int(" -12 ")
    -12
    """
    s = str(text).strip()
    if not _INTEGER.fullmatch(s):
        raise NotExactError(f"expected an integer (an optional sign and digits 0-9) at {where}, got {_show(str(text))}")
    return _decimal(s, where)


def check_size(x, where: str = "value") -> "int | Fraction":
    """``x`` (an int or a Fraction already parsed elsewhere) when it has at most :data:`MAX_DIGITS` digits.

    For numbers that arrive as values rather than text (a TOML integer, an entry of a
    pickled array): the same limit as for text, checked from the bit length in O(1)
    (a comparison with 10^MAX_DIGITS only when the bit length is on the edge).
    Raises :class:`~tnverify.errors.InputError` otherwise.
    """
    for n in (x.numerator, x.denominator) if isinstance(x, Fraction) else (x,):
        if n.bit_length() > _SAFE_BITS and abs(n) >= 10**MAX_DIGITS:
            raise InputError(f"expected integers of at most {MAX_DIGITS} digits at {where}, got one of about "
                             f"{int(n.bit_length() * math.log10(2)) + 1} digits")
    return x


def check_digit_runs(text: str, where: str) -> None:
    """Refuse a text with a run of more than :data:`MAX_DIGITS` digits (``_`` counted as a digit).

    A guard for parsers without a limit of their own (``tomllib`` reads an integer
    literal of any length, in quadratic time): O(len(text)), since a run is only
    measured from its first character.
    """
    m = _LONG_RUN.search(text)
    if m is not None:
        line = text.count("\n", 0, m.start()) + 1
        raise InputError(f"expected numbers of at most {MAX_DIGITS} digits in {where}, got a run of more than "
                         f"{MAX_DIGITS} digits at line {line}")


def to_exact(x, where: str = "value") -> "int | Fraction":
    """``x`` as an exact number: an ``int``, or a ``Fraction`` whose denominator is not 1.

    Parameters
    ----------
    x : int, numpy integer, Fraction, flint.fmpz, flint.fmpq, sympy Rational, or str
        Strings are decimal integers (``"-12"``) or rationals (``"3/4"``, ``"-6/8"``) in
        ASCII digits, surrounding blanks allowed (the syntax of the module docstring).
    where : str
        Where ``x`` comes from, for the error message (``"matrix entry (2, 0)"``).

    Returns
    -------
    int or Fraction

    Raises
    ------
    NotExactError
        A float (even an integral one), NaN, a boolean, a malformed string, a zero
        denominator or any other object.
    InputError
        A string with an integer of more than :data:`MAX_DIGITS` digits.

    Examples
    --------
    >>> import flint
    >>> to_exact("6/8"), to_exact("-4/2"), to_exact(flint.fmpq(3, 1))
    (Fraction(3, 4), -2, 3)
    """
    v = _number(x)
    if v is not None:
        return v
    if _is_bool(x):
        raise NotExactError(f"expected an integer or rational entry at {where}, got a boolean {x!r}")
    if isinstance(x, str):
        s = x.strip()
        if _INTEGER.fullmatch(s):
            return _decimal(s, where)
        m = _RATIONAL.fullmatch(s)
        if m is None:
            raise NotExactError(f"expected an integer or rational string like '3/4' (digits 0-9) at {where}, "
                                f"got {_show(x)}")
        a, b = _decimal(m[1], where), _decimal(m[2], where)
        if b == 0:
            raise NotExactError(f"zero denominator at {where}: {_show(x)}")
        return _normal(Fraction(a, b))
    kind = "NaN" if isinstance(x, float) and math.isnan(x) else type(x).__name__
    raise NotExactError(f"expected an integer or rational entry at {where}, got {kind} {x!r}")


def to_fmpq(x) -> "flint.fmpq":
    """``x`` (anything :func:`to_exact` reads) as a FLINT rational ``fmpq``."""
    import flint

    v = to_exact(x)
    return flint.fmpq(v.numerator, v.denominator) if isinstance(v, Fraction) else flint.fmpq(v)


def enc(x) -> "int | str":
    """Encode an exact number for JSON: ``int`` if ``|x| < 2^53``, else a decimal string; ``"p/q"`` for rationals.

    Accepts the number objects of :func:`to_exact` (not strings: a string is already
    encoded, or not a number). Raises :class:`~tnverify.errors.NotExactError` for a
    float, a boolean or any other object.

    Examples
    --------
    >>> enc(3), enc(2**60), enc(Fraction(-3, 4))
    (3, '1152921504606846976', '-3/4')
    """
    v = _number(x)
    if v is None:
        raise NotExactError(f"expected an exact number in a certificate, got {type(x).__name__} {x!r}")
    if isinstance(v, Fraction):
        with no_int_digit_limit():
            return f"{v.numerator}/{v.denominator}"
    if -JSON_SAFE < v < JSON_SAFE:
        return v
    with no_int_digit_limit():
        return str(v)


def _reject_float(s):
    raise NotExactError(f"expected integers or rational strings, got the JSON float {_show(s)}")


def _reject_constant(s):
    raise NotExactError(f"expected integers or rational strings, got the JSON constant {s}")


def _int_literal(s: str) -> int:
    return _decimal(s, "a JSON integer literal")


def strict_json_loads(text: str, *, floats: bool = False):
    """``json.loads`` that refuses floats, NaN and Infinity and integer literals over :data:`MAX_DIGITS` digits.

    Nothing is evaluated; integers come back as Python ints, rational strings stay
    strings (read them with :func:`to_exact`). Raises
    :class:`~tnverify.errors.NotExactError` for a float or a constant,
    :class:`~tnverify.errors.InputError` for an overlong literal and
    :class:`json.JSONDecodeError` for invalid JSON. ``floats=True`` reads JSON floats
    as Python floats (for numeric, not exact, input); integers keep the limit.

    Examples
    --------
    >>> strict_json_loads('{"a": [1, "3/4"]}')
    {'a': [1, '3/4']}
    """
    return json.loads(text, parse_float=float if floats else _reject_float, parse_constant=_reject_constant,
                      parse_int=_int_literal)
