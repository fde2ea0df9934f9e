r"""Tensor completion by gradient descent on a CP or a hierarchical (HT) factorization.

The setting of Razin, Maman and Cohen [1]_ [2]_: the entries of a tensor ``Y`` are observed on a
set ``Omega`` (the ``mask``), and plain gradient descent minimises

.. math:: L(\theta) = \frac{1}{|\Omega|} \sum_{i \in \Omega} \big(W_i(\theta) - Y_i\big)^2

over the parameters ``theta`` of a factorization ``W(theta)`` from a small random start. The papers
show that the components are then learned one at a time, so the learned tensor has low tensor
rank (CP) or low hierarchical tensor rank (HT). This module runs that descent and records, at
each recorded step, the norm of every component and the reconstruction error; what the run means
and the rank statements made from it are in :mod:`tnverify.theory.implicit_bias` and
docs/implicit_bias.md.

Models (conventions as in :mod:`numba_kernels.implicit_bias`, which holds the jitted loops):

* **CP** with ``R`` components: ``W = sum_r F_0[:, r] (x) ... (x) F_{N-1}[:, r]``. The norm of
  component ``r`` is ``||F_0[:, r] (x) ... (x) F_{N-1}[:, r]|| = prod_k ||F_k[:, r]||``.
* **HT** on a binary tree over the modes with width ``R`` at every interior node: a leaf of mode
  ``n`` holds ``W_leaf`` (``I_n x R``), an interior node ``v`` other than the root holds ``W_v``
  (``R x R``), the root holds ``W_root`` (``R x 1``), and
  ``W[i] = phi_root(i)[0]`` with ``phi_leaf(i) = W_leaf[i_n, :]``,
  ``phi_v(i) = (phi_left(i) * phi_right(i)) W_v``. The local component ``s`` of an interior node
  ``v`` is (row ``s`` of ``W_v``; column ``s`` of each child's matrix), and its norm is the product
  of the three Euclidean norms (the local components of [2]_). The matricization of ``W`` with
  respect to either child of ``v`` has rank at most the number of nonzero local components of ``v``.

Initialization: every parameter entry is drawn i.i.d. from ``N(0, init_scale^2)`` by
``numpy.random.default_rng(seed)`` (CP: factor 0, 1, ...; HT: nodes in post-order). Two engines
run the same algorithm: ``numba`` (the jitted loops, ``O(|Omega| N R)`` per CP step) and
``numpy`` (the same steps vectorised with numpy: the baseline of ``tnverify bench implicit``).

References
----------
.. [1] N. Razin, A. Maman, N. Cohen, "Implicit regularization in tensor factorization", ICML 2021.
.. [2] N. Razin, A. Maman, N. Cohen, "Implicit regularization in hierarchical tensor factorization
   and deep convolutional neural networks", ICML 2022.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np

from numba_kernels.implicit_bias import cp_descent, cp_full, ht_descent, ht_full

from tnverify import budget
from tnverify.errors import InputError, ShapeError
from tnverify.numeric._validate import as_float_tensor, check_count, check_rank

__all__ = ["HTTree", "CompletionResult", "balanced_tree", "complete", "completion_cost", "cp_gradient",
           "ht_gradient", "MODELS", "ENGINES"]

#: The factorizations.
MODELS = ("cp", "ht")
#: The engines: the jitted loops, and the same algorithm in vectorised numpy.
ENGINES = ("numba", "numpy")


# ------------------------------------------------------------------ the tree of an HT factorization
def balanced_tree(order: int):
    """The balanced binary tree over the modes ``0..order-1`` as a nesting (the left half takes the extra mode).

    >>> balanced_tree(3), balanced_tree(4)
    (((0, 1), 2), ((0, 1), (2, 3)))
    """
    def split(modes):
        if len(modes) == 1:
            return modes[0]
        h = (len(modes) + 1) // 2
        return (split(modes[:h]), split(modes[h:]))

    if order < 2:
        raise ShapeError(f"expected a tensor of order >= 2 for a hierarchical factorization, got order {order}")
    return split(list(range(order)))


@dataclass
class HTTree:
    """A binary tree over the modes in post-order (children before parents, the root last).

    Attributes
    ----------
    left, right : int64 ndarray (nodes,)
        Children of each node, ``-1`` at a leaf.
    mode : int64 ndarray (nodes,)
        The mode of a leaf (``-1`` at an interior node).
    nin, nout : int64 ndarray (nodes,)
        The shape of each node's weight matrix (see the module docstring).
    woff : int64 ndarray (nodes,)
        Offset of each node's matrix in the flat parameter vector (row-major).
    modes : list of tuple
        The modes under each node.
    size : int
        Number of parameters.
    """

    left: np.ndarray
    right: np.ndarray
    mode: np.ndarray
    nin: np.ndarray
    nout: np.ndarray
    woff: np.ndarray
    modes: list
    size: int

    @classmethod
    def build(cls, nesting, dims, width: int) -> "HTTree":
        """The tree of ``nesting`` (nested pairs of modes) for the dimensions ``dims`` and width ``width``."""
        N = len(dims)
        left, right, mode, nin, modes = [], [], [], [], []

        def visit(node) -> int:
            if isinstance(node, (tuple, list)):
                if len(node) != 2:
                    raise ShapeError(f"expected a binary tree (pairs), got a node with {len(node)} children")
                a, b = visit(node[0]), visit(node[1])
                left.append(a), right.append(b), mode.append(-1), nin.append(width)
                modes.append(modes[a] + modes[b])
            else:
                if isinstance(node, bool) or not isinstance(node, (int, np.integer)) or not 0 <= node < N:
                    raise ShapeError(f"expected tree leaves in 0..{N - 1}, got {node!r}")
                left.append(-1), right.append(-1), mode.append(int(node)), nin.append(int(dims[node]))
                modes.append((int(node),))
            return len(left) - 1

        visit(nesting)
        if sorted(m for t in modes if len(t) == 1 for m in t) != list(range(N)) or len(modes[-1]) != N:
            raise ShapeError(f"expected a tree whose leaves are the modes 0..{N - 1} once each, got {nesting!r}")
        n = len(left)
        nout = [1] * n
        for v in range(n):
            if left[v] >= 0:
                nout[left[v]] = nout[right[v]] = width
        sizes = [i * o for i, o in zip(nin, nout)]
        woff = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64)
        arr = lambda x: np.ascontiguousarray(x, dtype=np.int64)  # noqa: E731
        return cls(arr(left), arr(right), arr(mode), arr(nin), arr(nout), woff, modes, int(sum(sizes)))

    @property
    def interior(self) -> list[int]:
        """The interior nodes, in post-order (the root last)."""
        return [v for v in range(self.left.size) if self.left[v] >= 0]

    def matrices(self, flat: np.ndarray) -> list[np.ndarray]:
        """The weight matrix of every node (views into ``flat``)."""
        return [flat[o:o + i * n].reshape(i, n) for o, i, n in zip(self.woff, self.nin, self.nout)]


# ------------------------------------------------------------------ result
@dataclass
class CompletionResult:
    """A gradient-descent run and its records.

    Attributes
    ----------
    model : str
        ``cp`` or ``ht``.
    shape : tuple of int
    components : int
        ``R``: CP components, or the HT width at every interior node.
    params : list of ndarray
        CP: the factors ``F_k`` (``I_k x R``); HT: every node's matrix (post-order).
    tree : HTTree or None
    labels : list of str
        One per recorded norm: ``r<k>`` (CP), ``<modes of v>:s<k>`` (HT local components).
    iterations : int64 ndarray (records,)
        Updates done at each record (0 = the start; the last is the final point).
    norms : ndarray (records, components)
    observed_error, full_error : ndarray (records,)
        ``||P_Omega(W - Y)|| / ||P_Omega Y||`` and ``||W - T|| / ||T||`` (NaN without ``truth``).
    status : str
        ``finished``, or ``diverged`` when the loss stopped being finite (records stop there).
    updates, seed, init_scale, step, engine, seconds
        The run.
    """

    model: str
    shape: tuple
    components: int
    params: list
    tree: HTTree | None
    labels: list
    iterations: np.ndarray
    norms: np.ndarray
    observed_error: np.ndarray
    full_error: np.ndarray
    status: str
    updates: int
    seed: int
    init_scale: float
    step: float
    engine: str
    seconds: float = 0.0

    def tensor(self) -> np.ndarray:
        """The learned tensor ``W`` (float64, C order)."""
        dims = np.asarray(self.shape, dtype=np.int64)
        out = np.empty(int(np.prod(dims)))
        if self.model == "cp":
            F = np.ascontiguousarray(np.vstack(self.params))
            cp_full(F, _offsets(self.shape), dims, out)
            return out.reshape(self.shape)
        t = self.tree
        ht_full(np.concatenate([p.ravel() for p in self.params]), t.woff, t.left, t.right, t.mode, t.nin, t.nout,
                dims, out)
        order = t.modes[-1]
        return np.transpose(out.reshape([self.shape[k] for k in order]), np.argsort(order))


def _offsets(shape) -> np.ndarray:
    return np.concatenate([[0], np.cumsum(shape)[:-1]]).astype(np.int64)


# ------------------------------------------------------------------ cost
def completion_cost(shape, observed: int, model: str, components: int, iterations: int,
                    records: int) -> tuple[float, float]:
    """``(bytes, operations)`` of :func:`complete`, from the sizes alone (floats, upper estimates).

    Work: ``4 |Omega| c`` per update and ``size c`` per record, with ``c = N R`` (CP) or
    ``sum_v nin_v nout_v`` (HT); memory: the truth and the learned tensor (``2 size`` floats),
    the records and the parameters. The numpy engine holds ``|Omega| x R`` arrays besides.
    """
    size = budget.product(shape)
    N = len(shape)
    R = float(components)
    per = N * R if model == "cp" else (sum(shape) * R + max(N - 2, 0) * R * R + R)
    labels = R if model == "cp" else (N - 1) * R
    memory = 8 * (2 * size + records * (labels + 3) + per + observed * (N + 2 + 2 * N * R) + sum(shape) * observed)
    work = 4.0 * observed * per * iterations + size * per * records
    return memory, work


# ------------------------------------------------------------------ validation
def _positive_real(x, what: str) -> float:
    if isinstance(x, bool) or not isinstance(x, (int, float, np.integer, np.floating)) or not math.isfinite(x) \
            or x <= 0:
        raise InputError(f"expected {what} > 0 (a finite number), got {x!r}")
    return float(x)


def _observations(observed, mask):
    Y = as_float_tensor(observed, name="observed tensor")
    M = np.asarray(mask)
    if M.shape != Y.shape:
        raise ShapeError(f"expected a mask of the observed tensor's shape {Y.shape}, got {M.shape}")
    if M.dtype != bool:
        if not np.all((M == 0) | (M == 1)):
            raise InputError("expected a mask of booleans or 0/1 entries (1 = observed)")
        M = M.astype(bool)
    idx = np.ascontiguousarray(np.argwhere(M), dtype=np.int64)
    if idx.shape[0] == 0:
        raise InputError("expected at least one observed entry, got an empty mask")
    return Y, idx, np.ascontiguousarray(Y[M], dtype=np.float64)


# ------------------------------------------------------------------ gradients (numpy reference)
def cp_gradient(factors, idx, y) -> tuple[float, list]:
    """Loss ``(1/m) sum_j (W_{i_j} - y_j)^2`` of CP ``factors`` and its gradient (numpy).

    ``idx`` (``m x N``, int) are the observed multi-indices, ``y`` (``m``) the values. The gradient
    with respect to ``F_k`` is ``(2/m) sum_j e_j e_{i_{j,k}} prod_{l != k} F_l[i_{j,l}, :]``,
    formed from prefix and suffix products; ``O(m N R)``.
    """
    m, N = idx.shape
    P = [F[idx[:, k]] for k, F in enumerate(factors)]
    pre = [np.ones_like(P[0])]
    for k in range(N):
        pre.append(pre[-1] * P[k])
    e = pre[N].sum(axis=1) - y
    c = (2.0 / m) * e
    grads = [None] * N
    suf = c[:, None] * np.ones_like(P[0])
    for k in range(N - 1, -1, -1):
        G = np.zeros_like(factors[k])
        np.add.at(G, idx[:, k], pre[k] * suf)
        grads[k] = G
        suf = suf * P[k]
    return float(e @ e / m), grads


def ht_gradient(mats, tree: HTTree, idx, y) -> tuple[float, list]:
    """Loss and gradient of an HT factorization (numpy): a forward and a backward pass over the tree.

    ``mats`` are the node matrices in post-order (:meth:`HTTree.matrices`); ``O(m sum_v nin_v nout_v)``.
    """
    m = idx.shape[0]
    n = tree.left.size
    phi, psi = [None] * n, [None] * n
    for v in range(n):
        if tree.left[v] < 0:
            phi[v] = mats[v][idx[:, tree.mode[v]]]
        else:
            psi[v] = phi[tree.left[v]] * phi[tree.right[v]]
            phi[v] = psi[v] @ mats[v]
    e = phi[n - 1][:, 0] - y
    gphi = [None] * n
    gphi[n - 1] = (2.0 / m) * e[:, None]
    grads = [None] * n
    for v in range(n - 1, -1, -1):
        if tree.left[v] < 0:
            G = np.zeros_like(mats[v])
            np.add.at(G, idx[:, tree.mode[v]], gphi[v])
            grads[v] = G
        else:
            grads[v] = psi[v].T @ gphi[v]
            gpsi = gphi[v] @ mats[v].T
            a, b = tree.left[v], tree.right[v]
            gphi[a], gphi[b] = gpsi * phi[b], gpsi * phi[a]
    return float(e @ e / m), grads


# ------------------------------------------------------------------ numpy engine
def _numpy_run(model, params, tree, shape, idx, y, step, iterations, every, truth):
    """The same descent as the jitted loops, vectorised with numpy (scatter by one-hot products)."""
    m, N = idx.shape
    onehot = [np.eye(shape[k])[idx[:, k]] for k in range(N)]
    yy = float(y @ y) or 1.0
    recs_it, recs_n, recs_o, recs_f = [], [], [], []
    tnorm = float(np.linalg.norm(truth)) if truth is not None else 0.0
    for t in range(iterations + 1):
        last = t == iterations
        if model == "cp":
            P = [F[idx[:, k]] for k, F in enumerate(params)]
            pre = [np.ones((m, params[0].shape[1]))]
            for k in range(N):
                pre.append(pre[-1] * P[k])
            e = pre[N].sum(axis=1) - y
        else:
            n = tree.left.size
            phi, psi = [None] * n, [None] * n
            for v in range(n):
                if tree.left[v] < 0:
                    phi[v] = params[v][idx[:, tree.mode[v]]]
                else:
                    psi[v] = phi[tree.left[v]] * phi[tree.right[v]]
                    phi[v] = psi[v] @ params[v]
            e = phi[n - 1][:, 0] - y
        sse = float(e @ e)
        if not math.isfinite(sse):
            return t, "diverged", recs_it, recs_n, recs_o, recs_f
        if last or t % every == 0:
            recs_it.append(t)
            recs_o.append(math.sqrt(sse / yy))
            if model == "cp":
                recs_n.append(np.prod([np.linalg.norm(F, axis=0) for F in params], axis=0))
            else:
                recs_n.append(_ht_local_norms(params, tree))
            if truth is None:
                recs_f.append(math.nan)
            else:
                W = _numpy_tensor(model, params, tree, shape)
                d = float(np.linalg.norm(W - truth))
                recs_f.append(d / tnorm if tnorm > 0 else d)
        if last:
            break
        c = (2.0 / m) * e
        if model == "cp":
            suf = c[:, None] * np.ones_like(P[0])
            grads = [None] * N
            for k in range(N - 1, -1, -1):
                grads[k] = onehot[k].T @ (pre[k] * suf)
                suf = suf * P[k]
        else:
            gphi = [None] * n
            gphi[n - 1] = c[:, None]
            grads = [None] * n
            for v in range(n - 1, -1, -1):
                if tree.left[v] < 0:
                    grads[v] = onehot[tree.mode[v]].T @ gphi[v]
                else:
                    grads[v] = psi[v].T @ gphi[v]
                    gpsi = gphi[v] @ params[v].T
                    a, b = tree.left[v], tree.right[v]
                    gphi[a], gphi[b] = gpsi * phi[b], gpsi * phi[a]
        for P_, G in zip(params, grads):
            P_ -= step * G
    return iterations, "finished", recs_it, recs_n, recs_o, recs_f


def _ht_local_norms(mats, tree: HTTree) -> np.ndarray:
    out = []
    for v in tree.interior:
        a, b = tree.left[v], tree.right[v]
        out.append(np.linalg.norm(mats[v], axis=1) * np.linalg.norm(mats[a], axis=0) * np.linalg.norm(mats[b], axis=0))
    return np.concatenate(out)


def _numpy_tensor(model, params, tree, shape) -> np.ndarray:
    if model == "cp":
        W = params[0]
        for F in params[1:]:
            W = (W[:, None, :] * F[None, :, :]).reshape(-1, F.shape[1])
        return W.sum(axis=1).reshape(shape)
    n = tree.left.size
    phi = [None] * n
    for v in range(n):
        if tree.left[v] < 0:
            phi[v] = params[v]
        else:
            A, B = phi[tree.left[v]], phi[tree.right[v]]
            phi[v] = (A[:, None, :] * B[None, :, :]).reshape(-1, A.shape[1]) @ params[v]
    order = tree.modes[n - 1]
    W = phi[n - 1][:, 0].reshape([shape[k] for k in order])
    return np.transpose(W, np.argsort(order))


# ------------------------------------------------------------------ shared sub-indices (numba engine)
def _prefix_trie(idx: np.ndarray, off: np.ndarray):
    """The trie of the prefixes of the observed multi-indices (``idx`` sorted in C order).

    Returns ``(row, parent, level_off)`` as :func:`numba_kernels.implicit_bias.cp_descent` takes
    them: level ``k`` holds the distinct prefixes ``(i_0, ..., i_k)`` in order, the last level the
    entries themselves (in the order of ``idx``).
    """
    m, N = idx.shape
    rows, parents, level_off = [], [], [0]
    diff = np.zeros(m, dtype=bool)
    prev = None
    for k in range(N):
        diff = diff | np.r_[True, idx[1:, k] != idx[:-1, k]]
        ids = np.cumsum(diff) - 1
        firsts = np.flatnonzero(diff)
        rows.append(off[k] + idx[firsts, k])
        parents.append(np.full(firsts.size, -1) if k == 0 else level_off[k - 1] + prev[firsts])
        level_off.append(level_off[-1] + firsts.size)
        prev = ids
    as64 = lambda x: np.ascontiguousarray(np.concatenate(x), dtype=np.int64)  # noqa: E731
    return as64(rows), as64(parents), np.asarray(level_off, dtype=np.int64)


def _classes(tree: HTTree, idx: np.ndarray, shape):
    """Per node, the distinct sub-multi-indices of the observed entries (:func:`ht_descent`'s classes).

    Returns ``(K, st_off, cls_off, ca, cb)``: a leaf's classes are the values of its mode, the
    root's the observed entries in order, another node's the distinct rows of ``idx`` over its modes.
    """
    m = idx.shape[0]
    n = tree.left.size
    cls, K = [None] * n, np.zeros(n, dtype=np.int64)
    ca, cb, cls_off = [], [], np.zeros(n, dtype=np.int64)
    count = 0
    for v in range(n):
        if tree.left[v] < 0:
            cls[v], K[v] = idx[:, tree.mode[v]], shape[tree.mode[v]]
            continue
        if v == n - 1:
            cls[v] = np.arange(m)
        else:
            _, cls[v] = np.unique(idx[:, list(tree.modes[v])], axis=0, return_inverse=True)
            cls[v] = cls[v].ravel()
        _, firsts = np.unique(cls[v], return_index=True)
        K[v] = firsts.size
        ca.append(cls[tree.left[v]][firsts])
        cb.append(cls[tree.right[v]][firsts])
        cls_off[v] = count
        count += firsts.size
    st_off = np.concatenate([[0], np.cumsum(K)[:-1]]).astype(np.int64)
    as64 = lambda x: np.ascontiguousarray(np.concatenate(x), dtype=np.int64)  # noqa: E731
    return K, st_off, cls_off, as64(ca), as64(cb)


# ------------------------------------------------------------------ driver
def complete(observed, mask, *, model: str = "cp", components: int, init_scale: float, step: float,
             iterations: int, seed: int = 0, truth=None, tree=None, record_every: int = 1,
             engine: str = "numba") -> CompletionResult:
    """Tensor completion by gradient descent on a CP or HT factorization from a random start.

    Parameters
    ----------
    observed : array_like (order N >= 2)
        The tensor ``Y``; only the entries under ``mask`` are read.
    mask : array_like of bool or 0/1, same shape
        The observed entries ``Omega`` (at least one).
    model : {"cp", "ht"}
    components : int
        ``R``: CP components, or the HT width at every interior node.
    init_scale : float > 0
        Standard deviation of every initial parameter entry.
    step : float > 0
        The step size ``eta``.
    iterations : int >= 0
        Number of gradient steps.
    seed : int
        Seed of the initialization (``numpy.random.default_rng``).
    truth : array_like, optional
        The full tensor the observations came from, for the error on every entry.
    tree : nesting, optional
        HT only: nested pairs of modes, e.g. ``((0, 1), 2)`` (default :func:`balanced_tree`).
    record_every : int >= 1
        Record the norms and errors before every ``record_every``-th step and after the last.
    engine : {"numba", "numpy"}

    Returns
    -------
    CompletionResult

    Raises
    ------
    InputError, ShapeError
        Bad values, shapes or a tree that is not a binary tree over the modes.
    BudgetError
        When :func:`completion_cost` exceeds the budget (:mod:`tnverify.budget`).

    Notes
    -----
    Loss and step in the module docstring; cost :func:`completion_cost`. A step that makes the
    loss overflow ends the run with status ``diverged`` (the records stop there).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> T = np.einsum("i,j,k->ijk", *rng.standard_normal((3, 4)))
    >>> res = complete(T, rng.random(T.shape) < 0.6, components=3, init_scale=0.1, step=0.1,
    ...                iterations=2000, truth=T, record_every=500)
    >>> res.status, res.iterations.tolist(), bool(res.full_error[-1] < res.full_error[0])
    ('finished', [0, 500, 1000, 1500, 2000], True)
    """
    if model not in MODELS:
        raise InputError(f"expected a model in {', '.join(MODELS)}, got {model!r}")
    if engine not in ENGINES:
        raise InputError(f"expected an engine in {', '.join(ENGINES)}, got {engine!r}")
    Y, idx, y = _observations(observed, mask)
    shape = tuple(int(d) for d in Y.shape)
    if len(shape) < 2:
        raise ShapeError(f"expected a tensor of order >= 2, got order {len(shape)}")
    R = check_rank(components, what="number of components")
    scale = _positive_real(init_scale, "an initialization scale")
    eta = _positive_real(step, "a step size")
    iters = check_count(iterations, what="iterations")
    every = check_rank(record_every, what="record interval")
    T = None
    if truth is not None:
        T = as_float_tensor(truth, name="truth")
        if T.shape != shape:
            raise ShapeError(f"expected a truth of the observed tensor's shape {shape}, got {T.shape}")
    records = (iters - 1) // every + 2 if iters else 1
    memory, work = completion_cost(shape, len(y), model, R, iters, records)
    budget.require(f"gradient descent ({model}, {R} components, {iters} steps) on a "
                   f"{' x '.join(map(str, shape))} tensor", memory=memory, work=work)
    rng = np.random.default_rng(seed)
    ht = None
    if model == "cp":
        params = [rng.standard_normal((d, R)) * scale for d in shape]
        labels = [f"r{r}" for r in range(R)]
    else:
        ht = HTTree.build(balanced_tree(len(shape)) if tree is None else tree, shape, R)
        params = [rng.standard_normal((int(i), int(o))) * scale for i, o in zip(ht.nin, ht.nout)]
        labels = [f"{','.join(map(str, ht.modes[v]))}:s{s}" for v in ht.interior for s in range(R)]
    t0 = time.perf_counter()
    if engine == "numpy":
        done, status, it, nm, ob, fu = _numpy_run(model, params, ht, shape, idx, y, eta, iters, every, T)
        iterations_, norms = np.asarray(it, dtype=np.int64), np.array(nm).reshape(len(it), len(labels))
        obs, full = np.asarray(ob), np.asarray(fu)
    else:
        dims = np.asarray(shape, dtype=np.int64)
        order = list(range(len(shape))) if ht is None else list(ht.modes[-1])  # C order over the leaves
        truth_flat = np.ascontiguousarray(np.transpose(T, order)).ravel() if T is not None else np.empty(0)
        norms = np.zeros((records, len(labels)))
        obs, full = np.zeros(records), np.zeros(records)
        iterations_ = np.zeros(records, dtype=np.int64)
        if model == "cp":
            F = np.ascontiguousarray(np.vstack(params))
            done, code = cp_descent(F, _offsets(shape), dims, *_prefix_trie(idx, _offsets(shape)), y, eta, iters,
                                    every, truth_flat, norms, obs, full, iterations_)
            params = [f.copy() for f in np.split(F, np.cumsum(shape)[:-1])]
        else:
            flat = np.concatenate([p.ravel() for p in params])
            done, code = ht_descent(flat, ht.woff, ht.left, ht.right, ht.mode, ht.nin, ht.nout, dims,
                                    *_classes(ht, idx, shape), y, eta, iters, every, truth_flat, norms, obs, full,
                                    iterations_)
            params = [m.copy() for m in ht.matrices(flat)]
        status = "finished" if code == 0 else "diverged"
        kept = (done + every - 1) // every if status == "diverged" else records  # records before the overflow
        iterations_, norms, obs, full = iterations_[:kept], norms[:kept], obs[:kept], full[:kept]
    seconds = time.perf_counter() - t0
    if status == "diverged" and done == 0:
        raise InputError(f"expected an initialization scale whose loss is finite, got {scale:g} (the loss at the "
                         f"start overflows); lower the initialization scale")
    return CompletionResult(model, shape, R, params, ht, labels, iterations_, norms, obs, full, status, int(done),
                            int(seed), scale, eta, engine, seconds)
