"""Hostile inputs of the border-rank (Koszul-Young) and defect routes: one line, exit 2, fast."""
from __future__ import annotations

import json

import numpy as np


def test_koszul_on_a_mode_of_dimension_below_3_is_refused(cli, tmp_path):
    f = tmp_path / "t.npy"
    np.save(f, np.ones((2, 3, 3), dtype=np.int64))
    out = cli("rank", f, "--notion", "border", "--koszul", "0")
    assert out.code == 2 and out.one_line_error and "dimension >= 3" in out.err


def test_koszul_mode_out_of_range_is_refused(cli, tmp_path):
    f = tmp_path / "t.npy"
    np.save(f, np.ones((3, 3, 3), dtype=np.int64))
    out = cli("rank", f, "--notion", "border", "--koszul", "7")
    assert out.code == 2 and out.one_line_error and "0..2" in out.err


def test_border_rank_of_float_entries_is_refused(cli, tmp_path):
    f = tmp_path / "t.npy"
    np.save(f, np.random.default_rng(0).random((3, 3, 3)))
    out = cli("rank", f, "--notion", "border")
    assert out.code == 2 and out.one_line_error


def test_border_rank_of_rational_entries_is_refused(cli, tmp_path):
    f = tmp_path / "t.json"
    f.write_text(json.dumps([[["1/2", 0, 0], [0, 1, 0], [0, 0, 1]]] * 3))
    out = cli("rank", f, "--notion", "border")
    assert out.code == 2 and out.one_line_error and "integer" in out.err


def test_border_rank_of_a_matrix_is_refused(cli, tmp_path):
    f = tmp_path / "m.npy"
    np.save(f, np.eye(4, dtype=np.int64))
    out = cli("rank", f, "--notion", "border")
    assert out.code == 2 and out.one_line_error and "order >= 3" in out.err


def test_border_rank_with_a_field_is_refused(cli, tmp_path):
    f = tmp_path / "t.npy"
    np.save(f, np.ones((3, 3, 3), dtype=np.int64))
    out = cli("rank", f, "--notion", "border", "--field", "GF(7)")
    assert out.code == 2 and out.one_line_error


def test_border_rank_over_the_budget_stops_before_it_starts(cli, tmp_path):
    f = tmp_path / "t.npy"
    np.save(f, np.ones((3, 40, 40), dtype=np.int64))
    out = cli("rank", f, "--notion", "border", "--budget", "1e-9", timeout=20)
    assert out.code == 2 and out.one_line_error and "--budget" in out.err


def test_tampered_border_certificate_is_not_verified(cli, tmp_path):
    f, c = tmp_path / "t.npy", tmp_path / "c.json"
    np.save(f, np.random.default_rng(1).integers(-5, 6, (3, 4, 4)))
    assert cli("rank", f, "--notion", "border", "--cert", c).code in (0, 3)
    d = json.loads(c.read_text())
    d["objects"]["T"]["entries"] = [0] * len(d["objects"]["T"]["entries"])
    c.write_text(json.dumps(d))
    out = cli("check", c)
    assert out.code == 1 and "NOT VERIFIED" in out.out
