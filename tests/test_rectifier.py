"""Rectifier networks: forward passes against the papers' formulas, margins, bounds, certificates, bad input."""
from __future__ import annotations

import copy
import itertools
from fractions import Fraction

import numpy as np
import pytest
import sympy

from tnverify.certificate import Certificate
from tnverify.checker import check
from tnverify.errors import InputError, NotExactError, ShapeError, UnknownNameError
from tnverify.networks import forward as F
from tnverify.networks import rectifier as R
from tnverify.networks.architectures import spec
from tnverify.networks.partitions import parse_partition
from tnverify.theory.rectifier import rectifier_sampling, rectifier_separation, shallow_match, upper_bounds


def _all(a):
    return list(itertools.product(range(a.M), repeat=a.N))


def _flattening(a, W, rows):
    cols = [k for k in range(a.N) if k not in rows]
    X = [np.array([list(a.templates[s[i]]) for s in _all(a)], dtype=object) for i in range(a.N)]
    vals = dict(zip(_all(a), R.forward(a, W, X).tolist()))  # every grid entry, no margin needed
    rs = list(itertools.product(range(a.M), repeat=len(rows)))
    cs = list(itertools.product(range(a.M), repeat=len(cols)))

    def seq(r, c):
        s = [0] * a.N
        for q, k in enumerate(rows):
            s[k] = r[q]
        for q, k in enumerate(cols):
            s[k] = c[q]
        return tuple(s)

    return sympy.Matrix([[vals[seq(r, c)] for c in cs] for r in rs])


@pytest.mark.parametrize("fam,base,w", [("relu-cp", "cp", [3]), ("relu-ht", "convac", [2, 3]),
                                        ("relu-tt", "tt", [2, 3, 2])])
def test_linear_product_networks_are_the_multilinear_families(fam, base, w):
    a = R.rect_spec(fam, 4, w, features=3, activation="linear", pooling="product")
    W = R.random_weights(a, np.random.default_rng(3), bound=40)
    b = spec(base, 4, 3, None if base == "cp" else w, rank=3 if base == "cp" else None)
    G = F.grid_tensor(b, W)
    seqs = _all(a)
    assert R.evaluate(a, W, seqs)[0] == [G[s] for s in seqs]
    P = list(itertools.product(range(3), repeat=2))
    blk = R.grid_block(a, W, [0, 1], P, P)
    assert all(blk[s[0] * 3 + s[1], s[2] * 3 + s[3]] == G[s] for s in seqs)


def test_relu_max_shallow_is_the_generalized_cp_decomposition():
    """A = sum_z lam_z (v^{z,1} (x)_g ... (x)_g v^{z,N}) with g(a, b) = max(a, b, 0) (Cohen & Shashua, Sec. 4)."""
    a = R.rect_spec("relu-cp", 3, [4], templates="random", features=3, dim=2)
    W = R.random_weights(a, np.random.default_rng(5), bound=9)
    T = [np.array(t, dtype=object) for t in a.templates]
    X = [np.array([list(a.templates[s[i]]) for s in _all(a)], dtype=object) for i in range(3)]
    got = R.forward(a, W, X).tolist()
    for n, s in enumerate(_all(a)):
        want = 0
        for z in range(4):
            v = [T[s[i]].dot(W[f"A{i}"][:, z]) for i in range(3)]
            g = max(v[0], 0)
            for x in v[1:]:
                g = max(g, x, 0)
            want += W["lam"][z] * g
        assert got[n] == want


