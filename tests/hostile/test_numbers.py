"""Numbers from every way in: one digit limit, one syntax, refused in one line with exit code 2.

The limit is :data:`tnverify.numbers.MAX_DIGITS` digits per integer (a copy in the checker, which
imports nothing from the prover); the syntax is an optional sign and ASCII digits, ``p/q`` for a
rational: Python's ``int()`` also takes ``1_000`` and other Unicode digits, tnverify does not.
Each command below would otherwise hang in a quadratic conversion, or read a number the format
does not have.
"""
from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import pytest

from tnverify.checker import kernel
from tnverify.numbers import MAX_DIGITS

CATALOG = Path(__file__).parent.parent.parent / "proofs_checks"
#: A catalog instance with a claimed bound (claim_at_least = 3): the template of the TOML cases.
CLAIM = CATALOG / "levine_2017_rac" / "levine_lower_bound_L2_T4_M2_R2.toml"
#: Seconds within which a refusal must come (the interpreter and numba start in about 1.5 s).
QUICK = 15

#: Spellings that Python's int() reads as 1000, 3 and 3, and a format does not have.
NOT_DIGITS = ["1_000", "\u0663", "\uff13"]  # underscore, Arabic-Indic three, full-width three


def _short(x) -> str:
    """A readable test id for a parameter that may be 100000 characters long."""
    x = str(x)
    return x if len(x) <= 40 else f"{x[:30]}...({len(x)} chars)"


def _refused(r, *words):
    assert r.code == 2 and r.one_line_error, (r.code, r.err[-500:])
    for w in words:
        assert w in r.err, r.err


def _timed(cli, *args, **kw):
    t = time.perf_counter()
    r = cli(*args, **kw)
    return r, time.perf_counter() - t


# ---------------------------------------------------------------- matrix files
def test_rank_refuses_a_txt_entry_of_ten_million_digits_at_once(cli, tmp_path):
    f = tmp_path / "big.txt"
    f.write_text("1 2\n3 " + "7" * 10**7 + "\n")  # 10 MB, one entry
    r, seconds = _timed(cli, "rank", f)
    _refused(r, f"at most {MAX_DIGITS} digits")
    assert seconds < QUICK


@pytest.mark.parametrize("entry", NOT_DIGITS + ["1/" + "3" * (MAX_DIGITS + 1), "3/-4", "0x10"], ids=_short)
def test_rank_refuses_txt_entries_int_would_read(cli, tmp_path, entry):
    f = tmp_path / "m.txt"
    f.write_text(f"1 2\n{entry} 4\n")
    _refused(cli("rank", f))


@pytest.mark.parametrize("entry", NOT_DIGITS + ["7" * (MAX_DIGITS + 1), "2/" + "7" * (MAX_DIGITS + 1)], ids=_short)
def test_rank_refuses_json_strings_int_would_read_or_too_long(cli, tmp_path, entry):
    f = tmp_path / "m.json"
    f.write_text(json.dumps([[1, 2], [3, entry]]))
    _refused(cli("rank", f))


def test_rank_refuses_a_pickled_integer_beyond_the_limit(cli, tmp_path):
    M = np.empty((2, 2), dtype=object)
    M[:] = [[1, 2], [3, 10**MAX_DIGITS]]  # MAX_DIGITS + 1 digits
    np.save(tmp_path / "m.npy", M, allow_pickle=True)
    _refused(cli("rank", tmp_path / "m.npy", "--allow-pickle"), f"at most {MAX_DIGITS} digits")


# ---------------------------------------------------------------- the checker
def _matrix_cert(entries: list) -> dict:
    """A certificate "rank >= 1" of the 1 x n matrix ``entries`` (the minor is its first entry)."""
    return {"format": "tnverify-certificate", "version": 1, "claim": {},
            "objects": {"M": {"type": "matrix", "shape": [1, len(entries)], "entries": [entries]}},
            "steps": [{"id": "lower", "rule": "rank-at-least", "matrix": {"object": "M"}, "rank": 1,
                       "minor": {"rows": [0], "cols": [0]}, "modulus": 792629}],
            "conclusion": [{"fact": "rank-at-least", "subject": {"matrix": {"object": "M"}, "field": "Q"},
                            "value": 1}]}


def test_the_checker_has_the_limit_of_the_prover():
    assert kernel.MAX_DIGITS == MAX_DIGITS


def test_check_refuses_500_numbers_of_199999_digits_at_the_first(cli, tmp_path):
    f = tmp_path / "c.json"
    f.write_text(json.dumps(_matrix_cert(["7" * 199_999] * 500)))  # 100 MB
    r, seconds = _timed(cli, "check", f)
    assert r.code == 2 and r.out.rstrip().endswith("s MALFORMED") and "limit" in r.out
    assert seconds < QUICK


def test_check_refuses_many_numbers_within_the_limit_by_its_digit_budget(cli, tmp_path):
    """Each number is allowed; together they would take a minute (500 x 0.1 s): the budget stops them."""
    n = 500
    assert n * (MAX_DIGITS - 1) ** 2 > kernel.MAX_DIGIT_WORK
    f = tmp_path / "c.json"
    f.write_text(json.dumps(_matrix_cert(["7" * (MAX_DIGITS - 1)] * n)))  # 50 MB
    r, seconds = _timed(cli, "check", f)
    assert r.code == 2 and r.out.rstrip().endswith("s MALFORMED") and "too long in total" in r.out
    assert seconds < QUICK


