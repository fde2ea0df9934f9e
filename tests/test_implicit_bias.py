"""Tensor completion by gradient descent on CP and HT factorizations, and the implicit-bias statements.

The gradients are checked against central finite differences of the loss written from its
definition; the jitted steps against ``params - step * gradient``; the jitted run against the
numpy run of the same descent; the learned ranks against numpy's own SVD ranks; the proved facts
through the independent checker, with a tampered certificate that it must reject.
"""
from __future__ import annotations

import csv
import json

import numpy as np
import pytest

from tnverify.checker import check
from tnverify.cli import main
from tnverify.errors import InputError, ShapeError
from tnverify.numeric.implicit_bias import HTTree, balanced_tree, complete, cp_gradient, ht_gradient
from tnverify.theory.implicit_bias import (DEFAULTS, format_limits, ground_truth, implicit_bias, observation_mask,
                                           sweep)


def _loss(W, idx, y):
    """(1/m) sum_j (W[i_j] - y_j)^2, from the definition."""
    return float(np.mean((W[tuple(idx.T)] - y) ** 2))


def _cp_tensor(factors):
    return np.einsum("ir,jr,kr->ijk", *factors)


def _ht_tensor_3(mats):
    """The HT tensor of the tree ((0,1),2) in post-order [leaf0, leaf1, node01, leaf2, root], written out."""
    A, B, M, C, r = mats
    return np.einsum("is,js,st,kt,t->ijk", A, B, M, C, r[:, 0])


def _problem(shape=(4, 5, 3), seed=0, frac=0.5):
    rng = np.random.default_rng(seed)
    T = rng.standard_normal(shape)
    mask = rng.random(shape) < frac
    return T, mask, np.argwhere(mask), T[mask]


def test_cp_gradient_matches_finite_differences():
    T, mask, idx, y = _problem()
    rng = np.random.default_rng(1)
    F = [rng.standard_normal((d, 3)) for d in T.shape]
    loss, grads = cp_gradient(F, idx, y)
    assert loss == pytest.approx(_loss(_cp_tensor(F), idx, y), rel=1e-12)
    h = 1e-6
    for k in range(3):
        for i, r in [(0, 0), (T.shape[k] - 1, 2), (1, 1)]:
            Fp = [f.copy() for f in F]
            Fm = [f.copy() for f in F]
            Fp[k][i, r] += h
            Fm[k][i, r] -= h
            fd = (_loss(_cp_tensor(Fp), idx, y) - _loss(_cp_tensor(Fm), idx, y)) / (2 * h)
            assert grads[k][i, r] == pytest.approx(fd, rel=1e-6, abs=1e-8)


def test_ht_gradient_matches_finite_differences():
    T, mask, idx, y = _problem()
    tree = HTTree.build(((0, 1), 2), T.shape, 3)
    rng = np.random.default_rng(2)
    mats = [rng.standard_normal((int(i), int(o))) for i, o in zip(tree.nin, tree.nout)]
    loss, grads = ht_gradient(mats, tree, idx, y)
    assert loss == pytest.approx(_loss(_ht_tensor_3(mats), idx, y), rel=1e-12)
    h = 1e-6
    for v, M in enumerate(mats):
        for a, b in [(0, 0), (M.shape[0] - 1, M.shape[1] - 1)]:
            Mp = [m.copy() for m in mats]
            Mm = [m.copy() for m in mats]
            Mp[v][a, b] += h
            Mm[v][a, b] -= h
            fd = (_loss(_ht_tensor_3(Mp), idx, y) - _loss(_ht_tensor_3(Mm), idx, y)) / (2 * h)
            assert grads[v][a, b] == pytest.approx(fd, rel=1e-6, abs=1e-8)


