"""The separation / compare / sweep / draw subcommands, including bad input (one line, exit 2)."""
from __future__ import annotations

import csv
import json

import pytest

from tnverify.cli import main


def _run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_separation_json_and_certificate(capsys, tmp_path):
    cert = tmp_path / "c.json"
    code, out, _ = _run(capsys, "separation", "--arch", "convac", "--inputs", "8", "--features", "3",
                        "--widths", "2,2,2", "--partition", "interleaved", "--json", "--cert", str(cert))
    d = json.loads(out)
    assert code == 0 and d["status"] == "proved" and d["rank"] == d["lower"] == d["upper"] == 16
    assert d["checker"] == "VERIFIED" and d["cut"] and "seconds" in d
    code, out, _ = _run(capsys, "check", str(cert))
    assert code == 0 and out.strip().endswith("s VERIFIED")


def test_separation_unknown_exits_3_with_both_bounds(capsys):
    code, out, _ = _run(capsys, "separation", "--arch", "rac", "--inputs", "8", "--features", "3", "--widths", "2",
                        "--depth", "2", "--shared", "--partition", "1,2,3,4", "--json")
    d = json.loads(out)
    assert code == 3 and d["status"] == "unknown" and d["rank"] is None
    assert (d["lower"], d["upper"]) == (24, 48) and d["seeds"] == [0, 1, 2] and len(d["cut"]) == 5


def test_separation_of_a_shared_shallow_convac_is_proved_by_its_symmetry(capsys):
    code, out, _ = _run(capsys, "separation", "--arch", "cp", "--inputs", "6", "--features", "2", "--rank", "7",
                        "--shared", "--json")
    d = json.loads(out)
    assert code == 0 and d["status"] == "proved" and d["rank"] == 4 and d["cut"] == ["z"]


def test_separation_from_file(capsys, tmp_path):
    f = tmp_path / "ring.json"
    f.write_text(json.dumps({"nodes": ["A", "B", "C", "D"],
                             "edges": [["A", "B", 2], ["B", "C", 2], ["C", "D", 3], ["D", "A", 3]],
                             "legs": [["A", 4], ["B", 4], ["C", 4], ["D", 4]]}))
    code, out, _ = _run(capsys, "separation", str(f), "--partition", "0,1", "--json")
    assert code == 0 and json.loads(out)["rank"] == 6


def test_compare_states_the_separation(capsys, tmp_path):
    code, out, _ = _run(capsys, "compare", "convac", "cp", "-N", "8", "-M", "3", "--widths", "2",
                        "--cert", str(tmp_path / "c.json"))
    assert code == 0
    assert "interleaved separation rank 16 (proved)" in out and "needs Z >= 16" in out
    assert main(["check", str(tmp_path / "c.json")]) == 0


def test_sweep_writes_csv_and_png(capsys, tmp_path):
    out_csv = tmp_path / "s.csv"
    code, _, _ = _run(capsys, "sweep", "--arch", "convac", "--over", "inputs", "--values", "4,8", "-M", "2",
                      "--widths", "2", "--shallow", "cp", "--shallow-width", "8", "-o", str(out_csv))
    rows = list(csv.DictReader(open(out_csv)))
    assert code == 0 and [r["deep_rank"] for r in rows] == ["4", "16"] and [r["shallow_rank"] for r in rows] == ["4", "8"]
    assert out_csv.with_suffix(".png").read_bytes()[:4] == b"\x89PNG"


def test_draw_writes_png(capsys, tmp_path):
    png = tmp_path / "n.png"
    code, out, _ = _run(capsys, "draw", "--arch", "tt", "-N", "4", "-M", "3", "--widths", "2", "-o", str(png))
    assert code == 0 and png.read_bytes()[:4] == b"\x89PNG" and "min cut 6" in out


def _flattening_rank_at_random_weights(argv, rows, seed):
    """rank of [A]_{rows, rest} mod p at random weights, from the forward pass (no network, no bound)."""
    import flint
    import numpy as np

    from tnverify.cli import build_parser
    from tnverify.cli.networks import _subject
    from tnverify.networks.forward import grid_tensor, random_weights

    p = 1_000_003
    a = _subject(build_parser().parse_args(["draw", *argv, "-o", "x.png"]))
    A = grid_tensor(a, random_weights(a, np.random.default_rng(seed), p), p)
    cols = [k for k in range(a.N) if k not in rows]
    F = np.transpose(A, rows + cols).reshape(2 ** len(rows), -1)
    return flint.nmod_mat(F.tolist(), p).rank()


