"""Defect certificates and Koszul-Young flattenings, against independent computations (sympy)."""
from __future__ import annotations

import copy
import itertools
import json
import math

import numpy as np
import pytest
import sympy

from tnverify.certificate import Certificate
from tnverify.checker import check
from tnverify.checker.families.defects import adjugate_mod, form_family, koszul_young
from tnverify.errors import InputError
from tnverify.theorems.koszul import matmul_tensor
from tnverify.theory import defects as D
from tnverify.theory import jacobian as J
from tnverify.theory import koszul as K
from tnverify.theory import terracini as G
from tnverify.theory import young as Y

P = 10007


def _rank_one_sum(shape, R, rng):
    """A sum of R rank-one integer tensors (object dtype)."""
    T = np.zeros(shape, dtype=object)
    for _ in range(R):
        T = T + _outer([rng.integers(1, 6, n) * rng.choice([-1, 1], n) for n in shape])  # no zero vector
    return T


def _outer(vs):
    out = np.array(vs[0], dtype=object)
    for v in vs[1:]:
        out = np.multiply.outer(out, np.array(v, dtype=object))
    return out


@pytest.mark.parametrize("n, rank", [(4, 4), (4, 3), (5, 3), (3, 1), (1, 1)])
def test_adjugate_mod_p_matches_sympy(n, rank):
    rng = np.random.default_rng(n * 10 + rank)
    A = rng.integers(-5, 6, (n, rank)) @ rng.integers(-5, 6, (rank, n))
    want = sympy.Matrix(A.tolist()).adjugate().applyfunc(lambda x: x % P)
    assert adjugate_mod(A.tolist(), P) == want.tolist()


@pytest.mark.parametrize("shape, groups, p", [((3, 3, 3), ([0], [1], [2]), 1), ((5, 2, 3), ([0], [1], [2]), 2),
                                              ((2, 3, 2, 2), ([1], [0, 2], [3]), 1)])
def test_koszul_young_rank_is_binomial_on_rank_one_and_bounded_on_sigma_r(shape, groups, p):
    """Definition: rank C(2p, p) at a rank-one tensor, <= R C(2p, p) at a sum of R of them (sympy ranks over Q)."""
    rng = np.random.default_rng(1)
    dA = math.prod(shape[m] for m in groups[0])
    proj = np.eye(2 * p + 1, dtype=np.int64) if dA == 2 * p + 1 else rng.integers(-3, 4, (2 * p + 1, dA))
    for R in (1, 2):
        T = _rank_one_sum(shape, R, rng)
        M = K.young_matrix(np.array(T.tolist(), dtype=np.int64)[None], groups, proj, P)[0]
        r = sympy.Matrix(M.tolist()).rank(iszerofunc=lambda x: x % P == 0)
        assert r <= R * math.comb(2 * p, p)
        if R == 1:
            assert r == math.comb(2 * p, p)


def test_prover_and_checker_koszul_young_agree_entrywise():
    rng = np.random.default_rng(3)
    T = rng.integers(-9, 10, (5, 3, 4))
    proj = rng.integers(-5, 6, (3, 5))
    M = K.young_matrix(T[None], ([0], [1], [2]), proj, P)[0]
    m, n, k, form = koszul_young([5, 3, 4], {"a": [0], "b": [1], "c": [2], "projection": proj.tolist()}, "t")
    flat = T.ravel().tolist()
    assert (m, n, k) == M.shape + (2,)
    assert all(sum(c * flat[f] for c, f in form(i, j)) % P == M[i, j] for i in range(m) for j in range(n))


def test_strassen_matrix_is_the_p1_koszul_young_flattening():
    """p = 1, dim A = 3: the 3n x 3n block matrix [[0, T3, -T2], [-T3, 0, T1], [T2, -T1, 0]] up to order and sign."""
    rng = np.random.default_rng(4)
    T = rng.integers(-9, 10, (3, 4, 4))
    M = K.young_matrix(T[None], ([0], [1], [2]), np.eye(3, dtype=np.int64), P)[0]
    S = [sympy.Matrix(T[i].tolist()) for i in range(3)]
    Z = sympy.zeros(4, 4)
    B = sympy.BlockMatrix([[Z, S[2], -S[1]], [-S[2], Z, S[0]], [S[1], -S[0], Z]]).as_explicit()
    assert sympy.Matrix(M.tolist()).rank(iszerofunc=lambda x: x % P == 0) == B.rank() == 12


