r"""Jitted gradient descent for tensor completion on a CP and on a hierarchical (HT) factorization.

The drivers (validation, initialization, the record schedule, the numpy reference of the same
algorithm) are in :mod:`tnverify.numeric.implicit_bias`; docs/implicit_bias.md states the model
and docs/architecture.md places this package below the numeric tier. Every kernel takes float64
and int64 C-contiguous arrays, allocates no Python objects, raises nothing, and returns the
number of updates done with a status code of :mod:`numba_kernels._jit` (``NOT_CONVERGED`` when
the loss stops being finite: the step is too large).

Loss and step. With ``m`` observed entries ``(i^(j), y_j)`` and the model tensor ``W(theta)``,

.. math:: L(\theta) = \frac{1}{m} \sum_{j=1}^{m} \big(W_{i^{(j)}}(\theta) - y_j\big)^2, \qquad
          \theta \leftarrow \theta - \eta \nabla L(\theta),

every parameter updated at once from the gradient at the current point (plain full-batch
gradient descent, the discretisation of the gradient flow analysed by Razin, Maman and Cohen).

CP (:func:`cp_descent`): ``W = sum_r F_0[:, r] (x) ... (x) F_{N-1}[:, r]``; the gradient of an
observed entry with respect to ``F_k[i_k, r]`` is ``2 e_j / m`` times the product of the other
factors' entries. The prefix products are shared by the entries with a common prefix (a trie of
the observed multi-indices) and the suffix sums are accumulated up the same trie.

HT (:func:`ht_descent`): a binary tree over the modes, nodes in post-order (children before
parents, the root last). Node ``v`` holds a weight matrix ``W_v`` of shape ``(nin_v, nout_v)``:
a leaf of mode ``n`` has ``nin = I_n``; an interior node has ``nin = R_v``, its children have
``nout = R_v``; the root has ``nout = 1``. For one multi-index ``i``:
``phi_leaf = W_leaf[i_n, :]``, ``psi_v = phi_left * phi_right`` (entrywise, length ``R_v``),
``phi_v = psi_v W_v`` and ``W_i = phi_root[0]``; back-propagation runs the tree in reverse. The
values of a node are computed once per distinct sub-multi-index of its modes among the observed
entries and shared by those entries.

References
----------
.. [1] N. Razin, A. Maman, N. Cohen, "Implicit regularization in tensor factorization", ICML 2021.
.. [2] N. Razin, A. Maman, N. Cohen, "Implicit regularization in hierarchical tensor factorization
   and deep convolutional neural networks", ICML 2022.
"""
import numpy as np

from ._jit import NOT_CONVERGED, OK, njit

__all__ = ["cp_descent", "ht_descent", "cp_full", "ht_full", "FASTMATH"]

#: LLVM fast-math flags of these kernels: reassociation and contraction (vectorised sums, fused
#: multiply-adds), but not ``nnan``/``ninf``, so the test that the loss is finite stays.
FASTMATH = {"nsz", "arcp", "contract", "afn", "reassoc"}


@njit
def _finite(x):
    """Whether ``x`` is finite, compiled without fast-math (which may fold such tests away)."""
    return x == x and x != np.inf and x != -np.inf


@njit(fastmath=FASTMATH)
def _rel_error(full, truth):
    """``||full - truth|| / ||truth||`` (the absolute error when the truth is zero)."""
    num = 0.0
    den = 0.0
    for q in range(truth.size):
        d = full[q] - truth[q]
        num += d * d
        den += truth[q] * truth[q]
    return np.sqrt(num / den) if den > 0 else np.sqrt(num)


@njit(fastmath=FASTMATH)
def cp_full(F, off, dims, out):
    """Every entry of the CP tensor into ``out`` (flat, C order): ``O(prod(dims) N R)``."""
    N = dims.size
    R = F.shape[1]
    idx = np.zeros(N, np.int64)
    for flat in range(out.size):
        rem = flat
        for k in range(N - 1, -1, -1):
            idx[k] = rem % dims[k]
            rem //= dims[k]
        s = 0.0
        for r in range(R):
            p = 1.0
            for k in range(N):
                p *= F[off[k] + idx[k], r]
            s += p
        out[flat] = s


