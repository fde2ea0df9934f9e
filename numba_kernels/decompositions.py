"""Floating-point CP decompositions: Khatri-Rao, unfolding, MTTKRP, CP-ALS, Jennrich.

Tucker / TT (HOSVD, ST-HOSVD, TT-SVD) are in :mod:`numba_kernels.tucker`; whitening and the
symmetric tensor power method in :mod:`numba_kernels.moments`.

All kernels work on float64, C-contiguous arrays (inputs are converted once by the wrappers,
so every jitted kernel compiles for exactly one signature). The heavy lifting is BLAS
(:func:`numpy.matmul`, multi-threaded) called from the Python-level wrappers, except for the
fused MTTKRP kernel (:mod:`numba_kernels._mttkrp_fused`, jitted and run on a thread pool); the
other jitted (numba, ``cache=True``) inner loops only do the cheap batched reductions, the
Khatri-Rao products and the small power iterations. No kernel draws random numbers: random
initial factors, projection vectors and starting vectors are passed in.

Conventions
-----------
* **Unfolding** (as everywhere in tnverify, and as TensorLy's ``unfold``): the mode-``n``
  unfolding ``X_(n)`` has rows indexed by ``i_n`` and columns by the C-order multi-index of the
  remaining modes in increasing order (the last mode varies fastest). Kolda-Bader use the
  Fortran order instead; convert by reversing the order of the other modes.
* **Khatri-Rao** ``khatri_rao([A_1, ..., A_m])`` has row ``(i_1, ..., i_m)`` at the C-order
  position (the last matrix varies fastest), so that ``X_(n) = A_n diag(w) KR(A_k, k != n)^T``
  for ``X = [[w; A_0, ..., A_{N-1}]]`` (TensorLy's convention).
* **CP values** are ``(weights, factors)`` with ``factors[n]`` of shape ``(I_n, R)``;
  :func:`cp_als` returns unit-norm columns and the scales in ``weights``.
* **Status codes** (:mod:`numba_kernels._jit`): ``OK`` (0), ``NOT_CONVERGED`` (1),
  ``SINGULAR`` (2), ``BAD_INPUT`` (3); each function documents its meaning. Bad input never
  raises: array-only functions return an empty ``(0, 0)`` array instead.

References
----------
.. [1] T. G. Kolda, B. W. Bader, "Tensor decompositions and applications", SIAM Review 51(3),
   2009.
.. [2] A.-H. Phan, P. Tichavsky, A. Cichocki, "Fast alternating LS algorithms for high order
   CANDECOMP/PARAFAC tensor factorizations", IEEE Trans. Signal Process. 61(19), 2013.
.. [3] R. Bro, "Multi-way analysis in the food industry", PhD thesis, Univ. Amsterdam, 1998.
.. [4] S. E. Leurgans, R. T. Ross, R. B. Abel, "A decomposition for three-way arrays",
   SIAM J. Matrix Anal. Appl. 14(4), 1993.
"""
import numba
import numpy as np

from . import _mttkrp_fused
from ._jit import BAD_INPUT, NOT_CONVERGED, OK, SINGULAR, njit
from ._common import _EPS, _f64, _prod, _empty, _is_int

__all__ = [
    "khatri_rao",
    "unfold",
    "mttkrp",
    "cp_to_tensor",
    "cp_als",
    "jennrich",
]

#: Below this relative error the norm identity ||X||^2 - 2<X,Y> + ||Y||^2 loses too many digits
#: (its absolute error is ~ eps ||X||^2, i.e. ~1e-8 on the relative error): cp_als then
#: computes the residual explicitly.
_EXACT_ERROR_BELOW = 1e-5
#: Elements of one block of the explicit residual in cp_als (float64 scratch of 32 MB).
_RESID_BLOCK = 1 << 22
#: Elements (float64) of one block of the intermediate R x cols product in MTTKRP (2 MB): the
#: block is reduced while it is still in cache, and the scratch memory stays bounded.
_BLOCK_ELEMS = 1 << 18


# ----------------------------------------------------------------------------- jitted kernels


@njit
def _kr_pair(A, B):
    """out[i*J + j, r] = A[i, r] * B[j, r]  (A: I x R, B: J x R, C-contiguous float64)."""
    I, R = A.shape
    J = B.shape[0]
    out = np.empty((I * J, R))
    for i in range(I):
        for j in range(J):
            row = i * J + j
            for r in range(R):
                out[row, r] = A[i, r] * B[j, r]
    return out


@njit(fastmath=True)
def _reduce_trailing(Z, KRp, KRq):
    """out[i, r] = sum_{p, q} Z[p, i, q, r] KRp[p, r] KRq[q, r]   (Z: P x I x Q x R)."""
    P, I, Q, R = Z.shape
    out = np.zeros((I, R))
    w = np.empty((Q, R))
    for p in range(P):
        for q in range(Q):
            for r in range(R):
                w[q, r] = KRp[p, r] * KRq[q, r]
        for i in range(I):
            for q in range(Q):
                for r in range(R):
                    out[i, r] += Z[p, i, q, r] * w[q, r]
    return out