def test_check_verifies_a_few_long_numbers_within_the_budget(cli, tmp_path):
    f = tmp_path / "c.json"
    f.write_text(json.dumps(_matrix_cert(["7" * (MAX_DIGITS - 1)] * 3)))
    r = cli("check", f)
    assert r.code == 0 and r.out.rstrip().endswith("s VERIFIED")


@pytest.mark.parametrize("entry", NOT_DIGITS + ["12\n", "+12", " 12", "3/-4"], ids=_short)
def test_check_refuses_number_strings_int_would_read(cli, tmp_path, entry):
    f = tmp_path / "c.json"
    f.write_text(json.dumps(_matrix_cert([entry, 1])))
    r = cli("check", f)
    assert r.code == 2 and r.out.rstrip().endswith("s MALFORMED")


# ---------------------------------------------------------------- flags
@pytest.mark.parametrize("spec", ["GF(7", "GF(7)))", "GF(1_009)", "GF(\u0667)", "GF(7)x", "Z/7ZZ"])
def test_rank_refuses_field_spellings_that_are_not_one(cli, tmp_path, spec):
    f = tmp_path / "m.txt"
    f.write_text("1 2\n3 4\n")
    _refused(cli("rank", f, "--field", spec), "field")


@pytest.mark.parametrize("args", [
    ["rank", "{m}", "--seed", "1_000"],
    ["rank", "{m}", "--seed", "\u0663"],
    ["rank", "{m}", "--seed", "7" * (MAX_DIGITS + 1)],
    ["rank", "{m}", "--jobs", "\uff12"],
    ["kruskal", "{m}", "--k-max", "1_0"],
    ["kruskal", "{m}", "--timeout", "1_0"],
    ["kruskal", "{m}", "--timeout", "0"],
    ["generic-rank", "--shape", "3,\uff13,3"],
    ["decompose", "{m}", "--rank", "2", "--tol", "inf"],
    ["learn", "--widths", "3,2", "--activation", "poly:1_0,1", "--samples", "3000"],
    ["separation", "--arch", "convac", "--inputs", "4", "--tree", "((0,1),(2," + "3" * (MAX_DIGITS + 1) + "))"],
    ["bench", "--repeat", "0"],
    ["bench", "--repeat", "-1"],
    ["list", "--budget", "1_0"],
], ids=lambda a: _short(" ".join(a)))
def test_flags_refuse_numbers_int_or_float_would_read(cli, tmp_path, args):
    (tmp_path / "m.txt").write_text("1 2\n3 4\n")
    _refused(cli(*[a.format(m=tmp_path / "m.txt") for a in args]))


# ---------------------------------------------------------------- catalog instances
def _instance(tmp_path, old: str, new: str) -> Path:
    """The claim instance with ``old`` replaced by ``new``, in a catalog folder of the same name."""
    folder = tmp_path / CLAIM.parent.name
    folder.mkdir(exist_ok=True)
    f = folder / "edited.toml"
    text = CLAIM.read_text()
    assert old in text
    f.write_text(text.replace(old, new))
    return f


@pytest.mark.parametrize("claim, words", [
    ("claim_at_least = -3", ["claim_at_least", ">= 0"]),
    ("claim_at_least = " + "7" * (MAX_DIGITS + 1), [f"at most {MAX_DIGITS} digits"]),
    ("claim_at_least = 0x" + "f" * MAX_DIGITS, [f"at most {MAX_DIGITS} digits"]),
], ids=lambda x: _short(x) if isinstance(x, str) else "")
def test_prove_refuses_a_claim_before_it_runs(cli, tmp_path, claim, words):
    r, seconds = _timed(cli, "prove", _instance(tmp_path, "claim_at_least = 3", claim))
    _refused(r, *words)
    assert "expected proved" not in r.out  # refused while loading, not after running the theorem
    assert seconds < QUICK


def _matrix_instance(tmp_path, params: str) -> Path:
    folder = tmp_path / "classical_ranks"
    folder.mkdir()
    f = folder / "edited.toml"
    f.write_text('[claim]\ntheorem = "matrix-rank"\nstatement = "s"\nsource = "s"\nexpect = "proved"\n\n'
                 f'[params]\nfamily = "explicit"\n{params}\n')
    return f


@pytest.mark.parametrize("params, word", [
    ('entries = [["1_000", "2"], ["3", "4"]]', "[params].entries"),
    ('entries = [["\u0663", "2"], ["3", "4"]]', "[params].entries"),
    ('entries = [["1", "2"], ["3", "' + "7" * (MAX_DIGITS + 1) + '"]]', f"at most {MAX_DIGITS} digits"),
    ('entries = [[1, 2], [3, 4]]\nfield = "GF(7"', "[params].field"),
    ('entries = [[1, 2], [3, 4]]\nfield = "GF(7)))"', "[params].field"),
    ('entries = [[1, 2], [3, 4]]\nclaim_at_most = -1', "[params].claim_at_most"),
], ids=lambda x: _short(x))
def test_prove_refuses_instance_numbers_int_would_read(cli, tmp_path, params, word):
    r = cli("prove", _matrix_instance(tmp_path, params))
    _refused(r, word)
    assert "expected proved" not in r.out
