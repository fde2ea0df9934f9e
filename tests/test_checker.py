"""The independent checker: corpus, mutations, engines, independence from the prover, limits.

The corpus and mutation tests run twice (fixture ``engine``): with every determinant and rank
computed by FLINT and every k-subset enumeration by the checker's numba kernel (both forced even
for the smallest matrices), and in pure mode (``TNVERIFY_CHECKER_PURE=1``, FLINT and the compiled
kernel made unusable), so that a defect of FLINT or numba cannot pass both. The corpus is small (under a second per mode): no case is skipped.
"""
from __future__ import annotations

import ast
import copy
import json
import re
import sys
import time
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from tnverify.checker import check, linalg
from tests.helpers import parse_number, sympy_rank

CERTS = Path(__file__).parent / "certs"
CHECKER = Path(__file__).parent.parent / "tnverify" / "checker"
#: An engine note on a step line ("det 4x4 mod 101 by python", "3-subsets of 6 columns mod 7 by numba")
#: or in a failure message ("(engine: flint)").
_ENGINE_NOTE = re.compile(r"\b(?:(?:det|rank) \d+x\d+|\d+-subsets of \d+ columns) [^;]*? by (\w+)|\(engine: (\w+)\)")


def _corpus(kind):
    return sorted((CERTS / kind).glob("*.json"))


class _NoFlint:
    def __getattr__(self, name):
        raise AssertionError(f"flint.{name} used in pure mode (TNVERIFY_CHECKER_PURE=1)")


def _no_compiled():
    raise AssertionError("the compiled engine used in pure mode (TNVERIFY_CHECKER_PURE=1)")


@pytest.fixture(params=["compiled", "python"])
def engine(request, monkeypatch):
    """Check on one set of engines: FLINT and numba forced, or pure Python."""
    if request.param == "compiled":
        monkeypatch.delenv("TNVERIFY_CHECKER_PURE", raising=False)
        monkeypatch.setattr(linalg, "PURE_PYTHON_WORK", -1)
        monkeypatch.setattr(linalg, "COMPILED_WORK", -1)
    else:
        monkeypatch.setenv("TNVERIFY_CHECKER_PURE", "1")
        monkeypatch.setattr(linalg, "flint", _NoFlint())
        monkeypatch.setattr(linalg, "_compiled", _no_compiled)
    return request.param


#: The engines each mode may name, and the one that computes determinants and ranks.
ENGINES = {"compiled": {"flint", "numba"}, "python": {"python"}}
DET_ENGINE = {"compiled": "flint", "python": "python"}


def _engines(v) -> set:
    """The engines the verdict's step lines and message name for determinants, ranks and k-subsets."""
    return {a or b for text in v.lines + [v.message] for a, b in _ENGINE_NOTE.findall(text)}


@pytest.mark.parametrize("path", _corpus("valid"), ids=lambda p: p.stem)
def test_valid_corpus_verifies(path, engine):
    v = check(path)
    assert v.status == "VERIFIED", v.message
    assert v.exit_code == 0 and v.text().endswith("s VERIFIED")
    assert _engines(v) <= ENGINES[engine]


@pytest.mark.parametrize("path", _corpus("invalid"), ids=lambda p: p.stem)
def test_invalid_corpus_is_not_verified(path, engine):
    v = check(path)
    assert v.status == "NOT VERIFIED", v.message
    assert v.exit_code == 1
    assert "fails" in v.message or "does not follow" in v.message
    assert _engines(v) <= ENGINES[engine]


@pytest.mark.parametrize("path", _corpus("malformed"), ids=lambda p: p.stem)
def test_malformed_corpus_is_malformed(path, engine):
    v = check(path)
    assert v.status == "MALFORMED", v.message
    assert v.exit_code == 2 and v.message