@njit(fastmath=FASTMATH)
def _cp_record(F, off, dims, truth, full, norms, rec):
    """Component norms ``prod_k ||F_k[:, r]||`` into ``norms[rec]``; the relative error on every entry."""
    N = dims.size
    R = F.shape[1]
    for r in range(R):
        p = 1.0
        for k in range(N):
            s = 0.0
            for i in range(dims[k]):
                v = F[off[k] + i, r]
                s += v * v
            p *= np.sqrt(s)
        norms[rec, r] = p
    if truth.size == 0:
        return np.nan
    cp_full(F, off, dims, full)
    return _rel_error(full, truth)


@njit(fastmath=FASTMATH)
def cp_descent(F, off, dims, row, parent, level_off, y, step, iters, every, truth, norms, obs_err, full_err,
               rec_iter):
    """``iters`` gradient steps on a CP factorization, in place, recording every ``every`` steps.

    The observed multi-indices come as a trie of their prefixes: level ``k`` (nodes
    ``level_off[k] .. level_off[k+1] - 1``) holds the distinct prefixes ``(i_0, ..., i_k)``, node ``n``
    has the factor row ``row[n] = off[k] + i_k`` and its prefix of length ``k`` at ``parent[n]``
    (``-1`` at level 0); the last level is the observed entries, in the order of ``y``. The prefix
    products ``P[n] = P[parent[n]] * F[row[n]]`` are then shared by every entry below ``n``, and the
    backward pass sums ``S[parent] += S[n] * F[row[n]]`` up the same trie (reverse-mode
    differentiation of the shared products: the same gradient as entry by entry).

    Parameters
    ----------
    F : ndarray (sum_k I_k, R)
        The factors stacked by rows; ``off[k]`` is the first row of factor ``k``. Updated in place.
    off, dims : int64 ndarray (N,)
    row, parent : int64 ndarray (nodes,)
    level_off : int64 ndarray (N + 1,)
    y : ndarray (m,)
        The observed values.
    step : float
        The step size ``eta``.
    iters, every : int
        Number of updates; a record is taken before updates ``0, every, 2 every, ...`` and after
        the last one.
    truth : ndarray (prod(dims),) or (0,)
        The full target (C order) for the error on every entry, or empty.
    norms : ndarray (records, R)
    obs_err, full_err : ndarray (records,)
        Relative errors ``||P_Omega(W - Y)|| / ||P_Omega Y||`` and ``||W - T|| / ||T||`` (NaN without
        ``truth``).
    rec_iter : int64 ndarray (records,)
        The update count of each record.

    Returns
    -------
    (int, int)
        Updates done and the status (``OK``, or ``NOT_CONVERGED`` when the loss is not finite).

    Notes
    -----
    ``O(nodes R)`` per update, ``nodes <= m N`` (about ``m + m / I_{N-1} + ...`` for random
    observations); a record adds ``O(sum_k I_k R)`` and, with ``truth``, ``O(prod(dims) N R)``.
    """
    N = dims.size
    R = F.shape[1]
    n_nodes = row.size
    m = y.size
    first = level_off[N - 1]
    G = np.zeros_like(F)
    P = np.empty((first, R))
    S = np.empty((first, R))
    e = np.empty(m)
    full = np.empty(truth.size)
    yy = 0.0
    for j in range(m):
        yy += y[j] * y[j]
    if yy == 0.0:
        yy = 1.0
    c2 = 2.0 / m
    rec = 0
    for t in range(iters + 1):
        last = t == iters
        for n in range(first):
            a = row[n]
            p = parent[n]
            if p < 0:
                for r in range(R):
                    P[n, r] = F[a, r]
            else:
                for r in range(R):
                    P[n, r] = P[p, r] * F[a, r]
        sse = 0.0
        for n in range(first, n_nodes):
            a = row[n]
            p = parent[n]
            w = 0.0
            for r in range(R):
                w += P[p, r] * F[a, r]
            d = w - y[n - first]
            e[n - first] = d
            sse += d * d
        if not _finite(sse):
            return t, NOT_CONVERGED
        if last or t % every == 0:
            obs_err[rec] = np.sqrt(sse / yy)
            full_err[rec] = _cp_record(F, off, dims, truth, full, norms, rec)
            rec_iter[rec] = t
            rec += 1
        if last:
            break
        G[:] = 0.0
        S[:] = 0.0
        for n in range(first, n_nodes):
            a = row[n]
            p = parent[n]
            c = c2 * e[n - first]
            for r in range(R):
                G[a, r] += c * P[p, r]
                S[p, r] += c * F[a, r]
        for n in range(first - 1, -1, -1):
            a = row[n]
            p = parent[n]
            if p < 0:
                for r in range(R):
                    G[a, r] += S[n, r]
            else:
                for r in range(R):
                    G[a, r] += P[p, r] * S[n, r]
                    S[p, r] += S[n, r] * F[a, r]
        for a in range(F.shape[0]):
            for r in range(R):
                F[a, r] -= step * G[a, r]
    return iters, OK


