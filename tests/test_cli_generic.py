"""CLI of issue 5: exit codes, JSON fields, one-line errors."""
from __future__ import annotations

import json

import pytest

from tnverify.checker import check
from tnverify.cli import main


def _json(capsys, argv):
    code = main(argv + ["--json"])
    return code, json.loads(capsys.readouterr().out)


def test_generic_rank_json(capsys, tmp_path):
    code, out = _json(capsys, ["generic-rank", "3", "3", "3", "--cert", str(tmp_path / "c.json")])
    assert code == 0 and out["generic_rank"] == 5 and out["status"] == "proved"
    assert out["field"] == "C" and out["notion"] == "generic rank" and "over C" in out["field_note"]
    assert check(tmp_path / "c.json").ok


def test_symmetric_and_secant(capsys):
    code, out = _json(capsys, ["generic-rank", "--symmetric", "--vars", "3", "--degree", "4"])
    assert code == 0 and out["generic_rank"] == 6
    code, out = _json(capsys, ["secant", "3", "3", "3", "--rank", "4"])
    assert code == 0 and out["dim"] == 26 and out["defective"] is True
    for k in ("lower", "upper", "upper_source", "expected", "ambient", "status"):
        assert k in out


def test_neurovariety_unknown_exits_3(capsys):
    code, out = _json(capsys, ["neurovariety", "--widths", "4,5,3,1", "--degree", "2"])
    assert code == 3 and out["dim"] is None and out["lower"] == 26 and out["upper"] == 27


def test_neuro_identifiable(capsys):
    code, out = _json(capsys, ["neuro-identifiable", "--widths", "2,1,2,2", "--degree", "2"])
    assert code == 0 and out["identifiable"] is False


def test_ah_table_flags_exceptions(capsys):
    code, out = _json(capsys, ["ah-table", "--n-max", "4", "--d-max", "4"])
    exc = {(r["n"], r["d"]) for r in out["rows"] if r["exception"]}
    assert exc == {(3, 2), (4, 2), (3, 4), (4, 4)}


@pytest.mark.parametrize("argv, msg", [
    (["generic-rank", "0", "3"], "dimension >= 1"),
    (["secant", "--shape", "3,3", "--rank", "0"], "rank >= 1"),
    (["neurovariety", "--widths", "2", "--degree", "2"], "at least 2 widths"),
    (["neurovariety", "--widths", "2,2", "--degree", "0"], "--degree >= 1"),
    (["generic-rank", "--shape", "60,60,60"], "--budget"),
])
def test_bad_input(capsys, argv, msg):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert msg in err and err.count("\n") == 1