@pytest.mark.parametrize("fam,w", [("relu-cp", [3]), ("relu-ht", [2, 2]), ("relu-tt", [2, 2, 2])])
@pytest.mark.parametrize("pool", R.POOLINGS)
@pytest.mark.parametrize("act", R.ACTIVATIONS)
def test_batched_and_single_forward_passes_agree(fam, w, pool, act):
    for biases, shared in ((False, False), (True, True)):
        a = R.rect_spec(fam, 4, w, templates="random", features=3, dim=2, activation=act, pooling=pool,
                        biases=biases, shared=shared)
        W = R.random_weights(a, np.random.default_rng(7))
        P = list(itertools.product(range(3), repeat=2))
        blk = R.grid_block(a, W, [1, 3], P, P)
        vals, _ = R.evaluate(a, W, [(c[0], r[0], c[1], r[1]) for r in P for c in P])
        assert blk.ravel().tolist() == vals


def test_a_zero_pre_activation_and_a_tie_are_breakpoints():
    a = R.rect_spec("relu-ht", 2, [2], features=2, pooling="max")
    W = {"n0": np.array([1, -1], dtype=object), "leaf0": np.array([[3, 5], [2, 7]], dtype=object),
         "leaf1": np.array([[1, 0], [4, 9]], dtype=object)}
    with pytest.raises(R.Breakpoint):  # leaf1 channel 1 on template 0 is exactly 0
        R.evaluate(a, W, [(0, 0)])
    W["leaf1"] = np.array([[3, 1], [4, 9]], dtype=object)  # channel 0: max(3, 3) of two different weights
    with pytest.raises(R.Breakpoint):
        R.evaluate(a, W, [(0, 0)])
    W["leaf1"] = np.array([[1, 2], [4, 9]], dtype=object)
    score, margin = R.evaluate(a, W, [(0, 0)])
    assert score == [3 - 5] and margin == 1  # max(3,1) - max(5,2); least gap |3 - 1| vs |5 - 2| and the signs


def test_dead_units_and_tied_weights_are_not_breakpoints():
    a = R.rect_spec("relu-ht", 2, [2], features=2, pooling="max", shared=True)
    W = {"n0": np.array([1, 1], dtype=object), "leaf0": np.array([[-3, 5], [2, 7]], dtype=object)}
    W["leaf1"] = W["leaf0"].copy()
    vals, margin = R.evaluate(a, W, [(0, 0), (1, 1)])  # equal children: the same polynomial
    assert vals == [5, 9] and margin == 2  # the least |pre-activation|: 2 (template 1, channel 0)
    b = R.rect_spec("relu-ht", 2, [1], features=2, pooling="max")
    Wb = {"n0": np.array([1], dtype=object), "leaf0": np.array([[-3], [-2]], dtype=object),
          "leaf1": np.array([[-4], [-1]], dtype=object)}
    assert R.evaluate(b, Wb, [(0, 0)])[0] == [0]  # max(0, 0) of two dead units: no tie


@pytest.mark.parametrize("pool,shared", [("max", False), ("max", True), ("product", False), ("avg", False)])
def test_shallow_upper_bounds_hold_at_random_points(pool, shared):
    for seed in range(4):
        a = R.rect_spec("relu-cp", 4, [2], templates="random", features=3, dim=3, pooling=pool, shared=shared)
        W = R.random_weights(a, np.random.default_rng(seed), bound=5)
        for rows in ([0, 1], [0, 2], [0]):
            assert _flattening(a, W, rows).rank() <= min(upper_bounds(a, rows).values())


@pytest.mark.parametrize("fam,w", [("relu-ht", [3, 3]), ("relu-tt", [3, 3, 3])])
def test_average_pooling_has_rank_two_at_the_last_split(fam, w):
    a = R.rect_spec(fam, 4, w, templates="random", features=3, dim=3, pooling="avg", biases=True)
    rows = [0, 1] if fam == "relu-ht" else [3]
    assert upper_bounds(a, rows)["additive"] == 2
    for seed in range(3):
        W = R.random_weights(a, np.random.default_rng(seed), bound=7)
        assert _flattening(a, W, rows).rank() <= 2


