"""The catalog's theorem registry.

A *theorem* is a function ``fn(**params) -> Outcome`` registered with
:func:`theorem`, which declares its schema: the statement, the notion it is about
(rank, generic rank, border rank, ...), the fields its answers live in, the values
an instance may pin in ``[expected]``, and the catalog folders whose literature it
implements (keys of :data:`tnverify.theorems.references.REFERENCES`). The
annotations of its parameters are the types an instance's ``[params]`` must have.

* :mod:`tnverify.theorems.instance` reads and validates instance files (TOML, one
  per instance, a folder per paper in ``proofs_checks/``) against this schema,
  before anything runs.
* :mod:`tnverify.theorems.runner` runs an instance, sends its certificate through
  the independent checker, and compares the outcome with the instance.
* :mod:`tnverify.theorems.claims` decides "rank >= k" / "rank <= k" claims from
  proved bounds.
* The families register their theorems when this package is imported:
  :mod:`~tnverify.theorems.ranks`, :mod:`~tnverify.theorems.networks`,
  :mod:`~tnverify.theorems.kruskal`, :mod:`~tnverify.theorems.terracini`,
  :mod:`~tnverify.theorems.cp`, :mod:`~tnverify.theorems.rectifier`.

See ``docs/architecture.md`` for the tiers and ``docs/certificates.md`` for what the
checker accepts.
"""
from __future__ import annotations

import dataclasses
import inspect
import re
import types
import typing
from dataclasses import dataclass
from typing import Annotated, Callable

from tnverify.errors import UnknownNameError
from tnverify.results import FIELDS, STATUSES, Status
from tnverify.theorems.references import REFERENCES

__all__ = ["Outcome", "Theorem", "theorem", "registry", "get", "Exact", "ExactArray", "Nested"]

#: An exact number in an instance file: an integer or a ``"p/q"`` string.
Exact = int | str


@dataclass(frozen=True)
class Nested:
    """Annotation metadata: a list nested to any depth whose leaves have the type ``leaf``."""

    leaf: object


#: A matrix, tensor or factor matrix given entry by entry: nested lists of exact numbers.
ExactArray = Annotated[list, Nested(Exact)]

_GF = re.compile(r"GF\(\d+\)")


@dataclass
class Outcome:
    """What a theorem function returns.

    Attributes
    ----------
    status : tnverify.results.Status
        ``proved`` and ``refuted`` need a ``certificate``; the runner reports them
        only when the checker VERIFIES it.
    values : dict
        Computed quantities (e.g. ``{"rank": 16, "lower": 16, "upper": 16}``); their
        names are among the theorem's declared ``values``.
    certificate : Certificate or dict or None
        The :class:`tnverify.certificate.Certificate` behind the status.
    message : str
        One readable line of mathematics.
    notion : str
        What the result is about (filled from the theorem's declaration; a notion of
        :data:`tnverify.results.NOTIONS`).
    field : str
        The field of the answer, e.g. ``Q``, ``GF(7)``, ``C``, ``R``: filled from the
        declaration when the theorem declares one field, set by the theorem otherwise.
    """

    status: Status
    values: dict = dataclasses.field(default_factory=dict)
    certificate: object = None
    message: str = ""
    notion: str = ""
    field: str = ""


