"""The capabilities: one module per notion, each returning bounds with their status and a certificate.

Kruskal rank and uniqueness, CP rank, separation rank, Terracini's lemma (secant dimensions,
generic rank, neurovarieties), tensor-method learning, and a user's own forward pass.
See docs/architecture.md.
"""
