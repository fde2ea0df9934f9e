"""One command-line convention (docs/cli.md): one spelling per concept in every command.

* the new spellings work: ``--shape 3,3,3``, ``--rank R``, ``--seed S``, ``--partition SPEC``,
  ``--widths``, ``--features``, ``--inputs N``, ``--cert FILE``, ``-o/--output FILE``;
* each old spelling is a deprecated alias: the same result, plus exactly one line
  ``tnverify: warning: OLD is deprecated; use NEW`` on stderr;
* a list is parsed completely or refused: exit 2 and one line (``4,x,1`` is never read as
  ``4,1``, nor ``2,,2`` as ``2,2``);
* a guard over the parser: every option of a concept uses the concept's one type, no old
  spelling shows in ``--help``, and docs/cli.md names every hidden alias.
"""
from __future__ import annotations

import argparse
import csv
import json
import re
from pathlib import Path

import numpy as np
import pytest

from tnverify.cli import args as cli_args
from tnverify.cli import build_parser, main

ROOT = Path(__file__).parent.parent

#: Result fields that change from run to run or name the file a run wrote.
VOLATILE = {"seconds", "certificate", "out", "csv", "plot", "output", "png"}


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def _stable(d):
    if isinstance(d, dict):
        return {k: _stable(v) for k, v in d.items() if k not in VOLATILE and not k.endswith("_seconds")}
    if isinstance(d, list):
        return [_stable(v) for v in d]
    return d


def _json(capsys, *argv):
    code, out, err = run(capsys, *argv, "--json")
    return code, _stable(json.loads(out)), err


def _warning_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("tnverify: warning: ") and " is deprecated; use " in lines[0], err
    return lines[0]


@pytest.fixture
def files(tmp_path):
    rng = np.random.default_rng(3)
    np.save(tmp_path / "t4.npy", rng.integers(-2, 3, (2, 3, 2, 2)))
    F = [rng.integers(-3, 4, (n, 3)) for n in (4, 5, 6)]
    np.save(tmp_path / "t3.npy", np.einsum("ir,jr,kr->ijk", *F))
    return tmp_path


# ------------------------------------------------------------------ the new spellings
def test_shape_is_the_tensor_format_of_every_format_command(capsys):
    code, d, err = _json(capsys, "secant", "--shape", "3,3,3", "--rank", "4")
    assert code == 0 and d["dim"] == 26 and d["defective"] is True and err == ""
    code, d, err = _json(capsys, "generic-rank", "--shape", "3,3,3")
    assert code == 0 and d["generic_rank"] == 5 and err == ""
    code, d, err = _json(capsys, "generic-rank", "--shape", "3,3,3,3", "--symmetric")
    assert code == 0 and d["generic_rank"] == 6 and err == ""  # S^4(C^3): the Alexander-Hirschowitz exception
    code, d, err = _json(capsys, "unique", "--shape", "4,4,4", "--rank", "5")
    assert code == 0 and d["verdict"] == "unique" and err == ""
    code, d, err = _json(capsys, "kruskal", "--shape", "4,6")
    assert code == 0 and d["k_rank"] == 4 and err == ""


def test_symmetric_shape_needs_equal_dimensions(capsys):
    code, _, err = run(capsys, "generic-rank", "--shape", "3,3,4", "--symmetric")
    assert code == 2 and err.count("\n") == 1 and "equal dimensions" in err


def test_partition_names_and_lists_in_rank_and_separation(capsys, files):
    code, d, err = _json(capsys, "rank", files / "t4.npy", "--partition", "2,0")
    assert code == 0 and d["rows"] == [2, 0] and d["shape"] == [4, 6] and err == ""
    code, d, _ = _json(capsys, "rank", files / "t4.npy", "--partition", "interleaved")
    assert code == 0 and d["rows"] == [0, 2]
    code, d, _ = _json(capsys, "rank", files / "t4.npy", "--partition", "left-right")
    assert code == 0 and d["rows"] == [0, 1]
    code, d, err = _json(capsys, "separation", "--arch", "cp", "--inputs", "4", "--features", "2", "--rank", "2",
                         "--partition", "0,1", "--seed", "1")
    assert code == 0 and d["rank"] == 2 and d["seeds"] == [1] and err == ""


