"""Generate the rectifier certificate corpus: tests/certs/{valid,invalid,malformed}/relu_*.json.

Run from the repository root: ``python tests/certs/make_rectifier_corpus.py``. The valid files are
certificates of :func:`tnverify.theory.rectifier.rectifier_separation` (ranks on a set of positive
measure, structural upper bounds); each invalid or malformed file is a valid certificate with one
deliberate defect.
"""
from __future__ import annotations

import copy
import json
from pathlib import Path

from tnverify.networks.partitions import parse_partition
from tnverify.networks.rectifier import rect_spec, weight_shapes
from tnverify.certificate import Certificate
from tnverify.theory.rectifier import rectifier_separation, shallow_match

HERE = Path(__file__).parent


def _cert(family, N, widths, partition="interleaved", **kw):
    a = rect_spec(family, N, widths, **kw)
    return a, rectifier_separation(a, parse_partition(partition, N)).certificate.to_dict()


def _write(kind, name, d):
    (HERE / kind / f"relu_{name}.json").write_text(d if isinstance(d, str) else json.dumps(d))


def _step(d, rule):
    return next(s for s in d["steps"] if s["rule"] == rule)


def main():
    a, ht = _cert("relu-ht", 4, [2, 2], features=3)
    _write("valid", "ht_max_n4_m3_interleaved", ht)
    _write("valid", "cp_avg_n4_proved", _cert("relu-cp", 4, [4], features=3, pooling="avg", biases=True)[1])
    _write("valid", "tt_max_shared_biases_n4", _cert("relu-tt", 4, [2, 2, 2], features=3, shared=True,
                                                     biases=True)[1])
    _write("valid", "ht_avg_abs_random_templates_split", _cert(
        "relu-ht", 4, [2, 2], "left-right", templates="1/2,-1;2,3;-1,1", activation="abs", pooling="avg")[1])
    _write("valid", "cp_max_shallow_bound", _cert("relu-cp", 4, [2], "0,1", features=2)[1])

    def bad(kind, name, fn, src=ht):
        d = copy.deepcopy(src)
        fn(d)
        _write(kind, name, d)

    def overclaim(d):
        for s in d["steps"]:
            if s["rule"] == "relu-open-set-from-point":
                s["rank"] += 1
        for c in d["conclusion"]:
            if c["fact"] == "open-set-rank-at-least":
                c["value"] += 1

    bad("invalid", "overclaimed_rank", overclaim)
    bad("invalid", "wrong_margin", lambda d: _step(d, "relu-rank-at-least").update(margin="1/3"))
    bad("invalid", "template_moved", lambda d: d["objects"]["point"]["templates"].__setitem__(0, [1, 1, 0]))
    names = list(weight_shapes(a))
    leaf0 = sum(int(__import__("math").prod(weight_shapes(a)[n])) for n in names[:names.index("leaf0")])

    def on_breakpoint(d):  # one-hot templates: leaf0's entry (template t, channel 0) is a pre-activation
        rows = _step(d, "relu-rank-at-least")["minor"]["rows"]
        t = rows[0] // 3  # the template of input 0 in the first minor row
        d["objects"]["point"]["entries"][leaf0 + 2 * t] = 0

    bad("invalid", "weight_at_a_breakpoint", on_breakpoint)
    bad("invalid", "shape_bound_too_small", lambda d: _step(d, "relu-shape-bound").update(rank=8))
    bad("invalid", "upper_bound_edited", lambda d: [c.update(value=c["value"] - 1) for c in d["conclusion"]
                                                    if c["fact"] == "everywhere-rank-at-most"])
    bad("invalid", "point_of_another_family",
        lambda d: d["objects"]["family"].update(pooling="avg") or d["objects"]["point"].update(pooling="avg"))
    bad("malformed", "float_weight", lambda d: d["objects"]["point"]["entries"].__setitem__(0, "0.5"))
    bad("malformed", "unknown_key", lambda d: d["objects"]["family"].update(dropout=0))
    bad("malformed", "no_margin", lambda d: _step(d, "relu-rank-at-least").pop("margin"))
    bad("malformed", "short_entries", lambda d: d["objects"]["point"]["entries"].pop())
    bad("malformed", "unknown_activation", lambda d: d["objects"]["family"].update(activation="tanh"))
    bad("malformed", "shallow_bound_on_a_deep_network",
        lambda d: d["steps"].insert(0, {"id": "x", "rule": "relu-shallow-bound", "rectifier": "family",
                                        "rows": [0, 2], "rank": 9}))
    _write("malformed", "json_float", json.dumps(ht).replace('"margin": "', '"margin": 0.5, "x": "', 1))
    _match_corpus(bad)


