"""Certificates: build and write the JSON that the checker verifies.

A certificate (format ``tnverify-certificate``, version 1) holds the objects (a
matrix, a tensor, a network with integer values), a list of steps, each naming a
rule of the checker's closed vocabulary with its data and hints, and the
conclusion as a list of facts (docs/certificates.md, "Format at a glance"; the
schema the checker enforces is in :mod:`tnverify.checker.kernel`). Numbers are
written by :func:`tnverify.numbers.enc`: integers are JSON integers when
|x| < 2^53 and decimal strings otherwise; rationals are ``"p/q"`` strings; no
floats ever.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from tnverify import __version__
from tnverify.errors import InputError
from tnverify.files import write_text_atomic
from tnverify.numbers import enc, no_int_digit_limit

__all__ = ["Certificate", "matrix_object", "tensor_object", "write", "dumps", "without_floats"]

FORMAT = "tnverify-certificate"
VERSION = 1


def without_floats(x):
    """``x`` with every float written as its shortest decimal text (``0.3`` -> ``"0.3"``), recursively.

    For the descriptive parts of a certificate (``claim``, ``meta``): the checker refuses JSON
    floats anywhere, so a claim that records a float parameter (a learning rate, an observed
    fraction) records its text.
    """
    if isinstance(x, float):
        return repr(x)
    if isinstance(x, dict):
        return {k: without_floats(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [without_floats(v) for v in x]
    return x


def _small_ints(A: np.ndarray) -> bool:
    """Is ``A`` a machine-integer array whose entries are all below 2^53 in absolute value?"""
    return A.dtype.kind in "iu" and (A.size == 0 or bool((A.max() < 2**53) and (A.min() > -2**53)))


def matrix_object(M) -> dict:
    """A ``matrix`` object from a 2-d exact array (machine integers below 2^53 are copied in one pass)."""
    M = np.asarray(M)
    entries = M.tolist() if _small_ints(M) else [[enc(x) for x in row] for row in M]
    return {"type": "matrix", "shape": list(M.shape), "entries": entries}


def tensor_object(T) -> dict:
    """A ``tensor`` object (C-order flat entries) from an exact array."""
    T = np.asarray(T)
    entries = T.ravel().tolist() if _small_ints(T) else [enc(x) for x in T.ravel()]
    return {"type": "tensor", "shape": list(T.shape), "entries": entries}


@dataclass
class Certificate:
    """A certificate under construction: objects, steps and conclusion facts."""

    claim: dict = field(default_factory=dict)
    objects: dict = field(default_factory=dict)
    steps: list = field(default_factory=list)
    conclusion: list = field(default_factory=list)
    meta: dict = field(default_factory=dict)

    def add_step(self, rule: str, **data) -> dict:
        """Append the step ``{"id", "rule", **data}`` (``id`` defaults to ``s<n>``) and return it.

        ``rule`` names a rule of the checker (docs/certificates.md); ``data`` holds its fields.
        """
        step = {"id": data.pop("id", f"s{len(self.steps) + 1}"), "rule": rule, **data}
        self.steps.append(step)
        return step

    def conclude(self, fact: str, subject: dict, value) -> None:
        """Append the fact ``(fact, subject, value)`` to the conclusion the checker must derive."""
        self.conclusion.append({"fact": fact, "subject": subject, "value": value})

    def merge(self, other: "Certificate", prefix: str = "") -> None:
        """Append another certificate's objects, steps and conclusion (names must not clash)."""
        for k, v in other.objects.items():
            if k in self.objects and self.objects[k] != v:
                raise InputError(f"object name clash while merging certificates: {k!r}")
            self.objects[k] = v
        for s in other.steps:
            self.steps.append({**s, "id": prefix + s["id"]})
        self.conclusion.extend(other.conclusion)

    def to_dict(self) -> dict:
        """The JSON form: format, version, claim, objects, steps, conclusion and meta (tool version)."""
        return {
            "format": FORMAT,
            "version": VERSION,
            "claim": without_floats(self.claim),
            "objects": self.objects,
            "steps": self.steps,
            "conclusion": self.conclusion,
            "meta": without_floats({"tool": "tnverify", "tool_version": __version__, **self.meta}),
        }

    def to_json(self, indent: int | None = None) -> str:
        """:meth:`to_dict` as JSON text (integers of any length; numbers already encoded by ``enc``)."""
        with no_int_digit_limit():
            return json.dumps(self.to_dict(), indent=indent)


def dumps(cert: "Certificate | dict") -> str:
    """The JSON text of a certificate, exactly as :func:`write` writes it and ``tnverify check`` reads it."""
    if isinstance(cert, Certificate):
        return cert.to_json()
    with no_int_digit_limit():
        return json.dumps(cert)


def write(cert: "Certificate | dict", path) -> Path:
    """Write a certificate to ``path`` (parent folders created), atomically.

    The file is complete or absent: a failed write leaves any earlier file at ``path`` as it was
    (:func:`tnverify.files.write_text_atomic`; it raises :class:`~tnverify.errors.InputError`).
    """
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    write_text_atomic(p, dumps(cert))
    return p