def test_a_proved_rank_and_its_certificate():
    a = R.rect_spec("relu-cp", 4, [5], features=3, pooling="avg")
    res = rectifier_separation(a, [0, 2])
    assert res.status == "proved" and res.rank == 2 and res.notion == "rank on a set of positive measure"
    assert check(res.certificate.to_dict()).ok


def _cert():
    a = R.rect_spec("relu-ht", 4, [2, 2], features=3, pooling="max")
    return a, rectifier_separation(a, parse_partition("interleaved", 4)).certificate.to_dict()


def test_tampered_certificates_are_rejected():
    a, d = _cert()
    assert check(d).ok
    step = next(s for s in d["steps"] if s["rule"] == "relu-rank-at-least")
    over = copy.deepcopy(d)
    for s in over["steps"]:
        if s["rule"] in ("relu-rank-at-least", "relu-open-set-from-point"):
            s["rank"] += 1
    for c in over["conclusion"]:
        if c["fact"] == "open-set-rank-at-least":
            c["value"] += 1
    assert check(over).status != "VERIFIED"
    margin = copy.deepcopy(d)
    next(s for s in margin["steps"] if s["rule"] == "relu-rank-at-least")["margin"] = "1/7"
    assert check(margin).status == "NOT VERIFIED"
    tmpl = copy.deepcopy(d)
    tmpl["objects"]["point"]["templates"][0][0] = 5
    assert check(tmpl).status == "NOT VERIFIED"
    weight = copy.deepcopy(d)  # leaf weights doubled: every value (ReLU, max, no biases) and margin doubles
    start = sum(int(np.prod(s)) for n, s in R.weight_shapes(a).items() if n.startswith("n"))
    ent = weight["objects"]["point"]["entries"]
    ent[start:] = [2 * int(x) for x in ent[start:]]
    assert check(weight).status == "NOT VERIFIED" and "margin" in check(weight).message
    assert step["margin"] != "none"


