"""The literature of the catalog: one entry per folder of ``proofs_checks/``.

``REFERENCES`` maps the name of a catalog folder (a paper, or a classical topic)
to the full reference text. A theorem names the folders whose literature it
implements (``@theorem(..., references=(...))``); an instance's folder must be a
key here (checked by :func:`tnverify.theorems.instance.load_instance`), and
``tnverify list`` prints the full text. The instance's ``[claim].source`` gives the
theorem or section number inside the reference. Adding a folder to the catalog
means adding its reference here (``tests/test_registry.py`` checks both ways).
See ``docs/architecture.md`` for where the registry sits.
"""
from __future__ import annotations

__all__ = ["REFERENCES"]

REFERENCES: dict[str, str] = {
    "abo_ottaviani_peterson_2009":
        "H. Abo, G. Ottaviani, C. Peterson, \"Induction for secant varieties of Segre varieties\", "
        "Trans. Amer. Math. Soc. 361(2) (2009), 767-792; with M. V. Catalisano, A. V. Geramita, "
        "A. Gimigliano, \"Secant varieties of P^1 x ... x P^1 (n-times) are not defective for n >= 5\", "
        "J. Algebraic Geom. 20 (2011), 295-327.",
    "alexander_hirschowitz_1995":
        "J. Alexander, A. Hirschowitz, \"Polynomial interpolation in several variables\", "
        "J. Algebraic Geom. 4(2) (1995), 201-222.",
    "classical_ranks":
        "Classical linear algebra: the Vandermonde determinant prod_{i<j} (x_j - x_i); the Cauchy "
        "determinant of the Hilbert matrix (D. Hilbert, \"Ein Beitrag zur Theorie des Legendre'schen "
        "Polynoms\", Acta Math. 18 (1894), 155-159); rank(UV) <= the inner dimension, with equality for "
        "generic factors.",
    "cohen_sharir_shashua_2016":
        "N. Cohen, O. Sharir, A. Shashua, \"On the expressive power of deep learning: a tensor analysis\", "
        "Conference on Learning Theory (COLT), PMLR 49 (2016).",
    "cohen_tamari_shashua_2018":
        "N. Cohen, R. Tamari, A. Shashua, \"Boosting dilated convolutional networks with mixed tensor "
        "decompositions\", International Conference on Learning Representations (ICLR) 2018.",
    "cohen_shashua_2016":
        "N. Cohen, A. Shashua, \"Convolutional rectifier networks as generalized tensor decompositions\", "
        "International Conference on Machine Learning (ICML), PMLR 48 (2016).",
    "cohen_shashua_2017":
        "N. Cohen, A. Shashua, \"Inductive bias of deep convolutional networks through pooling geometry\", "
        "International Conference on Learning Representations (ICLR) 2017.",
    "sharir_shashua_2018":
        "O. Sharir, A. Shashua, \"On the expressive power of overlapping architectures of deep learning\", "
        "International Conference on Learning Representations (ICLR) 2018.",
    "cp_rank_exact":
        "CP ranks of explicit tensors: J. B. Kruskal, \"Three-way arrays: rank and uniqueness of trilinear "
        "decompositions, with application to arithmetic complexity and statistics\", Linear Algebra Appl. 18 "
        "(1977), 95-138 (flattening bounds); J. Ja'Ja', \"Optimal evaluation of pairs of bilinear forms\", "
        "SIAM J. Comput. 8(3) (1979), 443-462 (pencils); V. Strassen, \"Gaussian elimination is not "
        "optimal\", Numer. Math. 13 (1969), 354-356; S. Winograd, \"On multiplication of 2 x 2 matrices\", "
        "Linear Algebra Appl. 4 (1971), 381-388.",
    "de_silva_lim_2008":
        "V. de Silva, L.-H. Lim, \"Tensor rank and the ill-posedness of the best low-rank approximation "
        "problem\", SIAM J. Matrix Anal. Appl. 30(3) (2008), 1084-1127.",
    "finkel_2024":
        "B. Finkel, J. I. Rodriguez, C. Wu, T. Yahl, \"Activation thresholds and expressiveness of polynomial "
        "neural networks\", arXiv:2408.04569 (2024).",
    "hastad_1990":
        "J. Hastad, \"Tensor rank is NP-complete\", J. Algorithms 11(4) (1990), 644-654.",
    "hillar_lim_2013":
        "C. J. Hillar, L.-H. Lim, \"Most tensor problems are NP-hard\", J. ACM 60(6) (2013), Article 45.",
    "identifiability_pnn":
        "Identifiability of 2-layer polynomial networks f(x) = V (W^T x)^d through the partially symmetric CP "
        "decomposition sum_j v_j (x) w_j^(x)d: J. B. Kruskal, Linear Algebra Appl. 18 (1977), 95-138; "
        "N. D. Sidiropoulos, R. Bro, J. Chemometrics 14(3) (2000), 229-239; non-identifiability from the "
        "parameter count (a fibre of dimension >= parameters - ambient dimension).",
    "janzamin_sedghi_anandkumar_2015":
        "M. Janzamin, H. Sedghi, A. Anandkumar, \"Beating the perils of non-convexity: guaranteed training of "
        "neural networks using tensor methods\", arXiv:1506.08473 (2015).",
    "jennrich_1993":
        "S. E. Leurgans, R. T. Ross, R. B. Abel, \"A decomposition for three-way arrays\", SIAM J. Matrix "
        "Anal. Appl. 14(4) (1993), 1064-1083; R. A. Harshman, \"Foundations of the PARAFAC procedure\", "
        "UCLA Working Papers in Phonetics 16 (1970), 1-84 (Jennrich's algorithm).",
    "khrulkov_hrinchuk_oseledets_2019":
        "V. Khrulkov, O. Hrinchuk, I. Oseledets, \"Generalized tensor models for recurrent neural networks\", "
        "International Conference on Learning Representations (ICLR) 2019.",
    "khrulkov_novikov_oseledets_2018":
        "V. Khrulkov, A. Novikov, I. Oseledets, \"Expressive power of recurrent neural networks\", "
        "International Conference on Learning Representations (ICLR) 2018.",
    "chiantini_ottaviani_vannieuwenhoven_2014":
        "L. Chiantini, G. Ottaviani, N. Vannieuwenhoven, \"An algorithm for generic and low-rank specific "
        "identifiability of complex tensors\", SIAM J. Matrix Anal. Appl. 35(4) (2014), 1265-1287.",
    "domanov_de_lathauwer_2013":
        "I. Domanov, L. De Lathauwer, \"On the uniqueness of the canonical polyadic decomposition of third-order "
        "tensors -- Part I / Part II\", SIAM J. Matrix Anal. Appl. 34(3) (2013), 855-875 and 876-903.",
    "hauenstein_oeding_ottaviani_sommese_2019":
        "J. D. Hauenstein, L. Oeding, G. Ottaviani, A. J. Sommese, \"Homotopy techniques for tensor "
        "decomposition and perfect identifiability\", J. Reine Angew. Math. 753 (2019), 1-22.",
    "jiang_sidiropoulos_2004":
        "T. Jiang, N. D. Sidiropoulos, \"Kruskal's permutation lemma and the identification of CANDECOMP/PARAFAC "
        "and bilinear models with constant modulus constraints\", IEEE Trans. Signal Process. 52(9) (2004), "
        "2625-2636.",
    "kileel_trager_bruna_2019":
        "J. Kileel, M. Trager, J. Bruna, \"On the expressive power of deep polynomial neural networks\", "
        "Advances in Neural Information Processing Systems (NeurIPS) 32 (2019).",
    "kruskal_1977":
        "J. B. Kruskal, \"Three-way arrays: rank and uniqueness of trilinear decompositions, with application "
        "to arithmetic complexity and statistics\", Linear Algebra Appl. 18 (1977), 95-138; with "
        "L. De Lathauwer, \"A link between the canonical decomposition in multilinear algebra and "
        "simultaneous matrix diagonalization\", SIAM J. Matrix Anal. Appl. 28(3) (2006), 642-666.",
    "levine_2017_rac":
        "Y. Levine, O. Sharir, A. Ziv, A. Shashua, \"Benefits of depth for long-term memory of recurrent "
        "networks\", arXiv:1710.09431 (2017).",
    "levine_2018":
        "Y. Levine, D. Yakira, N. Cohen, A. Shashua, \"Deep learning and quantum entanglement: fundamental "
        "connections with implications to network design\", International Conference on Learning "
        "Representations (ICLR) 2018.",
    "novikov_podoprikhin_osokin_vetrov_2015":
        "A. Novikov, D. Podoprikhin, A. Osokin, D. Vetrov, \"Tensorizing neural networks\", Advances in Neural "
        "Information Processing Systems 28 (NeurIPS 2015); the TT-matrix format of a fully connected layer.",
    "holtz_rohwedder_schneider_2012":
        "S. Holtz, T. Rohwedder, R. Schneider, \"On manifolds of tensors of fixed TT-rank\", Numer. Math. "
        "120(4) (2012), 701-731; Tucker and HT manifolds: A. Uschmajew, B. Vandereycken, \"The geometry of "
        "algorithms using hierarchical tensors\", Linear Algebra Appl. 439(1) (2013), 133-166.",
    "sidiropoulos_bro_2000":
        "N. D. Sidiropoulos, R. Bro, \"On the uniqueness of multilinear decomposition of N-way arrays\", "
        "J. Chemometrics 14(3) (2000), 229-239.",
    "strassen_1969":
        "V. Strassen, \"Gaussian elimination is not optimal\", Numer. Math. 13 (1969), 354-356; flattening "
        "ranks of the matrix multiplication tensor: J. M. Landsberg, \"Tensors: Geometry and Applications\", "
        "Graduate Studies in Mathematics 128, AMS (2012).",
    "landsberg_ottaviani_2013":
        "J. M. Landsberg, G. Ottaviani, \"Equations for secant varieties of Veronese and other varieties\", "
        "Ann. Mat. Pura Appl. 192(4) (2013), 569-606.",
    "razin_maman_cohen_2021":
        "N. Razin, A. Maman, N. Cohen, \"Implicit regularization in tensor factorization\", International "
        "Conference on Machine Learning (ICML), PMLR 139 (2021), 8913-8924.",
    "razin_maman_cohen_2022":
        "N. Razin, A. Maman, N. Cohen, \"Implicit regularization in hierarchical tensor factorization and deep "
        "convolutional neural networks\", International Conference on Machine Learning (ICML), PMLR 162 (2022).",
    "strassen_1983":
        "V. Strassen, \"Rank and optimal computation of generic tensors\", Linear Algebra Appl. 52/53 (1983), "
        "645-685; T. Lickteig, \"Typical tensorial rank\", Linear Algebra Appl. 69 (1985), 95-120.",
    "usevich_2025":
        "K. Usevich, R. Borsoi, C. Derand, M. Clausel, \"Identifiability of deep polynomial neural networks\", "
        "arXiv:2506.17093 (2025); manifold dimensions of tensor formats: S. Holtz, T. Rohwedder, "
        "R. Schneider, \"On manifolds of tensors of fixed TT-rank\", Numer. Math. 120 (2012), 701-731; "
        "A. Uschmajew, B. Vandereycken, \"The geometry of algorithms using hierarchical tensors\", Linear "
        "Algebra Appl. 439(1) (2013), 133-166.",
}
