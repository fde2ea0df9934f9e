"""A user's own architecture given by its forward pass (``separation --forward``)."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from tnverify.networks.architectures import rac, spec
from tnverify.networks.partitions import parse_partition
from tnverify.checker import check
from tnverify.errors import InputError
from tnverify.networks.forward import grid_tensor, random_weights
from tnverify.numeric.modp import rank_profile
from tnverify.networks.network import TensorNetwork
from tnverify.theory.user_forward import forward_separation, load_forward

DATA = Path(__file__).parent / "data"
SPEC = f"{DATA / 'user_rac2.py'}:score"
RENAME = {"WH0": "A", "WI0": "B", "WH1": "C", "WI1": "D"}


def _user_network(T):
    """The builder's depth-2 RAC network with its cores renamed after the user's weights (copies name.k)."""
    net = rac(T, 2, 2, L=2, shared=True)
    count: dict = {}
    names = []
    for n in net.names:
        base = RENAME.get(n.split("_")[0], n) if n.startswith("W") else n
        k = count.get(base, 0)
        count[base] = k + 1
        names.append(base if (k == 0 or base.startswith("in")) else f"{base}.{k}")
    return TensorNetwork(names, net.inputs, net.output, net.size_dict)


def test_user_rac_matches_the_builtin_grid_and_its_rank():
    uf = load_forward(SPEC)
    a = spec("rac", 4, 2, 2, shared=True, depth=2)
    p = 1048573
    W = random_weights(a, np.random.default_rng(3), p)
    Wu = {"A": W["WH0_1"], "B": W["WI0_0"], "C": W["WH1_1"], "D": W["WI1_0"], "w": W["w"]}
    G = grid_tensor(a, W, p)
    for d in np.ndindex(*G.shape):
        x = [[int(i == dt) for i in range(2)] for dt in d]
        assert uf.score({k: v.tolist() for k, v in Wu.items()}, x, p) == G[d]
    res = forward_separation(uf, 4, 2, parse_partition("start-end", 4), seed=0)
    assert res.status == "proved" and res.rank == rank_profile(G.reshape(4, 4), p).rank == 4
    assert check(res.certificate.to_dict(), allow_code=True).status == "VERIFIED"


def test_user_code_runs_only_when_allowed_and_only_unchanged(tmp_path):
    src = tmp_path / "net.py"
    src.write_text((DATA / "user_rac2.py").read_text())
    uf = load_forward(f"{src}:score")
    res = forward_separation(uf, 4, 2, (0, 1), seed=1)
    d = res.certificate.to_dict()
    assert check(d).status == "MALFORMED" and "allow-code" in check(d).message
    assert check(d, allow_code=True).status == "VERIFIED"
    src.write_text(src.read_text().replace("return y % p if p else y", "return (y + 1) % p if p else y"))
    v = check(d, allow_code=True)
    assert v.status == "NOT VERIFIED" and "SHA-256" in v.message


def test_a_network_gives_a_probable_upper_bound_never_proved():
    uf = load_forward(SPEC)
    net = _user_network(4)
    res = forward_separation(uf, 4, 2, (0, 1), seed=0, network=net)
    assert res.cut_bound == 4 and 0 < res.failure_probability < 1e-12
    assert res.status == "proved"  # the shape bound 4 meets the lower bound: proved without the network
    res6 = forward_separation(load_forward(SPEC), 6, 2, (0, 1, 2), seed=0, network=_user_network(6))
    assert res6.shape_bound == 8


def test_a_network_that_disagrees_is_refused():
    uf = load_forward(SPEC)
    net = _user_network(4)
    names = list(net.names)
    i, j = names.index("A"), names.index("C")
    names[i], names[j] = "C", "A"  # swap two weights: a different function
    with pytest.raises(InputError, match="disagrees"):
        forward_separation(uf, 4, 2, (0, 1), network=TensorNetwork(names, net.inputs, net.output, net.size_dict))


@pytest.mark.parametrize("spec_, msg", [("nofile.py:score", "no forward-pass file"), ("x", "FILE.py:FUNCTION"),
                                        (f"{DATA / 'user_rac2.py'}:nothere", "no function")])
def test_bad_forward_specs(spec_, msg):
    with pytest.raises(InputError, match=msg):
        load_forward(spec_)


def test_cli_forward(capsys, tmp_path):
    from tnverify.cli import main

    cert = tmp_path / "c.json"
    code = main(["separation", "--forward", SPEC, "--inputs", "4", "--features", "2", "--partition", "start-end",
                 "--cert", str(cert), "--json"])
    out = json.loads(capsys.readouterr().out)
    assert code == 0 and out["status"] == "proved" and out["checker"] == "VERIFIED" and "user function" in out["subject"]
    assert main(["check", str(cert)]) == 2
    assert main(["check", str(cert), "--allow-code"]) == 0
    assert main(["separation", "--forward", SPEC, "--arch", "rac", "--inputs", "4"]) == 2


def test_probable_when_only_the_network_cut_meets_the_lower_bound():
    from tnverify.networks.architectures import tt

    uf = load_forward(f"{DATA / 'user_tt.py'}:score")
    base = tt(4, 3, 2)  # cores G0..G3; the user ties the middle cores: G2 is a copy of G1
    net = TensorNetwork(["G0", "G1", "G1.1", "G3"], base.inputs, base.output, base.size_dict)
    res = forward_separation(uf, 4, 3, (0, 1), seed=0, network=net)
    assert (res.status, res.lower, res.cut_bound, res.shape_bound) == ("probable", 2, 2, 9)
    assert res.failure_probability < 1e-12 and "probable" in res.text()
    assert check(res.certificate.to_dict(), allow_code=True).status == "VERIFIED"  # the lower bound only
    assert forward_separation(uf, 4, 3, (0, 1), seed=0).status == "unknown"  # without a network: [2, 9]
