"""The fields (and the ring Z) of exact arithmetic: ``Q``, ``Z`` and ``GF(p)``.

A :class:`Field` is the *domain* of sympy's ``polys/matrices`` in miniature: it
knows its name, checks its modulus, and maps an exact array into itself
(:meth:`Field.reduce`); the algorithms of :mod:`tnverify.exact.rank` and
:mod:`tnverify.exact.solve` take arrays already in that form.

Conventions
-----------
* ``Q``: entries are ``int`` or ``Fraction``; ranks, kernels and solutions are over Q.
* ``Z``: the same entries; a rank over Z is the rank over Q (Z is an integral
  domain with fraction field Q); :func:`tnverify.exact.det` and
  :func:`tnverify.exact.solve` over Z require integers.
* ``GF(p)``: p a prime in [2, 2^63) (word-size modular arithmetic in FLINT's
  ``nmod_mat``); an entry a/b is the residue a * b^(-1) mod p, in [0, p).

Primality is decided by the ONE prime module, :mod:`tnverify.numeric.modp`
(:func:`~tnverify.numeric.modp.is_prime`, FLINT's proof of primality, not a
probable-prime test); random primes come from
:func:`~tnverify.numeric.modp.random_prime`.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from tnverify.errors import FieldError
from tnverify.exact.arrays import reduce_mod
from tnverify.numeric.modp import is_prime

__all__ = ["Field", "Q", "Z", "parse_field", "MAX_MODULUS"]

#: Moduli are below this bound (word-size arithmetic mod p).
MAX_MODULUS = 2**63


@dataclass(frozen=True)
class Field:
    """A field or ring of exact arithmetic: ``Field("Q")``, ``Field("Z")`` or ``Field("GF", p)``.

    Construction checks the modulus (:meth:`check_prime`); ``str(F)`` is ``Q``,
    ``Z`` or ``GF(p)``, the name results and certificates record.
    """

    kind: str
    p: int | None = None

    def __post_init__(self) -> None:
        if self.kind == "GF":
            object.__setattr__(self, "p", self.check_prime(self.p))
        elif self.kind not in ("Q", "Z") or self.p is not None:
            raise FieldError(f"expected a field Q, Z or GF(p), got kind {self.kind!r} with modulus {self.p!r}")

    def __str__(self) -> str:
        return f"GF({self.p})" if self.kind == "GF" else self.kind

    @staticmethod
    def check_prime(p) -> int:
        """``p`` as an ``int`` when it is a prime in [2, 2^63), else :class:`~tnverify.errors.FieldError`."""
        if isinstance(p, (bool, np.bool_)) or not isinstance(p, (int, np.integer)):
            raise FieldError(f"expected a prime modulus (an integer), got {p!r}")
        p = int(p)
        if p < 2 or p >= MAX_MODULUS:
            raise FieldError(f"expected a prime modulus in [2, 2^63), got {p}")
        if not is_prime(p):
            raise FieldError(f"expected a prime modulus for GF(p), got {p}, which is not prime")
        return p

    def reduce(self, M: np.ndarray) -> np.ndarray:
        """The exact array ``M`` as an array over this field.

        GF(p): the residues a * b^(-1) mod p of the entries a/b, an int64 array
        with entries in [0, p) (:func:`tnverify.exact.arrays.reduce_mod`). Q and Z:
        ``M`` itself (its entries are already rationals). O(size of M).
        """
        return reduce_mod(M, self.p) if self.kind == "GF" else M


Q = Field("Q")
Z = Field("Z")


#: The spellings of GF(p): ``GF(p)``, ``gf(p)``, ``F(p)``, ``Z/p``, ``Z/pZ`` or ``p``; p in ASCII digits.
_GF_SPELLINGS = re.compile(r"(?:GF|gf|F)\(([0-9]+)\)|Z/([0-9]+)Z?|([0-9]+)")


def parse_field(spec: "str | Field | int") -> Field:
    """Parse ``Q``/``QQ``, ``Z``/``ZZ``, ``GF(p)``/``F(p)``/``Z/p``/``Z/pZ``/``p`` into a :class:`Field`.

    The whole text must be one spelling (blanks around and inside are ignored); p is
    written in ASCII digits: ``GF(7``, ``GF(7)))``, ``GF(1_009)`` or a non-ASCII digit
    are refused.

    Raises :class:`~tnverify.errors.FieldError` for an unknown name or spelling, a
    non-prime modulus, or a modulus outside [2, 2^63).

    Examples
    --------
    >>> str(parse_field("GF(7)")), parse_field("QQ") == Q, str(parse_field("Z/5Z"))
    ('GF(7)', True, 'GF(5)')
    """
    if isinstance(spec, Field):
        return spec
    if isinstance(spec, (int, np.integer)) and not isinstance(spec, (bool, np.bool_)):
        return Field("GF", int(spec))
    s = "".join(str(spec).split())
    if s.upper() in ("Q", "QQ"):
        return Q
    if s.upper() in ("Z", "ZZ"):
        return Z
    m = _GF_SPELLINGS.fullmatch(s)
    if m is None:
        shown = repr(spec) if len(repr(spec)) <= 60 else f"{repr(spec)[:60]}..."
        raise FieldError(f"expected a field Q, Z or GF(p) with p in digits 0-9, got {shown}")
    digits = next(g for g in m.groups() if g is not None)
    if len(digits.lstrip("0")) > len(str(MAX_MODULUS)):  # beyond 2^63 whatever it is: no quadratic int()
        raise FieldError(f"expected a prime modulus in [2, 2^63), got one of {len(digits)} digits")
    return Field("GF", int(digits))