@njit(fastmath=FASTMATH)
def ht_full(W, woff, left, right, mode, nin, nout, dims, out):
    """Every entry of the HT tensor into ``out`` (flat, C order over the leaves in tree order).

    Node by node: ``phi_v`` for every sub-multi-index of the modes under ``v`` (rows in C order
    over the left child's then the right child's), so each is computed once:
    ``O(sum_v prod_{k in v} I_k nin_v nout_v)``. The order of the leaves (left to right) is the
    order of the modes in ``out``; the driver transposes when the tree permutes the modes.
    """
    n_nodes = left.size
    size = np.empty(n_nodes, np.int64)
    start = np.empty(n_nodes, np.int64)
    total = 0
    for v in range(n_nodes):
        size[v] = dims[mode[v]] if left[v] < 0 else size[left[v]] * size[right[v]]
        start[v] = total
        total += size[v] * nout[v]
    state = np.empty(total)
    for v in range(n_nodes):
        base = woff[v]
        no = nout[v]
        s0 = start[v]
        if left[v] < 0:
            for q in range(size[v] * no):
                state[s0 + q] = W[base + q]
            continue
        a = left[v]
        b = right[v]
        na = nout[a]
        sa = start[a]
        sb = start[b]
        ni = nin[v]  # = nout of each child
        P = np.empty((size[a] * size[b], ni))
        for ia in range(size[a]):
            for ib in range(size[b]):
                x = ia * size[b] + ib
                for q in range(ni):
                    P[x, q] = state[sa + ia * na + q] * state[sb + ib * na + q]
        # phi_v = psi_v W_v for every sub-multi-index at once (one BLAS product)
        np.dot(P, W[base:base + ni * no].reshape(ni, no),
               state[s0:s0 + size[v] * no].reshape(size[v], no))
    root = n_nodes - 1
    for i in range(out.size):
        out[i] = state[start[root] + i]


@njit(fastmath=FASTMATH)
def _col_norm(W, base, nin, nout, col):
    s = 0.0
    for i in range(nin):
        v = W[base + i * nout + col]
        s += v * v
    return np.sqrt(s)


@njit(fastmath=FASTMATH)
def _ht_record(W, woff, left, right, mode, nin, nout, dims, truth, full, norms, rec):
    """Local-component norms into ``norms[rec]`` (interior nodes in post-order); the error on every entry.

    The local component ``s`` of an interior node ``v`` is (row ``s`` of ``W_v``, column ``s`` of each
    child's matrix); its norm is the product of the three Euclidean norms.
    """
    q = 0
    for v in range(left.size):
        if left[v] < 0:
            continue
        a = left[v]
        b = right[v]
        for s in range(nin[v]):
            rs = 0.0
            for r in range(nout[v]):
                x = W[woff[v] + s * nout[v] + r]
                rs += x * x
            norms[rec, q] = (np.sqrt(rs) * _col_norm(W, woff[a], nin[a], nout[a], s)
                             * _col_norm(W, woff[b], nin[b], nout[b], s))
            q += 1
    if truth.size == 0:
        return np.nan
    ht_full(W, woff, left, right, mode, nin, nout, dims, full)
    return _rel_error(full, truth)


