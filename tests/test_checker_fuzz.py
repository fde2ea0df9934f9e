"""Fuzzing the checker's JSON and number parsers: random bytes and mutated certificates.

Every certificate of ``tests/certs/valid`` is mutated (byte flips, truncations, digit
insertions, whitespace between tokens, key deletions, type swaps, number spellings that
Python's ``int()`` reads but the format does not have, +-1 on numbers), written to a file and
checked as ``tnverify check FILE`` checks it. Properties:

* nothing escapes :func:`tnverify.checker.check` but its verdict, and each check is quick;
* a file whose JSON value is that of the original (only whitespace moved) is VERIFIED again;
* text that is not JSON is MALFORMED;
* a VERIFIED mutant claims nothing new: each conclusion fact is implied by a fact of the
  original (same kind, same subject, a value at least as weak) about objects that are the same
  up to the spelling of numbers; otherwise it is a rank or Kruskal-rank fact of a matrix that
  holds by an independent computation (sympy, and subsets of columns for Kruskal ranks).

The original certificates are true (tests/test_checker.py), so a VERIFIED mutant whose facts pass
the last test is true. One exception is recorded, not failed: a fact of the original about objects
whose numbers moved (a generic witness perturbed, e.g. a factor matrix of a unique decomposition)
that no computation here decides; anything else the test cannot see to be true fails it.
The number parser is also tested on its own: a number is read exactly as the format defines it.

The default run takes a few seconds; ``--runslow`` runs the ``slow`` test with many more examples.
"""
from __future__ import annotations

import contextlib
import copy
import io
import itertools
import json
import time
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, event, given, settings, strategies as st

from tnverify.checker import check
from tnverify.cli import main
from tnverify.numbers import no_int_digit_limit
from tests.helpers import sympy_rank

