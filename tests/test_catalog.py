"""The catalog runner, list/prove/report, instance validation and the pytest plugin."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tnverify.cli import main
from tnverify.theorems import registry
from tnverify.theorems.references import REFERENCES
from tnverify.theorems.runner import run_instance

ROOT = Path(__file__).parent.parent
CLASSICAL = ROOT / "proofs_checks" / "classical_ranks"

GOOD = """[claim]
theorem = "matrix-rank"
statement = "2 x 2 identity has rank 2"
source = "definition"
expect = "proved"

[params]
family = "explicit"
entries = [[1, 0], [0, 1]]

[expected]
rank = 2
"""


def instance_file(tmp_path, text, name="bad.toml"):
    """An instance file in a catalog folder (the folder must be a key of REFERENCES)."""
    folder = tmp_path / "classical_ranks"
    folder.mkdir(exist_ok=True)
    f = folder / name
    f.write_text(text)
    return f


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_run_folder_passes_and_prints_summary(capsys):
    code, out, _ = run(capsys, "run", str(CLASSICAL))
    assert code == 0
    last = out.strip().splitlines()[-1]
    n = len(list(CLASSICAL.glob("*.toml")))
    assert last.startswith(f"{n} passed, 0 failed")


def test_run_json_and_emit_then_report(tmp_path, capsys):
    code, out, _ = run(capsys, "run", str(CLASSICAL / "hilbert_12.toml"),
                       str(CLASSICAL / "vandermonde_12_over_GF7.toml"), "--emit", str(tmp_path / "certs"), "--json")
    d = json.loads(out)
    assert code == 0 and d["passed"] == 2 and d["failed"] == 0
    assert all(r["verdict"] == "VERIFIED" and Path(r["certificate"]).exists() for r in d["results"])
    code, out, _ = run(capsys, "report", str(tmp_path / "certs"), "-o", str(tmp_path / "R.md"))
    text = (tmp_path / "R.md").read_text()
    assert code == 0 and "Hilbert" in text and "VERIFIED" in text and "python-flint" in text
    code, _, _ = run(capsys, "report", str(tmp_path / "certs"), "-o", str(tmp_path / "R.html"))
    assert code == 0 and "<table" in (tmp_path / "R.html").read_text()


def test_wrong_expectation_fails_with_exit_1(tmp_path, capsys):
    instance_file(tmp_path, GOOD.replace("rank = 2", "rank = 3"), "wrong.toml")
    code, out, _ = run(capsys, "run", str(tmp_path))
    assert code == 1 and "FAILED" in out and "rank: expected 3, got 2" in out
    assert out.strip().splitlines()[-1].startswith("0 passed, 1 failed")


def test_refuted_and_probable_are_told_apart():
    a = run_instance(CLASSICAL / "vandermonde_16_rank_at_most_8_refuted.toml")
    b = run_instance(CLASSICAL / "product_300x150x300_probable.toml")
    assert (a.got, a.verdict, a.passed) == ("refuted", "VERIFIED", True)
    assert (b.got, b.passed) == ("probable", True)


@pytest.mark.parametrize(
    "edit, words",
    [
        (lambda s: s.replace('source = "definition"\n', ""), "missing the field 'source'"),
        (lambda s: s.replace('expect = "proved"', 'expect = "proved"\ncolour = "red"'), "unknown field"),
        (lambda s: s.replace('"matrix-rank"', '"matrix-rnak"'), "did you mean matrix-rank"),
        (lambda s: s.replace("family =", "famly ="), "takes no parameter 'famly'"),
        (lambda s: s.replace('expect = "proved"', 'expect = "maybe"'), "expect must be one of"),
        (lambda s: s.replace("[params]", "[parms]"), "unknown table"),
        (lambda s: s + "\n[[[", "valid TOML"),
    ],
)
def test_bad_instance_files_one_line_exit_2(tmp_path, capsys, edit, words):
    f = instance_file(tmp_path, edit(GOOD))
    code, out, err = run(capsys, "run", str(f))
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "bad.toml" in lines[0] and words in lines[0], lines


def test_unknown_param_lists_valid_ones(tmp_path, capsys):
    f = instance_file(tmp_path, GOOD.replace("family =", "famly ="))
    _, _, err = run(capsys, "prove", str(f))
    assert "valid: family" in err


def test_list_and_prove(tmp_path, capsys):
    code, out, _ = run(capsys, "list", str(CLASSICAL))
    assert code == 0 and "matrix-rank" in out and "hilbert_12" in out
    n = len(list(CLASSICAL.glob("*.toml")))
    assert f"matrix-rank  ({n} instances)" in out and REFERENCES["classical_ranks"] in out
    assert "notion: rank; fields: Q, GF(p)" in out
    code, out, _ = run(capsys, "list", str(CLASSICAL), "--json")
    (t,) = [t for t in json.loads(out)["theorems"] if t["name"] == "matrix-rank"]
    assert t["instances"] == n and t["references"]["classical_ranks"] == REFERENCES["classical_ranks"]
    assert {"name": "n", "type": "an integer", "default": None} in t["params"]
    code, out, _ = run(capsys, "prove", str(CLASSICAL / "hilbert_12.toml"), "--cert", str(tmp_path / "h.json"))
    assert code == 0 and "as expected" in out
    assert run(capsys, "check", str(tmp_path / "h.json"))[0] == 0


def test_jobs_2_gives_the_serial_results(capsys):
    _, out1, _ = run(capsys, "run", str(CLASSICAL), "--json")
    _, out2, _ = run(capsys, "run", str(CLASSICAL), "--json", "--jobs", "2")

    def key(d):
        return sorted((r["id"], r["got"], r["passed"], json.dumps(r["values"], sort_keys=True)) for r in d["results"])

    assert key(json.loads(out1)) == key(json.loads(out2))


def test_every_registered_theorem_declares_its_schema():
    for t in registry().values():
        assert t.statement and t.notion and t.fields and t.values
        assert t.references and all(k in REFERENCES for k in t.references)


def test_pytest_plugin_collects_instances_and_reports_math(pytester):
    pytester.mkdir("classical_ranks")
    (pytester.path / "classical_ranks" / "good.toml").write_text(GOOD)
    (pytester.path / "classical_ranks" / "wrong.toml").write_text(GOOD.replace("rank = 2", "rank = 5"))
    result = pytester.runpytest("-p", "no:cacheprovider", "--junitxml=out.xml")
    result.assert_outcomes(passed=1, failed=1)
    text = result.stdout.str()
    assert "expected:  proved with {'rank': 5}" in text and "statement: 2 x 2 identity" in text
    assert "Traceback" not in text
    xml = (pytester.path / "out.xml").read_text()
    assert 'name="verdict" value="VERIFIED"' in xml


def test_pytest_plugin_slow_instances_skipped_without_runslow(pytester):
    pytester.mkdir("classical_ranks")
    (pytester.path / "classical_ranks" / "slowone.toml").write_text(
        GOOD.replace('expect = "proved"', 'expect = "proved"\nslow = true'))
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(skipped=1)
    pytester.runpytest("-p", "no:cacheprovider", "--runslow").assert_outcomes(passed=1)


def test_assert_certified_fixture(pytester):
    shutil.copy(ROOT / "tests" / "certs" / "valid" / "rank_kernel.json", pytester.path / "good.json")
    shutil.copy(ROOT / "tests" / "certs" / "invalid" / "singular_minor.json", pytester.path / "bad.json")
    pytester.makepyfile(
        """
        def test_good(assert_certified):
            assert_certified("good.json")

        def test_bad(assert_certified):
            assert_certified("bad.json")
        """
    )
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, failed=1)
    assert "certificate NOT VERIFIED" in result.stdout.str()


def test_list_archs_is_the_registry(capsys):
    from tnverify.cli import main
    from tnverify.networks.architectures import ARCHITECTURES

    assert main(["list", "--archs", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)["architectures"]
    assert [r["name"] for r in rows] == list(ARCHITECTURES)
    assert main(["separation", "--arch", "convacc", "--inputs", "4"]) == 2
    assert "did you mean convac" in capsys.readouterr().err