def test_every_minor_and_rank_of_the_corpus_names_its_engine(engine):
    """Every determinant the valid corpus relies on is on a step line, with the engine that computed it."""
    used = set()
    for path in _corpus("valid"):
        used |= _engines(check(path))
    assert used == ENGINES[engine]


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
        elif o["type"] == "form":
            for k in range(0, len(o["coefficients"]), max(1, len(o["coefficients"]) // 6)):
                def f(d, name=name, k=k):
                    d["objects"][name]["coefficients"][k] = parse_number(d["objects"][name]["coefficients"][k]) + 1
                yield f"{name}.coefficients[{k}]+1", f
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
def test_every_mutation_is_rejected_or_still_true(path, engine):
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
from hypothesis import given, settings, strategies as st  # noqa: E402

from tnverify.certificate import Certificate, matrix_object, tensor_object  # noqa: E402
from tnverify.numbers import enc  # noqa: E402
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


# ---------------------------------------------------------- the one inference and its engines
from tnverify.checker import FAMILIES, kernel  # noqa: E402
from tnverify.checker.kernel import CheckFailure, check_minor, engine_notes  # noqa: E402


def test_check_minor_takes_rows_or_flat_entries_and_names_the_engine(engine):
    engine = DET_ENGINE[engine]
    with engine_notes() as used:
        check_minor([[1, 2], [3, 4]], 2, None, "test")  # det -2 over Z
        check_minor([1, 2, 3, 4], 2, 7, "test")  # -2 = 5 mod 7
        check_minor([[Fraction(1, 2), 1], [1, Fraction(1, 3)]], 2, 11, "test")  # cleared [[1, 2], [3, 1]]: -5
        check_minor([], 0, 7, "test")  # the empty minor holds
    assert used == [f"det 2x2 over Z by {engine}", f"det 2x2 mod 7 by {engine}", f"det 2x2 mod 11 by {engine}"]
    with pytest.raises(CheckFailure, match=rf"the 2 x 2 minor of M has determinant 0 mod 2 \(engine: {engine}\)"):
        check_minor([[1, 2], [3, 4]], 2, 2, "of M")
    with pytest.raises(CheckFailure, match="determinant 0 over Z"):
        check_minor([[Fraction(1, 2), 1], [1, 2]], 2, None, "of M")


@settings(max_examples=60, deadline=None)
@given(n=st.integers(1, 7), m=st.integers(1, 7), seed=st.integers(0, 2**32 - 1),
       p=st.sampled_from([2, 3, 101, 970_261, 2**61 - 1]))
def test_the_two_engines_agree_on_determinants_and_ranks(n, m, seed, p):
    rng = np.random.default_rng(seed)
    A = rng.integers(-3, 4, (n, m))
    if n > 1 and rng.integers(0, 2):  # a dependent row, so that singular cases occur
        A[-1] = 2 * A[0]
    A = A.tolist()
    k = min(n, m)
    sq = [x for row in A[:k] for x in row[:k]]
    results = []
    for work in (-1, 10**12):  # FLINT forced, then pure Python
        old, linalg.PURE_PYTHON_WORK = linalg.PURE_PYTHON_WORK, work
        try:
            results.append((linalg.det(sq, k, None)[0], linalg.det(sq, k, p)[0], linalg.rank_mod_p(A, p)[0],
                            linalg.det_rows_mod_p(iter([row[:k] for row in A[:k]]), k, p)[0]))
        finally:
            linalg.PURE_PYTHON_WORK = old
    assert results[0] == results[1]
    assert results[0][0] % p == results[0][1] == results[0][3] and results[0][2] == sympy_rank(A, p)


@settings(max_examples=40, deadline=None)
@given(n=st.integers(1, 9), m=st.integers(1, 9), seed=st.integers(0, 2**32 - 1),
       p=st.sampled_from([2, 101, 970_261, 2**61 - 1]))
def test_sparse_matrices_reach_flint_entry_by_entry_with_the_same_values(n, m, seed, p):
    """At least SPARSE_ZEROS zeros: the nonzero entries (any sign and size) are written one by one."""
    rng = np.random.default_rng(seed)
    A = (rng.integers(-(2**62), 2**62, (n, m)) * (rng.random((n, m)) < 0.25)).tolist()
    A = [[x * 3**70 if x % 5 == 0 else x for x in row] for row in A]  # entries above 64 bits as well
    flat = [x for row in A for x in row]
    k = min(n, m)
    sq = [x for row in A[:k] for x in row[:k]]
    assert linalg._nmod_mat(n, m, flat, p).entries() == [x % p for x in flat]
    results = []
    for work in (-1, 10**12):  # FLINT forced, then pure Python
        old, linalg.PURE_PYTHON_WORK = linalg.PURE_PYTHON_WORK, work
        try:
            results.append((linalg.det(sq, k, p)[0], linalg.rank_mod_p(A, p)[0]))
        finally:
            linalg.PURE_PYTHON_WORK = old
    assert results[0] == results[1]


def test_the_k_subset_gate_chooses_the_engine(monkeypatch):
    """numba above COMPILED_WORK while it does less work than Python; python for p >= 2^31 and in pure mode."""
    cols = [[1, 0], [0, 1], [1, 1]]
    monkeypatch.setattr(linalg, "COMPILED_WORK", 10**12)
    assert linalg.first_dependent_subset(cols, 2, 7) == (None, "python")  # small work: start-up costs more
    monkeypatch.setattr(linalg, "COMPILED_WORK", -1)
    assert linalg.first_dependent_subset(cols, 2, 7) == (None, "numba")
    assert linalg.first_dependent_subset(cols, 2, 2**31 + 11) == (None, "python")  # int64 needs p < 2^31
    wide = [[1, c] for c in range(1, 401)]  # k = 2: the kernel would test 79,800 pairs, Python hashes 400 columns
    assert linalg.first_dependent_subset(wide, 2, 1009) == (None, "python")
    monkeypatch.setenv("TNVERIFY_CHECKER_PURE", "1")
    monkeypatch.setattr(linalg, "_compiled", _no_compiled)
    assert linalg.first_dependent_subset([[1, 0], [2, 0], [0, 1]], 2, 7) == ((0, 1), "python")
    for k in (3, 0, True, 2.0):
        with pytest.raises(ValueError, match="1 <= k"):
            linalg.first_dependent_subset(cols, k, 7)


@settings(max_examples=60, deadline=None)
@given(n=st.integers(1, 6), extra=st.integers(1, 8), rank=st.integers(1, 6), seed=st.integers(0, 2**32 - 1),
       p=st.sampled_from([2, 3, 101, 2**31 - 1, 2**61 - 1]), work=st.sampled_from([-1, 10**12]), data=st.data())
def test_tall_matrices_are_cut_to_their_echelon_rows_first(n, extra, rank, seed, p, work, data):
    """More rows than columns: the search runs on the r <= n echelon rows (FLINT's rref or Python's),
    and decides every k like a brute-force rank of every k-subset."""
    import itertools

    import flint

    rng = np.random.default_rng(seed)
    m, k = n + extra, data.draw(st.integers(1, n))
    base = rng.integers(0, min(p, 2**62), (min(rank, n), m)).tolist()
    cols = [[sum(int(c) * b[i] for c, b in zip(rng.integers(0, 5, len(base)), base)) % p for i in range(m)]
            for _ in range(n)]

    def independent(S):
        return flint.nmod_mat(m, len(S), [cols[c][i] for i in range(m) for c in S], p).rank() == len(S)

    old, linalg.PURE_PYTHON_WORK = linalg.PURE_PYTHON_WORK, work
    try:
        bad, _ = linalg.first_dependent_subset(cols, k, p)
    finally:
        linalg.PURE_PYTHON_WORK = old
    assert (bad is None) == all(independent(S) for S in itertools.combinations(range(n), k))
    assert bad is None or (len(bad) <= k and not independent(bad))


def test_a_compiled_engine_that_cannot_load_leaves_the_python_engine(monkeypatch):
    """numba raises RuntimeError when it finds no writable cache directory: the check goes on in Python."""
    import tnverify.checker as package

    class _Unloadable:
        def find_spec(self, name, path=None, target=None):
            if name == "tnverify.checker.compiled":
                raise RuntimeError("cannot cache function: no locator available")
            return None

    monkeypatch.delattr(package, "compiled", raising=False)
    monkeypatch.delitem(sys.modules, "tnverify.checker.compiled", raising=False)
    monkeypatch.setattr(sys, "meta_path", [_Unloadable(), *sys.meta_path])
    monkeypatch.setattr(linalg, "_COMPILED", None)
    monkeypatch.setattr(linalg, "COMPILED_WORK", -1)
    monkeypatch.setattr(linalg, "PURE_PYTHON_WORK", -1)
    assert linalg.first_dependent_subset([[1, 0], [0, 1], [1, 1]], 2, 7) == (None, "python")
    assert linalg._COMPILED is False
    assert check(CERTS / "valid" / "kruskal_krank_rational.json").status == "VERIFIED"


@pytest.mark.parametrize("work", [-1, 10**12])
def test_streamed_rows_must_be_exactly_n_rows_of_n(work, monkeypatch):
    monkeypatch.setattr(linalg, "PURE_PYTHON_WORK", work)
    for rows in ([[1, 2]], [[1, 2], [3, 4], [5, 6]], [[1, 2], [3]]):
        with pytest.raises(ValueError, match="expected 2 rows"):
            linalg.det_rows_mod_p(iter(rows), 2, 7)
    with pytest.raises(CheckFailure, match="determinant 0 mod 7"):
        check_minor(iter([[1, 2], [2, 4]]), 2, 7, "of M")
    with pytest.raises(ValueError, match="needs a modulus"):
        check_minor(iter([[1, 2], [3, 4]]), 2, None, "of M")


def test_families_are_imported_by_name_and_rules_are_registered_once():
    """A family file that the package does not import would be a silent "unknown rule" (MALFORMED)."""
    on_disk = {f.stem for f in (CHECKER / "families").glob("*.py")} - {"__init__", "architecture_eval"}
    assert on_disk <= {m.__name__.rsplit(".", 1)[-1] for m in FAMILIES}
    with pytest.raises(ImportError, match="registered twice"):
        kernel.rule("rank-at-least")(lambda step, ctx: [])


def test_only_the_kernel_decides_a_minor():
    """Families construct matrices: none of them calls linear algebra itself (no linalg, no det)."""
    for f in (CHECKER / "families").glob("*.py"):
        for mod, _ in _imports_of(f):
            assert "linalg" not in mod, f"{f.name} imports {mod}: hand the minor to kernel.check_minor"


def _imports_of(path):
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            yield node.module or "", node.lineno
            for a in node.names:
                yield a.name, node.lineno
        elif isinstance(node, ast.Import):
            for a in node.names:
                yield a.name, node.lineno


def test_integer_literals_read_the_same_with_and_without_the_counting_hook():
    """Short literals only: the JSON scanner converts them; one long run of digits: every literal is counted."""
    short = '{"a": [1, -2, 12345678901234567890, [0, 7]], "s": "x9"}'
    assert kernel.loads(short) == json.loads(short)
    long_ = '{"a": [1, -2, 123456789012345678901234567890], "s": "x9"}'
    assert kernel.loads(long_) == json.loads(long_)
    with pytest.raises(kernel.Malformed, match="digits"):
        kernel.loads('{"a": %s}' % ("9" * (kernel.MAX_DIGITS + 1)))
