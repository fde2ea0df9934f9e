"""Instance files: one TOML file per theorem instance, in a folder per paper of ``proofs_checks/``.

::

    [claim]
    theorem = "matrix-rank"                       # a registry name
    statement = "The 16 x 16 Vandermonde matrix on 1..16 has rank 16 over Q"
    source = "Vandermonde determinant (classical)"   # the theorem number in the reference
    expect = "proved"                             # proved|refuted|probable|unknown|numerical
    slow = false                                  # optional: only with --runslow

    [params]                                      # the theorem's parameters, typed
    family = "vandermonde"
    n = 16

    [expected]                                    # optional: values from the literature
    rank = 16

:func:`load_instance` validates a file against the theorem's declared schema
(:func:`tnverify.theorems.theorem`) before anything runs: every ``[params]`` value
against the parameter's annotation, every ``[expected]`` key against the declared
values, and, in this project's catalog (:data:`CATALOG`), the folder against
:data:`~tnverify.theorems.references.REFERENCES`.
Numbers follow :mod:`tnverify.numbers`: no integer of more than
:data:`~tnverify.numbers.MAX_DIGITS` digits (the text is checked before ``tomllib``
reads it, the integers after), exact numbers given as strings (``"3/4"``) in ASCII
digits, a ``field`` in a spelling of :func:`tnverify.exact.parse_field`, and a
claimed bound (``claim_at_least``, ``claim_at_most``) nonnegative.
TOML's own integer syntax (``1_000`` is the integer 1000 in TOML) is TOML's.
Each error is one line naming the file, the key, what was expected and what was
received (:class:`~tnverify.errors.InputError`, exit code 2). See
``docs/architecture.md``.
"""
from __future__ import annotations

import difflib
import inspect
import tomllib
import types
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal, Union

from tnverify.errors import FieldError, InputError, UnknownNameError
from tnverify.exact import parse_field
from tnverify.numbers import check_digit_runs, check_size, to_exact
from tnverify.results import STATUSES, Status
from tnverify.theorems import Exact, Nested, Theorem, get
from tnverify.theorems.references import REFERENCES

__all__ = ["Instance", "load_instance", "find_instances", "accepts", "describe"]

CLAIM_FIELDS = ("theorem", "statement", "source", "expect", "slow")
REQUIRED_CLAIM = ("theorem", "statement", "source", "expect")
#: Parameters that state a claimed bound on a rank: integers >= 0.
CLAIMED_BOUNDS = ("claim_at_least", "claim_at_most")


@dataclass
class Instance:
    """A validated instance file; ``id`` is ``<folder>/<file stem>``."""

    path: Path
    theorem: str
    statement: str
    source: str
    expect: Status
    slow: bool
    params: dict
    expected: dict

    @property
    def id(self) -> str:
        return f"{self.folder}/{self.path.stem}"

    @property
    def folder(self) -> str:
        """The instance's folder: in the catalog, a key of :data:`~tnverify.theorems.references.REFERENCES`."""
        return self.path.absolute().parent.name


#: This project's catalog (``proofs_checks/`` beside the package): its folders are named after their
#: reference. A user's instances, anywhere else, may sit in any folder.
CATALOG = Path(__file__).resolve().parents[2] / "proofs_checks"


def load_instance(path) -> Instance:
    """Parse and validate an instance file (data only; nothing is evaluated).

    Raises
    ------
    InputError
        One line: the file, the table and key at fault, what was expected and what
        was received.
    """
    p = Path(path)
    where = str(p)
    if not p.is_file():
        raise InputError(f"{where}: expected an instance TOML file, it does not exist")
    text = _utf8(p)
    check_digit_runs(text, where)  # tomllib reads an integer literal of any length, in quadratic time
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise InputError(f"{where}: expected valid TOML, got: {e}") from None
    for path, n in _integers(data):
        check_size(n, f"{where}: {path}")  # hexadecimal literals are not decimal digit runs
    extra = set(data) - {"claim", "params", "expected"}
    if extra:
        raise InputError(f"{where}: unknown table(s) {sorted(extra)} (expected [claim], [params], [expected])")
    claim = data.get("claim")
    if not isinstance(claim, dict):
        raise InputError(f"{where}: missing the [claim] table")
    for k in REQUIRED_CLAIM:
        if k not in claim:
            raise InputError(f"{where}: [claim] is missing the field {k!r}")
    unknown = set(claim) - set(CLAIM_FIELDS)
    if unknown:
        raise InputError(f"{where}: [claim] has unknown field(s) {sorted(unknown)} (valid: {sorted(CLAIM_FIELDS)})")
    if claim["expect"] not in STATUSES:
        raise InputError(f"{where}: [claim].expect must be one of {'/'.join(STATUSES)}, got {claim['expect']!r}")
    slow = claim.get("slow", False)
    if not isinstance(slow, bool):
        raise InputError(f"{where}: [claim].slow must be true or false, got {slow!r}")
    name = claim["theorem"]
    if not isinstance(name, str):
        raise InputError(f"{where}: [claim].theorem must be a theorem name (a string), got {name!r}")
    try:
        thm = get(name)
    except UnknownNameError as e:
        raise InputError(f"{where}: [claim].theorem: {e}") from None
    params = data.get("params", {})
    expected = data.get("expected", {})
    for table, value in (("params", params), ("expected", expected)):
        if not isinstance(value, dict):
            raise InputError(f"{where}: expected [{table}] to be a table, got {_received(value)}")
    _check_params(where, thm, params)
    for key in expected:
        if _has_float(expected[key]):
            raise InputError(f"{where}: [expected].{key}: expected an exact value (an integer, a string, a boolean "
                             f"or a list of them), got {expected[key]!r}")
        if key not in thm.values:
            raise InputError(f"{where}: [expected].{key}: theorem {name!r} produces no value {key!r} "
                             f"(expected one of: {', '.join(thm.values)})")
    inst = Instance(p, name, str(claim["statement"]), str(claim["source"]), claim["expect"], slow,
                    dict(params), dict(expected))
    if p.resolve().parent.parent == CATALOG and inst.folder not in REFERENCES:
        raise InputError(f"{where}: the folder {inst.folder!r} is not a catalog folder: expected a folder named "
                         f"after its reference, a key of tnverify.theorems.references.REFERENCES "
                         f"({', '.join(sorted(REFERENCES))})")
    return inst


