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
  :data:`MAX_DIGITS` digits.

These are the conventions of README.md, "Certificates and the checker", and of
docs/certificates.md ("Format at a glance"). The independent checker
(``tnverify/checker/kernel.py``) has its own parser with the same rules; it
shares no code with this module by design (docs/architecture.md, "Tiers").

Cost: converting a decimal string of d digits takes O(d^2) time in CPython,
which is why strings and JSON literals are limited to :data:`MAX_DIGITS`
digits; Python's own limit on int/str conversions (``sys.int_max_str_digits``)
is lifted inside this module by :func:`no_int_digit_limit`.
"""
from __future__ import annotations

import contextlib
import json
import math
import sys
import threading
from fractions import Fraction

import flint
import numpy as np

from tnverify.errors import InputError, NotExactError

__all__ = ["MAX_DIGITS", "to_exact", "to_fmpq", "enc", "strict_json_loads", "no_int_digit_limit"]

#: Longest decimal integer (in characters) read from a string or a JSON literal.
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


def _number(x) -> "int | Fraction | None":
    """``x`` as an exact number when it is a number object (not a string), else None."""
    if isinstance(x, (bool, np.bool_)):
        return None
    if isinstance(x, int):
        return int(x)
    if isinstance(x, np.integer):
        return int(x)
    if isinstance(x, Fraction):
        return _normal(x)
    if isinstance(x, flint.fmpz):
        return int(x)
    if isinstance(x, flint.fmpq):
        return _normal(Fraction(int(x.p), int(x.q)))
    if getattr(x, "is_Rational", False) is True:  # sympy Integer / Rational (sympy is not imported here)
        return _normal(Fraction(int(x.p), int(x.q)))
    return None


def _decimal(s: str, where: str) -> int:
    if len(s) > MAX_DIGITS:
        raise InputError(f"expected integers of at most {MAX_DIGITS} digits at {where}, got one of {len(s)}")
    with no_int_digit_limit():
        return int(s)


def to_exact(x, where: str = "value") -> "int | Fraction":
    """``x`` as an exact number: an ``int``, or a ``Fraction`` whose denominator is not 1.

    Parameters
    ----------
    x : int, numpy integer, Fraction, flint.fmpz, flint.fmpq, sympy Rational, or str
        Strings are decimal integers (``"-12"``) or rationals (``"3/4"``, ``"-6/8"``),
        surrounding blanks allowed.
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
        A string with more than :data:`MAX_DIGITS` digits.

    Examples
    --------
    >>> to_exact("6/8"), to_exact("-4/2"), to_exact(flint.fmpq(3, 1))
    (Fraction(3, 4), -2, 3)
    """
    v = _number(x)
    if v is not None:
        return v
    if isinstance(x, (bool, np.bool_)):
        raise NotExactError(f"expected an integer or rational entry at {where}, got a boolean {x!r}")
    if isinstance(x, str):
        s = x.strip()
        num, slash, den = s.partition("/")
        try:
            a = _decimal(num, where)
            b = _decimal(den, where) if slash else 1
        except ValueError:
            raise NotExactError(
                f"expected an integer or rational string like '3/4' at {where}, got {x!r}"
            ) from None
        if b == 0:
            raise NotExactError(f"zero denominator at {where}: {x!r}")
        return _normal(Fraction(a, b))
    kind = "NaN" if isinstance(x, float) and math.isnan(x) else type(x).__name__
    raise NotExactError(f"expected an integer or rational entry at {where}, got {kind} {x!r}")


def to_fmpq(x) -> "flint.fmpq":
    """``x`` (anything :func:`to_exact` reads) as a FLINT rational ``fmpq``."""
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
    raise NotExactError(f"expected integers or rational strings, got the JSON float {s}")


def _reject_constant(s):
    raise NotExactError(f"expected integers or rational strings, got the JSON constant {s}")


def _int_literal(s: str) -> int:
    return _decimal(s, "a JSON integer literal")


def strict_json_loads(text: str):
    """``json.loads`` that refuses floats, NaN and Infinity and integer literals over :data:`MAX_DIGITS` digits.

    Nothing is evaluated; integers come back as Python ints, rational strings stay
    strings (read them with :func:`to_exact`). Raises
    :class:`~tnverify.errors.NotExactError` for a float or a constant,
    :class:`~tnverify.errors.InputError` for an overlong literal and
    :class:`json.JSONDecodeError` for invalid JSON.

    Examples
    --------
    >>> strict_json_loads('{"a": [1, "3/4"]}')
    {'a': [1, '3/4']}
    """
    return json.loads(text, parse_float=_reject_float, parse_constant=_reject_constant, parse_int=_int_literal)
