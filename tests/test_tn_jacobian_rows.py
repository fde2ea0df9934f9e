"""Row-sampled Jacobians of tensor networks: the prover (tnverify.theory.tn_rows) and the checker
(tnverify.checker.network_eval) against finite differences of the contraction.

The full tensor is computed here by one numpy einsum over Python integers, written from the
spec's labels alone. The map is linear in each core entry, so T(theta + e_q) - T(theta) is
exactly column q of the Jacobian over Z; the rows and minors of both sides must equal it mod p.
The gauge generators must be tangent to the fibres (J G = 0), and the sampled rank must equal the
rank over Q of the whole Jacobian.
"""
from __future__ import annotations

import copy
import math

import flint
import numpy as np
import pytest

from tnverify.checker import check, network_eval
from tnverify.checker.kernel import Malformed
from tnverify.theory import jacobian as J
from tnverify.theory import layers as L
from tnverify.theory import tn_rows as T

P_TEST = 1_000_003

#: A network that is none of the four formats: a core with two outputs, a core with none, a double bond.
ODD = {"format": "tensor-network", "cores": [
    {"shape": [2, 3, 2], "labels": ["i0", "i1", "a"]},
    {"shape": [2, 2, 3], "labels": ["a", "b", "c"]},
    {"shape": [2, 3, 4], "labels": ["b", "c", "i2"]},
], "outputs": ["i0", "i1", "i2"]}

SPECS = {
    "tt": J.tt_spec([3, 4, 2], [2, 3]),
    "tr": J.tr_spec([2, 3, 2], [2, 3, 2]),
    "tr-two-cores": J.tr_spec([3, 4], [2, 3]),  # two bonds between the same two cores
    "tucker": J.tucker_spec([3, 2, 4], [2, 2, 3]),
    "ht": J.ht_spec([2, 3, 2, 2, 3], 2),
    "odd": ODD,
}


def _full_tensor(spec: dict, cores: list) -> np.ndarray:
    letters = {lab: chr(ord("a") + i) for i, lab in enumerate(sorted({x for c in spec["cores"] for x in c["labels"]}))}
    expr = ",".join("".join(letters[x] for x in c["labels"]) for c in spec["cores"])
    expr += "->" + "".join(letters[o] for o in spec["outputs"])
    return np.einsum(expr, *cores).ravel()


def _finite_difference_jacobian(spec: dict, point: list) -> np.ndarray:
    """N x P over Z: column q is T(theta + e_q) - T(theta), exact for a map linear in each entry."""
    cores = [np.asarray(x, dtype=object).reshape(c["shape"]) for x, c in zip(point, spec["cores"])]
    base = _full_tensor(spec, cores)
    cols = []
    for k, c in enumerate(cores):
        for f in range(c.size):
            bumped = c.copy().ravel()
            bumped[f] += 1
            cols.append(_full_tensor(spec, cores[:k] + [bumped.reshape(c.shape)] + cores[k + 1:]) - base)
    return np.array(cols, dtype=object).T


def _point(spec, seed=3):
    rng = np.random.default_rng(seed)
    return [rng.integers(0, P_TEST, c["shape"], dtype=np.int64) for c in spec["cores"]]


@pytest.mark.parametrize("name", SPECS)
def test_sampled_rows_and_checker_entries_equal_finite_differences(name):
    spec = SPECS[name]
    point = _point(spec)
    FD = _finite_difference_jacobian(spec, point)
    N, P = FD.shape
    rng = np.random.default_rng(1)
    rows = np.sort(rng.choice(N, size=min(N, 11), replace=False))
    got = T.network_rows(spec, P_TEST, point, rows)
    assert got.shape == (len(rows), P)
    assert (got == (FD[rows] % P_TEST).astype(np.int64)).all()
    cols = sorted(rng.choice(P, size=min(P, 17), replace=False).tolist())
    flat = [x.ravel().tolist() for x in point]
    M = network_eval.jacobian_minor(spec, flat, P_TEST, rows.tolist(), cols)
    assert M == [[int(FD[i, j]) % P_TEST for j in cols] for i in rows]


@pytest.mark.parametrize("name", SPECS)
def test_gauge_rows_are_tangent_to_the_fibres_and_both_sides_agree(name):
    spec = SPECS[name]
    point = _point(spec, 5)
    FD = _finite_difference_jacobian(spec, point)
    P = FD.shape[1]
    G = T.gauge_rows(spec, P_TEST, point, np.arange(P))
    assert G.shape == (P, T.gauge_count(spec))
    bonds = {lab: n for c in spec["cores"] for lab, n in zip(c["labels"], c["shape"]) if lab not in spec["outputs"]}
    assert G.shape[1] == sum(n * n for n in bonds.values())
    assert not (np.array(FD.dot(G.astype(object)) % P_TEST, dtype=np.int64)).any()  # J G = 0: the orbit is in the fibre
    flat = [x.ravel().tolist() for x in point]
    assert network_eval.gauge_minor(spec, flat, P_TEST, list(range(P)), list(range(G.shape[1]))) == G.tolist()


