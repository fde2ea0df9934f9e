"""The theorem registry and the instance runner.

A *theorem* is a registered function ``fn(**params) -> Outcome`` with a name, a
one-line statement, a literature reference and a declared set of parameters. An
*instance* is a TOML file (one per theorem instance, a folder per paper in
``proofs_checks/``)::

    [claim]
    theorem = "matrix-rank"                       # a registry name
    statement = "The 16 x 16 Vandermonde matrix on 1..16 has rank 16 over Q"
    source = "Vandermonde determinant (classical)"
    expect = "proved"                             # proved|refuted|probable|unknown|numerical
    slow = false                                  # optional: only with --runslow

    [params]                                      # the theorem's parameters
    matrix = "vandermonde"
    n = 16

    [expected]                                    # optional: values from the literature
    rank = 16

``run_instance`` runs the theorem, sends its certificate through the independent
checker, and compares status and values with the instance. An outcome counts as
``proved`` or ``refuted`` only when the checker VERIFIED its certificate.
"""
from __future__ import annotations

import inspect
import time
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from tnverify.errors import InputError, TnverifyError, UnknownNameError

__all__ = ["Outcome", "Theorem", "theorem", "registry", "load_instance", "run_instance", "InstanceResult",
           "STATUSES", "find_instances"]

STATUSES = ("proved", "refuted", "probable", "unknown", "numerical")
#: The outcome of an instance whose [params] the theorem rejects (exit code 2, not a failure).
BAD_INPUT = "bad input"

CLAIM_FIELDS = {"theorem", "statement", "source", "expect", "slow"}
REQUIRED_CLAIM = ("theorem", "statement", "source", "expect")


@dataclass
class Outcome:
    """What a theorem function returns.

    ``status`` is one of :data:`STATUSES`; ``values`` are the computed quantities
    (e.g. ``{"rank": 16, "lower": 16, "upper": 16}``) that instances may pin in
    ``[expected]``; ``certificate`` (a :class:`tnverify.certificate.Certificate` or
    dict) is required for ``proved`` and ``refuted``; ``message`` is one readable
    line of mathematics.
    """

    status: str
    values: dict = field(default_factory=dict)
    certificate: object = None
    message: str = ""


@dataclass
class Theorem:
    name: str
    statement: str
    reference: str
    fn: Callable
    params: dict  # name -> default (inspect.Parameter.empty when required)


_REGISTRY: dict[str, Theorem] = {}
_loaded = False


def theorem(name: str, *, statement: str, reference: str):
    """Register ``fn(**params) -> Outcome`` as the theorem ``name``."""

    def deco(fn):
        sig = inspect.signature(fn)
        params = {k: p.default for k, p in sig.parameters.items()}
        _REGISTRY[name] = Theorem(name, statement, reference, fn, params)
        return fn

    return deco


def registry() -> dict[str, Theorem]:
    """All registered theorems (family modules are imported on first use)."""
    global _loaded
    if not _loaded:
        from tnverify.theorems import cp, kruskal, networks, ranks, terracini  # noqa: F401  (each registers)
        _loaded = True
    return _REGISTRY


@dataclass
class Instance:
    path: Path
    theorem: str
    statement: str
    source: str
    expect: str
    slow: bool
    params: dict
    expected: dict

    @property
    def id(self) -> str:
        parts = self.path.with_suffix("").parts
        return "/".join(parts[-2:])


def load_instance(path) -> Instance:
    """Parse and validate an instance TOML file (data only; nothing is evaluated)."""
    p = Path(path)
    where = str(p)
    if not p.is_file():
        raise InputError(f"{where}: expected an instance TOML file, it does not exist")
    try:
        data = tomllib.loads(p.read_text())
    except tomllib.TOMLDecodeError as e:
        raise InputError(f"{where}: expected valid TOML, got: {e}") from None
    extra = set(data) - {"claim", "params", "expected"}
    if extra:
        raise InputError(f"{where}: unknown table(s) {sorted(extra)} (expected [claim], [params], [expected])")
    claim = data.get("claim")
    if not isinstance(claim, dict):
        raise InputError(f"{where}: missing the [claim] table")
    for k in REQUIRED_CLAIM:
        if k not in claim:
            raise InputError(f"{where}: [claim] is missing the field {k!r}")
    unknown = set(claim) - CLAIM_FIELDS
    if unknown:
        raise InputError(f"{where}: [claim] has unknown field(s) {sorted(unknown)} (valid: {sorted(CLAIM_FIELDS)})")
    if claim["expect"] not in STATUSES:
        raise InputError(f"{where}: [claim].expect must be one of {'/'.join(STATUSES)}, got {claim['expect']!r}")
    reg = registry()
    name = claim["theorem"]
    if not isinstance(name, str):
        raise InputError(f"{where}: [claim].theorem must be a theorem name (a string), got {name!r}")
    if name not in reg:
        err = UnknownNameError("theorem", name, reg)
        raise InputError(f"{where}: [claim].theorem: {err}") from None
    params = data.get("params", {})
    valid = reg[name].params
    bad = [k for k in params if k not in valid]
    if bad:
        raise InputError(f"{where}: [params]: theorem {name!r} takes no parameter {bad[0]!r} "
                         f"(valid: {', '.join(valid) or 'none'})")
    missing = [k for k, d in valid.items() if d is inspect.Parameter.empty and k not in params]
    if missing:
        raise InputError(f"{where}: [params]: theorem {name!r} needs {', '.join(missing)}")
    slow = claim.get("slow", False)
    if not isinstance(slow, bool):
        raise InputError(f"{where}: [claim].slow must be true or false, got {slow!r}")
    return Instance(p, name, str(claim["statement"]), str(claim["source"]), claim["expect"], slow,
                    dict(params), dict(data.get("expected", {})))


