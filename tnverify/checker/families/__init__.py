"""Rule families of the checker: each module registers its rules (and object types) on import.

They *construct* the matrices a certificate's claims are about (a flattening of a tensor or of
a network, an architecture's grid-tensor block by the checker's own forward pass, a Jacobian,
a compound matrix) and hand every minor to :func:`tnverify.checker.kernel.check_minor`, the one
inference; none of them calls :mod:`tnverify.checker.linalg` itself. :mod:`tnverify.checker`
imports each family by name, so a missing one is an ImportError, never an unknown rule.
"""