@njit(fastmath=True)
def _reduce_leading(Y, KRpT, KRqT, outT, p_off, i_off):
    """outT[r, i_off + i] += sum_{p, q} Y[r, p, i, q] KRpT[r, p_off + p] KRqT[r, q].

    Y: R x Pb x Ib x Q (a block of the leading-contraction product), accumulated in place.
    """
    R, Pb, Ib, Q = Y.shape
    if Q == 1:
        Y3 = Y.reshape(R, Pb, Ib)
        acc = np.empty(Ib)
        for r in range(R):
            acc[:] = 0.0
            for p in range(Pb):
                c = KRpT[r, p_off + p] * KRqT[r, 0]
                for i in range(Ib):
                    acc[i] += c * Y3[r, p, i]
            for i in range(Ib):
                outT[r, i_off + i] += acc[i]
    else:
        for r in range(R):
            for p in range(Pb):
                c = KRpT[r, p_off + p]
                for i in range(Ib):
                    s = 0.0
                    for q in range(Q):
                        s += Y[r, p, i, q] * KRqT[r, q]
                    outT[r, i_off + i] += c * s


# ----------------------------------------------------------------------------- small helpers


def _kr_list(mats, R):
    """Khatri-Rao of already-validated float64 C-contiguous matrices; ones((1, R)) if empty."""
    if len(mats) == 0:
        return np.ones((1, R))
    out = mats[0]
    for m in mats[1:]:
        out = _kr_pair(out, m)
    return out


def _hadamard_grams(grams, skip, R):
    V = np.ones((R, R))
    for k, G in enumerate(grams):
        if k != skip:
            V *= G
    return V


def _spd_solve_right(M, V):
    """U = M V^+ for a symmetric PSD V (R x R) via eigh; returns (U, singular)."""
    lam, Q = np.linalg.eigh(V)
    lmax = lam[-1] if lam.size else 0.0
    thresh = max(lmax, 0.0) * V.shape[0] * _EPS
    keep = lam > thresh
    singular = (not bool(np.all(keep))) or lmax <= 0.0
    inv = np.zeros_like(lam)
    inv[keep] = 1.0 / lam[keep]
    return (M @ Q) * inv @ Q.T, singular


def _normalise_columns(U):
    """Return (U / norms, norms); zero columns are left as they are (weight 0)."""
    norms = np.sqrt(np.einsum("ir,ir->r", U, U))
    safe = np.where(norms > 0.0, norms, 1.0)
    return np.ascontiguousarray(U / safe), norms


# ----------------------------------------------------------------------------- Khatri-Rao


def khatri_rao(mats):
    r"""Column-wise Kronecker (Khatri-Rao) product of any number of matrices.

    For ``A_k`` of shape ``(I_k, R)``, ``KR(A_1, ..., A_m)`` has shape ``(I_1 ... I_m, R)``
    and column ``r`` equal to ``kron(A_1[:, r], ..., A_m[:, r])``, i.e.

    .. math:: KR[(i_1, \dots, i_m), r] = \prod_k A_k[i_k, r],

    with the row multi-index in C order (the **last** matrix varies fastest), matching
    TensorLy's ``khatri_rao``. Computed by a jitted pairwise kernel, left to right.

    Parameters
    ----------
    mats : sequence of array_like
        Two-dimensional matrices with the same number of columns ``R``.

    Returns
    -------
    ndarray
        ``(prod I_k, R)`` float64, C-contiguous. An empty ``(0, 0)`` array if ``mats`` is empty,
        a matrix is not 2-D or the column counts differ (no exception).

    Notes
    -----
    Cost ``R * sum_{j<=m} prod_{k<=j} I_k`` multiplications (``~ R prod I_k``), memory the
    output. See [1]_.

    Examples
    --------
    >>> import numpy as np
    >>> A = np.arange(6.0).reshape(3, 2); B = np.arange(4.0).reshape(2, 2) + 1
    >>> K = khatri_rao([A, B])
    >>> bool(np.array_equal(K[:, 1], np.kron(A[:, 1], B[:, 1])))
    True
    """
    try:
        mats = [_f64(m) for m in mats]
    except (TypeError, ValueError):
        return _empty()
    if len(mats) == 0 or any(m.ndim != 2 for m in mats):
        return _empty()
    R = mats[0].shape[1]
    if any(m.shape[1] != R for m in mats):
        return _empty()
    if len(mats) == 1:
        return mats[0].copy()
    return _kr_list(mats, R)


def unfold(tensor, mode):
    """Mode-``mode`` unfolding ``X_(n)`` (rows ``i_n``, columns C-order over the other modes).

    Returns a float64 C-contiguous ``(I_n, prod_{k != n} I_k)`` copy, or an empty ``(0, 0)``
    array for a bad mode.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.arange(24.0).reshape(2, 3, 4)
    >>> bool(np.array_equal(unfold(X, 1)[:, 5], X[1, :, 1]))
    True
    """
    X = _f64(tensor)
    if not _is_int(mode) or not 0 <= mode < X.ndim:
        return _empty()
    return np.ascontiguousarray(np.moveaxis(X, mode, 0)).reshape(X.shape[mode], -1)


# ----------------------------------------------------------------------------- MTTKRP


def _check_cp(X, factors, skip=None):
    """Validate factors against X; return (list of float64 factors (None at skip), R) or None."""
    N = X.ndim
    if N < 1:
        return None
    try:
        factors = list(factors)
    except TypeError:
        return None
    if len(factors) != N:
        return None
    out = []
    R = None
    for k, F in enumerate(factors):
        if k == skip:
            out.append(None)
            continue
        try:
            F = _f64(F)
        except (TypeError, ValueError):
            return None
        if F.ndim != 2 or F.shape[0] != X.shape[k]:
            return None
        if R is None:
            R = F.shape[1]
        elif F.shape[1] != R:
            return None
        out.append(F)
    if R is None:
        return None
    return out, R


