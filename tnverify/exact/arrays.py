"""Exact arrays: the representation every exact algorithm takes.

An *exact array* is a numpy array of dtype ``int64`` (the fast path, used whenever
every entry fits in (-2^62, 2^62)) or of dtype ``object`` holding Python ``int``
and :class:`fractions.Fraction` entries (see :mod:`tnverify.numbers`). This
module converts user data into that form (:func:`as_exact_array`), clears
denominators row by row (:func:`integer_rows`), reduces modulo a prime
(:func:`reduce_mod`, the one reduction mod p of the exact tiers) and builds FLINT
rational matrices (:func:`to_fmpq_mat`).

Conventions: floats are always refused, even integral ones: an exact path never
takes a float silently (README.md, "Exact ranks with witnesses"). Shapes are
checked before any conversion of entries.
"""
from __future__ import annotations

import math
from fractions import Fraction

import flint
import numpy as np

from tnverify.errors import NotExactError, ShapeError
from tnverify.numbers import to_exact, to_fmpq

__all__ = ["as_exact_array", "as_exact_matrix", "integer_rows", "reduce_mod", "to_fmpq_mat"]

#: Integer entries below this bound in absolute value are stored as int64.
INT64_SAFE = 2**62


def as_exact_array(data, *, name: str = "input") -> np.ndarray:
    """Convert ``data`` to an exact array (dtype int64, or object of int/Fraction).

    Accepts integer numpy arrays, object arrays / nested lists of ints, Fractions and
    rational strings (``"3/4"``), sympy matrices and flint ``fmpz_mat``/``fmpq_mat``
    (entries as read by :func:`tnverify.numbers.to_exact`). O(number of entries).

    Raises
    ------
    NotExactError
        A float, NaN, bool or non-numeric entry (the message names its position).
    ShapeError
        A ragged nesting or an empty array.

    Examples
    --------
    >>> as_exact_array([[1, "1/2"], [3, 4]])
    array([[1, Fraction(1, 2)],
           [3, 4]], dtype=object)
    >>> as_exact_array([[1, 2], [3, 4]]).dtype
    dtype('int64')
    """
    if isinstance(data, (flint.fmpz_mat, flint.fmpq_mat)):
        data = data.tolist()
    elif hasattr(data, "tolist") and hasattr(data, "shape") and not isinstance(data, np.ndarray):
        data = data.tolist()  # sympy Matrix
    if isinstance(data, np.ndarray) and data.dtype != object:
        if data.dtype.kind in "iu":
            if data.size == 0:
                raise ShapeError(f"expected a nonempty {name}, got shape {data.shape}")
            if data.dtype.kind == "u" and int(data.max()) >= 2**63:
                return np.array([int(x) for x in data.ravel()], dtype=object).reshape(data.shape)
            return np.ascontiguousarray(data, dtype=np.int64)
        kind = {"f": "floating-point", "c": "complex", "b": "boolean"}.get(data.dtype.kind, str(data.dtype))
        why = "; exact paths never take floats" if data.dtype.kind in "fc" else ""
        raise NotExactError(f"expected integer or rational entries in {name}, got a {kind} array "
                            f"(dtype {data.dtype}){why}")
    arr = _nested_to_object(data, name)
    if arr.size == 0:
        raise ShapeError(f"expected a nonempty {name}, got shape {arr.shape}")
    flat = arr.ravel()
    out = np.empty(flat.shape, dtype=object)
    all_int = True
    for i, x in enumerate(flat):
        try:
            v = to_exact(x, name)
        except NotExactError:  # say where (the position is formatted only on error)
            v = to_exact(x, f"{name} entry {tuple(int(k) for k in np.unravel_index(i, arr.shape))}")
        all_int &= isinstance(v, int)
        out[i] = v
    out = out.reshape(arr.shape)
    if all_int and all(-INT64_SAFE < v < INT64_SAFE for v in out.ravel()):
        return out.astype(np.int64)
    return out


