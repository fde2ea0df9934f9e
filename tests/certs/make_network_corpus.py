"""Generate the network certificate corpus: tests/certs/{valid,invalid,malformed}/network_*.json.

Run from the repository root: ``python tests/certs/make_network_corpus.py``. Each
invalid or malformed file is a valid certificate with one deliberate defect.
"""
from __future__ import annotations

import copy
import json
from pathlib import Path

from tnverify.networks.architectures import build
from tnverify.networks.partitions import parse_partition
from tnverify.theory.separation import separation_rank, shallow_width

HERE = Path(__file__).parent


def _cert(arch, N, M, widths=None, rank=None, shared=False, partition="interleaved", depth=1, prefix=""):
    net = build(arch, N, M, widths, rank, shared, depth=depth)
    return separation_rank(net, parse_partition(partition, N), prefix=prefix).certificate.to_dict()


def _write(kind, name, d):
    p = HERE / kind / f"network_{name}.json"
    p.write_text(json.dumps(d) if not isinstance(d, str) else d)


def _step(d, rule):
    return next(s for s in d["steps"] if s["rule"] == rule)


def main():
    base = _cert("convac", 8, 3, [2, 2, 2])
    _write("valid", "convac_n8_interleaved", base)
    shared = _cert("convac", 8, 3, 2, shared=True)
    _write("valid", "convac_shared_n8_interleaved", shared)
    _write("valid", "cp_shared_bounds_unknown", _cert("cp", 6, 2, rank=7, shared=True))
    _write("valid", "rac_depth2_start_end", _cert("rac", 6, 3, 2, shared=True, partition="start-end", depth=2))
    _write("valid", "tt_d4_n3_r2", _cert("tt", 4, 3, 2))
    net = build("convac", 8, 3, 2)
    rows = parse_partition("interleaved", 8)
    res = separation_rank(net, rows, prefix="deep_")
    shallow_width("cp", 8, 3, rows, res.lower, cert=res.certificate)
    _write("valid", "compare_convac_vs_cp", res.certificate.to_dict())

    def bad(kind, name, fn, src=base):
        d = copy.deepcopy(src)
        fn(d)
        _write(kind, name, d)

    # ---- invalid: well formed, a step or the conclusion fails
    bad("invalid", "cut_product_overstated", lambda d: _step(d, "cut-bound").update(rank=17))
    bad("invalid", "cut_labels_wrong", lambda d: _step(d, "cut-bound").update(cut=["a2", "a3"]))
    bad("invalid", "cut_side_moved", lambda d: _step(d, "cut-bound")["side"].remove("leaf0"))
    bad("invalid", "sketch_zeroed", lambda d: _step(d, "network-rank-at-least").update(
        sketch=[[[0] * len(r) for r in S] for S in _step(d, "network-rank-at-least")["sketch"]]))
    bad("invalid", "lower_overclaimed", lambda d: d["conclusion"].__setitem__(
        0, {**d["conclusion"][0], "value": 17}))
    bad("invalid", "lift_rank_above_point", lambda d: _step(d, "generic-from-point").update(rank=17))

    def break_sharing(d):
        pt = d["objects"]["point"]
        pt["entries"][0] = (int(pt["entries"][0]) + 1) % 1000
    bad("invalid", "point_breaks_sharing", break_sharing, shared)

    # the family differs from the point: its cores carry an extra bond
    def widen(d):
        fam = d["objects"]["family"]
        fam["size_dict"] = {**fam["size_dict"], "a0": 3}
    bad("invalid", "point_not_in_family", widen)

    # ---- malformed: schema violations
    bad("malformed", "unknown_network_key", lambda d: d["objects"]["family"].update(colour="red"))
    bad("malformed", "stray_shape_key", lambda d: d["objects"]["family"].update(shape=[5]))
    bad("malformed", "entries_wrong_count", lambda d: d["objects"]["point"]["entries"].append(1))
    bad("malformed", "open_leg_on_two_cores", lambda d: d["objects"]["family"]["inputs"][-1].append("x0"))
    bad("malformed", "path_leaves_three_tensors", lambda d: _step(d, "network-rank-at-least")["path"].pop())
    bad("malformed", "rows_not_increasing", lambda d: _step(d, "cut-bound").update(rows=[2, 0, 4, 6]))
    bad("malformed", "rational_point_for_sketch", lambda d: d["objects"]["point"]["entries"].__setitem__(0, "1/2"))
    bad("malformed", "zero_dimension", lambda d: d["objects"]["family"]["size_dict"].update(a0=0))
    bad("malformed", "sketch_wrong_width", lambda d: _step(d, "network-rank-at-least")["sketch"][0][0].append(1))
    bad("malformed", "minor_index_out_of_range", lambda d: _step(d, "network-rank-at-least")["minor"]["rows"]
        .__setitem__(-1, 10**6))


if __name__ == "__main__":
    main()
