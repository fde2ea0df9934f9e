"""The number syntax and the digit limit, at every way in, against definitions written here.

Definitions (tnverify.numbers, docs/certificates.md): an integer is an optional sign and 1 to
MAX_DIGITS ASCII digits, blanks around it allowed; a rational is ``p/q`` with such a p and an
unsigned q != 0, nothing between. Python's ``int()`` is not the oracle: it also takes ``1_000``
and other Unicode digits. The checker holds its own copy of the rules; both are tested against
the same definition.
"""
from __future__ import annotations

import argparse
import json
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, strategies as st

from tnverify import numbers
from tnverify.checker import check, kernel
from tnverify.cli import args as cli_args
from tnverify.errors import FieldError, InputError, NotExactError
from tnverify.exact import parse_field
from tnverify.exact.io import load_array
from tnverify.numbers import MAX_DIGITS, check_digit_runs, check_size, parse_int, to_exact
from tnverify.theory.learning import load_network, parse_activation

DIGITS = "0123456789"
#: Characters near the syntax: signs, separators, blanks, Unicode digits that int() reads, letters.
NEAR = DIGITS + "+-/ _\n\t\u0663\uff13\u00b2x.e"


def _value(digits: str) -> int:
    """The integer written by ASCII ``digits``, by Horner's rule (int() is not the oracle)."""
    v = 0
    for c in digits:
        v = 10 * v + DIGITS.index(c)
    return v


def _integer(s: str, signs: str = "+-"):
    """The definition: the value of ``s`` (already stripped) as an integer, or None."""
    sign = s[:1] if s[:1] and s[:1] in signs else ""
    body = s[len(sign):]
    if not body or any(c not in DIGITS for c in body):
        return None
    return -_value(body) if sign == "-" else _value(body)


def _exact(s: str):
    """The definition of an exact-number string: an int, a Fraction, or None."""
    s = s.strip()
    if s.count("/") == 1:
        a, b = s.split("/")
        a, b = _integer(a), _integer(b, signs="")
        if a is None or b is None or b == 0:
            return None
        f = Fraction(a, b)
        return f.numerator if f.denominator == 1 else f
    return _integer(s)


# ---------------------------------------------------------------- the prover's codec
@given(st.text(NEAR, max_size=12) | st.text(max_size=8))
def test_to_exact_reads_exactly_the_defined_strings(s):
    want = _exact(s)
    if want is None:
        with pytest.raises(NotExactError):
            to_exact(s)
    else:
        got = to_exact(s)
        assert got == want and type(got) is type(want)


@given(st.text(NEAR, max_size=12))
def test_parse_int_reads_exactly_the_defined_integers(s):
    want = _integer(s.strip())
    if want is None:
        with pytest.raises(NotExactError):
            parse_int(s)
    else:
        assert parse_int(s) == want


@pytest.mark.parametrize("text", ["1_000", "\u0663", "\uff13", "1 000", "0x10", "1e3", "+-1", ""])
def test_parse_int_refuses_what_int_reads_or_what_is_no_integer(text):
    with pytest.raises(NotExactError):
        parse_int(text)


def test_the_limit_is_on_digits_of_each_integer_in_every_reader():
    edge, over = "9" * MAX_DIGITS, "9" * (MAX_DIGITS + 1)
    assert parse_int("-" + edge) == -(10**MAX_DIGITS - 1) and to_exact(f"1/{edge}").denominator == 10**MAX_DIGITS - 1
    for read in (parse_int, to_exact, lambda s: to_exact(f"{s}/7"), lambda s: to_exact(f"7/{s}"),
                 lambda s: numbers.strict_json_loads(f"[{s}]")):
        with pytest.raises(InputError, match=f"at most {MAX_DIGITS} digits"):
            read(over)