def _nested_to_object(data, name: str) -> np.ndarray:
    """Nested lists/tuples as an object array, checking that the nesting is rectangular."""
    if isinstance(data, np.ndarray):
        return data
    shape = []
    probe = data
    while isinstance(probe, (list, tuple)):
        shape.append(len(probe))
        if not probe:
            break
        probe = probe[0]

    def fill(x, depth, idx):
        if depth == len(shape):
            if isinstance(x, (list, tuple)):
                raise ShapeError(f"expected a rectangular {name}: ragged nesting at index {idx}")
            return [x]
        if not isinstance(x, (list, tuple)) or len(x) != shape[depth]:
            got = len(x) if isinstance(x, (list, tuple)) else "a scalar"
            raise ShapeError(
                f"expected a rectangular {name}: at index {idx} expected length {shape[depth]}, got {got}"
            )
        out = []
        for i, y in enumerate(x):
            out.extend(fill(y, depth + 1, idx + (i,)))
        return out

    flat = fill(data, 0, ())
    arr = np.empty(len(flat), dtype=object)
    arr[:] = flat
    return arr.reshape(shape)


def as_exact_matrix(data, name: str = "matrix") -> np.ndarray:
    """:func:`as_exact_array` for a matrix: raises :class:`~tnverify.errors.ShapeError` unless 2-d."""
    M = as_exact_array(data, name=name)
    if M.ndim != 2:
        raise ShapeError(f"expected a 2-d {name}, got an array with {M.ndim} dimensions, shape {M.shape}")
    return M


def integer_rows(M: np.ndarray) -> np.ndarray:
    """Scale each row of an exact matrix by the lcm of its denominators.

    Scaling a row by a nonzero integer is a left multiplication by an invertible
    diagonal matrix: the result is an integer matrix (int64 or object) with the same
    rank over Q, the same kernel and the same column dependencies (hence Kruskal
    rank). Integer input is returned unchanged. O(number of entries).
    """
    if M.dtype != object or all(isinstance(x, int) for x in M.ravel()):
        return M
    out = np.empty(M.shape, dtype=object)
    for i, row in enumerate(M):
        lcm = 1
        for x in row:
            if isinstance(x, Fraction):
                lcm = lcm * x.denominator // math.gcd(lcm, x.denominator)
        out[i] = [int(x * lcm) for x in row]
    return out


def reduce_mod(M: np.ndarray, p: int) -> np.ndarray:
    """Entrywise image of an exact array in Z/p: a/b -> a * b^(-1) mod p, as int64 in [0, p).

    ``p`` is a modulus in [2, 2^63) (a prime for :meth:`tnverify.exact.Field.reduce`).
    Raises :class:`~tnverify.errors.NotExactError` when a denominator is not
    invertible mod p, or for an array of floats. O(number of entries).

    Examples
    --------
    >>> reduce_mod(as_exact_array([[-1, "1/2"]]), 7)
    array([[6, 4]])
    """
    if M.dtype != object:
        if M.dtype.kind not in "iu" or M.dtype == np.uint64:
            raise NotExactError(f"expected an integer or rational array for a reduction mod p, got dtype {M.dtype}")
        return np.mod(M.astype(np.int64, copy=False), np.int64(p))
    out = np.empty(M.shape, dtype=np.int64)
    for idx, x in np.ndenumerate(M):
        if isinstance(x, Fraction):
            if math.gcd(x.denominator, p) != 1:
                raise NotExactError(f"entry {idx} = {x} has a denominator that is not invertible mod {p}")
            out[idx] = x.numerator * pow(x.denominator, -1, p) % p
        else:
            out[idx] = int(x) % p
    return out


def to_fmpq_mat(M: np.ndarray) -> "flint.fmpq_mat":
    """The exact matrix ``M`` as a FLINT rational matrix ``fmpq_mat``."""
    m, n = M.shape
    return flint.fmpq_mat(m, n, [to_fmpq(x) for x in M.ravel()])