def test_a_weight_moved_onto_a_breakpoint_is_rejected():
    a, d = _cert()
    pt = d["objects"]["point"]
    names = list(R.weight_shapes(a))
    off = {n: sum(int(np.prod(R.weight_shapes(a)[m])) for m in names[:names.index(n)]) for n in names}
    step = next(s for s in d["steps"] if s["rule"] == "relu-rank-at-least")
    M = a.M
    seq0 = [(step["minor"]["rows"][0] // M) % M, step["minor"]["rows"][0] % M]  # templates of inputs 0, 2
    i0 = off["leaf0"] + seq0[0] * 2  # leaf0, template seq0[0], channel 0 (one-hot: the pre-activation)
    pt["entries"][i0] = 0
    assert check(d).status == "NOT VERIFIED"
    assert "breakpoint" in check(d).message


def _all_inputs(a):
    seqs = list(itertools.product(range(a.M), repeat=a.N))
    return seqs, [np.array([a.templates[s[k]] for s in seqs], dtype=object) for k in range(a.N)]


@pytest.mark.parametrize("seed", [0, 3])
def test_a_shallow_match_holds_near_its_point_not_only_at_it(seed):
    """The open-set claim, tested apart from the prover's formula and the checker: at points near the
    match point the deep grid tensor reads only S, and sympy solves for top weights of the shallow
    network that realize it, from the shallow channels computed one at a time by the forward pass."""
    a = R.rect_spec("relu-ht", 4, [2, 2], features=3)
    m = shallow_match(a, [1, 2], seed=seed)
    q, V = m["shallow"]
    Z = m["channels"]
    assert Z == 15
    seqs, X = _all_inputs(a)
    cols = [R.forward(q, {**V, "lam": np.array([int(z == c) for c in range(Z)], dtype=object)}, X).tolist()
            for z in range(Z)]
    Rm = sympy.Matrix(len(seqs), Z, lambda i, z: cols[z][i])
    rng = np.random.default_rng(seed)
    for _ in range(4):
        W = {n: w + np.array([Fraction(int(k), 10**9) for k in rng.integers(-9, 10, w.size)],
                             dtype=object).reshape(w.shape) for n, w in m["point"].items()}
        A = R.forward(a, W, X).tolist()
        by_S = {}
        assert all(by_S.setdefault((s[1], s[2]), v) == v for s, v in zip(seqs, A))
        lam, free = Rm.gauss_jordan_solve(sympy.Matrix(A))  # ValueError if no top weights realize A
        assert Rm * lam.subs({f: 0 for f in free}) == sympy.Matrix(A)
    assert R.forward(q, V, X).tolist() == R.forward(a, m["point"], X).tolist()  # exact at the point
    c = Certificate()
    shallow_match(a, [1, 2], seed=seed, cert=c)
    assert check(c.to_dict()).ok


@pytest.mark.parametrize("kw,inputs,word", [
    (dict(shared=True), [0], "unshared"),
    (dict(pooling="avg"), [0], "max pooling"),
    (dict(templates="1,0;0,1;1,1"), [0], "one-hot"),
    ({}, [4], "subset of 0..3"),
    ({}, [], "nonempty"),
    (dict(inputs=8, features=2, widths=[2, 2, 2]), [0, 1, 2, 3, 4, 5, 7], "2186 shallow channels"),
])
def test_a_shallow_match_refuses_what_it_does_not_cover(kw, inputs, word):
    shape = {"inputs": 4, "widths": [2, 2]} | ({"features": 3} if "templates" not in kw else {}) | kw
    a = R.rect_spec("relu-ht", shape.pop("inputs"), shape.pop("widths"), **shape)
    with pytest.raises(InputError, match=word):
        shallow_match(a, inputs)


def test_sampling_is_numerical_evidence_only():
    a = R.rect_spec("relu-ht", 4, [2, 2], features=3, pooling="max")
    out = rectifier_sampling(a, [0, 2], count=5)
    assert out["status"] == "numerical" and out["count"] == 5 and out["smallest"] == min(out["ranks"])
    assert out["smallest"] <= out["largest"] <= out["upper"]


# ---------------------------------------------------------------- bad input
def test_unknown_activation_or_pooling():
    with pytest.raises(UnknownNameError, match="activation"):
        R.rect_spec("relu-cp", 4, [2], features=2, activation="tanh")
    with pytest.raises(UnknownNameError, match="pooling"):
        R.rect_spec("relu-cp", 4, [2], features=2, pooling="median")


def test_biases_for_a_network_without_them():
    a = R.rect_spec("relu-cp", 2, [1], features=2)
    W = {"lam": [1], "A0": [[1], [2]], "A1": [[3], [4]], "b0": [1]}
    with pytest.raises(InputError, match="no biases"):
        R.exact_weights(a, W)


def test_float_weights_say_how_to_give_rationals():
    a = R.rect_spec("relu-cp", 2, [1], features=2)
    with pytest.raises(NotExactError, match="3/4"):
        R.exact_weights(a, {"lam": [0.75], "A0": [[1], [2]], "A1": [[3], [4]]})
    with pytest.raises(NotExactError, match="3/4"):
        R.parse_templates([[0.5, 1], [1, 0]])
    assert R.exact_weights(a, {"lam": ["3/4"], "A0": [[1], [2]], "A1": [[3], [4]]})["lam"][0] == Fraction(3, 4)


def test_templates_of_the_wrong_dimension():
    with pytest.raises(ShapeError, match="dimension"):
        R.parse_templates("1,0;0,1,1")
    with pytest.raises(ShapeError, match="dimension 3"):
        R.rect_spec("relu-cp", 2, [1], templates="1,0;0,1", dim=3)


# ---------------------------------------------------------------- the command line
def _cli(capsys, *argv):
    from tnverify.cli import main

    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def _one_line(code, err):
    lines = err.strip().splitlines()
    assert code == 2 and len(lines) == 1 and lines[0].startswith("tnverify: error: "), (code, err)
    return lines[0]


RELU = ("separation", "--arch", "ht", "--inputs", 4, "--features", 3, "--widths", 2)


@pytest.mark.parametrize("opt,val,word", [("--activation", "tanh", "activation"), ("--pooling", "median", "pooling")])
def test_cli_unknown_activation_or_pooling(capsys, opt, val, word):
    assert word in _one_line(*_cli(capsys, *RELU, opt, val)[::2])


def test_cli_biases_for_an_architecture_without_them(capsys, tmp_path):
    assert "no biases" in _one_line(*_cli(capsys, "separation", "--arch", "cp", "--biases", "--inputs", 2,
                                          "--features", 2, "--rank", 1)[::2])
    w = tmp_path / "w.json"
    w.write_text('{"lam": [1], "A0": [[1], [2]], "A1": [[3], [4]], "b0": [1], "b1": [2]}')
    assert "no biases" in _one_line(*_cli(capsys, "separation", "--arch", "cp", "--pooling", "max", "--inputs", 2,
                                          "--features", 2, "--rank", 1, "--weights", w)[::2])


@pytest.mark.parametrize("text", ['{"lam": [0.75], "A0": [[1], [2]], "A1": [[3], [4]]}',
                                  '{"lam": ["sqrt(2)"], "A0": [[1], [2]], "A1": [[3], [4]]}'])
def test_cli_float_or_irrational_weight_says_how_to_give_rationals(capsys, tmp_path, text):
    w = tmp_path / "w.json"
    w.write_text(text)
    line = _one_line(*_cli(capsys, "separation", "--arch", "cp", "--pooling", "max", "--inputs", 2, "--features", 2,
                           "--rank", 1, "--partition", "0", "--weights", w)[::2])
    assert "3/4" in line


def test_cli_templates_of_the_wrong_dimension(capsys):
    assert "dimension" in _one_line(*_cli(capsys, *RELU, "--pooling", "max", "--templates", "1,0;0,1,1;1,1")[::2])


def test_cli_separation_compare_sweep_draw(capsys, tmp_path):
    code, out, _ = _cli(capsys, "separation", "--arch", "relu-cp", "--pooling", "avg", "--inputs", 4, "--features", 3,
                        "--rank", 3, "--json")
    import json
    d = json.loads(out)
    assert code == 0 and d["status"] == "proved" and d["rank"] == 2 and d["checker"] == "VERIFIED"
    code, out, _ = _cli(capsys, "compare", "ht", "cp", "--activation", "relu", "--pooling", "max", "--inputs", 8,
                        "--features", 3, "--widths", 3)
    assert code == 0 and "needs Z >= 4" in out and "VERIFIED" in out
    csv_path = tmp_path / "s.csv"
    code, out, _ = _cli(capsys, "sweep", "--arch", "ht", "--pooling", "max", "--inputs", 4, "--features", 2,
                        "--widths", 2, "--over", "inputs", "--values", "2,4", "--output", csv_path)
    assert code == 0 and csv_path.exists() and csv_path.with_suffix(".png").exists()
    code, out, _ = _cli(capsys, "draw", "--arch", "relu-tt", "--inputs", 4, "--features", 2, "--widths", 2,
                        "--output", tmp_path / "d.png")
    assert code == 0 and "product-pooling counterpart" in out


def test_a_match_over_the_checker_work_bound_is_malformed_before_any_forward_pass(monkeypatch):
    import json
    from pathlib import Path

    from tnverify.checker.families import rectifier as CR

    d = json.loads((Path(__file__).parent / "certs" / "valid" / "relu_match_n4_m3_inputs_1_2.json").read_text())
    assert check(d).ok
    monkeypatch.setattr(CR, "MAX_MATCH_WORK", 1000)
    v = check(d)
    assert v.status == "MALFORMED" and "operations" in v.message