def test_output_is_o_or_output_in_every_command(capsys, files, tmp_path):
    code, d, err = _json(capsys, "decompose", files / "t3.npy", "--rank", "3", "-o", tmp_path / "f.npz")
    assert code == 0 and err == "" and (tmp_path / "f.npz").is_file()
    code, out, err = run(capsys, "learn", "--widths", "3,2", "--sweep", "300,600", "--output", tmp_path / "l.csv")
    assert code == 0 and len(list(csv.DictReader(open(tmp_path / "l.csv")))) == 2
    code, out, err = run(capsys, "neuro-plot", "--widths", "2,2,1", "--max-degree", "2", "-o", tmp_path / "nv.png")
    assert code == 0 and (tmp_path / "nv.png").read_bytes()[:4] == b"\x89PNG"


def test_learn_takes_widths(capsys):
    code, d, err = _json(capsys, "learn", "--widths", "4,2", "--samples", "50000", "--seed", "1")
    assert code == 0 and (d["inputs"], d["hidden"]) == (4, 2) and err == ""
    code, d1, _ = _json(capsys, "learn", "--widths", "4,2,1", "--samples", "50000", "--seed", "1")
    assert d1 == d
    code, _, err = run(capsys, "learn", "--widths", "4,2,2", "--samples", "3000")
    assert code == 2 and err.count("\n") == 1 and "--widths D,K" in err


# ------------------------------------------------------------------ deprecated aliases
#: (old argv, new argv, the start of the warning line): same result, one warning line.
ALIASES = [
    (["secant", "3", "3", "3", "--rank", "4"], ["secant", "--shape", "3,3,3", "--rank", "4"],
     "giving dimensions as positional arguments (3 3 3) is deprecated; use --shape 3,3,3"),
    (["generic-rank", "3", "3", "3"], ["generic-rank", "--shape", "3,3,3"],
     "giving dimensions as positional arguments (3 3 3) is deprecated; use --shape 3,3,3"),
    (["generic-rank", "--symmetric", "--vars", "3", "--degree", "4"], ["generic-rank", "--shape", "3,3,3,3", "--symmetric"],
     "--vars 3 --degree 4 is deprecated; use --shape 3,3,3,3 --symmetric"),
    (["secant", "--vars", "3", "--degree", "3", "--rank", "3"], ["secant", "--shape", "3,3,3", "--symmetric", "--rank", "3"],
     "--vars 3 --degree 3 is deprecated; use --shape 3,3,3 --symmetric"),
    (["kruskal", "--generic", "4,6"], ["kruskal", "--shape", "4,6"],
     "--generic 4,6 is deprecated; use --shape 4,6"),
    (["unique", "--shape", "4x4x4", "--rank", "5"], ["unique", "--shape", "4,4,4", "--rank", "5"],
     "--shape 4x4x4 is deprecated; use --shape 4,4,4"),
    (["identifiable", "--widths", "4x5x1", "--degree", "3"], ["identifiable", "--widths", "4,5,1", "--degree", "3"],
     "--widths 4x5x1 is deprecated; use --widths 4,5,1"),
    (["rank", "{t4}", "--rows", "2,0"], ["rank", "{t4}", "--partition", "2,0"],
     "--rows 2,0 is deprecated; use --partition 2,0"),
    (["separation", "--arch", "cp", "-N", "4", "--rank", "2"], ["separation", "--arch", "cp", "--inputs", "4", "--rank", "2"],
     "-N 4 is deprecated; use --inputs 4"),
    (["separation", "--arch", "cp", "--inputs", "4", "-M", "3", "--rank", "2"],
     ["separation", "--arch", "cp", "--inputs", "4", "--features", "3", "--rank", "2"],
     "-M 3 is deprecated; use --features 3"),
    (["learn", "--inputs", "4", "--hidden", "2", "--samples", "50000"], ["learn", "--widths", "4,2", "--samples", "50000"],
     "--inputs 4 --hidden 2 is deprecated; use --widths 4,2"),
    (["decompose", "{t3}", "--rank", "3", "--out", "{tmp}/old.npz"], ["decompose", "{t3}", "--rank", "3", "-o", "{tmp}/new.npz"],
     "--out {tmp}/old.npz is deprecated; use --output {tmp}/old.npz"),
    (["learn", "--widths", "3,2", "--sweep", "300,600", "--csv", "{tmp}/old.csv"],
     ["learn", "--widths", "3,2", "--sweep", "300,600", "-o", "{tmp}/new.csv"],
     "--csv {tmp}/old.csv is deprecated; use --output {tmp}/old.csv"),
]


