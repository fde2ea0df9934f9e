"""The report's themes: every catalog folder has one, and ``tnverify report`` writes a section per theme."""
from __future__ import annotations

import json
from pathlib import Path

from tnverify.cli import main
from tnverify.theorems.references import REFERENCES
from tnverify.theorems.themes import FOLDER_THEMES, OTHER, THEMES, theme_of

ROOT = Path(__file__).parent.parent
CATALOG = ROOT / "proofs_checks"


def test_every_catalog_folder_and_reference_has_a_theme():
    folders = {d.name for d in CATALOG.iterdir() if d.is_dir()}
    missing = sorted((folders | set(REFERENCES)) - set(FOLDER_THEMES))
    assert not missing, f"add to FOLDER_THEMES in tnverify/theorems/themes.py: {missing}"
    assert list(THEMES) == ["expressivity", "learnability and hardness", "generalization", "identifiability"]


def test_theme_of_falls_back_to_the_theorem_and_then_to_other():
    assert theme_of("kruskal_1977") == "identifiability"
    assert theme_of(None, "hardness-reference") == "learnability and hardness"
    assert theme_of(None, "no-such-theorem") == OTHER and theme_of("elsewhere") == OTHER


def test_report_has_a_section_per_theme_with_its_certificates(tmp_path, capsys):
    certs = tmp_path / "certs"
    assert main(["run", str(CATALOG / "classical_ranks" / "hilbert_12.toml"),
                 str(CATALOG / "janzamin_sedghi_anandkumar_2015" / "moment_quartic_explicit.toml"),
                 "--emit", str(certs)]) == 0
    # a certificate from outside the catalog goes to its own section
    other = json.loads(next(certs.glob("classical_ranks__*.json")).read_text())
    other["claim"]["theorem"] = "not-registered"
    (certs / "mine.json").write_text(json.dumps(other))
    capsys.readouterr()
    assert main(["report", str(certs), "-o", str(tmp_path / "R.md")]) == 0
    text = (tmp_path / "R.md").read_text()
    heads = [ln for ln in text.splitlines() if ln.startswith("## ")]
    assert heads == ["## Expressivity", "## Learnability and hardness", "## Generalization", "## Identifiability",
                     "## Other", "## Parameters and seeds"]
    sections = dict(zip(heads, text.split("\n## ")[1:]))
    assert "classical_ranks__hilbert_12" in sections["## Expressivity"]
    assert "janzamin_sedghi_anandkumar_2015__moment_quartic_explicit" in sections["## Learnability and hardness"]
    assert "hastad_1990" in sections["## Learnability and hardness"]  # the folders of the theme are named
    assert "No certificate of this theme" in sections["## Generalization"]
    assert "| mine |" in sections["## Other"]
    assert main(["report", str(certs), "-o", str(tmp_path / "R.html")]) == 0
    assert (tmp_path / "R.html").read_text().count("<h2>") == 5
