"""The theorem registry's declared schema, instance validation at load time, references, claims."""
from __future__ import annotations

import inspect
from typing import Literal

import pytest

from tnverify.certificate import Certificate
from tnverify.cli import main
from tnverify.errors import InputError, UnknownNameError
from tnverify.results import FIELDS, NOTIONS
from tnverify.theorems import ExactArray, Outcome, Theorem, get, registry, theorem
from tnverify.theorems.claims import decide
from tnverify.theorems.instance import accepts, describe, find_instances, load_instance
from tnverify.theorems.references import REFERENCES
from tnverify.theorems.runner import run_instance

from tests.test_catalog import GOOD, ROOT, instance_file

CATALOG = ROOT / "proofs_checks"


# ------------------------------------------------------------------ references and the catalog
def test_every_catalog_folder_is_a_reference_and_every_reference_is_used():
    folders = {d.name for d in CATALOG.iterdir() if d.is_dir()}
    assert not folders - set(REFERENCES), f"add to tnverify/theorems/references.py: {sorted(folders - set(REFERENCES))}"
    assert not set(REFERENCES) - folders, f"no catalog folder for: {sorted(set(REFERENCES) - folders)}"


def test_catalog_instances_load_and_their_folder_is_a_reference_of_their_theorem():
    files = find_instances([CATALOG])
    assert files
    for f in files:
        inst = load_instance(f)
        assert inst.folder in get(inst.theorem).references, (inst.id, get(inst.theorem).references)


def test_every_theorem_is_annotated_and_its_defaults_have_their_types():
    for t in registry().values():
        for name, default in t.params.items():
            assert describe(t.types[name])  # a supported annotation
            if default is not inspect.Parameter.empty:
                assert default is None or accepts(t.types[name], default), (t.name, name, default)


def test_notions_and_fields_come_from_the_results_vocabulary():
    for t in registry().values():
        assert t.notion in NOTIONS, (t.name, t.notion)
        assert all(f in FIELDS for f in t.fields), (t.name, t.fields)


def test_outcomes_state_their_notion_and_field(tmp_path):
    res = run_instance(instance_file(tmp_path, GOOD, "good.toml"))
    assert (res.got, res.notion, res.field) == ("proved", "rank", "Q")
    gf = GOOD.replace('family = "explicit"', 'family = "explicit"\nfield = "GF(7)"')
    res = run_instance(instance_file(tmp_path, gf, "gf.toml"))
    assert (res.got, res.notion, res.field, res.passed) == ("proved", "rank", "GF(7)", True)


# ------------------------------------------------------------------ bad instance files: exit 2 before any run
@pytest.mark.parametrize("edit, words", [
    (lambda s: s.replace('family = "explicit"', 'family = "explicit"\nn = "5"'),
     ["[params].n", "expected an integer", "got '5' (a string)"]),
    (lambda s: s.replace('family = "explicit"', 'family = "explicit"\nn = 2.5'),
     ["[params].n", "expected an integer", "got 2.5 (a float)"]),
    (lambda s: s.replace('family = "explicit"', 'family = "explicit"\nn = true'),
     ["[params].n", "expected an integer", "(a boolean)"]),
    (lambda s: s.replace('family = "explicit"', 'family = "explicit"\nrows = ["0", "1"]'),
     ["[params].rows", "expected a string or a list of integers", "got ['0', '1'] (a list of strings)"]),
    (lambda s: s.replace('family = "explicit"', 'family = "vandermond"'),
     ["[params].family", "expected one of {'vandermonde', 'hilbert'", "got 'vandermond' (a string)",
      "did you mean 'vandermonde'?"]),
    (lambda s: s.replace("[[1, 0], [0, 1]]", "[[1, 0], [0, 1.5]]"),
     ["[params].entries", "expected a nested list of integers or strings",
      "got [[1, 0], [0, 1.5]] (a nested list of floats and integers)"]),
    (lambda s: s.replace("rank = 2", "rnak = 2"),
     ["[expected].rnak", "produces no value 'rnak'", "expected one of: rank, lower, upper, field, shape"]),
    (lambda s: s.replace('"matrix-rank"', '"matrix-rnak"'),
     ["[claim].theorem", "unknown theorem 'matrix-rnak'", "did you mean matrix-rank"]),
])
def test_bad_instances_are_rejected_at_load_time(tmp_path, capsys, monkeypatch, edit, words):
    def never(self, params):
        raise AssertionError("the theorem ran on an invalid instance")

    monkeypatch.setattr(Theorem, "run", never)
    f = instance_file(tmp_path, edit(GOOD))
    for argv in (["prove", str(f)], ["run", str(f)]):
        code = main(argv)
        out, err = capsys.readouterr()
        lines = err.strip().splitlines()
        assert code == 2 and len(lines) == 1 and "Traceback" not in err, err
        assert lines[0].startswith(f"tnverify: error: {f}: ") and all(w in lines[0] for w in words), lines[0]


