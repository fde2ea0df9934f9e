"""CLI: kruskal, unique, identifiable (exit codes, JSON keys, one-line errors)."""
from __future__ import annotations

import json

import numpy as np
import pytest

from tnverify.checker import check
from tnverify.cli import main


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def files(tmp_path):
    paths = {}
    for name, arr in {
        "e": np.array([[1, 0, 1, 0], [0, 1, 1, 0], [0, 0, 0, 1]]),
        "i4": np.eye(4, dtype=np.int64),
        "v4": np.array([[1, 1, 1, 1], [1, 2, 3, 4], [1, 4, 9, 16], [1, 8, 27, 64]]),
        "two": np.ones((3, 2), dtype=np.int64),
        "float": np.array([[1.5, 2.0]]),
        "empty": np.zeros((0, 4), dtype=np.int64),
        "big": np.random.default_rng(0).integers(-50, 51, (8, 16)),
    }.items():
        paths[name] = str(tmp_path / f"{name}.npy")
        np.save(paths[name], arr)
    nan = tmp_path / "nan.json"
    nan.write_text("[[1, NaN]]")
    paths["nan"] = str(nan)
    paths["dir"] = tmp_path
    return paths


def test_kruskal_json_and_certificate(capsys, files):
    cert = files["dir"] / "k.json"
    code, out, _ = run(capsys, "kruskal", files["e"], "--json", "--cert", str(cert))
    d = json.loads(out)
    assert code == 0 and d["k_rank"] == 2 and d["status"] == "proved"
    assert (d["lower"], d["upper"], d["witness"]) == (2, 2, [0, 1, 2])
    assert check(cert).ok


def test_kruskal_budget_gives_interval_and_exit_3(capsys, files):
    code, out, _ = run(capsys, "kruskal", files["big"], "--max-subsets", "500", "--json")
    d = json.loads(out)
    assert code == 3 and d["status"] == "unknown" and d["k_rank"] is None and d["lower"] < d["upper"]


def test_kruskal_generic(capsys):
    code, out, _ = run(capsys, "kruskal", "--generic", "4,6", "--json")
    assert code == 0 and json.loads(out)["k_rank"] == 4


@pytest.mark.parametrize("argv", [
    ["kruskal", "{float}"], ["kruskal", "{nan}"], ["kruskal", "{empty}"], ["kruskal", "{i4}", "--max-subsets", "2"],
    ["unique", "--factors", "{i4}", "{i4}"], ["unique", "--factors", "{i4}", "{i4}", "{two}"],
    ["unique", "--factors", "{empty}", "{i4}", "{i4}"], ["unique", "--shape", "4,4"],
    ["identifiable", "--widths", "x", "--degree", "3"], ["kruskal"],
])
def test_bad_input_is_one_line_exit_2(capsys, files, argv):
    argv = [a.format(**files) for a in argv]
    code, out, err = run(capsys, *argv)
    assert code == 2 and err.startswith("tnverify: error:") and err.count("\n") == 1


def test_unique_factors_lists_conditions(capsys, files):
    code, out, _ = run(capsys, "unique", "--factors", files["e"], files["i4"], files["v4"])
    assert code == 0 and "Kruskal" in out and "holds" in out and "unique (proved)" in out


def test_unique_shape_json_and_inconclusive(capsys, files):
    code, out, _ = run(capsys, "unique", "--shape", "4,4,4", "--rank", "5", "--json")
    d = json.loads(out)
    assert code == 0 and d["verdict"] == "unique" and d["k_ranks"] == [4, 4, 4]
    assert [c["held"] for c in d["conditions"]][0] is True
    code, out, _ = run(capsys, "unique", "--shape", "6,6,3", "--rank", "8", "--json")  # weakly defective: undecided
    assert code == 3 and json.loads(out)["verdict"] == "unknown"
    code, out, _ = run(capsys, "unique", "--shape", "5,5,3", "--rank", "6", "--json")  # beyond Kruskal: COV
    assert code == 0 and json.loads(out)["criterion"] == "COV"
    code, out, _ = run(capsys, "unique", "--shape", "4,4,4", "--rank", "5", "--symmetric", "--json")
    assert code == 0 and json.loads(out)["verdict"] == "unique"


def test_unique_tensor_jennrich(capsys, files):
    T = np.einsum("ir,jr,kr->ijk", np.eye(3, dtype=np.int64), np.load(files["v4"])[:3, :3],
                  np.array([[1, 2, 3], [3, 1, 2]]))
    path = files["dir"] / "t.npy"
    np.save(path, T)
    cert = files["dir"] / "t.json"
    code, out, _ = run(capsys, "unique", "--tensor", str(path), "--cert", str(cert))
    assert code == 0 and "Jennrich" in out and check(cert).ok


def test_identifiable(capsys, files):
    code, out, _ = run(capsys, "identifiable", "--widths", "4,5,1", "--degree", "3", "--json")
    assert code == 0 and json.loads(out)["verdict"] == "identifiable"
    cert = files["dir"] / "n.json"
    code, out, _ = run(capsys, "identifiable", "--widths", "3,4,1", "--degree", "3", "--cert", str(cert))
    assert code == 0 and "not identifiable" in out and check(cert).ok
    w = files["dir"] / "w.npy"
    np.save(w, np.array([[1, 0, 1], [0, 1, 1], [0, 0, 1]]))
    code, out, _ = run(capsys, "identifiable", "--widths", "3,3", "--degree", "3", "--weights", str(w), "--json")
    assert code == 0 and json.loads(out)["verdict"] == "identifiable"


def test_gf_p_certificate_of_a_rational_matrix_stores_it_reduced_and_verifies(tmp_path, capsys):
    from fractions import Fraction

    f = tmp_path / "r.json"
    f.write_text(json.dumps([[1, "1/2", 3], ["2/3", 1, 1]]))
    cert = tmp_path / "c.json"
    code, out, err = run(capsys, "kruskal", str(f), "--field", "GF(7)", "--cert", str(cert))
    assert code == 0, err
    d = json.loads(cert.read_text())
    entries = d["objects"]["A"]["entries"]
    red = [[(Fraction(x).numerator * pow(Fraction(x).denominator, -1, 7)) % 7 for x in row]
           for row in [[1, "1/2", 3], ["2/3", 1, 1]]]
    assert entries == red
    code, out, _ = run(capsys, "check", str(cert))
    assert code == 0 and out.strip().endswith("s VERIFIED")