def test_check_size_is_the_same_limit_for_parsed_values():
    assert check_size(10**MAX_DIGITS - 1) == 10**MAX_DIGITS - 1
    assert check_size(-(10**MAX_DIGITS - 1)) < 0
    for x in (10**MAX_DIGITS, -(10**MAX_DIGITS), Fraction(1, 10**MAX_DIGITS + 1), 2**(4 * MAX_DIGITS)):
        with pytest.raises(InputError, match=f"at most {MAX_DIGITS} digits"):
            check_size(x)


def test_check_digit_runs_finds_a_run_over_the_limit_and_its_line():
    check_digit_runs("a = " + "7" * MAX_DIGITS + "\nb = " + "1_0" * 1000, "f.toml")
    with pytest.raises(InputError, match="line 2"):
        check_digit_runs("a = 1\nb = " + "7" * (MAX_DIGITS + 1), "f.toml")
    with pytest.raises(InputError):
        check_digit_runs("b = " + "1_" * MAX_DIGITS, "f.toml")  # TOML's separators do not split a number


def test_strict_json_with_floats_keeps_the_integer_limit_and_refuses_constants():
    assert numbers.strict_json_loads("[1, 0.5]", floats=True) == [1, 0.5]
    with pytest.raises(InputError):
        numbers.strict_json_loads("[" + "7" * (MAX_DIGITS + 1) + "]", floats=True)
    with pytest.raises(NotExactError, match="constant"):
        numbers.strict_json_loads("[NaN]", floats=True)


def test_the_codec_loads_without_numpy_or_flint():
    import subprocess
    import sys

    code = "import sys, tnverify.numbers; print([m for m in ('numpy', 'flint') if m in sys.modules])"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


# ---------------------------------------------------------------- fields
@pytest.mark.parametrize("spec, p", [("GF(7)", 7), ("gf(7)", 7), ("F(7)", 7), ("Z/7", 7), ("Z/7Z", 7), ("7", 7),
                                     (" GF( 7 ) ", 7), ("GF(007)", 7)])
def test_parse_field_reads_each_spelling_of_gf_p(spec, p):
    F = parse_field(spec)
    assert F.kind == "GF" and F.p == p


@pytest.mark.parametrize("spec", ["GF(7", "GF(7)))", "GF((7))", "GF(7)x", "GF(1_009)", "GF(\u0667)", "GF(\uff17)",
                                  "GF(Z7)", "Z/7ZZ", "GF()", "Z/", "GF(" + "9" * 30 + ")", "R"])
def test_parse_field_refuses_what_is_not_one_spelling(spec):
    with pytest.raises(FieldError):
        parse_field(spec)


# ---------------------------------------------------------------- files
def test_txt_json_and_npy_entries_follow_the_syntax(tmp_path):
    (tmp_path / "ok.txt").write_text("1 -2/4\n+3 4\n")
    assert load_array(tmp_path / "ok.txt").tolist() == [[1, Fraction(-1, 2)], [3, 4]]
    for bad in ("1_000", "\u0663", "3/-4"):
        (tmp_path / "m.txt").write_text(f"1 2\n{bad} 4\n")
        (tmp_path / "m.json").write_text(json.dumps([[1, 2], [bad, 4]]))
        for f in ("m.txt", "m.json"):
            with pytest.raises(NotExactError, match="digits 0-9"):
                load_array(tmp_path / f)
    M = np.empty((1, 2), dtype=object)
    M[0] = [1, -(10**MAX_DIGITS)]
    np.save(tmp_path / "m.npy", M, allow_pickle=True)
    with pytest.raises(InputError, match=r"m.npy entry \(0, 1\)"):
        load_array(tmp_path / "m.npy", allow_pickle=True)


def test_a_network_file_and_an_activation_read_numbers_by_the_codec(tmp_path):
    f = tmp_path / "net.json"
    f.write_text(json.dumps({"weights": [[1, "1/2"], [0.5, 2]], "activation": "cube"}))
    assert load_network(f).W.tolist() == [[1.0, 0.5], [0.5, 2.0]]
    for bad in ('"1_000"', '"\\u0663"', "7" * (MAX_DIGITS + 1)):
        f.write_text('{"weights": [[1, %s]], "activation": "cube"}' % bad)
        with pytest.raises(InputError):
            load_network(f)
    assert parse_activation("poly:1,-1/2").coeffs == [Fraction(1), Fraction(-1, 2)]
    for bad in ("poly:1_0", "poly:0.5", "poly:\u0663"):
        with pytest.raises(InputError):
            parse_activation(bad)