def test_defect_2x2x2x2_against_sympy_gradients():
    """sigma_3 of 2x2x2x2: the gradients of the three 4x4 flattening determinants, by sympy, have rank 2."""
    spec = J.cp_spec([2, 2, 2, 2], 3)
    rng = np.random.default_rng(5)
    pt = J.random_parameters(spec, P, rng)
    x = sympy.symbols("x0:16")
    T = np.array(x, dtype=object).reshape(2, 2, 2, 2)
    dets = [sympy.Matrix(np.transpose(T, rows + [k for k in range(4) if k not in rows]).reshape(4, 4).tolist()).det()
            for rows in ([0, 1], [0, 2], [0, 3])]
    L = [np.asarray(a, dtype=object) for a in pt]
    X = sum(_outer([L[k][:, r] for k in range(4)]) for r in range(3)).ravel()
    sub = dict(zip(x, [int(v) % P for v in X]))
    grad = sympy.Matrix([[sympy.diff(d, v).subs(sub) % P for v in x] for d in dets])
    want = grad.rank(iszerofunc=lambda e: e % P == 0)
    got = D.defect_bound(spec, P, pt)
    assert want == 2 and got.bound == 16 - want


def test_secant_2x2x2x2_rank3_is_proved_defective_and_checked():
    r = G.secant_dimension([2, 2, 2, 2], 3)
    assert (r.status, r.dim, r.defective) == ("proved", 14, True)
    assert r.upper_source.startswith("equations") and "flattening" in r.upper_source
    assert check(r.certificate.to_dict()).ok


@pytest.mark.parametrize("kw, dim", [({"dims": [3, 4, 4], "rank": 5}, 44), ({"dims": [3, 3, 11], "rank": 7}, 91),
                                     ({"symmetric": (5, 3), "rank": 7}, 34)])
def test_known_defective_cases(kw, dim):
    r = G.secant_dimension(**kw)
    assert (r.status, r.dim, r.defective) == ("proved", dim, True)
    assert check(r.certificate.to_dict()).ok


def test_generic_rank_of_cubics_in_5_variables_is_8():
    r = G.generic_rank(symmetric=(5, 3))
    assert (r.status, r.generic_rank) == ("proved", 8) and "Koszul-Young" in r.lower_source
    assert check(r.certificate.to_dict()).ok


def _defect_cert():
    spec = J.cp_spec([2, 2, 2, 2], 3)
    rng = np.random.default_rng(0)
    pt = J.random_parameters(spec, P, rng)
    c = Certificate()
    b = D.defect_bound(spec, P, pt, c)
    c.conclude("dim-at-most", {"variety": spec}, b.bound)
    return c.to_dict()


def test_tampered_defect_certificates_are_rejected():
    base = _defect_cert()
    assert check(base).ok
    over = copy.deepcopy(base)  # 2 equations cannot give dim <= 13
    over["steps"][0]["rank"] = 13
    over["conclusion"][0]["value"] = 13
    assert check(over).status == "NOT VERIFIED"
    zero = copy.deepcopy(base)  # at Phi(0) every gradient vanishes
    zero["steps"][0]["point"] = [[[0, 0, 0], [0, 0, 0]] for _ in range(4)]
    assert check(zero).status == "NOT VERIFIED"
    small = copy.deepcopy(base)  # 3-minors do not vanish on sigma_3
    for eq in small["steps"][0]["equations"]:
        for mi in eq["minors"]:
            mi["rows"], mi["cols"] = mi["rows"][:3], mi["cols"][:3]
    assert check(small).status == "NOT VERIFIED"
    twice = copy.deepcopy(base)  # the same equation twice: the gradient matrix is singular
    eq = twice["steps"][0]["equations"][0]
    twice["steps"][0]["equations"] = [eq, copy.deepcopy(eq)]
    assert check(twice).status == "NOT VERIFIED"