@pytest.mark.parametrize("old,new,warning", ALIASES, ids=[" ".join(a[0][:3]) for a in ALIASES])
def test_deprecated_alias_gives_the_same_result_and_one_warning_line(capsys, files, tmp_path, old, new, warning):
    fmt = {"t3": files / "t3.npy", "t4": files / "t4.npy", "tmp": tmp_path}
    old, new, warning = [a.format(**fmt) for a in old], [a.format(**fmt) for a in new], warning.format(**fmt)
    code_new, res_new, err_new = _json(capsys, *new)
    code_old, res_old, err_old = _json(capsys, *old)
    assert err_new == ""
    assert code_old == code_new and res_old == res_new
    assert _warning_line(err_old) == f"tnverify: warning: {warning}"
    code, out, err = run(capsys, *old)  # text output: the same single line on stderr
    assert code == code_new and _warning_line(err) == f"tnverify: warning: {warning}"


def test_deprecated_output_aliases_write_the_same_files(capsys, files, tmp_path):
    run(capsys, "decompose", files / "t3.npy", "--rank", "3", "--out", tmp_path / "a.npz")
    run(capsys, "decompose", files / "t3.npy", "--rank", "3", "-o", tmp_path / "b.npz")
    a, b = np.load(tmp_path / "a.npz"), np.load(tmp_path / "b.npz")
    assert a.files == b.files and all(np.array_equal(a[k], b[k]) for k in a.files)


def test_two_deprecated_aliases_give_two_lines_and_a_repeat_gives_one(capsys):
    code, out, err = run(capsys, "separation", "--arch", "cp", "-N", "4", "-M", "2", "--rank", "2")
    assert code == 0
    assert err.splitlines() == ["tnverify: warning: -N 4 is deprecated; use --inputs 4",
                                "tnverify: warning: -M 2 is deprecated; use --features 2"]
    code, out, err = run(capsys, "separation", "--arch", "cp", "-N", "4", "-N", "4", "--rank", "2")
    assert code == 0 and len(err.splitlines()) == 1


def test_an_alias_with_a_bad_value_is_one_error_line_without_the_warning(capsys, files):
    for argv in (["kruskal", "--generic", "4,,6"], ["rank", files / "t4.npy", "--rows", "0,,1"],
                 ["separation", "--arch", "cp", "-N", "4", "-M", "2,x", "--rank", "2"], ["secant", "3", "x", "--rank", "2"]):
        code, out, err = run(capsys, *argv)
        assert code == 2 and out == "" and err.count("\n") == 1 and err.startswith("tnverify: error:"), (argv, err)