@pytest.mark.parametrize("name", SPECS)
def test_gauge_rank_drawn_core_by_core_is_the_rank_of_the_whole_action(name):
    spec = SPECS[name]
    point = _point(spec, 9)
    P = sum(math.prod(c["shape"]) for c in spec["cores"])
    G = T.gauge_rows(spec, P_TEST, point, np.arange(P))
    whole = flint.nmod_mat(G.tolist(), P_TEST).rank()
    res = T.gauge_rank(spec, P_TEST, point, np.random.default_rng(2))
    assert res.rank == whole and flint.nmod_mat(G[res.rows][:, res.cols].tolist(), P_TEST).det() != 0


def test_gauge_rank_reaches_a_small_core_of_a_large_network():
    spec = J.ht_spec([16] * 5, 2)  # the root is a 2 x 2 matrix among 188 parameters
    res = T.gauge_rank(spec, P_TEST, _point(spec), np.random.default_rng(0))
    assert res.rank == T.gauge_count(spec) == 8 * 4


@pytest.mark.parametrize("name", ["tt", "tr", "tucker", "ht"])
def test_sampled_rank_is_the_rank_over_q_and_its_minor_is_nonsingular(name):
    spec = SPECS[name]
    point = _point(spec, 7)
    FD = _finite_difference_jacobian(spec, point)
    N, P = FD.shape
    true = flint.fmpz_mat([[int(x) for x in row] for row in FD]).rank()
    res, chosen = T.sampled_rank(lambda r: T.network_rows(spec, P_TEST, point, r), N, true, np.random.default_rng(0),
                                 P_TEST)
    assert res.rank == true and len(chosen) <= min(N, 2 * T.sample_size(true, N))
    minor = flint.nmod_mat([[int(FD[i, j]) % P_TEST for j in res.cols] for i in res.rows], P_TEST)
    assert minor.det() != 0 and len(res.rows) == true


def test_sampling_stops_at_the_target_and_takes_few_rows_of_a_large_network():
    spec = J.tt_spec([16] * 5, [3] * 4)  # 2^20 rows; dim 492
    point = _point(spec)
    res, chosen = T.sampled_rank(lambda r: T.network_rows(spec, P_TEST, point, r), 16 ** 5, 492,
                                 np.random.default_rng(0), P_TEST)
    assert res.rank == 492 and len(chosen) == T.sample_size(492, 16 ** 5)


def test_the_prover_mirrors_the_checker_work_per_row():
    for spec in list(SPECS.values()) + [J.ht_spec([16] * 5, 8), J.tucker_spec([16] * 5, [5] * 5)]:
        assert T.checker_row_work(spec) == network_eval.network_plan(spec)["work"]


# ------------------------------------------------------------------ certificates of sampled layers
@pytest.fixture(scope="module")
def sampled_cert():
    res = L.layer_dimension(L.make_layer("tt", (2, 2, 2, 2), (2, 2, 2, 2), (2,)))  # modes 4^4, dim 36 of 48
    assert res.status == "proved" and res.lower == 36 and "sampled" in res.lower_source
    return res.certificate.to_dict()


def _jac(d):
    return next(s for s in d["steps"] if s["rule"] == "jacobian-rank-at-least")


def test_a_larger_minor_than_the_dimension_is_singular(sampled_cert):
    d = copy.deepcopy(sampled_cert)
    s = _jac(d)
    s["minor"]["rows"].append(next(i for i in range(256) if i not in s["minor"]["rows"]))
    s["minor"]["cols"].append(next(j for j in range(48) if j not in s["minor"]["cols"]))
    s["rank"] += 1
    v = check(d)
    assert v.status == "NOT VERIFIED" and "determinant 0" in v.message


def test_a_zeroed_core_in_the_point_is_rejected(sampled_cert):
    d = copy.deepcopy(sampled_cert)
    s = _jac(d)
    s["point"][0] = np.zeros(np.shape(s["point"][0]), dtype=int).tolist()
    assert check(d).status == "NOT VERIFIED"


def test_leading_rows_instead_of_the_hinted_ones_are_rejected(sampled_cert):
    d = copy.deepcopy(sampled_cert)
    s = _jac(d)
    s["minor"]["rows"] = list(range(s["rank"]))  # i_0 = i_1 = 0 on all of them: core-0 columns vanish
    assert check(d).status == "NOT VERIFIED"


def test_the_checker_refuses_a_minor_over_its_work_limit_before_building_it():
    spec = J.tr_spec([8, 8, 8], [60, 60, 60])  # 3 x 10^5 multiply-adds per row
    work = network_eval.network_plan(spec)["work"]
    r = math.ceil(network_eval.MAX_WORK / work) + 1
    with pytest.raises(Malformed, match="exceed the checker limit"):
        network_eval.jacobian_minor(spec, [[0] * math.prod(c["shape"]) for c in spec["cores"]], P_TEST,
                                    list(range(r)), list(range(r)))
