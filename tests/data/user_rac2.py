"""A user's own architecture for ``tnverify separation --forward``: a depth-2 RAC, T=4, M=2, R=2.

h1_t = (A h1_{t-1}) * (B x_t), h2_t = (C h2_{t-1}) * (D h1_t) (first states: B x_1 and D h1_1),
output <w, h2_T>, weights shared across time.
"""


def _mv(W, v, p):
    out = [sum(a * b for a, b in zip(row, v)) for row in W]
    return [x % p for x in out] if p else out


def score(weights, inputs, p):
    A, B, C, D, w = (weights[k] for k in ("A", "B", "C", "D", "w"))
    h1 = h2 = None
    for x in inputs:
        i1 = _mv(B, x, p)
        h1 = i1 if h1 is None else [a * b for a, b in zip(_mv(A, h1, p), i1)]
        i2 = _mv(D, h1, p)
        h2 = i2 if h2 is None else [a * b for a, b in zip(_mv(C, h2, p), i2)]
    y = sum(a * b for a, b in zip(w, h2))
    return y % p if p else y


score.weight_shapes = {"A": (2, 2), "B": (2, 2), "C": (2, 2), "D": (2, 2), "w": (2,)}
score.degree = 11  # per time step: B, A (degree t in layer 1) and D, C; for T = 4 at most 1 + 2T + T + ... <= 11