def test_giving_the_old_and_the_new_format_together_is_refused(capsys):
    code, _, err = run(capsys, "secant", "3", "3", "--shape", "3,3", "--rank", "2")
    assert code == 2 and err.count("\n") == 1 and "once" in err
    code, _, err = run(capsys, "generic-rank", "--shape", "3,3,3", "--vars", "3", "--degree", "3")
    assert code == 2 and err.count("\n") == 1 and "not both" in err
    code, _, err = run(capsys, "learn", "--widths", "4,2", "--inputs", "4", "--hidden", "2", "--samples", "3000")
    assert code == 2 and err.count("\n") == 1 and "not both" in err
    for argv in (["separation", "--arch", "cp", "-N", "4", "--inputs", "4", "--rank", "2"],
                 ["separation", "--arch", "cp", "--inputs", "4", "-N", "4", "--rank", "2"],
                 ["kruskal", "--shape", "4,6", "--generic", "4,6"], ["rank", "m.npy", "--rows", "0", "--partition", "0"],
                 ["decompose", "t.npy", "--rank", "2", "--out", "a.npz", "-o", "b.npz"],
                 ["learn", "--widths", "3,2", "--sweep", "300", "--csv", "a.csv", "--output", "b.csv"]):
        code, out, err = run(capsys, *argv)
        assert code == 2 and out == "" and err.count("\n") == 1 and "not both" in err, (argv, err)


# ------------------------------------------------------------------ every list parses completely or exits 2
BAD_LISTS = [
    (["secant", "--shape", "3,,3", "--rank", "2"], "an empty entry"),
    (["secant", "--shape", "3,x", "--rank", "2"], "'x' is not an integer"),
    (["secant", "--shape", "0,3", "--rank", "2"], "0 is not positive"),
    (["secant", "--shape=-1,3", "--rank", "2"], "-1 is not positive"),
    (["secant", "--shape", "-1,3", "--rank", "2"], "expected one argument"),  # argparse reads -1,3 as an option
    (["secant", "--shape", "3,3,", "--rank", "2"], "an empty entry"),
    (["secant", "--shape", "", "--rank", "2"], "an empty entry"),
    (["secant", "--shape", "3.0,3", "--rank", "2"], "'3.0' is not an integer"),
    (["generic-rank", "--shape", "3,,3"], "an empty entry"),
    (["generic-rank", "--shape", "3x3,3"], "'3x3' is not an integer"),
    (["unique", "--shape", "4,x,4", "--rank", "5"], "'x' is not an integer"),
    (["unique", "--shape", "4x", "--rank", "5"], "'4x' is not an integer"),
    (["kruskal", "--shape", "4,,6"], "an empty entry"),
    (["kruskal", "--shape", "4,6,2"], "two positive integers"),
    (["separation", "--arch", "ht", "--inputs", "4", "--widths", "4,x,1"], "'x' is not an integer"),
    (["separation", "--arch", "ht", "--inputs", "4", "--widths", "2,,2"], "an empty entry"),
    (["separation", "--arch", "cp", "--inputs", "4", "--features", "2,,2", "--rank", "2"], "an empty entry"),
    (["separation", "--arch", "cp", "--inputs", "4", "--rank", "2", "--partition", "0,,2"], "an empty entry"),
    (["separation", "--arch", "cp", "--inputs", "4", "--rank", "2", "--partition", "0,x"], "'x' is not an integer"),
    (["separation", "--arch", "cp", "--inputs", "4", "--rank", "2", "--partition", "odd"], "expected a partition"),
    (["separation", "--arch", "ht", "--inputs", "4", "--widths", "2", "--tree", "0,,1,2,3"], "an empty entry"),
    (["separation", "--arch", "ht", "--inputs", "4", "--widths", "2", "--tree", "((0,1),(2,,3))"], "nested tree"),
    (["compare", "convac", "cp", "--inputs", "4", "--widths", "2,,2"], "an empty entry"),
    (["draw", "--arch", "tt", "--inputs", "4", "--widths", "2", "--partition", "0,,1", "-o", "{tmp}/d.png"],
     "an empty entry"),
    (["sweep", "--values", "4,,8", "--widths", "2", "-o", "{tmp}/s.csv"], "an empty entry"),
    (["sweep", "--values", "4,x", "--widths", "2", "-o", "{tmp}/s.csv"], "'x' is not an integer"),
    (["rank", "{tmp}/m.npy", "--partition", "0,,1"], "an empty entry"),
    (["identifiable", "--widths", "4,x,1", "--degree", "3"], "'x' is not an integer"),
    (["identifiable", "--widths", "2,,2", "--degree", "3"], "an empty entry"),
    (["neurovariety", "--widths", "2,,2", "--degree", "2"], "an empty entry"),
    (["neuro-identifiable", "--widths", "2,x,2", "--degree", "2"], "'x' is not an integer"),
    (["neuro-plot", "--widths", "2,,2"], "an empty entry"),
    (["learn", "--widths", "4,,2", "--samples", "3000"], "an empty entry"),
    (["learn", "--widths", "3,2", "--sweep", "300,,600"], "an empty entry"),
    (["learn", "--widths", "3,2", "--activation", "poly:1,,2", "--samples", "3000"], "poly:c0,c1"),
    (["learn", "--widths", "3,2", "--activation", "poly:1,x", "--samples", "3000"], "poly:c0,c1"),
    (["secant", "3", "x", "3", "--rank", "2"], "expected a dimension >= 1"),
    (["decompose", "{tmp}/m.npy", "--rank", "0"], "expected a rank >= 1"),
    (["unique", "--shape", "4,4,4", "--rank", "x"], "expected a rank >= 1"),
]