@pytest.mark.parametrize("argv,rows", [
    (["--arch", "overlap", "--inputs", "8", "--widths", "2", "--partition", "left-right"], [0, 1, 2, 3]),
    (["--arch", "overlap", "--inputs", "8", "--widths", "2", "--field", "2", "--stride", "2"], [0, 2, 4, 6]),
    (["--arch", "dilated", "--inputs", "8", "--widths", "2", "--dilations", "4,1,2"], [0, 2, 4, 6]),
    (["--arch", "dilated", "--inputs", "8", "--widths", "3", "--partition", "left-right"], [0, 1, 2, 3]),
])
def test_draw_of_a_convolutional_circuit_draws_its_units_with_bounds_for_every_weight(capsys, tmp_path, argv, rows):
    png = tmp_path / "u.png"
    code, out, _ = _run(capsys, "draw", *argv, "--json", "-o", str(png))
    d = json.loads(out)
    assert code == 0 and png.read_bytes()[:4] == b"\x89PNG"
    assert d["upper"] == min(d["bounds"].values()) and d["bounds"]["shape"] == 16 and d["cut"]
    for seed in range(3):  # an upper bound for every weight holds at random weights
        assert _flattening_rank_at_random_weights(argv, rows, seed) <= d["upper"]


def test_draw_of_an_overlapping_circuit_over_the_core_limit_still_draws(capsys, tmp_path):
    """N = 16 with stride 1 has 65551 cores in its grid network: the units are drawn, with no cut."""
    png = tmp_path / "o.png"
    code, out, _ = _run(capsys, "draw", "--arch", "overlap", "--inputs", "16", "--widths", "2", "--partition",
                        "left-right", "-o", str(png))
    assert code == 0 and png.read_bytes()[:4] == b"\x89PNG" and "rank <= 256" in out and "cut" not in out


@pytest.mark.parametrize("argv,msg", [
    (["--arch", "convac", "--inputs", "8", "--widths", "2", "--partition", "0,0,2"], "repeats"),
    (["--arch", "convac", "--inputs", "8", "--widths", "2", "--partition", "0,1,2,3,4,5,6,7"], "nonempty"),
    (["--arch", "convac", "--inputs", "8", "--widths", "2", "--partition", "0,9"], "0..7"),
    (["--arch", "convac", "--inputs", "8", "--widths", "0"], "positive"),
    (["--arch", "convac", "--inputs", "6", "--widths", "2"], "power of 2"),
    (["--arch", "convac", "--inputs", "4", "--widths", "2", "--tree", "((0,1),(2,3,1))"], "binary"),
    (["--arch", "convac", "--inputs", "4", "--widths", "2", "--tree", "((0,1),(2,2))"], "exactly once"),
    (["--arch", "mlp", "--inputs", "4"], "unknown architecture"),
])
def test_bad_input_one_line_exit_2(capsys, argv, msg):
    code, out, err = _run(capsys, "separation", *argv)
    assert code == 2 and out == "" and err.count("\n") == 1 and msg in err


@pytest.mark.parametrize("payload,msg", [
    ({"nodes": ["A", "B"], "edges": [["A", "Q", 2]], "legs": [["A", 2], ["B", 2]]}, "unknown node"),
    ({"inputs": [["i", "k"], ["k", "j"]], "output": ["i", "j"], "size_dict": {"i": 2, "j": 2, "k": 2},
      "values": [[1, 2, 3], [1, 2, 3, 4]]}, "need 4"),
    ({"inputs": [["i", "k"], ["k", "j"]], "output": ["i", "j"], "size_dict": {"i": 2, "j": -1, "k": 2}}, "positive"),
])
def test_bad_network_file_exit_2(capsys, tmp_path, payload, msg):
    f = tmp_path / "n.json"
    f.write_text(json.dumps(payload))
    code, _, err = _run(capsys, "separation", str(f), "--partition", "0")
    assert code == 2 and err.count("\n") == 1 and msg in err
