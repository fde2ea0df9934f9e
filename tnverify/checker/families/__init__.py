"""Rule families of the checker: each module registers its rules (and object types) on import.

They build the matrices a certificate's claims are about (a flattening of a network, an
architecture's grid-tensor block by the checker's own forward pass, a Jacobian, a compound
matrix) and leave the inference to :mod:`tnverify.checker.kernel` and :mod:`tnverify.checker.linalg`.
"""