@pytest.mark.parametrize("argv,needle", BAD_LISTS, ids=[" ".join(a[:1] + a[-2:]) for a, _ in BAD_LISTS])
def test_a_list_is_parsed_completely_or_refused_with_one_line(capsys, tmp_path, argv, needle):
    np.save(tmp_path / "m.npy", np.array([[1, 2], [3, 4]]))
    argv = [a.format(tmp=tmp_path) for a in argv]
    code, out, err = run(capsys, *argv)
    assert code == 2 and out == "", err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("tnverify: error:") and needle in lines[0], err
    code, out, err = run(capsys, *argv, "--json")
    assert code == 2 and json.loads(out)["exit_code"] == 2 and needle in json.loads(out)["message"]


@pytest.mark.parametrize("text,value", [("3,3,3", (3, 3, 3)), (" 2, 3 ", (2, 3)), ("7", (7,)), ("3x4x5", (3, 4, 5))])
def test_the_shape_parser(text, value):
    assert tuple(cli_args.shape(text)) == value
    assert cli_args.shape(text).x_form == ("x" in text)


@pytest.mark.parametrize("text", ["3,,3", "3,x", "0,3", "3,-1", "", ",", "3,", "x3", "3x", "3x,3", "3_0", "٣,3", "+"])
def test_the_shape_parser_refuses(text):
    with pytest.raises(argparse.ArgumentTypeError):
        cli_args.shape(text)


# ------------------------------------------------------------------ guard over the parser
#: Each concept's option (destination) and the one type that parses it.
CONCEPT_TYPES = {"shape": (cli_args.shape, cli_args.matrix_shape), "rank": (cli_args.rank,), "seed": (cli_args.seed,),
                 "partition": (cli_args.partition,), "widths": (cli_args.widths,), "features": (cli_args.widths,),
                 "tree": (cli_args.tree,)}
#: Spellings that must not show in --help any more (they are deprecated aliases, hidden).
OLD_SPELLINGS = {"-N", "-M", "--rows", "--generic", "--vars", "--hidden", "--out", "--csv"}


def _subparsers():
    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return sub.choices


def _hidden_aliases(p):
    return [(a.option_strings or [a.dest]) for a in p._actions if a.help == argparse.SUPPRESS]


def test_every_command_spells_each_concept_one_way():
    for name, p in _subparsers().items():
        for a in p._actions:
            if a.dest in CONCEPT_TYPES and a.option_strings:
                assert a.type in CONCEPT_TYPES[a.dest], f"{name} {a.option_strings}: type {a.type}"
            if a.dest in ("output",) and a.help != argparse.SUPPRESS:
                assert a.option_strings == ["-o", "--output"], f"{name}: {a.option_strings}"
            if a.dest == "cert":
                assert a.option_strings == ["--cert"], f"{name}: {a.option_strings}"
            if a.help != argparse.SUPPRESS:
                assert not set(a.option_strings) & OLD_SPELLINGS, f"{name} shows {a.option_strings} in --help"
        assert "dims" not in p.format_usage(), name