@pytest.mark.parametrize("model", ["cp", "ht"])
def test_one_jitted_step_is_params_minus_step_times_the_gradient(model):
    T, mask, idx, y = _problem(shape=(5, 4, 3, 2))
    kw = dict(model=model, components=3, init_scale=0.4, step=0.05, seed=3)
    start = complete(T, mask, iterations=0, **kw)
    one = complete(T, mask, iterations=1, **kw)
    if model == "cp":
        _, grads = cp_gradient(start.params, idx, y)
    else:
        _, grads = ht_gradient(start.params, start.tree, idx, y)
    for p0, p1, g in zip(start.params, one.params, grads):
        np.testing.assert_allclose(p1, p0 - 0.05 * g, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("model,tree", [("cp", None), ("ht", None), ("ht", ((2, 0), (3, 1))), ("ht", (((1, 3), 0), 2))])
def test_numba_and_numpy_runs_agree(model, tree):
    T, mask, _, _ = _problem(shape=(3, 4, 5, 2), seed=4)
    kw = dict(model=model, components=3, init_scale=0.3, step=0.05, iterations=60, truth=T, record_every=7, tree=tree)
    a = complete(T, mask, **kw)
    b = complete(T, mask, engine="numpy", **kw)
    assert list(a.iterations) == list(b.iterations) == [0, 7, 14, 21, 28, 35, 42, 49, 56, 60]
    np.testing.assert_allclose(a.tensor(), b.tensor(), rtol=1e-10, atol=1e-13)
    np.testing.assert_allclose(a.norms, b.norms, rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(a.observed_error, b.observed_error, rtol=1e-10)
    np.testing.assert_allclose(a.full_error, b.full_error, rtol=1e-10)
    # the recorded full error is the definition's
    assert a.full_error[-1] == pytest.approx(np.linalg.norm(a.tensor() - T) / np.linalg.norm(T), rel=1e-10)


def test_recorded_norms_are_the_component_norms():
    T, mask, _, _ = _problem()
    res = complete(T, mask, components=3, init_scale=0.5, step=0.01, iterations=5)
    comp = [np.linalg.norm(np.einsum("i,j,k->ijk", *(F[:, r] for F in res.params))) for r in range(3)]
    np.testing.assert_allclose(res.norms[-1], comp, rtol=1e-12)
    ht = complete(T, mask, model="ht", components=3, init_scale=0.5, step=0.01, iterations=5)
    A, B, M, C, r = ht.params
    local01 = [np.linalg.norm(M[s]) * np.linalg.norm(A[:, s]) * np.linalg.norm(B[:, s]) for s in range(3)]
    root = [np.linalg.norm(r[s]) * np.linalg.norm(M[:, s]) * np.linalg.norm(C[:, s]) for s in range(3)]
    np.testing.assert_allclose(ht.norms[-1], local01 + root, rtol=1e-12)
    np.testing.assert_allclose(ht.tensor(), _ht_tensor_3(ht.params), rtol=1e-12)


def test_balanced_tree_and_bad_trees():
    assert balanced_tree(5) == (((0, 1), 2), (3, 4))
    for bad in [((0, 1), 1), ((0, 1),), (0, (1, 5)), ((0, 1), 2, 3)]:
        with pytest.raises(ShapeError):
            HTTree.build(bad, (2, 2, 2), 2)


def test_ground_truth_is_the_sum_of_its_integer_rank_one_terms():
    g = ground_truth((4, 3, 5), 2, seed=7)
    assert np.array_equal(g.tensor, np.einsum("ir,jr,kr->ijk", *g.factors))
    assert g.scale == np.abs(g.tensor).max()
    mask = observation_mask((4, 3, 5), 0.3, seed=7)
    assert mask.sum() == round(0.3 * 60)


def test_format_limits():
    assert format_limits((10, 10, 10), "cp") == (10, 100)
    assert format_limits((10, 10, 10), "ht") == (10, 10)
    assert format_limits((2, 3, 4, 5), "cp") == (10, 24)  # {0,3}|{1,2}: min(10, 12)


def _float_rank(W, mode, tol=1e-6):
    M = np.moveaxis(W, mode, 0).reshape(W.shape[mode], -1)
    s = np.linalg.svd(M, compute_uv=False)
    return int((s > tol * s[0]).sum())


def test_small_initialization_learns_low_rank_and_the_rounding_is_the_truth():
    res = implicit_bias((10, 10, 10), 2, init_scale=1e-3, iterations=8000, seed=0)
    d = res.to_dict()
    W = res.run.tensor()
    assert d["numerical_rank"] == 2 and d["full_error"] < 1e-4
    assert [_float_rank(W, k) for k in range(3)] == [2, 2, 2]  # numpy's own SVD agrees
    assert d["learned"]["equals_truth"] and d["learned"]["status"] == "proved"
    assert d["learned"]["flattening_ranks"] == {"0": 2, "1": 2, "2": 2}
    assert d["truth"]["cp_rank"] == 2 and d["verdict"] == "VERIFIED"
    q = d["learned"]["grid"]
    assert np.array_equal(np.rint(W * q).astype(np.int64) * res.truth.scale, res.truth.tensor * q)


def test_large_initialization_does_not_learn_low_rank():
    res = implicit_bias((10, 10, 10), 2, init_scale=0.5, iterations=8000, seed=0)
    d = res.to_dict()
    W = res.run.tensor()
    assert d["numerical_rank"] > 2 and d["full_error"] > 1e-2
    assert max(_float_rank(W, k) for k in range(3)) > 2
    assert not d["learned"]["equals_truth"] and d["learned"]["rounded_rank"] > 2
    assert d["learned"]["status"] == "proved" and d["verdict"] == "VERIFIED"


def test_a_tampered_certificate_is_rejected():
    res = implicit_bias((6, 6, 6), 2, init_scale=1e-2, iterations=4000, seed=1)
    cert = res.certificate.to_dict()
    assert check(cert).status == "VERIFIED"
    bad = json.loads(json.dumps(cert))
    for c in bad["conclusion"]:
        if c["fact"] == "cp-rank-at-least" and c["subject"]["tensor"]["object"] == "learned":
            c["value"] += 1
    assert check(bad).status != "VERIFIED"
    bad = json.loads(json.dumps(cert))
    bad["objects"]["truth"]["entries"][0] += 1  # the factors no longer give the truth
    assert check(bad).status != "VERIFIED"


@pytest.mark.parametrize("kwargs, error", [
    ({"init_scale": 0.0}, "initialization scale > 0"),
    ({"init_scale": -1e-3}, "initialization scale > 0"),
    ({"observed": 0.0}, "observed fraction in (0, 1]"),
    ({"observed": 1.5}, "observed fraction in (0, 1]"),
    ({"observed": 1e-5}, "at least one"),
    ({"components": 101}, "between 1 and 100 components"),
    ({"model": "ht", "components": 11}, "between 1 and 10 components"),
    ({"threshold": 1.0}, "threshold in (0, 1)"),
    ({"step": 1e6}, "lower --step"),
    ({"grid": 0}, "grid denominator"),
])
def test_bad_values_are_one_line_input_errors(kwargs, error):
    with pytest.raises(InputError) as e:
        implicit_bias((10, 10, 10), kwargs.pop("truth_rank", 2), iterations=50, **kwargs)
    assert error in str(e.value) and "\n" not in str(e.value)


def test_bad_shapes_and_truth_ranks():
    with pytest.raises(ShapeError):
        implicit_bias((10,), 1)
    with pytest.raises(InputError, match="between 1 and 10"):
        implicit_bias((10, 10, 10), 11)


def test_sweep_shows_the_bias_fading():
    rows = sweep([1e-3, 0.5], (10, 10, 10), 2, iterations=6000)
    assert [r["numerical_rank"] == 2 for r in rows] == [True, False]
    assert rows[0]["rounded_equals_truth"] and not rows[1]["rounded_equals_truth"]
    assert rows[0]["full_error"] < 1e-4 < rows[1]["full_error"]


def test_cli_defaults_are_the_theory_defaults():
    from tnverify.cli import learning

    assert learning.DEFAULTS == DEFAULTS


def test_cli_json_csv_plot_and_certificate(tmp_path, capsys):
    out = tmp_path / "run.csv"
    code = main(["implicit-bias", "--iterations", "3000", "--init-scale", "1e-2", "--json", "-o", str(out),
                 "--plot", str(tmp_path / "run.png"), "--cert", str(tmp_path / "c.json")])
    d = json.loads(capsys.readouterr().out)
    assert code == 0 and d["status"] == "numerical" and d["numerical_rank"] == 2
    rows = list(csv.DictReader(open(out)))
    assert rows[0]["iteration"] == "0" and rows[-1]["iteration"] == "3000" and "norm_r9" in rows[0]
    assert (tmp_path / "run.png").read_bytes()[:4] == b"\x89PNG"
    assert check(json.loads((tmp_path / "c.json").read_text())).status == "VERIFIED"
    code = main(["implicit-bias", "--iterations", "2000", "--sweep-scales", "1e-2,0.5", "-o", str(tmp_path / "s.csv"),
                 "--plot", str(tmp_path / "s.png")])
    text = capsys.readouterr().out
    assert code == 0 and "sweep" in text and len(list(csv.DictReader(open(tmp_path / "s.csv")))) == 2
