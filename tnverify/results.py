"""What every result states: its status, its notion, its field, and its proved bounds.

README.md ("Statuses, fields and notions") fixes the vocabulary:

* a **status** (:data:`Status`): ``proved`` (the independent checker accepted a
  certificate), ``refuted`` (it accepted a certificate of the negation),
  ``probable`` (a Monte Carlo conclusion whose failure probability is stated),
  ``unknown`` (the proved bounds do not meet; both are reported) or ``numerical``
  (floating-point evidence only, never called proved);
* a **notion** (:data:`Notion`, defined in :data:`NOTIONS`): which quantity the
  result is about;
* a **field** (:data:`FIELDS`): ``Q``, ``Z``, ``GF(p)`` for a recorded prime p,
  ``R`` or ``C``.

:class:`Bounds` is the base of the result classes that report an interval
``lower <= value <= upper`` (:class:`tnverify.exact.rank.RankResult`,
:class:`tnverify.theory.kruskal.KruskalResult`,
:class:`tnverify.theory.separation.SeparationResult`,
:class:`tnverify.theory.user_forward.ForwardResult`). Lower bounds are always
proved; an upper bound is proved unless the status says ``probable``. A failed
search is never a proof of absence (docs/architecture.md, "Tiers"; the meaning of
each label: docs/mathematics.md, section 11).
"""
from __future__ import annotations

from dataclasses import dataclass, field as dc_field
from typing import Literal, get_args

__all__ = ["Status", "STATUSES", "Notion", "NOTIONS", "FIELDS", "Bounds"]

Status = Literal["proved", "refuted", "probable", "unknown", "numerical"]
#: The five statuses, in the order of :data:`Status`.
STATUSES: tuple = get_args(Status)

Notion = Literal["rank", "Kruskal rank", "CP rank", "border rank", "generic rank", "generic separation rank",
                 "essential uniqueness", "identifiability", "dimension", "moment identity",
                 "rank on a set of positive measure"]
#: Definition of every notion (the field is stated beside it, never implied).
NOTIONS: dict = {
    "rank": "rank of a matrix, or of a flattening of a tensor, over the stated field",
    "Kruskal rank": "largest k such that every k columns of the matrix are linearly independent over the field",
    "CP rank": "least number of rank-one terms whose sum is the tensor",
    "border rank": "least R such that the tensor is a limit of tensors of CP rank at most R",
    "generic rank": "rank that holds on a dense Zariski-open set of parameters of a family",
    "generic separation rank": "rank of the flattening [T]_{I,J} of a family's tensor at generic parameters, "
                               "i.e. the separation rank of the function a generic member computes",
    "essential uniqueness": "every decomposition with the same number of terms has the same rank-one terms",
    "identifiability": "the parameters are determined by the function up to its known symmetries",
    "dimension": "dimension of the image of a parametrisation (a secant variety, a tensor-network variety, a "
                 "neurovariety): the generic rank of its Jacobian (Terracini's lemma)",
    "moment identity": "an exact identity between a population moment of a network and a symmetric tensor "
                       "built from its weights (Stein's identity for Gaussian inputs)",
    "rank on a set of positive measure": "largest r such that a flattening of a rectifier network's grid tensor "
                                         "(templates fixed) has rank >= r for every weight of an open set, a set of "
                                         "positive measure; never a generic (almost every weight) statement",
}
assert set(NOTIONS) == set(get_args(Notion))
#: The fields (and the ring Z) a result can be over; ``GF(p)`` stands for ``GF(<the recorded prime>)``.
FIELDS: dict = {
    "Q": "the rational numbers",
    "Z": "the integers (ranks as over Q)",
    "GF(p)": "the prime field of the recorded prime p",
    "R": "the real numbers",
    "C": "the complex numbers",
}


@dataclass(kw_only=True)
class Bounds:
    """Proved bounds ``lower <= value <= upper`` on one notion over one field, with their status.

    Attributes
    ----------
    lower : int
        Proved lower bound.
    upper : int or None
        Upper bound: proved, or ``probable`` when ``status`` says so; None when
        there is none.
    status : Status
        ``proved`` when the bounds meet and are certified; see the module docstring.
    notion : Notion
        The quantity bounded (a key of :data:`NOTIONS`).
    field : str or tnverify.exact.fields.Field
        The field; its ``str`` is a :data:`FIELDS` name (``GF(p)`` with the prime).
    certificate : tnverify.certificate.Certificate or None
        The certificate the checker verifies, when one was built.
    seeds, primes : list of int
        Every seed and prime used, in order (recorded so that a run can be repeated).

    Subclasses add their witnesses and extend :meth:`to_dict`.
    """

    lower: int
    upper: int | None
    status: Status
    notion: Notion
    field: object
    certificate: object = None
    seeds: list = dc_field(default_factory=list)
    primes: list = dc_field(default_factory=list)

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise ValueError(f"status must be one of {STATUSES}, got {self.status!r}")
        if self.notion not in NOTIONS:
            raise ValueError(f"notion must be one of {tuple(NOTIONS)}, got {self.notion!r}")

    def to_dict(self) -> dict:
        """JSON-ready status, notion, field, bounds, seeds and primes (the certificate is not included)."""
        return {"status": self.status, "notion": self.notion, "field": str(self.field), "lower": self.lower,
                "upper": self.upper, "seeds": list(self.seeds), "primes": list(self.primes)}