def test_docs_name_every_deprecated_alias():
    doc = (ROOT / "docs" / "cli.md").read_text()
    for name, p in _subparsers().items():
        for strings in _hidden_aliases(p):
            for s in strings:
                pattern = "positional dimensions" if s == "dims" else rf"`[^`]*(?<![\w-]){re.escape(s)}(?![\w-])[^`]*`"
                assert re.search(pattern, doc), f"docs/cli.md does not name the deprecated {s} of {name}"


def test_every_readme_command_example_uses_the_new_spellings():
    text = (ROOT / "README.md").read_text()
    lines = [ln for ln in text.splitlines() if "tnverify " in ln and not ln.lstrip().startswith("#")]
    for ln in lines:
        words = ln.replace("[", " ").replace("]", " ").split()
        assert not set(words) & OLD_SPELLINGS, ln
    for old in ("generic-rank 3 3 3", "secant 3 3 3", "--generic "):
        assert old not in text


def test_compact_keeps_short_data_and_bounds_long_lists_and_strings():
    from tnverify.messages import JSON_ENDS, MAX_JSON_LIST, MAX_JSON_STRING, compact

    short = {"a": [1, 2, [3, "x"]], "b": None, "c": 2.5}
    assert compact(short) == short
    runs = [0] * (MAX_JSON_LIST + 5) + [7, 7]
    assert compact({"v": runs}) == {"v": {"runs": [[0, MAX_JSON_LIST + 5], [7, 2]], "length": len(runs)}}
    varied = list(range(3 * MAX_JSON_LIST))
    got = compact(varied)
    assert got["head"] == varied[:JSON_ENDS] and got["tail"] == varied[-JSON_ENDS:]
    assert got["length"] == len(varied) and got["omitted"] == len(varied) - 2 * JSON_ENDS
    text = compact("y" * (MAX_JSON_STRING + 10))
    assert MAX_JSON_STRING - 10 <= len(text) <= MAX_JSON_STRING and text.endswith("more characters)")


@pytest.mark.parametrize("argv,key", [
    (["rank", "{tmp}/m.npy"], "status"),
    (["kruskal", "{tmp}/m.npy"], "status"),
    (["kruskal", "--shape", "3,5"], "status"),
    (["unique", "--shape", "3,3,3", "--rank", "3"], "status"),
    (["identifiable", "--widths", "3,4,1", "--degree", "3"], "status"),
    (["identifiable", "--widths", "2,2,3,2", "--degree", "2"], "identifiability_status"),
    (["generic-rank", "--shape", "3,3,3"], "status"),
    (["secant", "--shape", "2,2,2,2", "--rank", "3"], "status"),
    (["neurovariety", "--widths", "3,4,2,1", "--degree", "2"], "status"),
    (["neuro-identifiable", "--widths", "2,2,3,2", "--degree", "2"], "identifiability_status"),
    (["separation", "--arch", "convac", "--inputs", "4", "--widths", "2"], "status"),
])
def test_proved_is_only_ever_printed_after_the_checker_verified(capsys, tmp_path, argv, key):
    """README: 'proved' means the independent checker accepted a certificate. Every command that can
    print it runs the checker (--no-check says it did not)."""
    np.save(tmp_path / "m.npy", np.array([[1, 2, 3, 4], [0, 1, 5, 2], [3, 1, 0, 7]]))
    argv = [a.format(tmp=tmp_path) for a in argv]
    code = main(argv + ["--json"])
    d = json.loads(capsys.readouterr().out)
    assert d[key] in ("proved", "refuted") and d["checker"] == "VERIFIED" and code in (0, 1)
    code = main(argv + ["--json", "--no-check"])
    assert json.loads(capsys.readouterr().out)["checker"] in ("not run", None)


