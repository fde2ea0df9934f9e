"""Running an instance: the theorem, the independent checker, the comparison with the file.

An outcome counts as ``proved`` or ``refuted`` only when the checker VERIFIED its
certificate; otherwise it is reported as ``unknown`` with the checker's message.
See ``docs/architecture.md`` (tiers) and ``docs/certificates.md`` (the checker).
"""
from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass
from pathlib import Path

from tnverify import certificate as C
from tnverify.checker import check
from tnverify.errors import InputError, TnverifyError
from tnverify.theorems import get
from tnverify.theorems.instance import Instance, load_instance

__all__ = ["InstanceResult", "run_instance", "BAD_INPUT"]

#: The outcome of an instance whose [params] the theorem rejects (exit code 2, not a failure).
BAD_INPUT = "bad input"


@dataclass
class InstanceResult:
    """The outcome of one instance run: what was expected, what was obtained, the checker's word.

    ``got`` is a status, ``error`` (the theorem raised), ``lost`` (a worker died) or
    :data:`BAD_INPUT`; ``notion`` and ``field`` say what the result is about.
    """

    id: str
    path: str
    theorem: str
    statement: str
    source: str
    expect: str
    got: str
    passed: bool
    seconds: float
    values: dict = dataclasses.field(default_factory=dict)
    expected: dict = dataclasses.field(default_factory=dict)
    verdict: str | None = None
    certificate: str | None = None
    message: str = ""
    params: dict = dataclasses.field(default_factory=dict)
    notion: str = ""
    field: str = ""

    @classmethod
    def failed(cls, inst: Instance, message: str, kind: str = "error", seconds: float = 0.0) -> InstanceResult:
        """The result of an instance that produced no outcome: ``kind`` is ``error``, ``lost`` or BAD_INPUT."""
        return cls(inst.id, str(inst.path), inst.theorem, inst.statement, inst.source, inst.expect, kind, False,
                   seconds, expected=inst.expected, message=message, params=inst.params,
                   notion=get(inst.theorem).notion)

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


def run_instance(path, emit_dir=None, cert_path=None) -> InstanceResult:
    """Run one instance: theorem, checker, comparison with ``expect`` and ``[expected]``.

    Parameters
    ----------
    path : str or Path
        The instance file (validated by :func:`~tnverify.theorems.instance.load_instance`,
        which raises :class:`~tnverify.errors.InputError` before anything runs).
    emit_dir, cert_path : str or Path, optional
        Write the certificate into this folder (named after the instance id) or to
        this file.

    Returns
    -------
    InstanceResult
        :data:`BAD_INPUT` when the theorem rejects the ``[params]`` values (an
        :class:`~tnverify.errors.InputError`, e.g. a size out of range or a budget
        overrun); ``error`` with the message for any other tnverify error.
    """
    inst = load_instance(path)
    thm = get(inst.theorem)
    t0 = time.perf_counter()
    try:
        out = thm.run(inst.params)
    except InputError as e:  # values of the right type that the theorem rejects: the file is at fault
        return InstanceResult.failed(inst, f"[params]: {e}", BAD_INPUT, time.perf_counter() - t0)
    except TnverifyError as e:
        return InstanceResult.failed(inst, f"{type(e).__name__}: {e}", "error", time.perf_counter() - t0)
    values = _jsonable(out.values)
    got, verdict, written, message = out.status, None, None, out.message
    if out.certificate is not None:
        cert = out.certificate.to_dict() if isinstance(out.certificate, C.Certificate) else out.certificate
        claim = cert.setdefault("claim", {})
        claim.update({"statement": inst.statement, "source": inst.source, "theorem": inst.theorem,
                      "status": out.status, "params": C.without_floats(_jsonable(inst.params)),
                      "values": C.without_floats(values)})
        claim.setdefault("notion", out.notion)
        claim.setdefault("field", out.field)
        v = check(C.dumps(cert))  # the text that is written: the verdict is the one `tnverify check` gives
        verdict = v.status
        claim["verdict"] = v.status
        if emit_dir is not None or cert_path is not None:
            dest = Path(cert_path) if cert_path else Path(emit_dir) / f"{inst.id.replace('/', '__')}.json"
            C.write(cert, dest)
            written = str(dest)
        if not v.ok:
            message = f"checker: {v.status}: {v.message}"
            if got in ("proved", "refuted"):
                got = "unknown"
    elif got in ("proved", "refuted"):
        message = "no certificate for a proved/refuted outcome; reported as unknown"
        got = "unknown"
    mismatched = {k: (v, values.get(k)) for k, v in inst.expected.items() if values.get(k) != v}
    if mismatched:
        message = "; ".join(f"{k}: expected {_shown(a, b)}, got {_shown(b, a)}" for k, (a, b) in mismatched.items()) + \
            (f" | {message}" if message else "")
    return InstanceResult(inst.id, str(inst.path), inst.theorem, inst.statement, inst.source, inst.expect, got,
                          got == inst.expect and not mismatched, time.perf_counter() - t0, values, inst.expected,
                          verdict, written, message, inst.params, out.notion, out.field)


def _shown(x, other) -> str:
    """``x`` as text; with its type when ``other`` is of another kind (the string "7" against the integer 7)."""
    def kind(y):
        return "boolean" if isinstance(y, bool) else "string" if isinstance(y, str) else (
            "integer" if isinstance(y, int) or hasattr(y, "__index__") else type(y).__name__)
    article = "an" if kind(x)[0] in "aeiou" else "a"
    return f"{x!r} ({article} {kind(x)})" if other is not None and kind(x) != kind(other) else str(x)


def _jsonable(x):
    """Values and parameters as JSON: numpy and flint integers as int, other objects as text."""
    if isinstance(x, dict):
        return {str(k): _jsonable(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_jsonable(v) for v in x]
    if isinstance(x, bool) or x is None or isinstance(x, (str, float)):
        return x
    try:
        return int(x)
    except (TypeError, ValueError):
        return str(x)
