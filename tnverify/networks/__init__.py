"""Tier 2: tensor networks as exact objects, and the architectures of the expressivity theory.

:mod:`~tnverify.networks.forward` holds the reference forward passes (the object of every
expressivity claim is the grid tensor they define); :mod:`~tnverify.networks.architectures`
the builders, trusted only because tests show their contraction equals the forward pass;
:mod:`~tnverify.networks.network` the networks, contraction and min cuts. See docs/grid_tensors.md.
"""