def _check_params(where: str, thm: Theorem, params: dict) -> None:
    """Names, required parameters and the type of every value, against the theorem's signature."""
    bad = [k for k in params if k not in thm.params]
    if bad:
        raise InputError(f"{where}: [params]: theorem {thm.name!r} takes no parameter {bad[0]!r} "
                         f"(valid: {', '.join(thm.params) or 'none'})")
    missing = [k for k, d in thm.params.items() if d is inspect.Parameter.empty and k not in params]
    if missing:
        raise InputError(f"{where}: [params]: theorem {thm.name!r} needs {', '.join(missing)}")
    for key, value in params.items():
        ann = thm.types[key]
        if not accepts(ann, value):
            raise InputError(f"{where}: [params].{key} of theorem {thm.name!r}: expected {describe(ann)}, "
                             f"got {_received(value)}{_hint(ann, value)}")
        for text in _exact_strings(ann, value):
            to_exact(text, f"{where}: [params].{key}")
        if key == "field":
            try:
                parse_field(value)
            except FieldError as e:
                raise FieldError(f"{where}: [params].field: {e}") from None
        if key in CLAIMED_BOUNDS and value is not None and value < 0:
            raise InputError(f"{where}: [params].{key}: expected a claimed rank >= 0, got {value}")


def _integers(value, path: str = ""):
    """(path, n) for every integer in a parsed TOML document, e.g. ``("[params].n", 12)``."""
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _integers(v, f"{path}.{k}" if path else f"[{k}]")
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _integers(v, f"{path}[{i}]")
    elif isinstance(value, int) and not isinstance(value, bool):
        yield path, value


def _exact_strings(ann, value) -> list:
    """The strings of ``value`` that stand for exact numbers: leaves typed :data:`~tnverify.theorems.Exact`.

    ``value`` has the type ``ann`` (:func:`accepts`); a union takes its first member that
    accepts the value, and ``int | str`` is :data:`~tnverify.theorems.Exact` wherever it occurs.
    """
    origin = typing.get_origin(ann)
    if origin is Annotated:
        base, *meta = typing.get_args(ann)
        nested = [m for m in meta if isinstance(m, Nested)]
        if nested:
            return [t for x in _leaves(value) for t in _exact_strings(nested[0].leaf, x)]
        return _exact_strings(base, value)
    if origin in (Union, types.UnionType):
        members = typing.get_args(ann)
        if isinstance(value, str) and set(typing.get_args(Exact)) <= set(members):
            return [value]
        return next((_exact_strings(a, value) for a in members if accepts(a, value)), [])
    if origin is list:
        (elem,) = typing.get_args(ann)
        return [t for x in value for t in _exact_strings(elem, x)]
    return []


