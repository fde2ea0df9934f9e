"""`tnverify check` on hostile files: names that look like JSON, bytes that are not UTF-8, a pure-mode
switch spelled ``yes``, and Kruskal steps whose enumeration only the Python engine could run.

Each reproducer once misread its input (a valid certificate named ``{x}.json`` was parsed as JSON
text; invalid UTF-8 was replaced and VERIFIED; ``TNVERIFY_CHECKER_PURE=yes`` was ignored) or ran
past a minute (a 400 x 25 Kruskal step mod 2^61 - 1: its enumeration ran on all 400 rows).
"""
from __future__ import annotations

import json
import random
import shutil
from pathlib import Path

CERTS = Path(__file__).parent.parent / "certs"


def _kruskal_cert(path: Path, rows: int, cols: int, k: int, p: int) -> Path:
    rng = random.Random(0)
    A = [[rng.randint(-9, 9) for _ in range(cols)] for _ in range(rows)]
    sub = {"matrix": {"object": "A"}, "field": "Q"}
    path.write_text(json.dumps({
        "format": "tnverify-certificate", "version": 1, "claim": {}, "meta": {},
        "objects": {"A": {"type": "matrix", "shape": [rows, cols], "entries": A}},
        "steps": [{"id": "lo", "rule": "kruskal-rank-at-least", "matrix": {"object": "A"}, "k": k, "modulus": p}],
        "conclusion": [{"fact": "kruskal-rank-at-least", "subject": sub, "value": k}]}))
    return path


def test_a_certificate_file_whose_name_starts_with_a_brace_is_read_as_a_file(cli, tmp_path):
    name = tmp_path / "{x}.json"
    shutil.copy(CERTS / "valid" / "kruskal_krank_gf7.json", name)
    r = cli("check", name)
    assert r.code == 0 and r.out.rstrip().endswith("VERIFIED"), r.out


def test_a_certificate_that_is_not_utf8_is_malformed(cli, tmp_path):
    text = (CERTS / "valid" / "kruskal_krank_gf7.json").read_bytes()
    bad = tmp_path / "bad.json"
    bad.write_bytes(text.replace(b'"A"', b'"A\xff"'))
    r = cli("check", bad)
    assert r.code == 2 and "is not UTF-8 text: byte 0xff" in r.out and "MALFORMED" in r.out


def test_pure_mode_is_on_for_any_value_but_off_words(cli, tmp_path, monkeypatch):
    """11 x 22, k = 11 (2.6e7 operations): numba by default, Python with TNVERIFY_CHECKER_PURE=yes."""
    from tnverify.checker import linalg

    for value, on in (("1", True), ("yes", True), (" TRUE ", True), ("on", True), ("2", True),
                      ("", False), ("0", False), ("false", False), (" No ", False), ("OFF", False)):
        monkeypatch.setenv("TNVERIFY_CHECKER_PURE", value)
        assert linalg.pure_mode() is on, value
    cert = _kruskal_cert(tmp_path / "k.json", 11, 22, 11, 970_261)
    for env, engine in (({"TNVERIFY_CHECKER_PURE": "0"}, "numba"), ({"TNVERIFY_CHECKER_PURE": "yes"}, "python")):
        r = cli("check", cert, env=env)
        assert r.code == 0 and f"11-subsets of 22 columns mod 970261 by {engine}" in r.out, (env, r.out)


def test_a_tall_kruskal_step_is_cut_to_its_echelon_rows(cli, tmp_path):
    """400 rows, 25 columns, k = 7 (7.3e5 subsets), in pure Python: about 3 s on the 25 echelon rows,
    33 s on all 400 rows."""
    r = cli("check", _kruskal_cert(tmp_path / "tall.json", 400, 25, 7, 2**61 - 1), timeout=12,
            env={"TNVERIFY_CHECKER_PURE": "1"})
    assert r.code == 0 and "7-subsets of 25 columns mod 2305843009213693951 by python" in r.out, r.out


def test_a_large_kruskal_step_mod_a_prime_above_2_31_is_refused_quickly(cli, tmp_path):
    r = cli("check", _kruskal_cert(tmp_path / "big.json", 400, 25, 12, 2**61 - 1), timeout=20)
    assert r.code == 2 and "use a smaller prime" in r.out and "MALFORMED" in r.out, r.out
