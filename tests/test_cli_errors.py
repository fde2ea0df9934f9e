"""Bad input across subcommands: one line on stderr, exit code 2, JSON on stdout with --json, no traceback.

Each case is a user mistake found by an adversarial audit of the command line.
"""
from __future__ import annotations

import json

import numpy as np
import pytest

from tnverify.cli import main


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def one_line_error(code, err, expect_code=2):
    assert code == expect_code, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("tnverify: error: "), err
    return lines[0]


@pytest.fixture
def mat(tmp_path):
    f = tmp_path / "m.npy"
    np.save(f, np.array([[1, 2], [3, 4]]))
    return f


@pytest.mark.parametrize("cmd", [["rank", "{mat}"], ["kruskal", "{mat}"], ["kruskal", "--generic", "3,4"],
                                 ["unique", "--shape", "3,3,3", "--rank", "2"], ["secant", "--rank", "2", "3", "3", "3"],
                                 ["identifiable", "--widths", "3,4", "--degree", "3"],
                                 ["separation", "--arch", "cp", "-N", "4", "--rank", "2"]])
def test_negative_seed_is_rejected_up_front(capsys, mat, cmd):
    code, _, err = run(capsys, *[c.format(mat=mat) for c in cmd], "--seed", "-1")
    assert "expected a seed >= 0, got -1" in one_line_error(code, err)


def test_json_errors_are_json_on_stdout(capsys, tmp_path):
    code, out, err = run(capsys, "rank", tmp_path / "missing.npy", "--json")
    one_line_error(code, err)
    d = json.loads(out)
    assert d["status"] == "error" and d["exit_code"] == 2 and "does not exist" in d["message"]


def test_output_option_naming_a_directory_fails_before_any_work(capsys, mat, tmp_path):
    code, out, err = run(capsys, "rank", mat, "--cert", tmp_path)
    assert "got the directory" in one_line_error(code, err) and out == ""


def test_missing_parent_folders_of_outputs_are_made(capsys, mat, tmp_path):
    cert = tmp_path / "a" / "b" / "c.json"
    code, _, err = run(capsys, "rank", mat, "--cert", cert)
    assert code == 0, err
    assert cert.is_file()


@pytest.mark.parametrize("content,needle", [(b"\xff\xfe not text", "expected UTF-8 text"),
                                            (b"[" * 100000 + b"]" * 100000, "nested")])
def test_unreadable_json_text_is_bad_input(capsys, tmp_path, content, needle):
    f = tmp_path / "x.json"
    f.write_bytes(content)
    code, _, err = run(capsys, "rank", f)
    assert needle in one_line_error(code, err)


def test_integers_beyond_python_default_digit_limit_are_exact_input(capsys, tmp_path):
    big = "1" + "0" * 4999 + "1"  # 10^5000 + 1, written without converting a huge int to text
    f = tmp_path / "big.json"
    f.write_text(f"[[{big}, 1], [1, 1]]")
    code, out, err = run(capsys, "rank", f, "--json")
    assert code == 0, err
    assert json.loads(out)["rank"] == 2


@pytest.mark.parametrize("cmd", [["draw", "--arch", "cp", "-N", "4", "--rank", "2", "-o", "{tmp}/x.txt"],
                                 ["neuro-plot", "--widths", "2,2,1", "--output", "{tmp}/x.frob"]])
def test_figure_outputs_need_a_figure_suffix(capsys, tmp_path, cmd):
    code, _, err = run(capsys, *[c.format(tmp=tmp_path) for c in cmd])
    assert "expected a .png, .pdf, .svg file name" in one_line_error(code, err)


@pytest.mark.parametrize("cmd,needle", [
    (["sweep", "--arch", "frob", "--inputs", "4", "--over", "rank", "--values", "1", "-o", "{tmp}/s.csv"], "unknown architecture"),
    (["kruskal", "--generic", "3,4,5"], "two positive integers"),
    (["ah-table", "--n-min", "5", "--n-max", "2"], "--n-min <= --n-max"),
    (["rank", "--jobs", "0", "{tmp}/m.npy"], "expected an integer >= 1, got 0"),
    (["separation", "--arch", "cp", "--inputs", "52", "--rank", "2"], "at most 52 are supported"),
    (["unique", "--factors", "{tmp}/m.npy", "{tmp}/m.npy", "{tmp}/m.npy", "--symmetric"], "--symmetric applies"),
    (["identifiable", "--widths", "3,2", "--degree", "3", "--weights", "{tmp}/w.npy"], "expected W of shape (3, 2)"),
    (["decompose", "--rank", "2", "{tmp}/c.npy"], "complex"),
    (["decompose", "--rank", "2", "--tol", "nan", "{tmp}/t.npy"], "finite"),
    (["decompose", "--rank", "2", "--cert", "{tmp}/x.json", "{tmp}/t.npy"], "add --prove"),
    (["learn", "--widths", "3,2", "--samples", "100", "-o", "{tmp}/l.csv"], "add --sweep"),
    (["kruskal", "--shape", "3,4", "--field", "GF(9)"], "--field is for a matrix FILE"),
    (["unique", "--shape", ",".join(["2"] * 65), "--rank", "2"], "at most 64 modes (the checker's limit"),
    (["bench", "--quick", "checker", "--repeat", "99999999999999999999"], "from 1 to 1000"),
])
def test_bad_options_and_values_are_one_line_errors(capsys, tmp_path, cmd, needle):
    np.save(tmp_path / "m.npy", np.array([[1, 2], [3, 4]]))
    np.save(tmp_path / "w.npy", np.ones((2, 3), dtype=np.int64))  # transposed: W must be 3 x 2
    np.save(tmp_path / "c.npy", np.ones((3, 3, 3), dtype=complex))
    np.save(tmp_path / "t.npy", np.random.default_rng(0).standard_normal((3, 3, 3)))
    code, _, err = run(capsys, *[c.format(tmp=tmp_path) for c in cmd])
    assert needle in one_line_error(code, err)


