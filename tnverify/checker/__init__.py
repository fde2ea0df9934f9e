"""The independent certificate checker.

``check(path_or_text_or_dict)`` returns a :class:`Verdict`: ``VERIFIED`` (every
step holds and the conclusion follows), ``NOT VERIFIED`` (a well-formed step or
the conclusion fails; the message names the step, its rule and the numbers) or
``MALFORMED`` (not JSON, or not the schema). Exit codes 0 / 1 / 2.

The checker never searches: hints in the certificate (minor indices, kernel
vectors, primes, cuts) move all search to the prover, and the checker only
re-derives. See :mod:`tnverify.checker.kernel` for the format and the one
inference (``check_minor``); :mod:`tnverify.checker.linalg` is the only module
that may use python-flint (never with ``TNVERIFY_CHECKER_PURE=1``). Each step line
of a verdict names the engine (``python`` or ``flint``) of every determinant and rank.

The rule families are imported here by name: a missing family is an ImportError
when this package is imported, never an "unknown rule" verdict at check time.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field as dc_field

from tnverify.checker import rules_matrix
from tnverify.checker.families import architecture, cp, forward, kruskal, matrices, network, rectifier, terracini
from tnverify.checker.families import defects  # after terracini, whose variety helpers it uses
from tnverify.checker.families import identifiability  # after kruskal, whose factor helpers it uses
from tnverify.checker.families.forward import ALLOW_CODE
from tnverify.checker.kernel import (
    FORMAT, MAX_FILE_BYTES, MAX_VALUE, RULES, VERSIONS, CheckFailure, Ctx, Malformed, canon, clip, digit_budget,
    engine_notes, field, implied, loads, no_int_digit_limit, show,
)

__all__ = ["Verdict", "check", "RULES", "FAMILIES"]

#: The modules that register rules (and object types), by import.
FAMILIES = (matrices, rules_matrix, architecture, cp, forward, kruskal, network, rectifier, terracini, defects,
            identifiability)


#: Exceptions that a value of the wrong type, which a schema check let through, can raise.
_ILL_TYPED = (TypeError, ValueError, KeyError, IndexError, AttributeError, ArithmeticError)


@dataclass
class Verdict:
    """Outcome of checking one certificate; the message and every line are clipped to ``kernel.MAX_LINE``."""

    status: str  # "VERIFIED" | "NOT VERIFIED" | "MALFORMED"
    message: str = ""
    lines: list = dc_field(default_factory=list)

    def __post_init__(self):
        self.message = clip(self.message)
        self.lines = [clip(ln) for ln in self.lines]

    @property
    def exit_code(self) -> int:
        return {"VERIFIED": 0, "NOT VERIFIED": 1, "MALFORMED": 2}[self.status]

    @property
    def ok(self) -> bool:
        return self.status == "VERIFIED"

    def text(self) -> str:
        """The verdict as ``c ...`` comment lines and one ``s STATUS`` line.

        Text taken from the certificate (ids, names) may hold lone surrogates, which no
        output encoding accepts: they are written as backslash escapes.
        """
        out = [f"c {ln}" for ln in self.lines]
        if self.message:
            out.append(f"c {self.message}")
        out.append(f"s {self.status}")
        return "\n".join(out).encode("utf-8", "backslashreplace").decode("utf-8")

    def to_dict(self) -> dict:
        return {"verdict": self.status, "message": self.message, "steps": self.lines}


def _load(source):
    if isinstance(source, dict):
        return source
    where = "the certificate"
    if isinstance(source, os.PathLike) or (isinstance(source, str) and not source.lstrip().startswith("{")):
        path = os.fspath(source)
        if not os.path.isfile(path):
            raise Malformed(f"no certificate file at {path!r}" + (" (it is a directory)" if os.path.isdir(path) else ""))
        size = os.path.getsize(path)
        if size > MAX_FILE_BYTES:
            raise Malformed(f"certificate of {size} bytes exceeds the limit of {MAX_FILE_BYTES}")
        try:
            with open(path, "rb") as fh:
                source = fh.read()
        except OSError as e:
            raise Malformed(f"cannot read the certificate file {path!r}: {e.strerror or e}") from None
        where = f"the certificate file {path!r}"
    if isinstance(source, (bytes, bytearray)):
        try:
            source = bytes(source).decode("utf-8")
        except UnicodeDecodeError as e:
            raise Malformed(f"{where} is not UTF-8 text: byte 0x{source[e.start]:02x} at offset {e.start}") from None
    return loads(source)


def check(source, allow_code: bool = False) -> Verdict:
    """Check a certificate given as a path, JSON text or a parsed dict.

    Python's limit on integer/text conversions is lifted while checking, so that the verdict
    never depends on that process-wide setting; the checker's own limits on numbers apply
    (:data:`~tnverify.checker.kernel.MAX_DIGITS` per number, a digit budget per check).
    ``allow_code`` lets a certificate about a user's own forward pass (object type
    ``forward``) run that code, after its SHA-256 is checked; without it such a
    certificate is MALFORMED with a message saying so.
    """
    token = ALLOW_CODE.set(bool(allow_code))
    try:
        with no_int_digit_limit(), digit_budget():
            return _check(source)
    finally:
        ALLOW_CODE.reset(token)


def _check(source) -> Verdict:
    lines: list = []
    try:
        cert = _load(source)
        if not isinstance(cert, dict):
            raise Malformed(f"expected a JSON object at the top level, got {type(cert).__name__}")
        if cert.get("format") != FORMAT:
            raise Malformed(f"expected format {FORMAT!r}, got {show(cert.get('format'))}")
        version = cert.get("version")
        if isinstance(version, bool) or version not in VERSIONS:
            raise Malformed(f"unsupported certificate version {show(version)} (supported: {VERSIONS})")
        known = {"format", "version", "claim", "objects", "steps", "conclusion", "meta"}
        extra = set(cert) - known
        if extra:
            raise Malformed(f"unknown top-level fields {show(sorted(extra))}")
        objects = field(cert, "objects", "certificate", dict)
        steps = field(cert, "steps", "certificate", list)
        conclusion = field(cert, "conclusion", "certificate", list)
        if not conclusion:
            raise Malformed("certificate.conclusion: expected at least one fact")
        ctx = Ctx(objects)
        for i, step in enumerate(steps):
            if not isinstance(step, dict):
                raise Malformed(f"steps[{i}]: expected an object")
            name = step.get("rule")
            sid = step.get("id", str(i))
            sid = sid if isinstance(sid, str) and len(sid) <= 80 else show(sid)
            if not isinstance(name, str):
                raise Malformed(f"steps[{i}] ({sid}): expected the rule name as a string, got {show(name)}")
            if name not in RULES:
                raise Malformed(f"steps[{i}] ({sid}): unknown rule {show(name)}; known rules: {', '.join(sorted(RULES))}")
            try:
                with engine_notes() as used:
                    facts = RULES[name](step, ctx)
            except CheckFailure as e:
                return Verdict("NOT VERIFIED", f"step {sid} ({name}) fails: {e}", lines)
            except Malformed as e:
                raise Malformed(f"steps[{i}] ({sid}, {name}): {e}") from None
            except _ILL_TYPED as e:
                # a value of the wrong type that a rule's schema check let through
                raise Malformed(f"steps[{i}] ({sid}, {name}): ill-typed data ({type(e).__name__}: {e})") from None
            for kind, subject, value in facts:
                ctx.add(kind, subject, value)
            lines.append(f"step {sid} ({name}): ok; " + "; ".join(
                [f"{k} {v} [{canon(s)}]" for k, s, v in facts] + used))
        for j, fact in enumerate(conclusion):
            if not isinstance(fact, dict):
                raise Malformed(f"conclusion[{j}]: expected an object, got {show(fact)}")
            kind = field(fact, "fact", f"conclusion[{j}]", str)
            subject = field(fact, "subject", f"conclusion[{j}]", dict)
            value = field(fact, "value", f"conclusion[{j}]")
            bound = kind.endswith("-at-least") or kind.endswith("-at-most")
            if bound and (isinstance(value, bool) or not isinstance(value, int)):
                raise Malformed(f"conclusion[{j}].value: a {show(kind)} fact needs an integer, got {show(value)}")
            if not isinstance(value, (int, str, list, dict)) or isinstance(value, float):
                raise Malformed(f"conclusion[{j}].value: expected an integer, a boolean or a string, got {show(value)}")
            try:
                holds = implied(ctx, kind, subject, value)
            except _ILL_TYPED as e:
                raise Malformed(f"conclusion[{j}]: ill-typed data ({type(e).__name__}: {e})") from None
            if not holds:
                have = ctx.get(kind, subject)
                return Verdict(
                    "NOT VERIFIED",
                    f"conclusion {kind} {show(value)} for {clip(canon(subject), MAX_VALUE)} does not follow from "
                    "the steps" + (f" (derived: {show(have)})" if have is not None else " (no step derives it)"),
                    lines,
                )
            lines.append(f"conclusion: {kind} {value} [{canon(subject)}]")
        return Verdict("VERIFIED", "", lines)
    except Malformed as e:
        return Verdict("MALFORMED", str(e), lines)
    except CheckFailure as e:
        return Verdict("NOT VERIFIED", str(e), lines)
    except (RecursionError, MemoryError) as e:
        return Verdict("MALFORMED", f"certificate too deep or too large to check: {type(e).__name__}", lines)
    except _ILL_TYPED as e:  # data of the wrong type outside any rule (e.g. in a subject)
        return Verdict("MALFORMED", f"ill-typed data ({type(e).__name__}: {show(str(e), 200)})", lines)