@dataclass(frozen=True)
class Theorem:
    """A registered theorem and its declared schema (see :func:`theorem`).

    ``params`` maps each parameter to its default (``inspect.Parameter.empty`` when
    an instance must give it); ``types`` maps it to its resolved annotation.
    """

    name: str
    statement: str
    notion: str
    fields: tuple[str, ...]
    values: tuple[str, ...]
    references: tuple[str, ...]
    fn: Callable[..., Outcome]
    params: dict
    types: dict

    def run(self, params: dict) -> Outcome:
        """Call the theorem and stamp its outcome with the declared notion and field.

        Raises ``RuntimeError`` when the outcome breaks the declaration (an unknown
        status, an undeclared value or field): a bug in the theorem, not in the input.
        """
        out = self.fn(**params)
        if out.status not in STATUSES:
            raise RuntimeError(f"theorem {self.name!r} returned the status {out.status!r}, not one of {STATUSES}")
        undeclared = sorted(set(out.values) - set(self.values))
        if undeclared:
            raise RuntimeError(f"theorem {self.name!r} returned undeclared value(s) {undeclared}; "
                               f"declare them in @theorem(values=...)")
        out.notion = self.notion
        if not out.field:
            if len(self.fields) != 1:
                raise RuntimeError(f"theorem {self.name!r} declares the fields {self.fields}: its outcome must "
                                   f"say which one it is about")
            out.field = self.fields[0]
        if not self.has_field(out.field):
            raise RuntimeError(f"theorem {self.name!r} answered over {out.field!r}, not a declared field "
                               f"{self.fields}")
        return out

    def has_field(self, name: str) -> bool:
        """Whether ``name`` is a declared field (``GF(p)`` stands for every ``GF(<prime>)``)."""
        return name in self.fields or ("GF(p)" in self.fields and _GF.fullmatch(name) is not None)


_REGISTRY: dict[str, Theorem] = {}


def theorem(name: str, *, statement: str, notion: str, fields: tuple[str, ...], values: tuple[str, ...],
            references: tuple[str, ...]) -> Callable:
    """Register ``fn(**params) -> Outcome`` as the theorem ``name``.

    Parameters
    ----------
    name : str
        The registry name an instance gives in ``[claim].theorem``.
    statement : str
        The statement, one sentence.
    notion : str
        What every result is about, e.g. ``"rank"``, ``"generic separation rank"``
        (:data:`tnverify.results.NOTIONS`).
    fields : tuple of str
        The fields the answers live in, names of :data:`tnverify.results.FIELDS`:
        ``"Q"``, ``"GF(p)"``, ``"C"``, ``"R"``.
    values : tuple of str
        Every value the theorem can produce (what ``[expected]`` may pin).
    references : tuple of str
        Keys of :data:`~tnverify.theorems.references.REFERENCES`.

    Every parameter of ``fn`` needs an annotation: :mod:`tnverify.theorems.instance`
    checks ``[params]`` against it. A registration that breaks these rules raises
    at import time.
    """
    for key in references:
        if key not in REFERENCES:
            raise UnknownNameError("reference", key, REFERENCES)
    for f in fields:
        if f not in FIELDS:
            raise UnknownNameError("field", f, FIELDS)
    if not (statement and notion and fields and values and references):
        raise TypeError(f"theorem {name!r}: statement, notion, fields, values and references must be non-empty")

    def deco(fn: Callable[..., Outcome]) -> Callable[..., Outcome]:
        if name in _REGISTRY:
            raise ValueError(f"theorem {name!r} is registered twice")
        hints = typing.get_type_hints(fn, include_extras=True)
        sig = inspect.signature(fn)
        missing = [k for k in sig.parameters if k not in hints]
        if missing:
            raise TypeError(f"theorem {name!r}: annotate the parameter(s) {', '.join(missing)}")
        _REGISTRY[name] = Theorem(name, statement, notion, tuple(fields), tuple(values), tuple(references), fn,
                                  {k: p.default for k, p in sig.parameters.items()},
                                  {k: hints[k] for k in sig.parameters})
        return fn

    return deco


def registry() -> types.MappingProxyType:
    """All registered theorems, by name (read-only)."""
    return types.MappingProxyType(_REGISTRY)


def get(name: str) -> Theorem:
    """The theorem ``name``; :class:`~tnverify.errors.UnknownNameError` lists the valid names."""
    try:
        return _REGISTRY[name]
    except KeyError:
        raise UnknownNameError("theorem", name, _REGISTRY) from None


# The families register their theorems on import (they need the names above).
from tnverify.theorems import cp, implicit_bias, koszul, kruskal, layers, learning, networks, ranks, rectifier, terracini, young  # noqa: E402,F401,E501
