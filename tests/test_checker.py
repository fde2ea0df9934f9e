"""The independent checker: corpus, mutations, independence from the prover, limits."""
from __future__ import annotations

import ast
import copy
import json
import sys
import time
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from tnverify.checker import check
from tests.helpers import parse_number, sympy_rank

CERTS = Path(__file__).parent / "certs"
CHECKER = Path(__file__).parent.parent / "tnverify" / "checker"


def _corpus(kind):
    return sorted((CERTS / kind).glob("*.json"))


@pytest.mark.parametrize("path", _corpus("valid"), ids=lambda p: p.stem)
def test_valid_corpus_verifies(path):
    v = check(path)
    assert v.status == "VERIFIED", v.message
    assert v.exit_code == 0 and v.text().endswith("s VERIFIED")


@pytest.mark.parametrize("path", _corpus("invalid"), ids=lambda p: p.stem)
def test_invalid_corpus_is_not_verified(path):
    v = check(path)
    assert v.status == "NOT VERIFIED", v.message
    assert v.exit_code == 1
    assert "fails" in v.message or "does not follow" in v.message


@pytest.mark.parametrize("path", _corpus("malformed"), ids=lambda p: p.stem)
def test_malformed_corpus_is_malformed(path):
    v = check(path)
    assert v.status == "MALFORMED", v.message
    assert v.exit_code == 2 and v.message


def test_corpus_is_not_trivially_small():
    assert len(_corpus("valid")) >= 8 and len(_corpus("invalid")) >= 10 and len(_corpus("malformed")) >= 12


# ---------------------------------------------------------------- mutations
def _subject_matrix(cert, ref):
    o = cert["objects"][ref["object"]]
    if o["type"] == "matrix":
        return [[parse_number(x) for x in row] for row in o["entries"]]
    T = np.array([parse_number(x) for x in o["entries"]], dtype=object).reshape(o["shape"])
    rows = ref["rows"]
    cols = [k for k in range(T.ndim) if k not in rows]
    M = np.transpose(T, rows + cols).reshape(int(np.prod([T.shape[k] for k in rows])), -1)
    return M.tolist()


def _implied_by(base, fact) -> bool:
    """Is ``fact`` implied by a conclusion of the unmutated (valid, true) certificate?"""
    for f in base["conclusion"]:
        if f["fact"] == fact["fact"] and f["subject"] == fact["subject"]:
            a, b = f["value"], fact["value"]
            if a == b or (f["fact"].endswith("-at-least") and b <= a) or (f["fact"].endswith("-at-most") and b >= a):
                return True
    return False


def _conclusion_true(cert, base) -> bool:
    """Truth of every conclusion fact: rank facts by sympy on the mutated objects; other
    facts (dimensions, generic ranks, cuts) only when the valid certificate implies them."""
    for fact in cert["conclusion"]:
        subj = fact["subject"]
        if "matrix" not in subj:
            if not _implied_by(base, fact):
                return False
            continue
        M = _subject_matrix(cert, subj["matrix"])
        fld = subj["field"]
        p = int(fld[3:-1]) if fld.startswith("GF") else None
        if p is not None and any(isinstance(x, Fraction) for row in M for x in row):
            return False
        r = sympy_rank(M, p)
        if fact["fact"] == "rank-at-least" and not r >= fact["value"]:
            return False
        if fact["fact"] == "rank-at-most" and not r <= fact["value"]:
            return False
    return True


