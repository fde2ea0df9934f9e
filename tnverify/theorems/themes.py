"""The four themes of the theory, and the one table that puts every catalog folder in one of them.

The tensor-decomposition theory of deep networks has four parts; ``tnverify report`` writes a
section for each, in this order:

* **expressivity** -- what functions a network can compute: separation ranks of architectures,
  depth efficiency, generic and border ranks of formats, neurovariety dimensions;
* **learnability and hardness** -- whether the weights can be learned from data (the method of
  moments, its sample complexity) and which tensor problems are NP-hard (no general certificate);
* **generalization** -- the true dimension of tensorized layers against their parameter count,
  and the implicit bias of gradient descent towards low tensor rank;
* **identifiability** -- whether the parameters are determined by the function (Kruskal,
  Jennrich, generic identifiability, deep polynomial networks).

:data:`FOLDER_THEMES` maps each folder of ``proofs_checks/`` (a key of
:data:`tnverify.theorems.references.REFERENCES`) to its theme; ``tests/test_registry.py``-style
checks keep it complete. See docs/learning.md for the learnability entries.
"""
from __future__ import annotations

__all__ = ["THEMES", "FOLDER_THEMES", "OTHER", "theme_of"]

#: The themes in report order, with one line each.
THEMES: dict[str, str] = {
    "expressivity": "what functions a network can compute: separation ranks, depth efficiency, generic and "
                    "border ranks, neurovariety dimensions",
    "learnability and hardness": "learning the weights from data (method of moments, sample complexity) and the "
                                 "NP-hardness of tensor problems",
    "generalization": "true dimension of tensorized layers against their parameters; implicit bias of gradient "
                      "descent towards low tensor rank",
    "identifiability": "whether the function determines the parameters (Kruskal, Jennrich, generic "
                       "identifiability, deep polynomial networks)",
}
#: The section of results that belong to no catalog folder (certificates written by other commands).
OTHER = "other"

#: Catalog folder -> theme.
FOLDER_THEMES: dict[str, str] = {
    # expressivity
    "abo_ottaviani_peterson_2009": "expressivity",
    "alexander_hirschowitz_1995": "expressivity",
    "classical_ranks": "expressivity",
    "cohen_sharir_shashua_2016": "expressivity",
    "cohen_shashua_2016": "expressivity",
    "cohen_shashua_2017": "expressivity",
    "cohen_tamari_shashua_2018": "expressivity",
    "cp_rank_exact": "expressivity",
    "de_silva_lim_2008": "expressivity",
    "finkel_2024": "expressivity",
    "khrulkov_hrinchuk_oseledets_2019": "expressivity",
    "khrulkov_novikov_oseledets_2018": "expressivity",
    "kileel_trager_bruna_2019": "expressivity",
    "landsberg_ottaviani_2013": "expressivity",
    "levine_2017_rac": "expressivity",
    "levine_2018": "expressivity",
    "sharir_shashua_2018": "expressivity",
    "strassen_1969": "expressivity",
    "strassen_1983": "expressivity",
    # learnability and hardness
    "hastad_1990": "learnability and hardness",
    "hillar_lim_2013": "learnability and hardness",
    "janzamin_sedghi_anandkumar_2015": "learnability and hardness",
    # generalization
    "holtz_rohwedder_schneider_2012": "generalization",
    "novikov_podoprikhin_osokin_vetrov_2015": "generalization",
    "razin_maman_cohen_2021": "generalization",
    "razin_maman_cohen_2022": "generalization",
    # identifiability
    "chiantini_ottaviani_vannieuwenhoven_2014": "identifiability",
    "domanov_de_lathauwer_2013": "identifiability",
    "hauenstein_oeding_ottaviani_sommese_2019": "identifiability",
    "identifiability_pnn": "identifiability",
    "jennrich_1993": "identifiability",
    "jiang_sidiropoulos_2004": "identifiability",
    "kruskal_1977": "identifiability",
    "sidiropoulos_bro_2000": "identifiability",
    "usevich_2025": "identifiability",
}
assert set(FOLDER_THEMES.values()) <= set(THEMES)


def theme_of(folder: str | None, theorem: str | None = None) -> str:
    """The theme of a catalog folder; else of the first folder the registered ``theorem`` cites;
    else :data:`OTHER`."""
    if folder in FOLDER_THEMES:
        return FOLDER_THEMES[folder]
    if theorem:
        from tnverify.theorems import registry

        t = registry().get(theorem)
        for ref in (t.references if t else ()):
            if ref in FOLDER_THEMES:
                return FOLDER_THEMES[ref]
    return OTHER