def accepts(ann, value) -> bool:
    """Whether a TOML value has the type ``ann`` (an annotation of a theorem parameter).

    Supported: ``int``, ``float`` (an integer is accepted), ``str``, ``bool``, ``list``,
    ``dict``, ``None``, ``list[X]``, ``Literal[...]``, unions, and
    ``Annotated[list, Nested(X)]`` (lists nested to any depth with leaves of type X).
    ``True`` is not an integer. Raises ``TypeError`` for any other annotation.
    """
    origin = typing.get_origin(ann)
    if origin is Annotated:
        base, *meta = typing.get_args(ann)
        nested = [m for m in meta if isinstance(m, Nested)]
        if nested:
            return isinstance(value, list) and _nested(nested[0].leaf, value)
        return accepts(base, value)
    if origin is Literal:
        return any(type(value) is type(a) and value == a for a in typing.get_args(ann))
    if origin in (Union, types.UnionType):
        return any(accepts(a, value) for a in typing.get_args(ann))
    if origin is list:
        (elem,) = typing.get_args(ann)
        return isinstance(value, list) and all(accepts(elem, x) for x in value)
    if ann is type(None):
        return value is None
    if ann is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if ann is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if ann in (bool, str, list, dict):
        return isinstance(value, ann)
    raise TypeError(f"unsupported parameter annotation {ann!r}")


def _nested(leaf, value) -> bool:
    return all(_nested(leaf, x) if isinstance(x, list) else accepts(leaf, x) for x in value)


_NAMES = {int: ("an integer", "integers"), float: ("a number", "numbers"), str: ("a string", "strings"),
          bool: ("true or false", "booleans"), list: ("a list", "lists"), dict: ("a table", "tables")}


def describe(ann, plural: bool = False) -> str:
    """The type ``ann`` in words: ``int | list[int]`` -> "an integer or a list of integers"."""
    origin = typing.get_origin(ann)
    if origin is Annotated:
        base, *meta = typing.get_args(ann)
        nested = [m for m in meta if isinstance(m, Nested)]
        if nested:
            return f"{'' if plural else 'a '}nested list{'s' if plural else ''} of {describe(nested[0].leaf, True)}"
        return describe(base, plural)
    if origin is Literal:
        return f"{'values' if plural else 'one'} of {{{', '.join(map(repr, typing.get_args(ann)))}}}"
    if origin in (Union, types.UnionType):
        return " or ".join(describe(a, plural) for a in typing.get_args(ann) if a is not type(None))
    if origin is list:
        (elem,) = typing.get_args(ann)
        return f"{'lists' if plural else 'a list'} of {describe(elem, True)}"
    if ann in _NAMES:
        return _NAMES[ann][plural]
    raise TypeError(f"unsupported parameter annotation {ann!r}")


def _received(value) -> str:
    """A TOML value and its type, shortened: ``['2', '3'] (a list of strings)``."""
    text = repr(value)
    if len(text) > 60:
        text = text[:57] + "..."
    return f"{text} ({_kind(value)})"


_PLURAL = {"a boolean": "booleans", "an integer": "integers", "a float": "floats", "a string": "strings",
           "a table": "tables"}


def _kind(value) -> str:
    """The TOML type of a value in words; for lists, the types of its entries."""
    if isinstance(value, list):
        leaves = list(_leaves(value))
        if not leaves:
            return "an empty list"
        shape = "a nested list" if any(isinstance(x, list) for x in value) else "a list"
        return f"{shape} of {' and '.join(sorted({_PLURAL.get(_kind(x), 'other values') for x in leaves}))}"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a float"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, dict):
        return "a table"
    return f"a {type(value).__name__}"


def _leaves(value: list):
    for x in value:
        if isinstance(x, list):
            yield from _leaves(x)
        else:
            yield x


def _hint(ann, value) -> str:
    """``; did you mean 'x'?`` for a string close to an allowed Literal value."""
    if not isinstance(value, str):
        return ""
    options = [a for t in _flatten(ann) if typing.get_origin(t) is Literal for a in typing.get_args(t)
               if isinstance(a, str)]
    close = difflib.get_close_matches(value, options, n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""


def _flatten(ann) -> list:
    if typing.get_origin(ann) in (Union, types.UnionType):
        return [t for a in typing.get_args(ann) for t in _flatten(a)]
    return [ann]


def _has_float(x) -> bool:
    """Is ``x`` a float, or a list or table holding one (an [expected] value is exact)?"""
    if isinstance(x, float):
        return True
    if isinstance(x, (list, tuple)):
        return any(_has_float(y) for y in x)
    return isinstance(x, dict) and any(_has_float(y) for y in x.values())


def _utf8(p: Path) -> str:
    """The text of the instance file ``p``; one line naming the file when it is not UTF-8."""
    try:
        return p.read_bytes().decode("utf-8")
    except UnicodeDecodeError as e:
        raise InputError(f"{p}: expected an instance TOML file in UTF-8 text, got the byte "
                         f"0x{e.object[e.start]:02x} at offset {e.start}") from None


def find_instances(paths) -> list[Path]:
    """Instance files under the given files or folders (TOML files with a [claim] table)."""
    out = []
    for path in paths:
        p = Path(path)
        if p.is_dir():
            for f in sorted(p.rglob("*.toml")):
                if f.name != "pyproject.toml" and "[claim]" in _utf8(f):
                    out.append(f)
        elif p.is_file():
            out.append(p)
        else:
            raise InputError(f"expected an instance file or folder, got {str(p)!r}, which does not exist")
    return out
