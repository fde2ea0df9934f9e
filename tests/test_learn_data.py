"""``tnverify learn --data FILE.npz --components K``: learning from a user's samples alone.

The directions learned are compared with the generating weights, which the command never sees;
inputs that are not ``N(0, I)`` are reported; bad files and contradictory options are one-line
errors with exit code 2."""
from __future__ import annotations

import json

import numpy as np
import pytest

from tnverify.cli import main
from tnverify.theory.learning import recovery_error


def _samples(tmp_path, n=300_000, d=5, k=3, seed=0, shift=False, name="s.npz"):
    rng = np.random.default_rng(seed)
    W = np.linalg.qr(rng.standard_normal((d, d)))[0][:, :k]
    X = rng.standard_normal((n, d))
    y = np.tanh(X @ W + 0.3).sum(axis=1)
    path = tmp_path / name
    np.savez(path, X=2.0 * X + 1.0 if shift else X, y=y)
    return path, W


def test_data_directions_match_the_generating_weights(tmp_path, capsys):
    path, W = _samples(tmp_path)
    assert main(["learn", "--data", str(path), "--components", "3", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    U = np.array(out["recovered"]).T
    err, _ = recovery_error(W, U)
    assert err < 0.01  # max over neurons of 1 - |cos|, against weights the command never saw
    assert "oracle" not in out and out["status"] == "numerical" and out["warnings"] == []
    assert out["test_error"] < 0.1


def test_non_gaussian_inputs_are_reported(tmp_path, capsys):
    path, _ = _samples(tmp_path, shift=True)
    main(["learn", "--data", str(path), "--components", "3"])
    err = capsys.readouterr().err
    assert "do not look standard Gaussian" in err


@pytest.mark.parametrize("make, args, words", [
    (lambda p: np.savez(p, X=np.zeros((500, 3)), z=np.zeros(500)), ["--components", "2"], "arrays X (n x d) and y"),
    (lambda p: np.savez(p, X=np.zeros((500, 3)), y=np.zeros(400)), ["--components", "2"], "expected X of shape"),
    (lambda p: np.savez(p, X=np.full((500, 3), np.nan), y=np.zeros(500)), ["--components", "2"], "NaN or Inf"),
    (lambda p: np.savez(p, X=np.zeros((500, 3), dtype=complex), y=np.zeros(500)), ["--components", "2"],
     "real numbers"),
    (lambda p: np.savez(p, X=np.zeros((30, 3)), y=np.zeros(30)), ["--components", "2"], "samples in"),
    (lambda p: np.savez(p, X=np.zeros((500, 3)), y=np.zeros(500)), ["--components", "4"], "at most the input"),
    (lambda p: np.savez(p, X=np.zeros((500, 3)), y=np.zeros(500)), [], "expected --components K"),
    (lambda p: np.savez(p, X=np.zeros((500, 3)), y=np.zeros(500)), ["--components", "2", "--widths", "3,2"],
     "drop --widths"),
    (lambda p: p.write_bytes(b"not a zip"), ["--components", "2"], "could not read"),
])
def test_bad_data_is_one_line_exit_2(tmp_path, capsys, make, args, words):
    path = tmp_path / "d.npz"
    make(path)
    before = path.read_bytes()
    assert main(["learn", "--data", str(path), *args]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and words in err, err
    assert path.read_bytes() == before  # the user's file is never touched


def test_components_without_data_is_refused(capsys):
    assert main(["learn", "--widths", "3,2", "--samples", "5000", "--components", "2"]) == 2
    assert "--components" in capsys.readouterr().err