VALID = sorted((Path(__file__).parent / "certs" / "valid").glob("*.json"))
TEXTS = {p.stem: p.read_bytes() for p in VALID}
ORIGINALS = {name: json.loads(text) for name, text in TEXTS.items()}
#: Seconds one check of a small mutant may take (they take milliseconds; a hang never returns).
QUICK = 10.0
FAST = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
#: Each random file is also checked through the command line (``tnverify check FILE --json``).
VIA_CLI = settings(FAST, max_examples=150)
LONG = settings(max_examples=6000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
DIGITS = "0123456789"


# ---------------------------------------------------------------- reading JSON and numbers here
def _unique_keys(pairs):
    keys = [k for k, _ in pairs]
    if len(set(keys)) != len(keys):
        raise ValueError("duplicate key")
    return dict(pairs)


def _reference(data: bytes):
    """The JSON value of a file as the checker reads it (UTF-8, errors replaced), or None if it is no JSON."""
    with no_int_digit_limit():
        try:
            return json.loads(data.decode("utf-8", errors="replace"), object_pairs_hook=_unique_keys)
        except (ValueError, RecursionError):
            return None


def _same(a, b) -> bool:
    """Equality that tells ``True`` from ``1`` and ``1`` from ``1.0`` (Python's ``==`` does not)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(map(_same, a, b))
    return a == b


def _integer(s: str, signs: str = "-"):
    sign = s[:1] if s[:1] and s[:1] in signs else ""
    body = s[len(sign):]
    if not body or any(c not in DIGITS for c in body):
        return None
    v = 0
    for c in body:
        v = 10 * v + DIGITS.index(c)
    return -v if sign else v


def _number(x):
    """A certificate number by the format's definition (a JSON integer, ``-?digits``, ``p/q``); None otherwise."""
    if isinstance(x, bool):
        return None
    if isinstance(x, int):
        return x
    if not isinstance(x, str):
        return None
    if x.count("/") == 1:
        a, b = x.split("/")
        a, b = _integer(a), _integer(b, signs="")
        return None if a is None or b is None or b == 0 else Fraction(a, b)
    return _integer(x)


def _norm(v):
    """An object up to the spelling of its numbers (``7``, ``"7"``, ``"14/2"``); an absent list is empty."""
    if isinstance(v, dict):
        return {k: _norm(x) for k, x in v.items() if not (isinstance(x, list) and not x)}
    if isinstance(v, list):
        return [_norm(x) for x in v]
    n = _number(v)
    return ("number", n) if n is not None else (type(v).__name__, v)


# ---------------------------------------------------------------- is a claim the original's, or true?
def _names(value, objects: dict, seen: set) -> set:
    """Object names mentioned anywhere in ``value``, and in the objects they name (transitively)."""
    if isinstance(value, dict):
        for x in value.values():
            _names(x, objects, seen)
    elif isinstance(value, list):
        for x in value:
            _names(x, objects, seen)
    elif isinstance(value, str) and value in objects and value not in seen:
        seen.add(value)
        _names(objects[value], objects, seen)
    return seen


def _weaker(kind: str, new, old) -> bool:
    if not (isinstance(new, int) and isinstance(old, int)) or isinstance(new, bool) or isinstance(old, bool):
        return _same(new, old)
    if kind.endswith("-at-least"):
        return new <= old
    if kind.endswith("-at-most"):
        return new >= old
    return new == old


def _subject_matrix(objects: dict, ref: dict) -> list:
    """The matrix a subject names: a matrix object, or the flattening ``rows`` of a tensor object."""
    if not isinstance(ref, dict) or set(ref) - {"object", "rows"}:
        raise ValueError("unknown reference")
    o = objects[ref["object"]]
    if o["type"] == "matrix" and "rows" not in ref:
        m, n = o["shape"]
        M = [[_number(x) for x in row] for row in o["entries"]]
        if len(M) != m or any(len(r) != n for r in M):
            raise ValueError("entries do not have the shape")
    elif o["type"] == "tensor" and "rows" in ref:
        T = np.array([_number(x) for x in o["entries"]], dtype=object).reshape(o["shape"])
        rows = ref["rows"]
        cols = [k for k in range(T.ndim) if k not in rows]
        M = np.transpose(T, rows + cols).reshape(int(np.prod([T.shape[k] for k in rows])), -1).tolist()
    else:
        raise ValueError("not a matrix")
    if not M or not M[0] or any(x is None for r in M for x in r):
        raise ValueError("not a nonempty matrix of numbers")
    return M


def _prime(field: str):
    if field == "Q":
        return None
    p = _integer(field[3:-1]) if field.startswith("GF(") and field.endswith(")") else None
    if p is None or p < 2 or any(p % q == 0 for q in range(2, int(p**0.5) + 1)):
        raise ValueError(f"no field {field!r}")
    return p


def _kruskal_rank(M: list, p) -> int:
    cols = list(zip(*M))
    k = 0
    for size in range(1, len(cols) + 1):
        if all(sympy_rank([list(r) for r in zip(*[cols[j] for j in S])], p) == size
               for S in itertools.combinations(range(len(cols)), size)):
            k = size
        else:
            break
    return k


def _rank_fact(kind: str, subject: dict, value: int, objects: dict) -> bool:
    M = _subject_matrix(objects, subject["matrix"])
    p = _prime(subject["field"])
    if p is not None and any(isinstance(x, Fraction) and x.denominator % p == 0 for r in M for x in r):
        raise ValueError("a denominator that is 0 mod p")
    r = _kruskal_rank(M, p) if kind.startswith("kruskal") else sympy_rank(M, p)
    return r >= value if kind.endswith("-at-least") else r <= value


def _kruskal_condition(kind: str, subject: dict, value, objects: dict):
    """Kruskal's condition (Sidiropoulos-Bro for N factors): sum of k-ranks >= 2R + N - 1 with no zero
    k-rank implies that the decomposition by these factors is essentially unique and of rank R.
    True when it holds and the fact is one it implies, None when it does not hold (no decision)."""
    Fs = [_subject_matrix(objects, ref) for ref in subject["factors"]]
    R = len(Fs[0][0])
    if len(Fs) < 3 or any(len(F[0]) != R for F in Fs):
        raise ValueError("factors with different numbers of columns")
    ks = [_kruskal_rank(F, None) for F in Fs]
    if min(ks) == 0 or sum(ks) < 2 * R + len(Fs) - 1:
        return None
    return _same(value, True) if kind == "cp-unique" else _same(value, R)


def _decide(fact: dict, objects: dict):
    """The truth of a fact by an independent computation: True, False, or None when there is none.

    Rank and Kruskal-rank bounds of a matrix (sympy; k-ranks over all subsets of columns), and
    uniqueness and rank of a CP decomposition given by its factors when Kruskal's condition holds.
    """
    kind, subject, value = fact.get("fact"), fact.get("subject"), fact.get("value")
    try:
        if kind in ("rank-at-least", "rank-at-most", "kruskal-rank-at-least", "kruskal-rank-at-most"):
            if set(subject) != {"matrix", "field"} or isinstance(value, bool) or not isinstance(value, int):
                return False
            return _rank_fact(kind, subject, value, objects)
        if kind in ("cp-unique", "cp-rank") and isinstance(subject, dict) and set(subject) == {"factors", "field"} \
                and subject["field"] == "C":
            return _kruskal_condition(kind, subject, value, objects)
    except (ValueError, TypeError, KeyError, IndexError, AttributeError):
        return False  # a VERIFIED fact about objects that are not what it says
    return None


def _skeleton(v):
    """An object with every number replaced by ``#``: two objects that differ only in numbers have one skeleton."""
    if isinstance(v, dict):
        return {k: _skeleton(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_skeleton(x) for x in v]
    return "#" if _number(v) is not None else (type(v).__name__, v)


def _claims_hold(mutant, original: dict) -> str:
    """'' when every conclusion fact of a VERIFIED ``mutant`` is seen to hold or cannot be decided; else why not.

    A fact holds when it is implied by a fact of the original about the same objects (up to
    the spelling of numbers), or by an independent computation (:func:`_decide`). A fact
    implied by the original's but about objects whose numbers changed (a witness point
    moved) and that no computation here decides is recorded as undecided, not failed.
    """
    if not isinstance(mutant, dict) or not isinstance(mutant.get("objects"), dict) \
            or not isinstance(mutant.get("conclusion"), list):
        return "a VERIFIED file that is no certificate"
    objects = mutant["objects"]
    for fact in mutant["conclusion"]:
        if not isinstance(fact, dict):
            return f"a VERIFIED conclusion that is not an object: {fact!r}"
        subject = fact.get("subject")
        implied = any(_same(fact.get("fact"), f["fact"]) and _same(subject, f["subject"])
                      and _weaker(f["fact"], fact.get("value"), f["value"]) for f in original["conclusion"])
        named = sorted(_names(subject, objects, set()))
        same = [_norm(objects[n]) == _norm(original["objects"].get(n)) for n in named]
        if implied and all(same):
            continue
        truth = _decide(fact, objects)
        if truth is None and implied and all(_skeleton(objects[n]) == _skeleton(original["objects"].get(n))
                                             for n in named):
            event("VERIFIED, moved numbers, undecided here")
            continue
        if not truth:
            return (f"VERIFIED a fact that is {'false' if truth is False else 'not seen to be true'}: "
                    f"{json.dumps(fact)[:300]}")
        event("VERIFIED, new claim seen to be true")
    return ""


# ---------------------------------------------------------------- mutations
def _paths(value, path=()):
    """Every node of a JSON value, as a path of keys and indices (the root is ``()``)."""
    yield path
    if isinstance(value, dict):
        for k, x in value.items():
            yield from _paths(x, path + (k,))
    elif isinstance(value, list):
        for i, x in enumerate(value):
            yield from _paths(x, path + (i,))


def _get(value, path):
    for k in path:
        value = value[k]
    return value


def _outside_strings(text: bytes) -> list:
    """Offsets between tokens, outside string literals (where whitespace leaves the JSON value as it is)."""
    out, inside, escaped = [], False, False
    for i, c in enumerate(text):
        if inside:
            if escaped:
                escaped = False
            elif c == 0x5C:
                escaped = True
            elif c == 0x22:
                inside = False
        elif c == 0x22:
            inside = True
        elif c in b",:[]{}":
            out += [i, i + 1]
    return out


PATHS = {name: list(_paths(v)) for name, v in ORIGINALS.items()}
KEYED = {name: [p for p in ps if p and isinstance(p[-1], str)] for name, ps in PATHS.items()}
NUMBERS = {name: [p for p in ps if _number(_get(ORIGINALS[name], p)) is not None] for name, ps in PATHS.items()}
BETWEEN = {name: _outside_strings(text) for name, text in TEXTS.items()}
DIGIT_AT = {name: [i for i, c in enumerate(text) if 0x30 <= c <= 0x39] for name, text in TEXTS.items()}


def _spellings(x) -> list:
    """Other spellings of a number, most of which the format does not have."""
    n = _number(x)
    if isinstance(n, Fraction) or n is None:
        return [f"{x} ", "1/0", str(x).replace("/", "//")]
    s = str(n)
    arabic_indic, full_width = (s.translate(str.maketrans(DIGITS, d)) for d in ("٠١٢٣٤٥٦٧٨٩", "０１２３４５６７８９"))
    return [s, f"{n:_}", f"{n:,}", "+" + s, " " + s, s + "\n", arabic_indic, full_width, f"{n}/1", f"{2 * n}/2",
            f"{n}/0", float(n), "0" + s.lstrip("-") if n >= 0 else s]


def _swaps(x) -> list:
    """Values of other JSON types (and other spellings of a number) to put in place of ``x``."""
    others = [None, True, False, 0, 1, -1, 2**70, "", "x", [], {}, [x], {"x": x}, 1.5]
    if isinstance(x, (int, str)) and _number(x) is not None:
        others += _spellings(x)
    if isinstance(x, str):
        others += [x.upper(), x + x]
    if isinstance(x, list) and x:
        others += [x[0], x[:-1], x + x[-1:], list(reversed(x))]
    if isinstance(x, dict):
        others += [list(x.values())]
    return [v for v in others if not _same(v, x)]


@st.composite
def mutants(draw):
    """(label, file content, the original's name) of one mutation of one valid certificate."""
    name = draw(st.sampled_from(sorted(TEXTS)))
    text = TEXTS[name]
    kind = draw(st.sampled_from(["flip", "truncate", "digits", "whitespace", "delete", "swap", "bump"]))
    if kind == "flip":
        i = draw(st.integers(0, len(text) - 1))
        b = draw(st.integers(0, 255))
        return f"{name}: byte {i} {text[i:i + 1]!r} -> {bytes([b])!r}", text[:i] + bytes([b]) + text[i + 1:], name
    if kind == "truncate":
        k = draw(st.integers(0, len(text) - 1))
        return f"{name}: first {k} bytes", text[:k], name
    if kind == "digits":
        i = draw(st.sampled_from(DIGIT_AT[name])) + draw(st.integers(0, 1))
        run = draw(st.text(DIGITS, min_size=1, max_size=30) | st.integers(200, 120_000).map(lambda n: "7" * n))
        return f"{name}: {len(run)} digits at {i}", text[:i] + run.encode() + text[i:], name
    if kind == "whitespace":
        i = draw(st.sampled_from(BETWEEN[name]))
        blank = draw(st.text(" \t\n\r", min_size=1, max_size=3))
        return f"{name}: whitespace at {i}", text[:i] + blank.encode() + text[i:], name
    d = copy.deepcopy(ORIGINALS[name])
    if kind == "delete":
        path = draw(st.sampled_from(KEYED[name]))
        del _get(d, path[:-1])[path[-1]]
        label = f"{name}: delete {list(path)}"
    elif kind == "swap":
        path = draw(st.sampled_from(PATHS[name][1:]))
        new = draw(st.sampled_from(_swaps(_get(d, path))))
        _get(d, path[:-1])[path[-1]] = new
        label = f"{name}: {list(path)} = {json.dumps(new)[:60]}"
    else:
        path = draw(st.sampled_from(NUMBERS[name]))
        n = _number(_get(d, path)) + draw(st.sampled_from([-1, 1]))
        _get(d, path[:-1])[path[-1]] = n if isinstance(n, int) else f"{n.numerator}/{n.denominator}"
        label = f"{name}: {list(path)} += 1 or -1"
    return label, json.dumps(d, indent=1).encode(), name


# ---------------------------------------------------------------- the properties
@pytest.fixture(scope="module")
def where(tmp_path_factory):
    return tmp_path_factory.mktemp("fuzz") / "certificate.json"


def _checked(where: Path, data: bytes):
    where.write_bytes(data)
    t = time.perf_counter()
    v = check(where)
    seconds = time.perf_counter() - t
    assert seconds < QUICK, f"check took {seconds:.1f} s"
    assert v.status in ("VERIFIED", "NOT VERIFIED", "MALFORMED") and v.exit_code in (0, 1, 2)
    json.dumps(v.to_dict())
    v.text().encode("utf-8")
    return v


def _judge(where: Path, label: str, data: bytes, name: str) -> None:
    v = _checked(where, data)
    value, original = _reference(data), ORIGINALS[name]
    if value is None:
        assert v.status == "MALFORMED", f"{label}: text that is no JSON got {v.status}"
    elif _same(value, original):
        assert v.status == "VERIFIED", f"{label}: the same JSON value got {v.status}: {v.message}"
    elif v.status == "VERIFIED":
        reason = _claims_hold(value, original)
        assert not reason, f"{label}: {reason}"


@FAST
@given(mutants())
def test_mutated_certificates_are_never_accepted_with_new_claims(where, m):
    _judge(where, *m)


@pytest.mark.slow
@LONG
@given(mutants())
def test_mutated_certificates_are_never_accepted_with_new_claims_long_run(where, m):
    _judge(where, *m)


@VIA_CLI
@given(st.binary(max_size=400) | st.binary(max_size=400).map(lambda b: b"{" + b))
def test_random_bytes_are_never_verified_and_the_command_answers(where, data):
    v = _checked(where, data)
    assert v.status != "VERIFIED" or not _claims_hold(_reference(data), {"objects": {}, "conclusion": []})
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
        code = main(["check", str(where), "--json"])
    assert code == v.exit_code and json.loads(out.getvalue())["verdict"] == v.status


@FAST
@given(st.text("0123456789-/+ _\n\u0663\uff13.eE", max_size=14) | st.integers(-(2**80), 2**80))
def test_a_number_in_a_certificate_is_read_as_the_format_defines_it(where, x):
    """An entry of a minor: by the definition a number (then the verdict is that of the same value
    written as an integer or "p/q"), or not one (then MALFORMED)."""
    cert = copy.deepcopy(ORIGINALS["rank_full_shape"])
    cert["objects"]["M"]["entries"][0][0] = x
    v = _checked(where, json.dumps(cert).encode())
    n = _number(x)
    if n is None:
        assert v.status == "MALFORMED", v.message
    else:
        cert["objects"]["M"]["entries"][0][0] = n if isinstance(n, int) else f"{n.numerator}/{n.denominator}"
        assert v.status == _checked(where, json.dumps(cert).encode()).status


def _integer_paths(o, path):
    """Paths to the integers of ``o`` (lists of at most 20 items: their entries are data, not counts)."""
    items = o.items() if isinstance(o, dict) else enumerate(o) if isinstance(o, list) and len(o) < 20 else ()
    for k, v in items:
        if isinstance(v, int) and not isinstance(v, bool):
            yield path + [k]
        elif isinstance(v, (dict, list)):
            yield from _integer_paths(v, path + [k])


def test_a_decimal_string_in_any_step_field_gets_a_message_about_the_field_not_python():
    """The format allows decimal strings for integers; where a rule needs a JSON integer it says so,
    instead of "ill-typed data (TypeError: can only concatenate str ...)"."""
    import copy

    for f in VALID:
        cert = json.loads(f.read_text())
        for path in _integer_paths(cert["steps"], []):
            bad = copy.deepcopy(cert)
            o = bad["steps"]
            for k in path[:-1]:
                o = o[k]
            o[path[-1]] = str(o[path[-1]])
            v = check(bad)
            assert "ill-typed" not in v.message, (f.name, path, v.message)