@njit(fastmath=FASTMATH)
def ht_descent(W, woff, left, right, mode, nin, nout, dims, K, st_off, cls_off, ca, cb, y, step, iters, every, truth,
               norms, obs_err, full_err, rec_iter):
    """``iters`` gradient steps on an HT factorization, in place, recording every ``every`` steps.

    The observed multi-indices come grouped node by node: the *classes* of node ``v`` are the
    distinct sub-multi-indices over the modes under ``v`` (``K[v]`` of them; at a leaf of mode ``n``
    the ``I_n`` values of ``i_n``; at the root the observed entries, in the order of ``y``). Class
    ``c`` of an interior node is made of class ``ca[cls_off[v] + c]`` of its left child and
    ``cb[cls_off[v] + c]`` of its right child. ``phi_v`` and ``psi_v`` are computed once per class
    and shared by every entry of the class; the backward pass accumulates the children's gradients
    per class (reverse-mode differentiation on the shared values: the same gradient as entry by
    entry).

    Parameters
    ----------
    W : ndarray (sum_v nin_v nout_v,)
        Every node's weight matrix, row-major, node ``v`` from ``woff[v]``. Updated in place.
    woff, left, right, mode, nin, nout : int64 ndarray (nodes,)
        The tree in post-order (the root last): children (``-1`` at a leaf), the mode of a leaf,
        the matrix shapes.
    dims : int64 ndarray (N,)
    K, st_off, cls_off : int64 ndarray (nodes,)
        Classes per node, first state row of each node, first child-class entry of each node.
    ca, cb : int64 ndarray
        Child classes of every class of every interior node.
    y, step, iters, every, truth, norms, obs_err, full_err, rec_iter
        As in :func:`cp_descent`; ``norms`` has one column per local component (interior nodes in
        post-order, ``nin_v`` each).

    Returns
    -------
    (int, int)
        Updates done and the status.

    Notes
    -----
    ``O(sum_v K_v nin_v nout_v)`` per update; a record adds ``O(sum_v nin_v nout_v)`` and, with
    ``truth``, ``O(prod(dims) sum_v nin_v nout_v)``.
    """
    m = y.size
    n_nodes = left.size
    rmax = max(nin.max(), nout.max())
    rows = st_off[n_nodes - 1] + K[n_nodes - 1]
    phi = np.empty((rows, rmax))
    psi = np.empty((rows, rmax))
    gphi = np.empty((rows, rmax))
    kmax = K.max()
    buf_p = np.empty(kmax * rmax)  # per-node work arrays, reshaped (K_v, nin_v) / (K_v, nout_v) in place
    buf_g = np.empty(kmax * rmax)
    buf_o = np.empty(kmax * rmax)
    G = np.zeros_like(W)
    e = np.empty(m)
    full = np.empty(truth.size)
    yy = 0.0
    for j in range(m):
        yy += y[j] * y[j]
    if yy == 0.0:
        yy = 1.0
    c2 = 2.0 / m
    rec = 0
    root = n_nodes - 1
    for t in range(iters + 1):
        last = t == iters
        for v in range(n_nodes):
            base = woff[v]
            no = nout[v]
            s0 = st_off[v]
            if left[v] < 0:
                for c in range(K[v]):
                    for r in range(no):
                        phi[s0 + c, r] = W[base + c * no + r]
                continue
            sa = st_off[left[v]]
            sb = st_off[right[v]]
            ni = nin[v]
            kv = K[v]
            if no == 1:  # a scalar output (the root): one fused pass, no BLAS call
                for c in range(kv):
                    ia = sa + ca[cls_off[v] + c]
                    ib = sb + cb[cls_off[v] + c]
                    acc = 0.0
                    for q in range(ni):
                        p = phi[ia, q] * phi[ib, q]
                        psi[s0 + c, q] = p
                        acc += p * W[base + q]
                    phi[s0 + c, 0] = acc
                continue
            # psi_c = phi_a(c) (*) phi_b(c), written straight into psi when its rows have width nin_v
            P = psi[s0:s0 + kv] if ni == rmax else buf_p[:kv * ni].reshape(kv, ni)
            for c in range(kv):
                ia = sa + ca[cls_off[v] + c]
                ib = sb + cb[cls_off[v] + c]
                for q in range(ni):
                    P[c, q] = phi[ia, q] * phi[ib, q]
            if ni != rmax:
                for c in range(kv):
                    for q in range(ni):
                        psi[s0 + c, q] = P[c, q]
            Wv = W[base:base + ni * no].reshape(ni, no)
            if no == rmax:  # phi_v = psi_v W_v, one BLAS product into phi's rows
                np.dot(P, Wv, phi[s0:s0 + kv])
            else:
                out = buf_o[:kv * no].reshape(kv, no)
                np.dot(P, Wv, out)
                for c in range(kv):
                    for r in range(no):
                        phi[s0 + c, r] = out[c, r]
        sse = 0.0
        s0 = st_off[root]
        for j in range(m):
            d = phi[s0 + j, 0] - y[j]
            e[j] = d
            sse += d * d
        if not _finite(sse):
            return t, NOT_CONVERGED
        if last or t % every == 0:
            obs_err[rec] = np.sqrt(sse / yy)
            full_err[rec] = _ht_record(W, woff, left, right, mode, nin, nout, dims, truth, full, norms, rec)
            rec_iter[rec] = t
            rec += 1
        if last:
            break
        G[:] = 0.0
        gphi[:st_off[root]] = 0.0  # the root's rows are set below
        for j in range(m):
            gphi[s0 + j, 0] = c2 * e[j]
        for v in range(n_nodes - 1, -1, -1):
            base = woff[v]
            no = nout[v]
            s0 = st_off[v]
            if left[v] < 0:
                for c in range(K[v]):
                    for r in range(no):
                        G[base + c * no + r] += gphi[s0 + c, r]
                continue
            sa = st_off[left[v]]
            sb = st_off[right[v]]
            ni = nin[v]
            kv = K[v]
            if no == 1:  # a scalar output: G_v and the children's gradients in one fused pass
                acc = buf_g[:ni]
                wv = buf_o[:ni]
                for q in range(ni):
                    acc[q] = 0.0
                    wv[q] = W[base + q]
                for c in range(kv):
                    ia = sa + ca[cls_off[v] + c]
                    ib = sb + cb[cls_off[v] + c]
                    g = gphi[s0 + c, 0]
                    pr = psi[s0 + c]
                    pa = phi[ia]
                    pb = phi[ib]
                    ga = gphi[ia]
                    gb = gphi[ib]
                    for q in range(ni):
                        acc[q] += pr[q] * g
                        gs = wv[q] * g
                        ga[q] += gs * pb[q]
                        gb[q] += gs * pa[q]
                for q in range(ni):
                    G[base + q] = acc[q]
                continue
            if ni == rmax:
                P = psi[s0:s0 + kv]
            else:
                P = buf_p[:kv * ni].reshape(kv, ni)
                for c in range(kv):
                    for q in range(ni):
                        P[c, q] = psi[s0 + c, q]
            if no == rmax:
                Gp = gphi[s0:s0 + kv]
            else:
                Gp = buf_g[:kv * no].reshape(kv, no)
                for c in range(kv):
                    for r in range(no):
                        Gp[c, r] = gphi[s0 + c, r]
            Wv = W[base:base + ni * no].reshape(ni, no)
            np.dot(P.T, Gp, G[base:base + ni * no].reshape(ni, no))  # G_v = psi_v^T gphi_v over the classes
            GS = buf_o[:kv * ni].reshape(kv, ni)
            np.dot(Gp, Wv.T, GS)  # d loss / d psi_v
            for c in range(kv):
                ia = sa + ca[cls_off[v] + c]
                ib = sb + cb[cls_off[v] + c]
                for q in range(ni):
                    gs = GS[c, q]
                    gphi[ia, q] += gs * phi[ib, q]
                    gphi[ib, q] += gs * phi[ia, q]
        for q in range(W.size):
            W[q] -= step * G[q]
    return iters, OK
