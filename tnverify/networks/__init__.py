"""Tier 2: tensor networks as exact objects, and the architectures of the expressivity theory.

:mod:`~tnverify.networks.forward` holds the reference forward passes (the object of every
expressivity claim is the grid tensor they define); :mod:`~tnverify.networks.architectures`
the builders, trusted only because tests show their contraction equals the forward pass;
:mod:`~tnverify.networks.network` the networks and their exact contraction; :mod:`~tnverify.networks.mincut`
the minimum cuts (the structural upper bound on every flattening rank); :mod:`~tnverify.networks.partitions`
the one parser of input bipartitions. See docs/grid_tensors.md and docs/architecture.md.
"""
