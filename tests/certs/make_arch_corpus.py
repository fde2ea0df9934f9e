"""Generate the architecture certificate corpus: tests/certs/{valid,invalid,malformed}/arch_*.json.

Run from the repository root: ``python tests/certs/make_arch_corpus.py``. The valid files
are certificates of :func:`tnverify.theory.separation.architecture_separation` (claims about the
grid tensor of an architecture); each invalid or malformed file is a valid certificate
with one deliberate defect.
"""
from __future__ import annotations

import copy
import json
from pathlib import Path

from tnverify.networks.architectures import spec
from tnverify.networks.partitions import parse_partition
from tnverify.theory.separation import architecture_separation, shallow_width

HERE = Path(__file__).parent
LOWER_RULES = ("grid-rank-at-least", "grid-generic-from-point")


def _cert(arch, N, M, widths=None, rank=None, shared=False, tree=None, depth=1, partition="interleaved",
          prefix="", product=False):
    a = spec(arch, N, M, widths, rank, shared, tree, depth)
    return architecture_separation(a, parse_partition(partition, N), prefix=prefix,
                                   product=product).certificate.to_dict()


def _write(kind, name, d):
    p = HERE / kind / f"arch_{name}.json"
    p.write_text(json.dumps(d) if not isinstance(d, str) else d)


def _step(d, rule):
    return next(s for s in d["steps"] if s["rule"] == rule)


def lower_only(d):
    """The lower-bound chain only: the point's minor and its lift to the family."""
    d = copy.deepcopy(d)
    d["steps"] = [s for s in d["steps"] if s["rule"] in LOWER_RULES]
    d["conclusion"] = [c for c in d["conclusion"] if c["fact"] == "generic-rank-at-least"]
    return d


def lower_depth(d, depth=1):
    """Lower the depth of a deep RAC in the family and the point, weights made consistent (layers >= depth dropped)."""
    for name in ("family", "point"):
        o = d["objects"][name]
        o["depth"] = depth
        o["widths"] = o["widths"][:depth]
    W = d["objects"]["point"]["weights"]
    for n in list(W):
        if n.startswith(("WI", "WH")) and int(n[2:].split("_")[0]) >= depth:
            del W[n]