def test_a_certificate_the_checker_rejects_is_reported_unknown(capsys, tmp_path, monkeypatch):
    import tnverify.checker as checker

    class Rejected:
        ok, status, message = False, "NOT VERIFIED", "step x fails: (forced by the test)"

    monkeypatch.setattr(checker, "check", lambda *a, **k: Rejected())
    np.save(tmp_path / "m.npy", np.array([[1, 2], [3, 4]]))
    code = main(["rank", str(tmp_path / "m.npy")])
    out = capsys.readouterr().out
    assert code == 3 and "(unknown: the checker did not verify it)" in out and "NOT VERIFIED" in out
    assert "(proved)" not in out
    code = main(["generic-rank", "--shape", "3,3,3", "--json"])
    d = json.loads(capsys.readouterr().out)
    assert code == 3 and d["status"] == "unknown" and d["checker"] == "NOT VERIFIED"
    for argv in (["rank", str(tmp_path / "m.npy")], ["neuro-identifiable", "--widths", "2,2,3,2", "--degree", "2"]):
        code = main(argv + ["--cert", str(tmp_path / "c.json")])
        capsys.readouterr()
        claim = json.loads((tmp_path / "c.json").read_text())["claim"]
        assert code == 3 and claim["status"] == "unknown" and "NOT VERIFIED" in claim["checker"]  # as reported
    code = main(["ah-table", "--n-max", "3", "--d-max", "3"])
    out = capsys.readouterr().out
    assert "rows not verified, reported unknown" in out and " proved " not in out


def test_an_output_may_not_overwrite_the_file_of_a_forward_pass(capsys, tmp_path):
    src = Path(__file__).parent / "data" / "user_tt.py"
    user = tmp_path / "utt.py"
    user.write_text(src.read_text())
    code = main(["separation", "--forward", f"{user}:score", "--inputs", "4", "--features", "3", "--partition",
                 "0,1", "--cert", str(user)])
    err = capsys.readouterr().err
    assert code == 2 and "would be overwritten" in err and user.read_text() == src.read_text()


def test_no_certificate_means_no_cert_file_and_a_warning(capsys, tmp_path):
    """A rectifier point at a breakpoint has no certificate: --cert writes nothing (it once wrote null)."""
    w = tmp_path / "w.json"
    w.write_text(json.dumps({"lam": [1], "A0": [[1], [1]], "A1": [[1], [1]]}))
    code = main(["separation", "--arch", "cp", "--pooling", "max", "--inputs", "2", "--features", "2", "--rank",
                 "1", "--partition", "0", "--weights", str(w), "--cert", str(tmp_path / "s.json"), "--json"])
    out, err = capsys.readouterr()
    assert not (tmp_path / "s.json").exists() and "was not written" in err
    assert json.loads(out)["certificate"] is None and code == 3


@pytest.mark.parametrize("argv", [
    ["learn", "--widths", "3,2", "--exact", "--activation", "cube", "--seed", "1"],
    ["layer-dim", "--format", "tt", "--row-factors", "2,2", "--col-factors", "2,2", "--ranks", "2"],
    ["rank", "{files}/t3.npy", "--notion", "border"],
    ["decompose", "{files}/t3.npy", "--rank", "3", "--prove"],
])
def test_every_cert_file_records_the_status_that_was_reported(capsys, files, tmp_path, argv):
    """The claim of a --cert file says what the command reported (these four once wrote no status)."""
    cert = tmp_path / "c.json"
    code, out, err = run(capsys, *[a.replace("{files}", str(files)) for a in argv], "--cert", cert, "--json")
    d = json.loads(out)
    claim = json.loads(cert.read_text())["claim"]
    reported = d["proof"]["status"] if argv[0] == "decompose" else d["status"]
    assert claim["status"] == reported, (claim, reported)


def test_unique_tensor_without_a_decomposition_warns_that_no_cert_was_written(capsys, tmp_path):
    np.save(tmp_path / "z.npy", np.zeros((3, 3, 3), dtype=np.int64))
    code, out, err = run(capsys, "unique", "--tensor", tmp_path / "z.npy", "--cert", tmp_path / "c.json")
    assert code == 3 and "was not written" in err and not (tmp_path / "c.json").exists()