def test_a_catalog_folder_not_in_references_is_rejected(tmp_path, capsys, monkeypatch):
    from tnverify.theorems import instance

    monkeypatch.setattr(instance, "CATALOG", (tmp_path / "proofs_checks").resolve())
    f = tmp_path / "proofs_checks" / "my_paper_2030" / "i.toml"
    f.parent.mkdir(parents=True)
    f.write_text(GOOD)
    code = main(["prove", str(f)])
    _, err = capsys.readouterr()
    assert code == 2 and len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert "the folder 'my_paper_2030' is not a catalog folder" in err and "classical_ranks" in err
    (tmp_path / "link").symlink_to(tmp_path / "proofs_checks")
    for other in (tmp_path / "proofs_checks" / ".." / "proofs_checks" / "my_paper_2030" / "i.toml",
                  tmp_path / "link" / "my_paper_2030" / "i.toml"):  # the same file by another path
        assert main(["prove", str(other)]) == 2 and "not a catalog folder" in capsys.readouterr().err


def test_a_users_own_instances_run_from_any_folder(tmp_path, capsys):
    """README: the runner and the pytest plugin take a user's instance files too."""
    f = tmp_path / "my_paper_2030" / "i.toml"
    f.parent.mkdir()
    f.write_text(GOOD)
    code = main(["prove", str(f)])
    out, err = capsys.readouterr()
    assert code == 0 and "my_paper_2030/i" in out and err == ""


def test_get_unknown_name_lists_valid_names():
    with pytest.raises(UnknownNameError) as e:
        get("separation-rnak")
    msg = str(e.value)
    assert "unknown theorem 'separation-rnak'" in msg and "did you mean separation-rank" in msg
    assert "valid: cp-als-degeneracy, cp-rank" in msg
    assert get("separation-rank").name == "separation-rank"


# ------------------------------------------------------------------ the registry's own rules
def test_registration_needs_reference_keys_and_annotations():
    with pytest.raises(UnknownNameError, match="unknown reference 'kruskal1977'"):
        theorem("x", statement="s", notion="n", fields=("Q",), values=("v",), references=("kruskal1977",))
    with pytest.raises(TypeError, match="annotate the parameter"):
        @theorem("unregistered", statement="s", notion="n", fields=("Q",), values=("v",),
                 references=("kruskal_1977",))
        def f(a) -> Outcome:
            return Outcome("proved")
    assert "unregistered" not in registry()


def test_run_stamps_notion_and_field_and_rejects_undeclared_values():
    def fn(n: int) -> Outcome:
        return Outcome("unknown", {"v": n, "w": 0} if n else {"v": n})

    t = Theorem("t", "s", "rank", ("Q",), ("v",), ("kruskal_1977",), fn, {"n": inspect.Parameter.empty},
                {"n": int})
    out = t.run({"n": 0})
    assert (out.notion, out.field) == ("rank", "Q")
    with pytest.raises(RuntimeError, match="undeclared value"):
        t.run({"n": 1})
    assert t.has_field("Q") and not t.has_field("GF(7)")


def test_accepts_and_describe():
    assert accepts(int | list[int], 3) and accepts(int | list[int], [1, 2]) and not accepts(int | list[int], [1, "2"])
    assert not accepts(int, True) and accepts(float, 2) and not accepts(float, "2")
    assert accepts(Literal["a", "b"], "a") and not accepts(Literal["a", "b"], "c")
    assert accepts(ExactArray, [[1, "1/2"], [[3]]]) and not accepts(ExactArray, [[1.5]]) and not accepts(ExactArray, 1)
    assert describe(int | list[int] | None) == "an integer or a list of integers"
    assert describe(list[ExactArray]) == "a list of nested lists of integers or strings"


# ------------------------------------------------------------------ claims
@pytest.mark.parametrize("lower, upper, claim, status, fact", [
    (3, 5, {"at_least": 3}, "proved", ("rank-at-least", 3)),
    (3, 5, {"at_least": 6}, "refuted", ("rank-at-most", 5)),
    (3, 5, {"at_least": 4}, "unknown", None),
    (3, None, {"at_least": 4}, "unknown", None),
    (3, 5, {"at_most": 5}, "proved", ("rank-at-most", 5)),
    (3, 5, {"at_most": 2}, "refuted", ("rank-at-least", 3)),
    (3, None, {"at_most": 4}, "unknown", None),
])
def test_decide(lower, upper, claim, status, fact):
    cert = Certificate()
    cert.conclude("rank-at-least", {"m": 1}, lower)
    out = decide(lower, upper, certificate=cert, subject={"m": 1}, values={"lower": lower}, **claim)
    assert out.status == status and out.values == {"lower": lower}
    if fact is None:
        assert out.certificate is None and "undecided" in out.message
    else:
        assert out.certificate.conclusion == [{"fact": fact[0], "subject": {"m": 1}, "value": fact[1]}]


def test_decide_needs_exactly_one_nonnegative_claim():
    for claim in ({}, {"at_least": 1, "at_most": 2}, {"at_least": -1}):
        with pytest.raises(InputError):
            decide(0, 1, certificate=Certificate(), subject={}, values={}, **claim)