def _instance(tmp_path, theorem, params):
    f = tmp_path / "classical_ranks" / "i.toml"  # a catalog folder: named after a key of theorems.references
    f.parent.mkdir(exist_ok=True)
    f.write_text(f'[claim]\ntheorem = {theorem}\nstatement = "s"\nsource = "t"\nexpect = "proved"\n'
                 f"[params]\n{params}\n")
    return f


@pytest.mark.parametrize("theorem,params,needle", [
    ('"matrix-rank"', 'family = "matmul"\nn = "two"', "[params].n of theorem 'matrix-rank': expected an integer"),
    ('"matrix-rank"', 'family = "matmul"\nn = 2\nfield = "GF(4)"', "not prime"),
    ("5", 'family = "matmul"', "must be a theorem name"),
])
def test_prove_with_bad_params_exits_2(capsys, tmp_path, theorem, params, needle):
    code, _, err = run(capsys, "prove", _instance(tmp_path, theorem, params))
    assert code == 2 and needle in err, err
    assert "Traceback" not in err


def test_network_file_with_unknown_field_is_rejected(capsys, tmp_path):
    f = tmp_path / "net.json"
    f.write_text(json.dumps({"weights": [[1, 0], [0, 1], [1, 1]], "activation": "cube", "frob": 1}))
    code, _, err = run(capsys, "learn", "--weights", f, "--samples", "1000")
    assert "unknown field(s) ['frob']" in one_line_error(code, err)


def test_report_lists_undecodable_and_odd_certificates_as_malformed(capsys, tmp_path):
    d = tmp_path / "certs"
    d.mkdir()
    (d / "binary.json").write_bytes(b"\xff\xfe\x00garbage")
    (d / "claim_is_text.json").write_text(json.dumps({"format": "tnverify-certificate", "claim": "x"}))
    code, out, err = run(capsys, "report", d, "-o", tmp_path / "R.md", "--json")
    assert code == 1, err
    assert sorted(json.loads(out)["not_verified"]) == ["binary.json", "claim_is_text.json"]
    assert "MALFORMED" in (tmp_path / "R.md").read_text()


def test_list_without_paths_lists_theorems_from_any_folder(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, out, err = run(capsys, "list", "--json")
    assert code == 0, err
    d = json.loads(out)
    assert len(d["theorems"]) > 0 and d["instances"] == []


def test_oversized_separation_fails_before_the_per_leg_cuts(capsys):
    import time

    t0 = time.perf_counter()
    code, _, err = run(capsys, "separation", "--arch", "cp", "--inputs", "400", "--rank", "2")
    assert "at most 52 inputs" in one_line_error(code, err)
    # (a deep ConvAC of this size is proved at a product point; a tensor train has no such point)
    code, _, err = run(capsys, "separation", "--arch", "tt", "--inputs", "32", "--features", "100", "--widths", "100")
    assert "--budget" in one_line_error(code, err)
    assert time.perf_counter() - t0 < 30


def test_expected_value_the_theorem_never_produces_exits_2(capsys, tmp_path):
    f = _instance(tmp_path, '"matrix-rank"', 'family = "explicit"\nentries = [[1, 2], [3, 4]]\n[expected]\nfoo = 3')
    code, out, err = run(capsys, "prove", f)
    assert code == 2 and "produces no value 'foo'" in err, err


@pytest.mark.parametrize("cmd,needle", [
    (["separation", "{tmp}"], "got the directory"),
    (["separation", "{tmp}/m.npy"], "in UTF-8 text, got the byte 0x93 at offset 0 of"),
    (["run", "{tmp}/cat"], "bad.toml: expected an instance TOML file in UTF-8 text"),
    (["kruskal", "{tmp}/m.npy", "--cert="], "got an empty one"),
])
def test_files_named_in_errors_about_their_kind_or_bytes(capsys, tmp_path, cmd, needle):
    """A directory, a binary file where a JSON network or an instance was expected, an empty output name."""
    np.save(tmp_path / "m.npy", np.array([[1, 2], [3, 4]]))
    (tmp_path / "cat").mkdir()
    (tmp_path / "cat" / "bad.toml").write_bytes(b"\xff[claim]\n")
    code, _, err = run(capsys, *[c.format(tmp=tmp_path) for c in cmd])
    assert needle in one_line_error(code, err)


@pytest.mark.parametrize("value,code,needle", [
    ("7.0", 2, "[expected].rank: expected an exact value"),
    ('"7"', 1, "rank: expected '7' (a string), got 7 (an integer)"),
    ("true", 1, "rank: expected True (a boolean), got 7 (an integer)"),
])
def test_expected_values_are_exact_and_a_mismatch_of_kind_says_so(capsys, tmp_path, value, code, needle):
    f = tmp_path / "classical_ranks" / "i.toml"
    f.parent.mkdir()
    f.write_text('[claim]\ntheorem = "matrix-rank"\nstatement = "s"\nsource = "t"\nexpect = "proved"\n'
                 f'[params]\nfamily = "vandermonde"\nn = 12\nfield = "GF(7)"\n[expected]\nrank = {value}\n')
    got, out, err = run(capsys, "run", f)
    assert got == code and needle in (err if code == 2 else out), (out, err)
