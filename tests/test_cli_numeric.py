"""CLI: tnverify decompose / learn (JSON keys, exit codes, one-line errors)."""
from __future__ import annotations

import json

import numpy as np
import pytest

from tnverify.cli import main


def _run(capsys, argv):
    code = main(argv)
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.fixture
def planted(tmp_path):
    rng = np.random.default_rng(0)
    F = [rng.integers(-3, 4, (n, 3)) for n in (4, 5, 6)]
    p = tmp_path / "t.npy"
    np.save(p, np.einsum("ir,jr,kr->ijk", *F))
    return p


def test_decompose_json_keys(capsys, planted, tmp_path):
    code, out, _ = _run(capsys, ["decompose", str(planted), "--rank", "3", "--json", "--n-iter-max", "1000",
                                 "--tol", "1e-14", "--out", str(tmp_path / "f.npz")])
    d = json.loads(out)
    assert code == 0 and d["status"] == "numerical" and d["rank"] == 3 and d["method"] == "als"
    assert d["relative_error"] < 1e-6 and isinstance(d["iterations"], int)
    assert set(np.load(tmp_path / "f.npz").files) == {"weights", "factor_0", "factor_1", "factor_2"}


def test_decompose_prove_writes_verified_certificate(capsys, planted, tmp_path):
    from tnverify.checker import check

    cert = tmp_path / "c.json"
    code, out, _ = _run(capsys, ["decompose", str(planted), "--rank", "3", "--prove", "--cert", str(cert), "--json"])
    d = json.loads(out)
    assert code == 0 and d["status"] == "proved" and d["proof"]["rank"] == 3
    assert check(cert).ok


def test_decompose_prove_wrong_rank_is_not_proved(capsys, planted):
    code, out, _ = _run(capsys, ["decompose", str(planted), "--rank", "2", "--prove", "--json"])
    assert code == 3 and json.loads(out)["status"] == "numerical"


@pytest.mark.parametrize("method", ["jennrich", "hosvd", "tt"])
def test_decompose_other_methods(capsys, planted, method):
    code, out, _ = _run(capsys, ["decompose", str(planted), "--rank", "3", "--method", method, "--json"])
    d = json.loads(out)
    assert code == 0 and d["method"] == method and d["relative_error"] < (1e-8 if method == "jennrich" else 1.0)


def test_decompose_bad_inputs(capsys, planted, tmp_path):
    X = np.ones((2, 2, 2))
    X[0, 0, 0] = np.nan
    np.save(tmp_path / "nan.npy", X)
    np.save(tmp_path / "mat.npy", np.eye(3))
    cases = [["decompose", str(planted), "--rank", "0"],
             ["decompose", str(tmp_path / "nan.npy"), "--rank", "1"],
             ["decompose", str(tmp_path / "mat.npy"), "--rank", "1"],
             ["decompose", str(planted), "--rank", "5", "--method", "jennrich"]]
    for argv in cases:
        code, out, err = _run(capsys, argv)
        assert code == 2 and out == "" and err.startswith("tnverify: error:") and err.count("\n") == 1, argv


def test_learn_json_and_small_sample_error(capsys):
    code, out, _ = _run(capsys, ["learn", "--inputs", "4", "--hidden", "2", "--samples", "20000", "--seed", "1",
                                 "--json"])
    d = json.loads(out)
    assert code == 0 and 0 <= d["oracle"]["recovery_error"] <= 1 and d["status"] == "numerical"
    code, out, err = _run(capsys, ["learn", "--widths", "4,2", "--samples", "5"])
    assert code == 2 and "samples" in err and err.count("\n") == 1


def test_learn_exact_and_weights_file(capsys, tmp_path):
    p = tmp_path / "net.json"
    p.write_text(json.dumps({"weights": [[1, 0], [0, 1], [1, 1]], "bias": [0, 1], "output": [1, -2],
                             "activation": "cube"}))
    code, out, _ = _run(capsys, ["learn", "--weights", str(p), "--exact", "--json", "--cert", str(tmp_path / "m.json")])
    d = json.loads(out)
    assert code == 0 and d["status"] == "proved" and d["recovered_exactly"] and d["recovery_error"] == 0.0
    assert d["lambdas"] == ["6", "-12"]


def test_learn_sweep_files(capsys, tmp_path):
    code, out, _ = _run(capsys, ["learn", "--inputs", "3", "--hidden", "2", "--sweep", "300,600", "--csv",
                                 str(tmp_path / "s.csv"), "--plot", str(tmp_path / "s.png"), "--json"])
    assert code == 0 and len(json.loads(out)["sweep"]) == 2
    assert (tmp_path / "s.csv").exists() and (tmp_path / "s.png").exists()
