"""tnverify: certified facts from the tensor-decomposition theory of deep networks.

Exact ranks with witnesses (:mod:`tnverify.exact.rank`), flattenings
(:mod:`tnverify.exact.tensor`), certificates (:mod:`tnverify.certificate`) and an
independent checker (:mod:`tnverify.checker`). Importing this package is cheap:
submodules load on first use.
"""
__version__ = "0.1.0"
__all__ = ["__version__"]