def _mutations(cert):
    """Deterministic single perturbations of entries, hints, ranks, primes and conclusions."""
    for name, o in cert["objects"].items():
        if o["type"] == "matrix":
            cells = [(i, j) for i in range(len(o["entries"])) for j in range(len(o["entries"][0]))]
            for (i, j) in cells[:: max(1, len(cells) // 6)]:
                def f(d, name=name, i=i, j=j):
                    d["objects"][name]["entries"][i][j] = parse_number(d["objects"][name]["entries"][i][j]) + 1
                yield f"{name}[{i}][{j}]+1", f
        elif o["type"] == "architecture":
            for w in sorted(o.get("weights", {}))[:6]:
                def f(d, name=name, w=w):
                    d["objects"][name]["weights"][w][0] = parse_number(d["objects"][name]["weights"][w][0]) + 1
                yield f"{name}.weights.{w}[0]+1", f
        else:
            for k in range(0, len(o["entries"]), max(1, len(o["entries"]) // 6)):
                def f(d, name=name, k=k):
                    d["objects"][name]["entries"][k] = parse_number(d["objects"][name]["entries"][k]) + 1
                yield f"{name}[{k}]+1", f
    for s, step in enumerate(cert["steps"]):
        for key, val in step.items():  # every integer field: ranks, dimensions, widths, degrees
            if isinstance(val, int) and not isinstance(val, bool) and key != "modulus":
                for delta in (-1, 1):
                    def f(d, s=s, key=key, delta=delta):
                        d["steps"][s][key] += delta
                    yield f"step{s}.{key}{delta:+d}", f
        if isinstance(step.get("minor"), dict) and step.get("rank", 0) > 0:
            for side in ("rows", "cols"):
                def f(d, s=s, side=side):
                    idx = d["steps"][s]["minor"][side]
                    idx[-1] = max(idx) + 1
                yield f"step{s}.minor.{side}", f
        if step.get("method") == "kernel":
            def f(d, s=s):
                d["steps"][s]["kernel"][0][0] = parse_number(d["steps"][s]["kernel"][0][0]) + 1
            yield f"step{s}.kernel", f
        if step.get("method") == "modular":
            def f(d, s=s):
                d["steps"][s]["primes"] = d["steps"][s]["primes"][:1]
            yield f"step{s}.primes", f
        if step.get("modulus"):
            def f(d, s=s):
                d["steps"][s]["modulus"] = 1000003
            yield f"step{s}.modulus", f
    for c in range(len(cert["conclusion"])):
        for delta in (-1, 1):
            def f(d, c=c, delta=delta):
                d["conclusion"][c]["value"] += delta
            yield f"conclusion{c}{delta:+d}", f


@pytest.mark.parametrize("path", _corpus("valid"), ids=lambda p: p.stem)
def test_every_mutation_is_rejected_or_still_true(path):
    base = json.loads(path.read_text())
    n = 0
    for label, fn in _mutations(base):
        d = copy.deepcopy(base)
        fn(d)
        v = check(d)
        if v.status == "VERIFIED":
            assert _conclusion_true(d, base), f"mutation {label} accepted but its conclusion is false"
        n += 1
    assert n >= 2


# ---------------------------------------------------------- independence
STDLIB = set(sys.stdlib_module_names)


def test_checker_rejects_huge_object_quickly():
    cert = json.loads((CERTS / "valid" / "rank_kernel.json").read_text())
    cert["objects"]["M"]["shape"] = [10**9, 10**9]
    t = time.perf_counter()
    v = check(cert)
    assert v.status == "MALFORMED" and "limit" in v.message
    assert time.perf_counter() - t < 1.0


def test_not_verified_names_step_rule_and_numbers():
    v = check(CERTS / "invalid" / "singular_minor.json")
    assert "step lower (rank-at-least)" in v.message and "determinant 0 mod" in v.message


def test_missing_file_is_malformed():
    assert check("/nonexistent/cert.json").status == "MALFORMED"


# ---------------------------------------------------------- round trips
from hypothesis import given, strategies as st  # noqa: E402

from tnverify.certificate import Certificate, enc, matrix_object, tensor_object  # noqa: E402
from tnverify.checker.kernel import Ctx, loads  # noqa: E402

big = st.one_of(st.integers(-10, 10), st.integers(-(2**200), 2**200),
                st.builds(Fraction, st.integers(-(2**80), 2**80), st.integers(1, 2**70)))


@given(st.lists(st.lists(big, min_size=3, max_size=3), min_size=1, max_size=4))
def test_matrix_encode_decode_round_trip(rows):
    M = np.array(rows, dtype=object)
    text = Certificate(objects={"M": matrix_object(M)}).to_json()
    parsed = Ctx(loads(text)["objects"]).obj("M", "test")
    assert parsed["flat"] == list(M.ravel())
    assert all(isinstance(enc(x), (int, str)) for x in M.ravel())  # never a float


@given(st.lists(big, min_size=8, max_size=8))
def test_tensor_encode_decode_round_trip(vals):
    T = np.array(vals, dtype=object).reshape(2, 2, 2)
    parsed = Ctx(loads(Certificate(objects={"T": tensor_object(T)}).to_json())["objects"]).obj("T", "test")
    assert parsed["shape"] == [2, 2, 2] and parsed["flat"] == list(T.ravel())


def test_shape_bound_needs_no_step_over_q_and_gf_p():
    d = {"format": "tnverify-certificate", "version": 1, "claim": {},
         "objects": {"M": {"type": "matrix", "shape": [2, 3], "entries": [[1, 2, 5], [3, 4, 6]]}}, "steps": [],
         "conclusion": [{"fact": "rank-at-most", "subject": {"matrix": {"object": "M"}, "field": f}, "value": 2}
                        for f in ("Q", "GF(7)")]}
    assert check(d).status == "VERIFIED"
    d["conclusion"][0]["value"] = 1  # below min(m, n): needs a step
    assert check(d).status == "NOT VERIFIED"


@pytest.mark.parametrize("where,status,code", [("id", "VERIFIED", 0), ("fact", "NOT VERIFIED", 1)])
def test_lone_surrogates_in_certificate_text_are_printed_escaped(tmp_path, where, status, code):
    import os
    import subprocess

    d = json.loads((CERTS / "valid" / "rank_kernel.json").read_text())
    if where == "id":
        d["steps"][0]["id"] = "\ud800"
    else:
        d["conclusion"][0]["fact"] += "\ud800"
    path = tmp_path / "cert.json"
    path.write_text(json.dumps(d))  # ensure_ascii keeps the lone surrogate as an escape
    code_ = "import sys; from tnverify.cli import main; sys.exit(main(sys.argv[1:]))"
    out = subprocess.run([sys.executable, "-c", code_, "check", str(path)], capture_output=True,
                         text=True, env={**os.environ, "PYTHONIOENCODING": "utf-8"})
    assert "Traceback" not in out.stderr
    assert out.returncode == code and out.stdout.rstrip().endswith(f"s {status}")
    assert "\\ud800" in out.stdout