def test_border_rank_matmul3_is_at_least_15_and_checked():
    res = K.border_rank_lower(matmul_tensor(3))
    assert res.lower == 15 and res.per_term == 6 and check(res.certificate.to_dict()).ok


def test_border_rank_of_a_random_3xnxn_reaches_strassen():
    for n in (4, 7):
        T = np.random.default_rng(n).integers(-9, 10, (3, n, n))
        res = K.border_rank_lower(T)
        assert res.lower == -(-3 * n // 2) and check(res.certificate.to_dict()).ok


def test_border_rank_bound_is_sound_on_a_low_rank_tensor():
    """A sum of 4 rank-one 3x6x6 tensors: the certified bound never exceeds 4."""
    T = _rank_one_sum((3, 6, 6), 4, np.random.default_rng(9))
    res = K.border_rank_lower(np.array(T.tolist(), dtype=np.int64))
    assert res.lower <= 4


def test_families_cover_every_bipartition_up_to_complement():
    fams = D.families([(2, 1)] * 4, 1, np.random.default_rng(0), P)
    rows = [frozenset(f["rows"]) for f, *_ in fams if "rows" in f]
    cuts = {min(r, frozenset(range(4)) - r, key=sorted) for r in rows}
    assert len(rows) == len(cuts) == 7  # 2^(4-1) - 1 bipartitions, none twice


# ------------------------------------------------------------------ Young flattenings of forms
def _power_sum(n, d, ls):
    """The form sum_r (l_r . x)^d and its coefficients in monomial order, by sympy (independent of the code)."""
    x = sympy.symbols(f"x0:{n}")
    f = sympy.expand(sum(sum(int(c) * v for c, v in zip(l, x)) ** d for l in ls))
    poly = sympy.Poly(f, *x)
    coef = [int(poly.coeff_monomial(sympy.Mul(*[x[i] for i in m]))) for m in
            itertools.combinations_with_replacement(range(n), d)]
    return f, Y.Form(n, d, coef)


@pytest.mark.parametrize("n, d, a, q, wedge", [(3, 3, 1, 3, None), (3, 5, 2, 3, None), (5, 3, 1, 5, None),
                                               (4, 4, 2, 3, None), (4, 4, 2, 4, 1), (5, 3, 1, 5, 1)])
def test_young_flattening_of_a_power_has_rank_binomial_and_sums_stay_below(n, d, a, q, wedge):
    """Definition: rank C(q-1, p) at l^d, <= R C(q-1, p) at a sum of R powers (sympy ranks over Q)."""
    rng = np.random.default_rng(n * 100 + d * 10 + a)
    pp = (q - 1) // 2 if wedge is None else wedge
    k = math.comb(q - 1, pp)
    proj = np.eye(q, dtype=np.int64) if q == n else rng.integers(-3, 4, (q, n))
    for R in (1, 2):
        _, f = _power_sum(n, d, rng.integers(-4, 5, (R, n)))
        M = Y.young_form_matrix(f, a, proj, P, wedge)
        r = sympy.Matrix(M.tolist()).rank(iszerofunc=lambda v: v % P == 0)
        assert r <= R * k
        if R == 1:
            assert r == k


def test_young_flattening_of_a_form_is_the_symmetric_koszul_young_flattening_scaled():
    """Y_{a,p}(f) gamma! = the Koszul-Young flattening of d! T on non-decreasing indices (T the polarization)."""
    rng = np.random.default_rng(7)
    n, d, a = 3, 4, 1
    f = Y.Form(n, d, rng.integers(-9, 10, math.comb(n + d - 1, d)).tolist())
    index = {m: j for j, m in enumerate(f.monomials)}
    T = np.zeros((n,) * d, dtype=np.int64)  # d! T_m = c_m m!
    for idx in itertools.product(range(n), repeat=d):
        m = tuple(sorted(idx))
        T[idx] = f.coefficients[index[m]] * math.prod(math.factorial(m.count(i)) for i in set(m))
    proj = np.eye(3, dtype=np.int64)
    K_ = K.young_matrix(T[None], ([0], list(range(1, a + 1)), list(range(a + 1, d))), proj, P, symmetric=True)[0]
    M = Y.young_form_matrix(f, a, proj, P)
    gammas = list(itertools.combinations_with_replacement(range(n), d - a - 1))
    scale = [math.prod(math.factorial(g.count(i)) for i in set(g)) for g in gammas]
    rows = [scale[i % len(gammas)] for i in range(M.shape[0])]
    assert M.shape == K_.shape
    assert all(((rows[i] * M[i] - K_[i]) % P == 0).all() for i in range(M.shape[0]))


def test_checker_form_family_matches_the_prover_entrywise():
    rng = np.random.default_rng(8)
    f = Y.Form(4, 4, rng.integers(-9, 10, math.comb(7, 4)).tolist())
    parsed = {"n": 4, "d": 4, "coef": f.coefficients,
              "index": {m: j for j, m in enumerate(f.monomials)}}
    proj = rng.integers(0, 50, (3, 4))
    for fam, M in (({"catalecticant": 2}, Y.catalecticant(f, 2, P)),
                   ({"young": {"derivatives": 1, "projection": proj.tolist()}}, Y.young_form_matrix(f, 1, proj, P)),
                   ({"young": {"derivatives": 2, "projection": np.eye(4, dtype=int).tolist(), "wedge": 1}},
                    Y.young_form_matrix(f, 2, np.eye(4, dtype=np.int64), P, 1))):
        m, n, k, entry = form_family(parsed, fam, "t")
        assert (m, n) == M.shape
        assert all(entry(i, j) % P == M[i, j] for i in range(m) for j in range(n))


def test_parse_form_matches_sympy():
    text = "x0^3 - 2*x1*x2**2 + 5x0*x1*x2 - 7 * x2^3 + x0*x0*x1"
    f = Y.parse_form(text)
    x = sympy.symbols("x0:3")
    poly = sympy.Poly(sympy.sympify(text.replace("^", "**").replace("5x0", "5*x0")), *x)
    assert f.coefficients == [int(poly.coeff_monomial(sympy.Mul(*[x[i] for i in m]))) for m in f.monomials]
    for bad in ("x0^2 + x1", "x0 x1", "", "x0^2 - x0^2", "2", "x0 + y1", "x0^2 +"):
        with pytest.raises(InputError):
            Y.parse_form(bad)


def test_waring_border_bound_is_sound_on_sums_of_powers():
    """A sum of R fifth powers in 3 variables: the certified bound never exceeds R, and reaches it for R <= 6."""
    for R in (2, 4, 6):
        _, f = _power_sum(3, 5, np.random.default_rng(R).integers(-4, 5, (R, 3)))
        res = Y.waring_border_lower(f)
        assert res.lower <= R and check(res.certificate.to_dict()).ok


def test_random_ternary_quintic_needs_the_young_flattening():
    """Catalecticants give 6 (sympy rank of the 6 x 10 derivative matrix); the Young flattening gives 7."""
    rng = np.random.default_rng(0)
    f = Y.Form(3, 5, rng.integers(-9, 10, 21).tolist())
    x = sympy.symbols("x0:3")
    F = sum(c * sympy.Mul(*[x[i] for i in m]) for c, m in zip(f.coefficients, f.monomials))
    derivs = [sympy.Poly(sympy.diff(F, *[x[i] for i in al]), *x) for al in
              itertools.combinations_with_replacement(range(3), 2)]
    cat = sympy.Matrix([[g.coeff_monomial(sympy.Mul(*[x[i] for i in m])) for m in
                         itertools.combinations_with_replacement(range(3), 3)] for g in derivs])
    assert cat.rank() == 6
    res = Y.waring_border_lower(f)
    assert (res.lower, res.rank, res.per_term) == (7, 14, 2) and check(res.certificate.to_dict()).ok


def test_tampered_form_certificates_are_rejected():
    base = Y.waring_border_lower(Y.parse_form("x0*x1*x2")).certificate.to_dict()
    assert check(base).ok and base["conclusion"][0]["value"] == 4
    over = copy.deepcopy(base)  # rank 8 of a family bounded by 2 per term cannot give 5
    over["conclusion"][0]["value"] = 5
    assert check(over).status == "NOT VERIFIED"
    other = copy.deepcopy(base)  # x0^3: the same minor is singular
    other["objects"]["f"]["coefficients"] = [1] + [0] * 9
    assert check(other).status == "NOT VERIFIED"
    fam = copy.deepcopy(base)  # per-term bound from a wedge the checker recomputes
    fam["steps"][0]["family"]["young"]["wedge"] = 0
    assert check(fam).status == "MALFORMED"


def test_waring_defect_route_uses_young_flattenings_where_catalecticants_have_no_minors():
    """sigma_6 of ternary quintics: the 6 x 10 catalecticant has no 7-minors; the Young flattening bounds dim <= 18."""
    spec = J.symmetric_spec(3, 5, 6)
    pt = J.random_parameters(spec, P, np.random.default_rng(1))
    c = Certificate()
    b = D.defect_bound(spec, P, pt, c)
    assert b.bound == 18 == G.secant_dimension(symmetric=(3, 5), rank=6).lower
    assert all("Young flattening" in name for name in b.used)
    c.conclude("dim-at-most", {"variety": spec}, b.bound)
    assert check(c.to_dict()).ok


def test_cli_rank_border_symmetric(tmp_path, capsys):
    from tnverify.cli import main

    poly = tmp_path / "m.poly"
    poly.write_text("x0*x1*x2\n")
    cert = tmp_path / "c.json"
    code = main(["rank", str(poly), "--notion", "border", "--symmetric", "--json", "--cert", str(cert)])
    out, err = capsys.readouterr()
    d = json.loads(out)
    assert code == 0 and d["lower"] == d["upper"] == 4 and d["status"] == "proved"  # upper: sigma_4 fills S^3(C^3)
    assert d["checker"] == "VERIFIED" and check(json.loads(cert.read_text())).ok
    T = np.zeros((3, 3, 3), dtype=np.int64)  # the same form as a symmetric tensor: T_{sigma(012)} = 1/6 * 6
    for idx in itertools.permutations(range(3)):
        T[idx] = 1
    np.save(tmp_path / "t.npy", T)  # f = 6 x0 x1 x2
    code = main(["rank", str(tmp_path / "t.npy"), "--notion", "border", "--symmetric", "--json"])
    assert code == 0 and json.loads(capsys.readouterr()[0])["lower"] == 4
    T[0, 1, 2] = 2
    np.save(tmp_path / "u.npy", T)
    for argv in (["rank", str(tmp_path / "u.npy"), "--notion", "border", "--symmetric"],
                 ["rank", str(poly), "--symmetric"],
                 ["rank", str(poly), "--notion", "border", "--symmetric", "--koszul", "0"]):
        code = main(argv)
        err = capsys.readouterr()[1]
        assert code == 2 and err.count("\n") == 1 and err.startswith("tnverify: error:")


@pytest.mark.parametrize("text, n, d, value", [
    ("x0*x1*x2", 3, 3, 4),  # Landsberg-Teitler: the border rank of x0 x1 x2 is 4
    ("x0^2*x1 + x1^3", 2, 3, 2),  # binary cubic: generic rank 2, not a cube (catalecticant rank 2)
])
def test_waring_border_rank_closed_by_the_filling_secant(text, n, d, value):
    f = Y.parse_form(text)
    res = Y.waring_border_lower(f)
    # the upper side: sigma_R fills S^d(C^n) exactly when R >= the generic rank (Alexander-Hirschowitz)
    assert res.upper == max(res.lower, -(-math.comb(n + d - 1, d) // n))
    assert res.lower == res.upper == value and res.status == "proved"
    cert = res.certificate.to_dict()
    assert check(cert).ok
    no_fill = copy.deepcopy(cert)
    no_fill["steps"] = [s for s in no_fill["steps"] if not s["id"].startswith("fill-")]
    assert not check(no_fill).ok  # the upper bound needs the Terracini steps
    lowered = copy.deepcopy(cert)
    next(s for s in lowered["steps"] if s["rule"] == "waring-border-rank-at-most")["rank"] = value - 1
    assert not check(lowered).ok  # sigma_{R-1} was not shown to fill


def _net_jacobian_rank(widths, r: int, seed: int) -> int:
    """Rank of the Jacobian of (W_1, ..., W_h) -> coefficients of W_h s(... s(W_1 x)), s(t) = t^r, by sympy
    over Q at a random integer point (the definition, written independently of tnverify)."""
    rng = np.random.default_rng(seed)
    x = sympy.symbols(f"x0:{widths[0]}")
    params, layer = [], list(x)
    for l in range(1, len(widths)):
        W = sympy.Matrix(widths[l], widths[l - 1], lambda i, j: sympy.Symbol(f"w{l}_{i}_{j}"))
        params += list(W)
        pre = [sum(W[i, j] * layer[j] for j in range(widths[l - 1])) for i in range(widths[l])]
        layer = pre if l == len(widths) - 1 else [e ** r for e in pre]
    sub = {s: int(v) for s, v in zip(params, rng.integers(-9, 10, len(params)))}
    D = r ** (len(widths) - 2)
    monos = list(sympy.itermonomials(x, D, D))
    rows = []
    for out in layer:
        grads = [sympy.Poly(sympy.expand(sympy.diff(out, s).subs(sub)), *x) for s in params]
        rows += [[g.coeff_monomial(m) for g in grads] for m in monos]
    return sympy.Matrix(rows).rank()


@pytest.mark.parametrize("widths, degree, dim", [((3, 5, 1), 4, 14), ((3, 5, 2), 3, 19)])
def test_two_layer_neurovariety_defects_are_proved_by_the_secant_equations(widths, degree, dim):
    """Alexander-Hirschowitz (ternary quartics, rank 5) and a Segre-Veronese defect:
    the equations of the secant variety close the gap, and sympy's exact Jacobian rank agrees."""
    r = G.neurovariety(list(widths), degree)
    assert (r.status, r.dim, r.lower, r.upper) == ("proved", dim, dim, dim)
    assert r.upper_source.startswith("equations") and "neurovariety" in r.upper_source
    assert max(_net_jacobian_rank(widths, degree, s) for s in range(2)) == dim
    assert r.expected > dim and r.defective
    assert check(r.certificate.to_dict()).ok
    ident = G.deep_identifiability(list(widths), degree)
    assert ident["identifiable"] is False and ident["identifiability_status"] == "proved"
    assert check(ident["certificate_obj"].to_dict()).ok


def test_the_secant_route_is_not_used_where_the_count_already_decides():
    r = G.neurovariety([3, 4, 1], 4)
    assert (r.status, r.dim) == ("proved", 12) and r.upper_source == "parameters"
    assert "neurovariety-as-secant" not in {s["rule"] for s in r.certificate.to_dict()["steps"]}


@pytest.mark.parametrize("widths, degree", [((3, 2, 2), 3), ((2, 3, 1), 4), ((4, 2, 3), 2)])
def test_network_coefficients_are_multinomials_times_the_secant_coordinates(widths, degree):
    """The identification behind neurovariety-as-secant, checked by sympy: each coefficient of
    W_2 (W_1 x)^r is multinomial(a) times the coordinate of sum_j W_2[:, j] (x) W_1[j]^r at the multiset a."""
    d0, d1, d2 = widths
    rng = np.random.default_rng(3)
    W1, W2 = rng.integers(-5, 6, (d1, d0)), rng.integers(-5, 6, (d2, d1))
    x = sympy.symbols(f"x0:{d0}")
    sec = G.polynet_secant(J.polynet_spec(list(widths), degree))
    assert sec["rank"] == d1 and sec["blocks"][-1] == [d0, degree] and len(sec["blocks"]) == (2 if d2 > 1 else 1)
    for i in range(d2):
        f = sympy.Poly(sympy.expand(sum(int(W2[i, j]) * sum(int(W1[j, k]) * x[k] for k in range(d0)) ** degree
                                        for j in range(d1))), *x)
        for a in itertools.combinations_with_replacement(range(d0), degree):
            exps = [a.count(k) for k in range(d0)]
            coord = sum(int(W2[i, j]) * math.prod(int(W1[j, k]) for k in a) for j in range(d1))
            multinomial = math.factorial(degree) // math.prod(math.factorial(e) for e in exps)
            assert f.coeff_monomial(sympy.prod(xk ** e for xk, e in zip(x, exps))) == multinomial * coord


@pytest.mark.parametrize("name, reason", [
    ("first_layer_wider_than_input", "is not below the input width"),
    ("first_layer_with_a_shallower_network", '"widths":[2,2,2,1]'),
    ("as_secant_waring_fact_for_two_outputs", '"blocks":[[2,1],[3,4]]'),
    ("split_with_another_prefix", '"widths":[2,2,3]'),
    ("orthogonal_for_a_cubic_network", "orthogonal symmetry needs"),
])
def test_forged_network_bounds_fail_at_their_own_guard(name, reason):
    """True facts about other varieties cannot be moved onto a network: each forgery fails at the guard
    written for it (each claims a bound below the true dimension, so accepting it would be unsound)."""
    from pathlib import Path

    v = check(Path(__file__).parent / "certs" / "invalid" / f"jacobian_{name}.json")
    assert v.status == "NOT VERIFIED" and reason in v.message, v.message


@pytest.mark.parametrize("widths, degree, dim", [((3, 2, 2, 1), 2, 7), ((4, 2, 2, 1), 2, 9), ((3, 2, 1), 2, 5)])
def test_first_layer_bound_settles_deep_networks_with_a_narrow_first_layer(widths, degree, dim):
    """f = G(Q x): a Grassmannian chart plus a network on d_1 inputs; sympy's exact Jacobian rank agrees."""
    r = G.neurovariety(list(widths), degree)
    assert (r.status, r.dim) == ("proved", dim) and r.upper_source.startswith("first-layer")
    assert max(_net_jacobian_rank(widths, degree, s) for s in range(3)) == dim  # small points can be special
    assert check(r.certificate.to_dict()).ok


@pytest.mark.parametrize("widths, degree", [((3, 2, 3, 2), 2), ((4, 3, 2), 2), ((4, 2, 3), 3), ((3, 1, 2), 2),
                                           ((2, 3, 2, 2), 2), ((3, 3, 2, 1), 2), ((2, 2, 2, 2), 3)])
def test_every_structural_upper_bound_is_at_least_the_true_dimension(widths, degree):
    """Soundness: the upper bound is never below an exact Jacobian rank (a lower bound on the dimension)."""
    r = G.neurovariety(list(widths), degree)
    assert r.upper >= max(_net_jacobian_rank(widths, degree, s) for s in range(2)) >= r.lower


def test_tampered_first_layer_steps_are_rejected():
    base = G.neurovariety([3, 2, 2, 1], 2).certificate.to_dict()
    assert check(base).ok
    step = next(s for s in base["steps"] if s.get("method") == "first-layer")
    low = copy.deepcopy(base)  # 2 chart coordinates + 5 cannot give 6
    for s in low["steps"]:
        if s.get("method") == "first-layer" or s["rule"] == "dimension":
            s["rank"] = 6
    for c in low["conclusion"]:
        if c["fact"] in ("dim-at-most", "dim"):
            c["value"] = 6
    assert check(low).status == "NOT VERIFIED"
    wide = copy.deepcopy(base)  # a first layer as wide as the input: no reduction
    ws = next(s for s in wide["steps"] if s.get("method") == "first-layer")
    ws["variety"] = {**step["variety"], "widths": [2, 2, 2, 1]}
    assert check(wide).status == "NOT VERIFIED"


def test_border_rank_of_a_random_cube_is_proved_from_both_sides_and_tampering_is_caught():
    T = np.random.default_rng(0).integers(-5, 6, (3, 3, 3))
    res = K.border_rank_lower(T)
    assert (res.lower, res.upper, res.status) == (5, 5, "proved")  # Strassen: generic rank 5, Koszul bound 5
    d = res.certificate.to_dict()
    assert check(d).ok and "border-rank-at-most-by-filling" in {s["rule"] for s in d["steps"]}
    low = copy.deepcopy(d)  # sigma_4 does not fill 3x3x3: no fact to lean on
    next(s for s in low["steps"] if s["rule"] == "border-rank-at-most-by-filling")["rank"] = 4
    next(c for c in low["conclusion"] if c["fact"] == "border-rank-at-most")["value"] = 4
    assert check(low).status == "NOT VERIFIED"
    other = copy.deepcopy(d)  # the same fact moved to a tensor of another shape
    other["objects"]["T"] = {"type": "tensor", "shape": [3, 3, 4], "entries": [1] * 36}
    assert check(other).status != "VERIFIED"


def test_border_rank_two_of_a_tangent_tensor_matches_an_explicit_limit():
    """T[i,j,k] = 4i + 2j + k has rank 3 but is the limit of rank-2 tensors (a tangent vector of the
    Segre variety): sympy confirms the limit; tnverify proves border rank 2 (flattening below,
    sigma_2 filling 2x2x2 above)."""
    T = np.arange(8).reshape(2, 2, 2)
    t = sympy.Symbol("t")
    u, a, b, c = [1, 1], [0, 4], [0, 2], [0, 1]
    lim = [sympy.limit(((u[i] + t * a[i]) * (u[j] + t * b[j]) * (u[k] + t * c[k]) - 1) / t, t, 0)
           for i in range(2) for j in range(2) for k in range(2)]
    assert lim == list(range(8))
    res = K.border_rank_lower(T)
    assert (res.lower, res.upper, res.status) == (2, 2, "proved") and check(res.certificate.to_dict()).ok


@pytest.mark.parametrize("widths, degree, dim", [((2, 2, 3, 2), 2, 8), ((3, 2, 3, 2), 2, 10)])
def test_split_after_the_first_hidden_layer_settles_deep_networks(widths, degree, dim):
    """f = H(s(W_1 x)): the outputs are forms in the squares of the first layer's linear forms, e.g. for
    (2, 2, 3, 2) two forms in span(l_1^4, l_1^2 l_2^2, l_2^4): 4 + 6 - 2 = 8; sympy's Jacobian agrees."""
    r = G.neurovariety(list(widths), degree)
    assert (r.status, r.dim) == ("proved", dim) and r.upper_source.startswith("split after hidden layer 1")
    assert max(_net_jacobian_rank(widths, degree, s) for s in range(3)) == dim
    d = r.certificate.to_dict()
    assert check(d).ok
    low = copy.deepcopy(d)  # one less than the split gives
    next(s for s in low["steps"] if s.get("method") == "split")["rank"] = dim - 1
    assert "needs the fact dim-at-most" in check(low).message
    out = copy.deepcopy(d)  # hidden layer 3 does not exist in a network with 2 hidden layers
    next(s for s in out["steps"] if s.get("method") == "split")["layer"] = 3
    assert check(out).status == "MALFORMED"


@pytest.mark.parametrize("widths, dim", [((3, 3, 2, 1), 11), ((3, 2, 1), 5)])
def test_quadratic_networks_with_one_output_have_an_orthogonal_symmetry(widths, dim):
    """sum_k a_k z_k^2 is invariant under z -> g z with g^T diag(a) g = diag(a): m(m-1)/2 symmetries
    beyond the rescalings, so these networks are not identifiable; sympy's Jacobian reaches the bound."""
    r = G.neurovariety(list(widths), 2)
    assert (r.status, r.dim) == ("proved", dim)
    assert max(_net_jacobian_rank(widths, 2, s) for s in range(3)) == dim
    ident = G.deep_identifiability(list(widths), 2)
    assert ident["identifiable"] is False and check(ident["certificate_obj"].to_dict()).ok


def test_orthogonal_symmetry_is_refused_where_it_does_not_hold():
    base = G.neurovariety([3, 3, 2, 1], 2).certificate.to_dict()
    assert check(base).ok and any(s.get("method") == "orthogonal" for s in base["steps"])
    for variety in ({"format": "polynet", "widths": [3, 3, 2, 1], "degree": 3},   # t^3 has no such symmetry
                    {"format": "polynet", "widths": [3, 3, 2, 2], "degree": 2},   # two outputs
                    {"format": "polynet", "widths": [3, 1, 2, 1], "degree": 2}):  # last hidden wider than the one before
        d = copy.deepcopy(base)
        next(s for s in d["steps"] if s.get("method") == "orthogonal")["variety"] = variety
        v = check(d)
        assert v.status == "NOT VERIFIED" and "orthogonal symmetry needs" in v.message, v.message