def _match_corpus(bad):
    """A deep relu-ht network (N=4, M=3) matched on an open set by 15 OR channels of the inputs {1, 2}."""
    from fractions import Fraction
    from itertools import product

    from tnverify.networks.rectifier import evaluate

    a = rect_spec("relu-ht", 4, [2, 2], features=3)
    c = Certificate()
    shallow_match(a, [1, 2], seed=0, cert=c)
    m = c.to_dict()
    _write("valid", "match_n4_m3_inputs_1_2", m)
    names = list(weight_shapes(a))
    leaf0 = sum(int(__import__("math").prod(weight_shapes(a)[n])) for n in names[:names.index("leaf0")])

    def leaf0_alive(d):  # input 0 dominates every max up to the root: the deep network reads it; margin made right
        pt = d["objects"]["match_point"]
        for j in range(6):
            pt["entries"][leaf0 + j] = 10**9 + j
        for j in range(2, 6):  # n1, the conv of the node (0, 1): positive, so its ReLUs pass input 0 on
            pt["entries"][j] = 10**3 + j
        W = {}
        pos = 0
        for n, shp in weight_shapes(a).items():
            k = int(__import__("math").prod(shp))
            W[n] = __import__("numpy").array([Fraction(x) for x in pt["entries"][pos:pos + k]], dtype=object).reshape(shp)
            pos += k
        margin = evaluate(a, W, [list(t) for t in product(range(3), repeat=4)])[1]
        _step(d, "relu-shallow-match")["margin"] = str(margin)

    bad("invalid", "match_dead_leaf_made_alive", leaf0_alive, m)
    bad("invalid", "match_top_weight_edited", lambda d: d["objects"]["match_shallow"]["entries"].__setitem__(
        0, str(Fraction(d["objects"]["match_shallow"]["entries"][0]) + 1)), m)
    bad("invalid", "match_shallow_reads_input_0", lambda d: d["objects"]["match_shallow"]["entries"].__setitem__(
        15, 1), m)  # A0[0, 0]: channel 0 becomes active at input 0, outside S
    bad("invalid", "match_columns_dependent", lambda d: _step(d, "relu-shallow-match").update(
        columns=[0, 1, 2, 3, 4, 5, 6, 7, 8]), m)  # the indicators of d_1 and of d_2 both sum to 1
    bad("invalid", "match_channels_overclaimed", lambda d: [c.update(value=c["value"] - 1) for c in d["conclusion"]
                                                            if c["fact"] == "open-set-shallow-match"], m)
    bad("invalid", "match_wrong_margin", lambda d: _step(d, "relu-shallow-match").update(margin="1"), m)
    bad("malformed", "match_columns_short", lambda d: _step(d, "relu-shallow-match")["columns"].pop(), m)
    bad("malformed", "match_average_pooling", lambda d: [d["objects"][k].update(pooling="avg")
                                                          for k in ("family", "match_point")], m)
    bad("malformed", "match_no_inputs", lambda d: _step(d, "relu-shallow-match").update(inputs=[]), m)


if __name__ == "__main__":
    main()
