"""``tnverify rank`` and ``tnverify check``: outputs, certificates, exit codes, bad input."""
from __future__ import annotations

import json
from fractions import Fraction

import numpy as np
import pytest

from tnverify.cli import main
from tests.helpers import sympy_rank


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_rank_json_fields_and_certificate(tmp_path, capsys):
    A = np.array([[1, 2, 3], [2, 4, 6], [1, 0, 1]])
    f = tmp_path / "a.npy"
    np.save(f, A)
    cert = tmp_path / "c.json"
    code, out, err = run(capsys, "rank", str(f), "--json", "--cert", str(cert))
    assert code == 0, err
    d = json.loads(out)
    for key in ("rank", "field", "status", "lower", "upper", "shape", "rows", "seconds"):
        assert key in d
    assert d["rank"] == 2 == sympy_rank(A.tolist()) and d["status"] == "proved" and d["field"] == "Q"
    code, out, _ = run(capsys, "check", str(cert))
    assert code == 0 and out.strip().splitlines()[-1] == "s VERIFIED"


def test_rank_of_tensor_flattening_follows_the_convention(tmp_path, capsys):
    rng = np.random.default_rng(3)
    T = rng.integers(-2, 3, (2, 3, 2, 2))
    f = tmp_path / "t.json"
    f.write_text(json.dumps(T.tolist()))
    cert = tmp_path / "c.json"
    code, out, _ = run(capsys, "rank", str(f), "--rows", "2,0", "--json", "--cert", str(cert))
    d = json.loads(out)
    # rows: C-order over modes (2, 0) as given; columns: C-order over (1, 3)
    M = np.transpose(T, (2, 0, 1, 3)).reshape(4, 6)
    assert d["shape"] == [4, 6] and d["rows"] == [2, 0]
    assert d["rank"] == sympy_rank(M.tolist())
    assert run(capsys, "check", str(cert))[0] == 0


def test_rank_text_file_rationals_and_gf_p(tmp_path, capsys):
    f = tmp_path / "m.txt"
    f.write_text("1/2 1 2\n1 2 4\n0 3/5 1\n")
    code, out, _ = run(capsys, "rank", str(f), "--json")
    M = [[Fraction(1, 2), 1, 2], [1, 2, 4], [0, Fraction(3, 5), 1]]
    assert json.loads(out)["rank"] == sympy_rank(M)
    g = tmp_path / "g.txt"
    g.write_text("1 2\n3 6\n")
    code, out, _ = run(capsys, "rank", str(g), "--field", "GF(5)", "--json", "--cert", str(tmp_path / "c.json"))
    assert code == 0 and json.loads(out)["rank"] == 1 and json.loads(out)["field"] == "GF(5)"
    assert run(capsys, "check", str(tmp_path / "c.json"))[0] == 0


def test_probable_rank_exits_inconclusive(tmp_path, capsys):
    rng = np.random.default_rng(0)
    P = rng.integers(-9, 10, (30, 10)) @ rng.integers(-9, 10, (10, 30))
    f = tmp_path / "p.npy"
    np.save(f, P)
    code, out, _ = run(capsys, "rank", str(f), "--upper", "probable", "--json")
    d = json.loads(out)
    assert code == 3 and d["status"] == "probable" and d["rank"] == 10 and d["failure_probability"] < 1e-18


def _bad_inputs(tmp_path):
    np.save(tmp_path / "float.npy", np.ones((2, 2)))
    np.save(tmp_path / "obj.npy", np.array([[1, 2], [3, 4]], dtype=object), allow_pickle=True)
    (tmp_path / "ragged.json").write_text("[[1, 2], [3]]")
    (tmp_path / "nan.json").write_text("[[1, NaN], [3, 4]]")
    (tmp_path / "floats.json").write_text("[[1.5, 2], [3, 4]]")
    (tmp_path / "empty.json").write_text("[]")
    (tmp_path / "bad.json").write_text("[[1, 2], [3, 4]")
    (tmp_path / "m.csv").write_text("1,2\n3,4\n")
    (tmp_path / "ok.json").write_text("[[[1, 2], [3, 4]], [[5, 6], [7, 8]]]")
    (tmp_path / "notjson.cert").write_text("{ nope")
    return [
        (["rank", str(tmp_path / "missing.npy")], "does not exist"),
        (["rank", str(tmp_path / "m.csv")], "extension"),
        (["rank", str(tmp_path / "ragged.json")], "rectangular"),
        (["rank", str(tmp_path / "float.npy")], "floating-point"),
        (["rank", str(tmp_path / "nan.json")], "NaN"),
        (["rank", str(tmp_path / "floats.json")], "float"),
        (["rank", str(tmp_path / "empty.json")], "nonempty"),
        (["rank", str(tmp_path / "bad.json")], "valid JSON"),
        (["rank", str(tmp_path / "obj.npy")], "pickle"),
        (["rank", str(tmp_path / "ok.json"), "--partition", "0,5"], "row modes in 0..2"),
        (["rank", str(tmp_path / "ok.json"), "--partition", "1,1"], "distinct"),
        (["rank", str(tmp_path / "ok.json"), "--partition", "0,1,2"], "at least one column mode"),
        (["rank", str(tmp_path / "ok.json"), "--field", "GF(9)"], "not prime"),
        (["rank", str(tmp_path / "ok.json"), "--field", "R"], "expected a field"),
        (["rank"], "required"),
        (["frobnicate"], "invalid choice"),
    ]


def test_bad_input_one_line_exit_2(tmp_path, capsys):
    for argv, words in _bad_inputs(tmp_path):
        code, out, err = run(capsys, *argv)
        assert code == 2, (argv, err)
        lines = err.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("tnverify: error:"), (argv, err)
        assert words in lines[0], (argv, lines[0])
        assert "Traceback" not in err


def test_allow_pickle_accepts_object_arrays(tmp_path, capsys):
    np.save(tmp_path / "obj.npy", np.array([[Fraction(1, 2), 1], [1, 3]], dtype=object), allow_pickle=True)
    code, out, _ = run(capsys, "rank", str(tmp_path / "obj.npy"), "--allow-pickle", "--json")
    assert code == 0 and json.loads(out)["rank"] == 2


def test_check_exit_codes(tmp_path, capsys):
    (tmp_path / "x.json").write_text("{ nope")
    code, out, _ = run(capsys, "check", str(tmp_path / "x.json"))
    assert code == 2 and out.strip().endswith("s MALFORMED")
    code, out, _ = run(capsys, "check", "tests/certs/invalid/singular_minor.json")
    assert code == 1 and out.strip().endswith("s NOT VERIFIED") and "rank-at-least" in out
    code, out, _ = run(capsys, "check", "tests/certs/valid/rank_modular.json", "--json")
    assert code == 0 and json.loads(out)["verdict"] == "VERIFIED"


@pytest.mark.parametrize("argv", [["rank", "--help"], ["check", "--help"]])
def test_help_exits_zero(capsys, argv):
    with pytest.raises(SystemExit) as e:
        main(argv)
    assert e.value.code == 0