# ---------------------------------------------------------------- command-line values
@pytest.mark.parametrize("fn, text", [(cli_args.integer, "1_000"), (cli_args.integer, "\uff13"),
                                      (cli_args.integer, "7" * (MAX_DIGITS + 1)), (cli_args.seed, "-1"),
                                      (cli_args.positive, "0"), (cli_args.shape, "3,\u0663"),
                                      (cli_args.widths, "2,1_0"), (cli_args.real, "nan"), (cli_args.real, "inf"),
                                      (cli_args.real, "1e999"), (cli_args.real, "1_0.5"), (cli_args.real, "\u0663"),
                                      (cli_args.positive_real, "0"), (cli_args.positive_real, "-1e-3"),
                                      (cli_args.activation, "poly:1_0"),
                                      (cli_args.tree, "((0," + "1" * (MAX_DIGITS + 1) + "))")])
def test_cli_values_refuse_what_int_or_float_would_read(fn, text):
    with pytest.raises(argparse.ArgumentTypeError):
        fn(text)


def test_cli_values_read_the_defined_numbers():
    assert cli_args.integer(" -12 ") == -12 and cli_args.shape("3,3") == (3, 3)
    assert cli_args.real("1e-8") == 1e-8 and cli_args.real(".5") == 0.5 and cli_args.positive_real("2.") == 2.0


# ---------------------------------------------------------------- the checker's copy
def test_the_checker_and_the_prover_share_the_limit():
    assert kernel.MAX_DIGITS == MAX_DIGITS


@given(st.text(NEAR, max_size=12))
def test_checker_numbers_are_the_defined_strings_without_blanks_or_plus(s):
    want = _exact(s) if s == s.strip() and not s.startswith("+") and "/+" not in s else None
    with kernel.no_int_digit_limit():
        if want is None:
            with pytest.raises(kernel.Malformed):
                kernel.num(s, "x")
        else:
            got = kernel.num(s, "x")
            assert got == want and type(got) is type(want)


def test_checker_digit_budget_counts_squared_lengths_per_check(monkeypatch):
    d = kernel.SHORT_DIGITS + 10
    monkeypatch.setattr(kernel, "MAX_DIGIT_WORK", 3 * d * d)
    with kernel.no_int_digit_limit(), kernel.digit_budget():
        for _ in range(3):
            kernel.num("7" * d, "x")
        with pytest.raises(kernel.Malformed, match="too long in total"):
            kernel.num("7" * d, "x")
    with kernel.digit_budget():  # a fresh budget for the next check; short numbers are free
        kernel.num("7" * d, "x")
        for _ in range(1000):
            kernel.num("7" * kernel.SHORT_DIGITS, "x")


def test_check_refuses_a_literal_over_the_limit_and_verifies_one_at_it():
    cert = {"format": "tnverify-certificate", "version": 1, "claim": {},
            "objects": {"M": {"type": "matrix", "shape": [1, 1], "entries": [["X"]]}},
            "steps": [{"id": "s", "rule": "rank-at-least", "matrix": {"object": "M"}, "rank": 1,
                       "minor": {"rows": [0], "cols": [0]}, "modulus": 792629}],
            "conclusion": [{"fact": "rank-at-least", "subject": {"matrix": {"object": "M"}, "field": "Q"},
                            "value": 1}]}
    text = json.dumps(cert)
    assert check(text.replace('"X"', "7" * MAX_DIGITS)).status == "VERIFIED"
    v = check(text.replace('"X"', "7" * (MAX_DIGITS + 1)))
    assert v.status == "MALFORMED" and str(MAX_DIGITS) in v.message