def _lead_reduce_blocked(Xm, W, P, In, Q, KRpT, KRqT):
    """outT (R, In) = reduction of Y = W^T Xm (W: Lp x R, Xm: Lp x (P In Q)) over p and q.

    Y is produced in column blocks of about ``_BLOCK_ELEMS / R`` columns (whole p-slices, or
    whole i-slices when P == 1) and reduced while it is still in cache.
    """
    R = W.shape[1]
    WT = np.ascontiguousarray(W.T)
    outT = np.zeros((R, In))
    cols = max(1, _BLOCK_ELEMS // R)
    if P > 1:
        inner = In * Q
        b = max(1, cols // inner)
        for o0 in range(0, P, b):
            o1 = min(P, o0 + b)
            Yc = WT @ Xm[:, o0 * inner:o1 * inner]
            _reduce_leading(Yc.reshape(R, o1 - o0, In, Q), KRpT, KRqT, outT, o0, 0)
    else:
        b = max(1, cols // Q)
        for o0 in range(0, In, b):
            o1 = min(In, o0 + b)
            Yc = WT @ Xm[:, o0 * Q:o1 * Q]
            _reduce_leading(Yc.reshape(R, 1, o1 - o0, Q), KRpT, KRqT, outT, 0, o0)
    return outT


def _mttkrp_fused_call(X, A, n, R):
    """MTTKRP by the fused kernel of :mod:`numba_kernels._mttkrp_fused`, or None.

    The rows run over the trailing modes ``s, ..., N-1`` with ``s > n`` as large as possible
    such that the row length ``T`` is at least ``MIN_ROW``. None when no such split exists (in
    particular for the last mode), when the trailing Khatri-Rao ``R x T`` has more than
    ``MAX_KR_ENTRIES`` entries, or when there are fewer than 4 rows.
    """
    shape = X.shape
    N = X.ndim
    s = next((c for c in range(N - 1, n, -1) if _prod(shape[c:]) >= _mttkrp_fused.MIN_ROW), None)
    if s is None:
        return None
    T = _prod(shape[s:])
    if R * T > _mttkrp_fused.MAX_KR_ENTRIES or X.size // T < 4:
        return None  # the trailing Khatri-Rao would not stay in cache, or too few rows to tile
    off = np.zeros(s, dtype=np.int64)
    mats, pos = [], 0
    for k in range(s):
        off[k] = pos
        if k != n:
            mats.append(A[k])
            pos += shape[k]
    F = np.ascontiguousarray(np.vstack(mats)) if mats else np.zeros((0, R))
    rshape = np.array(shape[:s], dtype=np.int64)
    X2 = X.reshape(X.size // T, T)
    CT = np.ascontiguousarray(_kr_list(A[s:], R).T)
    return _mttkrp_fused.run_rows(_mttkrp_fused.dot_rows, X2, (rshape, n, F, off, CT), (shape[n], R),
                                  numba.get_num_threads())


def _mttkrp(X, A, n, R, fused=True):
    """Validated MTTKRP (X float64 C-contiguous of order N >= 2; A[k] (I_k, R) for k != n).

    ``fused=False`` forces the BLAS formulation (for callers that alternate MTTKRPs with large
    multi-threaded GEMMs, see :func:`mttkrp`).
    """
    shape = X.shape
    N = X.ndim
    total = X.size
    if R == 0 or total == 0:
        return np.zeros((shape[n], R))
    M = _mttkrp_fused_call(X, A, n, R) if fused else None
    if M is not None:
        return M
    if n == 0:
        # Trailing contraction of the last q modes with the output transposed,
        # Y = KR(A_{N-q}..A_{N-1})^T X(I_0 * mid, T)^T of shape (R, I_0, mid), then a reduction
        # over the middle modes. q minimises T + total / T, ties -> smaller q (a long output
        # dimension makes the better GEMM). Done in row blocks of X so that Y stays in cache.
        best = None
        for q in range(1, N):
            T = _prod(shape[N - q:])
            cost = T + total // T
            if best is None or cost < best[0]:
                best = (cost, q)
        q = best[1]
        T = _prod(shape[N - q:])
        I0 = shape[0]
        mid = total // T // I0
        KRtT = np.ascontiguousarray(_kr_list(A[N - q:], R).T)
        KRmT = np.ascontiguousarray(_kr_list(A[1:N - q], R).T)
        ones = np.ones((R, 1))
        Xr = X.reshape(I0 * mid, T)
        outT = np.zeros((R, I0))
        b = max(1, (_BLOCK_ELEMS // R) // mid)
        for o0 in range(0, I0, b):
            o1 = min(I0, o0 + b)
            Yc = KRtT @ Xr[o0 * mid:o1 * mid].T
            _reduce_leading(Yc.reshape(R, 1, o1 - o0, mid), ones, KRmT, outT, 0, o0)
        return np.ascontiguousarray(outT.T)
    # Leading contraction of the first p <= n modes: Y = KR(A_0..A_{p-1})^T X(L_p, rest) has
    # shape (R, rest); the GEMM with the short inner dimension and the long output runs near
    # the memory bandwidth. p minimises L_p + total / L_p, ties -> smaller p.
    best = None
    for p in range(1, n + 1):
        Lp = _prod(shape[:p])
        cost = Lp + total // Lp
        if best is None or cost < best[0]:
            best = (cost, p)
    p = best[1]
    Lp = _prod(shape[:p])
    KRl = _kr_list(A[:p], R)
    P = _prod(shape[p:n])
    In = shape[n]
    Q = _prod(shape[n + 1:])
    KRpT = np.ascontiguousarray(_kr_list(A[p:n], R).T)
    KRqT = np.ascontiguousarray(_kr_list(A[n + 1:], R).T)
    outT = _lead_reduce_blocked(X.reshape(Lp, total // Lp), KRl, P, In, Q, KRpT, KRqT)
    return np.ascontiguousarray(outT.T)


def mttkrp(tensor, factors, mode):
    r"""Matricised tensor times Khatri-Rao product ``M = X_(n) KR(A_k, k != n)``.

    .. math:: M[i_n, r] = \sum_{i_k,\,k \ne n} X[i_0, \dots, i_{N-1}] \prod_{k \ne n} A_k[i_k, r]

    with the C-order unfolding and Khatri-Rao conventions of the module (this is TensorLy's
    ``unfolding_dot_khatri_rao`` with unit weights). The full Khatri-Rao of the other modes is
    never formed and the tensor is never permuted. Two formulations:

    * **fused** (``n < N - 1``, a trailing block of modes after ``n`` with ``T >= 64`` entries,
      ``R T <= 2**17`` and at least 4 rows): a jitted, multi-threaded kernel reads the tensor once as rows
      over those trailing modes, takes 4 x 4 blocks of dot products of rows with the columns of
      their Khatri-Rao and scatters them, weighted by the other factors, into ``M``
      (:mod:`numba_kernels._mttkrp_fused`).
    * **BLAS** (otherwise, in particular the last mode): the C-contiguous tensor is viewed as a
      matrix so that one contraction is a BLAS GEMM against a *partial* Khatri-Rao, and the
      remaining modes are reduced by a jitted kernel while the product is still in cache [2]_.
      For ``n >= 1``, ``Y = KR(A_0, ..., A_{p-1})^T X(I_0 ... I_{p-1}, rest)`` of shape
      ``(R, rest)`` (short inner dimension, long output: the fastest GEMM shape), then a
      reduction over the other modes of ``rest``, with ``1 <= p <= n`` minimising the scratch
      size; for ``n = 0``, ``Y = KR(A_{N-q}, ..., A_{N-1})^T X(I_0 mid, T)^T`` (the last ``q``
      modes, product ``T``) of shape ``(R, I_0, mid)``, then a reduction over the middle modes.

    Parameters
    ----------
    tensor : array_like
        Order ``N >= 2`` real tensor (converted once to float64 C order).
    factors : sequence of array_like
        ``N`` matrices ``(I_k, R)``; ``factors[mode]`` is ignored (it may be ``None``).
    mode : int
        ``0 <= mode < N``.

    Returns
    -------
    ndarray
        ``(I_mode, R)`` float64. An empty ``(0, 0)`` array for inconsistent input (no exception).

    Notes
    -----
    ``2 R prod(I_k)`` flops. Fused: extra memory ``O(R (T + threads I_n + threads tile))``
    (the trailing Khatri-Rao, one output and one tile of row weights per thread), plus ``O(s R)``
    work per row for the row weights (``s`` row modes). BLAS: ``O(R prod(I_k) / L)`` for
    the reduction, where ``L`` is the product of the dimensions contracted by BLAS; extra memory
    ``O(R (L + prod(I_k) / L))``, the second term in blocks of at most ``2**18`` entries.
    Measured on 2 AVX-512 cores (OpenBLAS DGEMM 87-110 GFLOP/s) on ``200^3, R = 20``: fused
    modes 0 and 1 ~66-68 GFLOP/s, BLAS last mode ~55 (``tnverify bench mttkrp-vs-dgemm``).
    Large multi-threaded BLAS calls leave OpenBLAS worker threads spinning for a while; a fused
    call right after one shares a core with them (measured 7.3 ms instead of 4.8 when each call
    follows a 200 x 200 GEMM), so :func:`cp_als`, which alternates the two, uses the BLAS
    formulation throughout.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((3, 4, 5)); F = [rng.standard_normal((s, 2)) for s in X.shape]
    >>> ref = unfold(X, 1) @ khatri_rao([F[0], F[2]])
    >>> bool(np.allclose(mttkrp(X, F, 1), ref))
    True
    """
    try:
        X = _f64(tensor)
    except (TypeError, ValueError):
        return _empty()
    if X.ndim < 2 or not _is_int(mode) or not 0 <= mode < X.ndim:
        return _empty()
    chk = _check_cp(X, factors, skip=mode)
    if chk is None:
        return _empty()
    A, R = chk
    return _mttkrp(X, A, int(mode), R)


# ----------------------------------------------------------------------------- CP


def cp_to_tensor(weights, factors):
    """Full tensor ``sum_r w_r a^0_r o ... o a^{N-1}_r`` of a CP value (one GEMM).

    Returns an empty ``(0, 0)`` array for inconsistent input.

    Examples
    --------
    >>> import numpy as np
    >>> T = cp_to_tensor(np.ones(1), [np.ones((2, 1)), np.arange(3.0)[:, None]])
    >>> T.tolist()
    [[0.0, 1.0, 2.0], [0.0, 1.0, 2.0]]
    """
    try:
        F = [_f64(f) for f in factors]
        w = _f64(weights).ravel()
    except (TypeError, ValueError):
        return _empty()
    if len(F) == 0 or any(f.ndim != 2 for f in F):
        return _empty()
    R = F[0].shape[1]
    if any(f.shape[1] != R for f in F) or w.size != R:
        return _empty()
    shape = tuple(f.shape[0] for f in F)
    if len(F) == 1:
        return F[0] @ w
    out = (F[0] * w) @ _kr_list(F[1:], R).T
    return np.ascontiguousarray(out).reshape(shape)


def _split_index(shape):
    """Dimension-tree split s (1 <= s < N): minimise L + P/L with L = prod shape[:s]."""
    N = len(shape)
    total = _prod(shape)
    best = None
    for s in range(1, N):
        L = _prod(shape[:s])
        cost = L + total // L
        if best is None or cost < best[0]:
            best = (cost, s)
    return best[1]


def _group_mttkrp_left(ZL, lshape, A, n, R):
    """MTTKRP for left-group mode n from ZL = X_mat @ KR(right factors), ZL: (prod lshape, R)."""
    P = _prod(lshape[:n])
    Q = _prod(lshape[n + 1:])
    if P == 1 and Q == 1:
        return ZL
    KRp = _kr_list(A[:n], R)
    KRq = _kr_list(A[n + 1:len(lshape)], R)
    return _reduce_trailing(ZL.reshape(P, lshape[n], Q, R), KRp, KRq)


def _group_mttkrp_right(ZR, rshape, A, s, n, R):
    """MTTKRP for right-group mode n from ZR = KR(left factors)^T @ X_mat, ZR: (R, prod rshape)."""
    j = n - s
    P = _prod(rshape[:j])
    Q = _prod(rshape[j + 1:])
    if P == 1 and Q == 1:
        return np.ascontiguousarray(ZR.T)
    KRpT = np.ascontiguousarray(_kr_list(A[s:n], R).T)
    KRqT = np.ascontiguousarray(_kr_list(A[n + 1:], R).T)
    outT = np.zeros((R, rshape[j]))
    _reduce_leading(ZR.reshape(R, P, rshape[j], Q), KRpT, KRqT, outT, 0, 0)
    return np.ascontiguousarray(outT.T)


def _cp_sq_error(normX2, M_last, U_last, V_last):
    """||X - Xhat||^2 from the last-mode MTTKRP (norm identity)."""
    iprod = float(np.vdot(M_last, U_last))
    nh2 = float(np.sum((U_last.T @ U_last) * V_last))
    return normX2 - 2.0 * iprod + nh2


def _cp_residual_sq(Xmat, s, w, A, R):
    """Explicit ||X - Xhat||^2, X viewed as (prod shape[:s], prod shape[s:]), in row blocks."""
    KL = _kr_list(A[:s], R) * w
    KRrT = np.ascontiguousarray(_kr_list(A[s:], R).T)
    rows, cols = Xmat.shape
    step = max(1, _RESID_BLOCK // max(cols, 1))
    total = 0.0
    for a in range(0, rows, step):
        D = Xmat[a:a + step] - KL[a:a + step] @ KRrT
        total += float(np.vdot(D, D))
    return total


def _cp_rel_error(normX2, Xmat, s, w, A, R, sq_estimate):
    """Relative error; the explicit residual replaces the identity when the fit is near exact."""
    normX = np.sqrt(normX2)
    est = np.sqrt(max(sq_estimate, 0.0)) / normX
    if est < _EXACT_ERROR_BELOW:
        return np.sqrt(_cp_residual_sq(Xmat, s, w, A, R)) / normX
    return est


def cp_als(tensor, init_factors, n_iter_max=100, tol=1e-8, linesearch=False):
    r"""CP decomposition by alternating least squares, any order ``N >= 2``.

    Fits ``X ~ [[w; A_0, ..., A_{N-1}]] = sum_r w_r a^0_r o ... o a^{N-1}_r`` with unit-norm
    columns. Mode ``n`` is updated by the normal equations of the linear least-squares problem

    .. math:: U_n = X_{(n)} KR(A_k, k \ne n) \, V_n^{+}, \qquad
              V_n = \mathop{\ast}_{k \ne n} A_k^T A_k,

    then ``w`` = column norms of ``U_n`` and ``A_n = U_n diag(w)^{-1}`` (Gauss-Seidel order
    ``0, ..., N-1``). ``V_n^+`` is applied through ``eigh`` (an ``R x R`` problem): eigenvalues
    below ``R eps lambda_max`` are dropped (minimum-norm step) and flagged.

    Speed: a *dimension tree* [2]_ splits the modes at ``s``; with ``X`` viewed as the matrix
    ``X_mat`` of shape ``(prod I_{<s}, prod I_{>=s})``, the two BLAS products
    ``Z_L = X_mat KR(A_s, ..., A_{N-1})`` and ``Z_R = KR(A_0, ..., A_{s-1})^T X_mat`` give the
    MTTKRPs of all left (resp. right) modes by cheap jitted reductions, so one sweep costs
    **two** GEMM passes of ``2 R prod(I_k)`` flops (plain ALS needs ``N``), plus ``O(N R^3)``
    (``Z_L`` is the mode-0 :func:`mttkrp` of ``X`` with the left modes merged; ``s`` minimises
    ``prod I_{<s} + prod I_{>=s}``). Measured on 2 cores: 1.6 ms per sweep for ``100^3, R = 10``
    and 16 ms for ``200^3, R = 20``, 0.26x and 0.29x TensorLy 0.10 ``parafac`` (numpy).
    The error uses the norm identity
    ``||X - Xhat||^2 = ||X||^2 - 2 <X, Xhat> + ||Xhat||^2`` with ``<X, Xhat>`` from the last
    MTTKRP (no reconstruction); when the relative error drops below ``1e-5`` (where the identity
    loses digits) the residual is computed explicitly (one more GEMM-sized pass).

    Line search (``linesearch=True``) follows Bro [3]_ as in TensorLy: every second iteration
    from the 6th on, the factors and weights are extrapolated along the last sweep,
    ``F + (it^(1/p)) (F - F_prev)``, and accepted if the error decreases; ``p`` starts at 2 and
    grows by 1 after 4 consecutive failures. The candidate's error costs one GEMM, which is
    reused by the next sweep when accepted.

    Parameters
    ----------
    tensor : array_like
        Real tensor of order ``N >= 2``.
    init_factors : sequence of array_like
        ``N`` initial factors ``(I_n, R)`` (for instance random): the only randomness.
    n_iter_max : int
        Maximum number of sweeps.
    tol : float
        Stop when ``|rel_error_prev - rel_error| < tol`` (``tol <= 0`` runs ``n_iter_max`` sweeps).
    linesearch : bool
        Bro's extrapolation.

    Returns
    -------
    weights : ndarray (R,)
    factors : list of ndarray (I_n, R), unit-norm columns (zero columns keep weight 0)
    n_iter : int
        Completed sweeps.
    rel_error : float
        ``||X - Xhat||_F / ||X||_F`` of the returned model (0 for a zero tensor).
    status : int
        ``OK`` converged; ``NOT_CONVERGED`` ``n_iter_max`` reached; ``SINGULAR`` the normal
        equations were numerically singular in the last sweep (rank-deficient factors, e.g. ``R``
        too large), or the iterates stopped being finite (the last finite model is returned);
        ``BAD_INPUT`` inconsistent shapes, ``N < 2``, ``R < 1``, an empty or non-finite
        tensor, ``n_iter_max < 0`` or a non-numeric ``tol`` (the initial factors are returned
        as given).

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> F = [rng.standard_normal((s, 2)) for s in (4, 5, 6)]
    >>> X = cp_to_tensor(np.ones(2), F)
    >>> init = [f + 0.1 * rng.standard_normal(f.shape) for f in F]
    >>> w, A, it, err, status = cp_als(X, init, n_iter_max=200, tol=1e-14)
    >>> bool(err < 1e-8), bool(np.allclose(cp_to_tensor(w, A), X))
    (True, True)
    """
    try:
        X = _f64(tensor)
    except (TypeError, ValueError):
        return np.zeros(0), [], 0, np.inf, BAD_INPUT
    chk = _check_cp(X, init_factors) if X.ndim >= 2 else None
    try:
        tol = float(tol)
    except (TypeError, ValueError):
        chk = None
    if (chk is None or chk[1] < 1 or not _is_int(n_iter_max) or n_iter_max < 0
            or X.size == 0 or not np.all(np.isfinite(X)) or np.isnan(tol)):
        try:
            factors = [np.array(f, dtype=np.float64) for f in init_factors]
        except (TypeError, ValueError):
            factors = []
        return np.zeros(0), factors, 0, np.inf, BAD_INPUT
    A, R = chk
    N = X.ndim
    shape = X.shape
    if not all(np.all(np.isfinite(f)) for f in A):
        return np.zeros(R), [f.copy() for f in A], 0, np.inf, BAD_INPUT
    w = np.ones(R)
    for k in range(N):
        A[k], nrm = _normalise_columns(A[k])
        w = w * nrm
    normX2 = float(np.dot(X.ravel(), X.ravel()))
    if normX2 == 0.0:
        return np.zeros(R), A, 0, 0.0, OK
    s = _split_index(shape)
    lshape, rshape = shape[:s], shape[s:]
    Lp, Rp = _prod(lshape), _prod(rshape)
    Xmat = X.reshape(Lp, Rp)
    Xl = X.reshape((Lp,) + rshape)  # left group merged: its mode-0 MTTKRP is Z_L
    grams = [f.T @ f for f in A]

    rel_prev = None
    rel = np.inf
    ZL_next = None
    acc_pow, acc_fail, max_fail = 2.0, 0, 4
    converged = False
    singular_last = False
    n_done = 0
    for it in range(n_iter_max):
        if linesearch and it % 2 == 0:
            A_last = [f.copy() for f in A]
            w_last = w.copy()
        backup = ([f.copy() for f in A], w.copy(), [g.copy() for g in grams])
        singular_last = False
        finite = True
        try:
            # left group: Z_L = X_mat KR(A_s..A_{N-1})
            if ZL_next is None:
                ZL = _mttkrp(Xl, [None] + A[s:], 0, R, fused=False)
            else:
                ZL = ZL_next
                ZL_next = None
            for n in range(s):
                M = _group_mttkrp_left(ZL, lshape, A, n, R)
                V = _hadamard_grams(grams, n, R)
                U, sing = _spd_solve_right(M, V)
                singular_last |= sing
                A[n], w = _normalise_columns(U)
                grams[n] = A[n].T @ A[n]
            # right group: Z_R = KR(A_0..A_{s-1})^T X_mat
            ZR = np.ascontiguousarray(_kr_list(A[:s], R).T @ Xmat)
            for n in range(s, N):
                M = _group_mttkrp_right(ZR, rshape, A, s, n, R)
                V = _hadamard_grams(grams, n, R)
                U, sing = _spd_solve_right(M, V)
                singular_last |= sing
                A[n], w = _normalise_columns(U)
                grams[n] = A[n].T @ A[n]
        except np.linalg.LinAlgError:  # eigh on a non-finite Gram matrix
            finite = False
        if not (finite and np.all(np.isfinite(w)) and all(np.all(np.isfinite(f)) for f in A)):
            A, w, grams = backup
            rel = _cp_rel_error(normX2, Xmat, s, w, A, R, -1.0) if rel_prev is None else rel_prev
            return w, A, n_done, float(rel), SINGULAR
        n_done = it + 1
        sq = _cp_sq_error(normX2, M, U, V)
        rel = _cp_rel_error(normX2, Xmat, s, w, A, R, sq)

        if linesearch and it % 2 == 0 and it > 5:
            jump = it ** (1.0 / acc_pow)
            cw = w_last + (w - w_last) * jump
            cA = []
            for k in range(N):
                f, nrm = _normalise_columns(A_last[k] + (A[k] - A_last[k]) * jump)
                cA.append(f)
                cw = cw * nrm
            if np.all(np.isfinite(cw)) and all(np.all(np.isfinite(f)) for f in cA):
                cgrams = [f.T @ f for f in cA]
                ZLc = _mttkrp(Xl, [None] + cA[s:], 0, R, fused=False)
                iprod = float(np.einsum("lr,lr,r->", ZLc, _kr_list(cA[:s], R), cw))
                Vall = _hadamard_grams(cgrams, -1, R)
                sq_c = normX2 - 2.0 * iprod + float(cw @ Vall @ cw)
                rel_c = _cp_rel_error(normX2, Xmat, s, cw, cA, R, sq_c)
                if rel_c < rel:
                    A, w, grams, rel = cA, cw, cgrams, rel_c
                    ZL_next = ZLc
                    acc_fail = 0
                else:
                    acc_fail += 1
            else:
                acc_fail += 1
            if acc_fail == max_fail:
                acc_pow += 1.0
                acc_fail = 0

        if rel_prev is not None and tol > 0 and abs(rel_prev - rel) < tol:
            converged = True
            break
        rel_prev = rel
    if n_done == 0:
        sq = normX2 - 2.0 * float(np.einsum("lr,lr,r->", _mttkrp(Xl, [None] + A[s:], 0, R, fused=False),
                                            _kr_list(A[:s], R), w))
        sq += float(w @ _hadamard_grams(grams, -1, R) @ w)
        rel = _cp_rel_error(normX2, Xmat, s, w, A, R, sq)
    if singular_last:
        status = SINGULAR
    elif converged:
        status = OK
    else:
        status = NOT_CONVERGED
    return w, A, n_done, float(rel), status


# ----------------------------------------------------------------------------- Jennrich


def jennrich(tensor3, z1, z2, rank):
    r"""Simultaneous diagonalisation (Jennrich; Leurgans-Ross-Abel [4]_) of a 3-way tensor.

    For ``T = sum_{r<R} a_r o b_r o c_r`` with ``A`` (I x R) and ``B`` (J x R) of full column
    rank and ``R <= min(I, J)``, the slices ``T(z) = sum_k z_k T[:, :, k] = A diag(C^T z) B^T``
    satisfy ``T(z1) T(z2)^+ = A D A^+`` with ``D = diag(C^T z1 / C^T z2)``: its eigenvectors
    for the nonzero eigenvalues are the columns of ``A``, which is unique (up to permutation
    and scale) when the ratios are distinct, true for generic ``z1, z2``.

    Algorithm: ``U`` (I x R) and ``V`` (J x R) = leading singular vectors of
    ``[T(z1), T(z2)]`` and ``[T(z1); T(z2)]`` (the column / row spaces of ``A`` / ``B``);
    ``S_i = U^T T(z_i) V`` (R x R); eigenvectors ``W`` of ``S_1 S_2^{-1}``, ``A = U W``;
    the rows of ``W^{-1} S_i = diag(C^T z_i) (V^T B)^T`` give ``B`` (from the slice with the
    larger row); ``C`` by least squares, ``C^T = ((A^T A) * (B^T B))^{-1} KR(A, B)^T X_mat``
    (one MTTKRP). ``A`` and ``B`` have unit columns; the scales are in ``C``.

    Parameters
    ----------
    tensor3 : array_like (I, J, K)
    z1, z2 : array_like (K,)
        Random contraction vectors (passed in: no RNG inside).
    rank : int
        ``R``, the number of components (must be known).

    Returns
    -------
    A : ndarray (I, R)
    B : ndarray (J, R)
    C : ndarray (K, R)
        ``T ~ sum_r A[:, r] o B[:, r] o C[:, r]``; columns in the eigenvalue order of ``eig``.
    status : int
        ``OK``; ``SINGULAR`` when ``R > min(I, J)`` (zero factors returned), when
        ``U^T T(z2) V`` is numerically singular (``R`` exceeds the rank of the slices, or
        ``C^T z2`` has a zero), or when ``eig`` returns complex eigenvalues (ratios not
        numerically distinct: the decomposition is not identifiable from these slices; each
        conjugate pair contributes the real and imaginary parts of its eigenvector, and ``C``
        is still the least-squares fit, but the model is unreliable; zero factors if the
        eigenvector matrix is exactly singular); ``NOT_CONVERGED`` if LAPACK did not converge;
        ``BAD_INPUT`` for a non 3-way tensor, wrong ``z`` length, ``rank < 1`` or non-finite
        data.

    Notes
    -----
    Cost: two GEMVs ``O(IJK)`` for the slices, SVDs and an eigenproblem ``O((I + J) R^2 + R^3)``,
    and one MTTKRP ``2 IJK R`` flops for ``C``.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> F = [rng.standard_normal((s, 3)) for s in (4, 5, 6)]
    >>> T = cp_to_tensor(np.ones(3), F)
    >>> A, B, C, status = jennrich(T, rng.standard_normal(6), rng.standard_normal(6), 3)
    >>> status, bool(np.allclose(cp_to_tensor(np.ones(3), [A, B, C]), T))
    (0, True)
    """
    try:
        X = _f64(tensor3)
        z1 = _f64(z1).ravel()
        z2 = _f64(z2).ravel()
    except (TypeError, ValueError):
        return _empty(), _empty(), _empty(), BAD_INPUT
    if X.ndim != 3 or not _is_int(rank) or rank < 1:
        return _empty(), _empty(), _empty(), BAD_INPUT
    I, J, K = X.shape
    R = int(rank)
    zeros = (np.zeros((I, R)), np.zeros((J, R)), np.zeros((K, R)))
    if z1.size != K or z2.size != K or not (np.all(np.isfinite(X)) and np.all(np.isfinite(z1))
                                             and np.all(np.isfinite(z2))):
        return zeros + (BAD_INPUT,)
    if R > min(I, J):
        return zeros + (SINGULAR,)
    try:
        return _jennrich(X, z1, z2, R, zeros)
    except np.linalg.LinAlgError:  # LAPACK did not converge
        return zeros + (NOT_CONVERGED,)


def _jennrich(X, z1, z2, R, zeros):
    I, J, K = X.shape
    Xm = X.reshape(I * J, K)
    T1 = (Xm @ z1).reshape(I, J)
    T2 = (Xm @ z2).reshape(I, J)
    U = np.linalg.svd(np.hstack([T1, T2]), full_matrices=False)[0][:, :R]
    V = np.linalg.svd(np.vstack([T1, T2]), full_matrices=False)[2][:R].T
    S1 = U.T @ T1 @ V
    S2 = U.T @ T2 @ V
    sv = np.linalg.svd(S2, compute_uv=False)
    if not sv[0] > 0.0 or sv[-1] <= sv[0] * R * _EPS * 16:
        return zeros + (SINGULAR,)
    status = OK
    M = np.linalg.solve(S2.T, S1.T).T  # S1 S2^{-1}
    evals, W = np.linalg.eig(M)
    if np.iscomplexobj(evals) or np.iscomplexobj(W):
        # eig returns conjugate pairs (lambda, conj(lambda)) as consecutive columns (w, conj(w)):
        # replace them by the real basis (Re w, Im w) of the invariant plane.
        Wr = np.array(W.real)
        im = np.asarray(evals).imag
        j = 0
        while j < R:
            if im[j] != 0.0 and j + 1 < R:
                Wr[:, j + 1] = W[:, j].imag
                status = SINGULAR
                j += 2
            else:
                if im[j] != 0.0:
                    status = SINGULAR
                j += 1
        W = Wr
    A, _ = _normalise_columns(U @ W)
    try:
        Winv_S1 = np.linalg.solve(W, S1)
        Winv_S2 = np.linalg.solve(W, S2)
    except np.linalg.LinAlgError:  # defective eigenbasis (repeated eigenvalues)
        return zeros + (SINGULAR,)
    n1 = np.einsum("rj,rj->r", Winv_S1, Winv_S1)
    n2 = np.einsum("rj,rj->r", Winv_S2, Winv_S2)
    Bt = np.where((n1 > n2)[:, None], Winv_S1, Winv_S2)  # rows ~ b~_r^T
    B, _ = _normalise_columns(V @ Bt.T)
    # C^T = G^{-1} KR(A, B)^T X_mat   (the mode-2 MTTKRP, leading GEMM)
    Mc = _mttkrp(X, [A, B, None], 2, R)
    G = (A.T @ A) * (B.T @ B)
    C, sing = _spd_solve_right(Mc, G)
    if sing:
        status = SINGULAR
    if not (np.all(np.isfinite(A)) and np.all(np.isfinite(B)) and np.all(np.isfinite(C))):
        return zeros + (SINGULAR,)
    return A, B, np.ascontiguousarray(C), status