def find_instances(paths) -> list[Path]:
    """Instance files under the given files or folders (TOML files with a [claim] table)."""
    out = []
    for path in paths:
        p = Path(path)
        if p.is_dir():
            for f in sorted(p.rglob("*.toml")):
                if f.name != "pyproject.toml" and "[claim]" in f.read_text():
                    out.append(f)
        elif p.is_file():
            out.append(p)
        else:
            raise InputError(f"expected an instance file or folder, got {str(p)!r}, which does not exist")
    return out


@dataclass
class InstanceResult:
    """The outcome of one instance run: what was expected, what was obtained, the checker's word."""

    id: str
    path: str
    theorem: str
    statement: str
    source: str
    expect: str
    got: str
    passed: bool
    seconds: float
    values: dict = field(default_factory=dict)
    expected: dict = field(default_factory=dict)
    verdict: str | None = None
    certificate: str | None = None
    message: str = ""
    params: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return dict(self.__dict__)


def run_instance(path, emit_dir=None, cert_path=None) -> InstanceResult:
    """Run one instance: theorem, checker, comparison with ``expect`` and ``[expected]``.

    Input errors in the instance file raise :class:`InputError`. When the theorem rejects
    the ``[params]`` values (an :class:`InputError`, including a budget overrun, or a
    ``TypeError``/``ValueError`` from a value of the wrong type) the result is
    :data:`BAD_INPUT` (exit code 2). Other tnverify errors raised by the theorem are reported
    as a failed instance with their message.
    """
    from tnverify import certificate as C
    from tnverify.checker import check

    inst = load_instance(path)
    thm = registry()[inst.theorem]
    t0 = time.perf_counter()
    res = InstanceResult(inst.id, str(inst.path), inst.theorem, inst.statement, inst.source, inst.expect,
                         "error", False, 0.0, expected=inst.expected, params=inst.params)
    try:
        out = thm.fn(**inst.params)
    except (InputError, TypeError, ValueError) as e:  # [params] the theorem rejects: the file is at fault
        res.got = BAD_INPUT
        res.seconds = time.perf_counter() - t0
        res.message = f"[params]: {e}" if isinstance(e, InputError) else (
            f"[params]: theorem {inst.theorem!r} failed on these values; check their types ({type(e).__name__}: {e})")
        return res
    except TnverifyError as e:
        res.seconds = time.perf_counter() - t0
        res.message = f"{type(e).__name__}: {e}"
        return res
    res.values = _jsonable(out.values)
    res.message = out.message
    got = out.status
    if out.certificate is not None:
        cert = out.certificate.to_dict() if isinstance(out.certificate, C.Certificate) else out.certificate
        cert.setdefault("claim", {}).update({"statement": inst.statement, "source": inst.source,
                                              "theorem": inst.theorem, "status": out.status,
                                              "params": _jsonable(inst.params)})
        v = check(cert)
        res.verdict = v.status
        cert["claim"]["values"] = res.values
        cert["claim"]["verdict"] = v.status
        if emit_dir is not None or cert_path is not None:
            dest = Path(cert_path) if cert_path else Path(emit_dir) / f"{inst.id.replace('/', '__')}.json"
            C.write(cert, dest)
            res.certificate = str(dest)
        if not v.ok:
            res.message = f"checker: {v.status}: {v.message}"
            if got in ("proved", "refuted"):
                got = "unknown"
    elif got in ("proved", "refuted"):
        res.message = "no certificate for a proved/refuted outcome; reported as unknown"
        got = "unknown"
    res.got = got
    res.seconds = time.perf_counter() - t0
    unknown = sorted(k for k in inst.expected if k not in res.values)
    if unknown and got != "unknown":  # a finished run that never produces these values: the file is at fault
        res.got = BAD_INPUT
        res.message = (f"[expected]: theorem {inst.theorem!r} produces no value {', '.join(map(repr, unknown))} "
                       f"(it produces: {', '.join(sorted(res.values)) or 'none'})")
        return res
    mismatched = {k: (v, res.values.get(k)) for k, v in inst.expected.items() if res.values.get(k) != v}
    res.passed = got == inst.expect and not mismatched
    if mismatched:
        res.message = "; ".join(f"{k}: expected {a}, got {b}" for k, (a, b) in mismatched.items()) + \
            (f" | {res.message}" if res.message else "")
    return res


def _jsonable(x):
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