def main():
    convac = _cert("convac", 4, 3, [2, 2])
    _write("valid", "convac_n4_interleaved", convac)
    shared = _cert("convac", 4, 3, [2, 2], shared=True, tree="mirror")
    _write("valid", "convac_shared_mirror_n4_interleaved", shared)
    rac2 = _cert("rac", 6, 3, 2, shared=True, depth=2, partition="start-end")
    _write("valid", "rac_depth2_t6_m3_r2_start_end", rac2)
    _write("valid", "rac_depth3_t4_m2_r2_start_end", _cert("rac", 4, 2, 2, shared=True, depth=3,
                                                           partition="start-end"))
    _write("valid", "rac_depth2_lower_only", lower_only(rac2))
    _write("valid", "tt_n4_m3_r2_interleaved", _cert("tt", 4, 3, 2))
    _write("valid", "ht_pairs_n5", _cert("ht", 5, 2, [2, 2, 2], tree="pairs", partition="0,2,4"))
    a = spec("convac", 8, 2, 2)
    rows = parse_partition("interleaved", 8)
    res = architecture_separation(a, rows, prefix="deep_", product=False)
    shallow_width("cp", 8, 2, rows, res.lower, cert=res.certificate)
    _write("valid", "compare_convac_vs_cp", res.certificate.to_dict())

    def bad(kind, name, fn, src=convac):
        d = copy.deepcopy(src)
        fn(d)
        _write(kind, name, d)

    # ---- invalid: well formed, a step or the conclusion fails
    bad("invalid", "rac_depth_lowered_to_1", lambda d: lower_depth(d), lower_only(rac2))
    bad("invalid", "rac_boundary_understated", lambda d: _step(d, "grid-boundary-bound").update(rank=4), rac2)
    bad("invalid", "rac_upper_4_without_step", lambda d: d["conclusion"].__setitem__(
        1, {**d["conclusion"][1], "value": 4}), rac2)
    bad("invalid", "rac_point_breaks_sharing", lambda d: d["objects"]["point"]["weights"]["WH1_3"].__setitem__(
        0, d["objects"]["point"]["weights"]["WH1_3"][0] + 1), rac2)

    def extend_minor(d):
        s = _step(d, "grid-rank-at-least")
        for side in ("rows", "cols"):
            s["minor"][side].append(min(set(range(10**6)) - set(s["minor"][side])))
        s["rank"] += 1
        _step(d, "grid-generic-from-point")["rank"] += 1
        d["conclusion"][0]["value"] += 1
    bad("invalid", "rac_minor_beyond_generic_rank", extend_minor, lower_only(rac2))
    bad("invalid", "convac_point_breaks_sharing", lambda d: d["objects"]["point"]["weights"]["leaf3"].__setitem__(
        0, d["objects"]["point"]["weights"]["leaf3"][0] + 1), shared)

    def retree(d):
        for name in ("family", "point"):
            d["objects"][name]["tree"] = "((0,2),(1,3))"
    bad("invalid", "convac_tree_changed", retree, lower_only(convac))
    bad("invalid", "convac_point_not_in_family", lambda d: d["objects"]["family"].update(widths=[2, 3]))
    bad("invalid", "convac_cut_side_moved", lambda d: _step(d, "grid-cut-bound")["side"].append("leaf0")
        if "leaf0" not in _step(d, "grid-cut-bound")["side"] else _step(d, "grid-cut-bound")["side"].remove("leaf0"))
    bad("invalid", "convac_cut_rank_overstated", lambda d: _step(d, "grid-cut-bound").update(rank=5))
    bad("invalid", "convac_shape_bound_wrong", lambda d: _step(d, "grid-shape-bound").update(rank=8))
    bad("invalid", "convac_lower_overclaimed", lambda d: d["conclusion"].__setitem__(
        0, {**d["conclusion"][0], "value": 5}))
    bad("invalid", "convac_root_weights_zeroed", lambda d: d["objects"]["point"]["weights"].update(n0=[0, 0]))
    bad("invalid", "convac_vectors_zeroed", lambda d: _step(d, "grid-rank-at-least").update(
        vectors=[[[0] * len(v) for v in vs] for vs in _step(d, "grid-rank-at-least")["vectors"]]))

    # ---- malformed: schema violations
    bad("malformed", "rac_deep_with_vectors", lambda d: _step(d, "grid-rank-at-least").update(
        vectors=[[[int(i == j) for i in range(3)] for j in range(3)] for _ in range(6)]), rac2)
    bad("malformed", "rac_features_differ", lambda d: d["objects"]["family"].update(features=[3, 3, 3, 3, 3, 2]),
        rac2)
    bad("malformed", "boundary_bound_on_interleaved_rows", lambda d: _step(d, "grid-boundary-bound").update(
        rows=[0, 2, 4]), rac2)
    bad("malformed", "boundary_bound_on_convac", lambda d: d["steps"].append(
        {"rule": "grid-boundary-bound", "id": "b", "architecture": "family", "rows": [0, 2], "rank": 4}))
    bad("malformed", "unknown_architecture_key", lambda d: d["objects"]["family"].update(activation="relu"))
    bad("malformed", "unknown_family", lambda d: [d["objects"][n].update(family="resnet") for n in ("family", "point")])
    bad("malformed", "weight_missing", lambda d: d["objects"]["point"]["weights"].pop("leaf2"))
    bad("malformed", "weight_wrong_length", lambda d: d["objects"]["point"]["weights"]["n1"].append(1))
    bad("malformed", "widths_wrong_count", lambda d: d["objects"]["family"].update(widths=[2, 2, 2]))
    bad("malformed", "tree_misses_a_leaf", lambda d: d["objects"]["family"].update(tree="((0,1),(2,2))"))
    bad("malformed", "depth_on_convac", lambda d: d["objects"]["family"].update(depth=2))
    bad("malformed", "grid_of_family_without_weights", lambda d: _step(d, "grid-rank-at-least").update(
        grid="family"))
    bad("malformed", "minor_index_out_of_range", lambda d: _step(d, "grid-rank-at-least")["minor"]["rows"]
        .__setitem__(-1, 10**6))
    bad("malformed", "minor_rows_repeated", lambda d: _step(d, "grid-rank-at-least")["minor"]["rows"]
        .__setitem__(-1, _step(d, "grid-rank-at-least")["minor"]["rows"][0]))

    product_point_corpus(bad)
    conv_corpus(bad)


