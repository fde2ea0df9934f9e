"""A user's own architecture: a multiplicative RNN (tensor train) with N=4, M=3, hidden width 2.

score = g0(x_1)^T G(x_2) G(x_3) g3(x_4), G(x) = sum_m x_m G[:, m, :] (shared middle core).
"""


def score(weights, inputs, p):
    g0, G, g3 = weights["G0"], weights["G1"], weights["G3"]
    x1, x2, x3, x4 = inputs
    v = [sum(x1[m] * g0[m][j] for m in range(3)) for j in range(2)]
    for x in (x2, x3):
        v = [sum(v[i] * sum(x[m] * G[i][m][j] for m in range(3)) for i in range(2)) for j in range(2)]
    y = sum(v[i] * sum(g3[i][m] * x4[m] for m in range(3)) for i in range(2))
    return y % p if p else y


score.weight_shapes = {"G0": (3, 2), "G1": (2, 3, 2), "G3": (2, 3)}
score.degree = 4
