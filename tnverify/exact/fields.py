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


def parse_field(spec: "str | Field | int") -> Field:
    """Parse ``Q``/``QQ``, ``Z``/``ZZ``, ``GF(p)``/``F(p)``/``Z/p``/``p`` into a :class:`Field`.

    Raises :class:`~tnverify.errors.FieldError` for an unknown name, a non-prime
    modulus, or a modulus outside [2, 2^63).

    Examples
    --------
    >>> str(parse_field("GF(7)")), parse_field("QQ") == Q
    ('GF(7)', True)
    """
    if isinstance(spec, Field):
        return spec
    if isinstance(spec, (int, np.integer)) and not isinstance(spec, (bool, np.bool_)):
        return Field("GF", int(spec))
    s = str(spec).strip().replace(" ", "")
    if s.upper() in ("Q", "QQ"):
        return Q
    if s.upper() in ("Z", "ZZ"):
        return Z
    body = s
    for prefix in ("GF(", "gf(", "F(", "Z/"):
        if s.startswith(prefix):
            body = s[len(prefix):].rstrip(")").replace("Z", "")
            break
    try:
        p = int(body)
    except ValueError:
        raise FieldError(f"expected a field Q, Z or GF(p), got {spec!r}") from None
    return Field("GF", p)