def conv_corpus(bad):
    """Overlapping (Sharir & Shashua 2018) and dilated (Cohen, Tamari & Shashua 2018) ConvACs and their defects."""
    def cert(a, partition):
        return architecture_separation(a, parse_partition(partition, a.N)).certificate.to_dict()

    ov = cert(spec("overlap", 6, 2, 2), "left-right")
    _write("valid", "overlap_n6_m2_w2_left_right", ov)
    dil = cert(spec("dilated", 8, 2, 2, dilations="4,2,1"), "left-right")
    _write("valid", "dilated_421_n8_left_right", dil)
    bad("invalid", "overlap_frontier_understated", lambda d: _step(d, "grid-frontier-bound").update(rank=4), ov)
    bad("malformed", "overlap_stride_changed", lambda d: [d["objects"][n].update(field=[2, 2, 2], stride=[2, 2, 2])
                                                        for n in ("family", "point")] and None, lower_only(ov))
    bad("malformed", "dilated_order_changed", lambda d: [d["objects"][n].update(dilations=[1, 2, 4])
                                                       for n in ("family", "point")], lower_only(dil))
    bad("invalid", "dilated_cut_rank_overstated", lambda d: _step(d, "grid-cut-bound").update(rank=32), dil)
    bad("malformed", "overlap_with_vectors", lambda d: _step(d, "grid-rank-at-least").update(
        vectors=[[[1, 0], [0, 1]] for _ in range(6)]), ov)
    bad("malformed", "overlap_field_does_not_tile", lambda d: d["objects"]["family"].update(field=[4], stride=[3]),
        ov)
    bad("malformed", "dilated_order_not_a_permutation", lambda d: d["objects"]["family"].update(
        dilations=[4, 2, 2]), dil)
    bad("malformed", "dilations_on_overlap", lambda d: d["objects"]["family"].update(dilations=[1, 2]), ov)
    mix = cert(spec("mixed", 8, 2, 2, dilations="1,2,4", dilations_b="2,1,4", mix="2"), "0,1,4,6")
    _write("valid", "mixed_n8_one_connection", mix)
    nomix = cert(spec("mixed", 8, 2, 2, dilations="1,2,4", dilations_b="2,1,4", mix="none"), "0,1,4,6")
    _write("valid", "mixed_n8_no_connection", nomix)
    bad("invalid", "mixed_span_understated", lambda d: _step(d, "grid-span-bound").update(rank=12), nomix)
    bad("invalid", "mixed_connection_dropped", lambda d: [d["objects"][n].update(mix=[])
                                                          for n in ("family", "point")], lower_only(mix))
    bad("malformed", "mixed_orders_swapped", lambda d: [d["objects"][n].update(dilations=[2, 1, 4], dilations_b=[1, 2, 4])
                                                      for n in ("family", "point")], lower_only(mix))
    bad("malformed", "mixed_joined_where_inputs_differ", lambda d: d["objects"]["family"].update(mix=[1, 2]), mix)
    bad("malformed", "mixed_order_b_on_dilated", lambda d: d["objects"]["family"].update(dilations_b=[4, 2, 1]), dil)
    bad("malformed", "mixed_cut_bound", lambda d: d["steps"].insert(0, {
        "rule": "grid-cut-bound", "id": "c", "architecture": "family", "rows": [0, 1, 4, 6], "side": ["W0_1_0"],
        "cut": ["x0"], "rank": 2}), mix)
    bad("malformed", "mixed_frontier_bound", lambda d: d["steps"].insert(0, {
        "rule": "grid-frontier-bound", "id": "f", "architecture": "family", "rows": [0, 1, 4, 6], "rank": 16}), mix)


def product_point_corpus(bad):
    """Certificates of the product-point route (rule ``grid-rank-product``) and their defects."""
    prod8 = _cert("convac", 8, 3, 2, product=True)
    _write("valid", "product_convac_n8_interleaved", prod8)
    _write("valid", "product_ht_shared_n8_interleaved", _cert("ht", 8, 3, 2, shared=True, product=True))
    _write("valid", "product_convac_mirror_left_right",
           _cert("convac", 8, 2, 2, tree="mirror", partition="left-right", product=True))

    def seps(d):
        return _step(d, "grid-rank-product")["separators"]

    def overclaim(d):
        seps(d)[0]["rank"] += 1
        seps(d)[0]["minor"]["rows"].append(2)
        seps(d)[0]["minor"]["cols"].append(2)
        for s in d["steps"]:
            if s["rule"] in ("grid-rank-product", "grid-generic-from-point"):
                s["rank"] = s["rank"] // 2 * 3
        d["conclusion"][0]["value"] = d["conclusion"][0]["value"] // 2 * 3
    bad("invalid", "product_selector_broken", lambda d: d["objects"]["point"]["weights"]["n0"].__setitem__(1, 1),
        prod8)
    bad("invalid", "product_inner_selector_broken", lambda d: d["objects"]["point"]["weights"]["n1"]
        .__setitem__(1, 5), prod8)
    bad("invalid", "product_factor_rank_overclaimed", overclaim, prod8)
    bad("invalid", "product_ranks_do_not_multiply", lambda d: _step(d, "grid-rank-product").update(rank=32), prod8)
    bad("invalid", "product_factor_weights_zeroed", lambda d: d["objects"]["point"]["weights"].update(
        leaf0=[0] * len(d["objects"]["point"]["weights"]["leaf0"])), prod8)
    bad("malformed", "product_separator_not_a_node", lambda d: (seps(d)[0].update(inputs=[0, 2]),
                                                                 seps(d)[1].update(inputs=[1, 3])), prod8)
    bad("malformed", "product_separators_overlap", lambda d: seps(d).__setitem__(1, copy.deepcopy(seps(d)[0])),
        prod8)
    bad("malformed", "product_separator_extra_key", lambda d: seps(d)[0].update(vectors=[]), prod8)


if __name__ == "__main__":
    main()
