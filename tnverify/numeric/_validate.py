"""Validation and dtype normalisation for the numeric tier, and kernel status codes as words.

Every public function of :mod:`tnverify.numeric` passes its arrays through here once: user
input becomes a float64 C-contiguous array (so each jitted kernel of :mod:`numba_kernels`
compiles for one signature), and what cannot be used raises a :mod:`tnverify.errors` error with
a one-line message (what was expected, what was received). The tiers are described in
docs/architecture.md.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

from numba_kernels._jit import BAD_INPUT, NOT_CONVERGED, OK, SINGULAR

from tnverify.errors import InputError, NumericalError, ShapeError

__all__ = ["as_float_tensor", "as_f64", "check_rank", "check_count", "check_mask", "as_generator", "load_float_array",
           "kernel_status", "relative_error", "STATUS_TEXT", "MAX_ENTRIES", "EPS"]

#: Kernel status code -> the word used in results and messages.
STATUS_TEXT = {OK: "converged", NOT_CONVERGED: "max iterations reached", SINGULAR: "singular", BAD_INPUT: "bad input"}
#: Largest number of entries a numeric input file may hold.
MAX_ENTRIES = 200_000_000
#: Machine epsilon of float64.
EPS = float(np.finfo(np.float64).eps)


def as_f64(data, *, name: str = "array") -> np.ndarray:
    """``data`` as a float64 C-contiguous array (no copy when it already is one), values unchecked.

    For the hot paths (:func:`tnverify.numeric.mttkrp` and friends), where a finiteness pass
    would cost as much as the product itself; :func:`as_float_tensor` is the checked version.

    Raises
    ------
    InputError
        Complex or non-numeric data.
    """
    if np.iscomplexobj(data):
        raise InputError(f"expected a real {name}, got complex entries (dtype {np.asarray(data).dtype})")
    try:
        return np.ascontiguousarray(data, dtype=np.float64)
    except (TypeError, ValueError) as e:
        raise InputError(f"expected a real numeric {name}, got data numpy cannot read as float64: {e}") from None


def as_float_tensor(data, *, name: str = "tensor", min_order: int = 1) -> np.ndarray:
    """``data`` as a float64 C-contiguous array, refusing NaN/Inf, empty arrays and low orders.

    One pass over the data: ``<X, X>`` is finite exactly when no entry is NaN or Inf and the
    squares do not overflow (the norm every decomposition computes).

    Raises
    ------
    InputError
        Non-numeric or complex data, NaN or Inf entries, or entries whose squares overflow.
    ShapeError
        An empty array or an order below ``min_order``.
    """
    X = as_f64(data, name=name)
    if X.ndim < min_order:
        raise ShapeError(f"expected a {name} of order >= {min_order}, got order {X.ndim} (shape {X.shape})")
    if X.size == 0:
        raise ShapeError(f"expected a nonempty {name}, got shape {X.shape}")
    with np.errstate(over="ignore", invalid="ignore"):
        finite = np.isfinite(np.dot(X.ravel(), X.ravel()))
    if not finite:
        bad = int(np.count_nonzero(~np.isfinite(X)))
        if bad:
            raise InputError(f"expected finite entries in the {name}, got {bad} NaN or Inf value(s)")
        raise InputError(f"expected entries whose squares sum to a finite float64, got a {name} with "
                         f"max |entry| {float(np.max(np.abs(X))):.3g} (rescale it)")
    return X


def check_rank(rank, *, what: str = "rank") -> int:
    """``rank`` as a Python int >= 1 (bools and floats refused).

    Raises
    ------
    InputError
        Not an integer, or below 1.
    """
    if isinstance(rank, (bool, np.bool_)) or not isinstance(rank, (int, np.integer)):
        raise InputError(f"expected an integer {what} >= 1, got {rank!r}")
    if rank < 1:
        raise InputError(f"expected {what} >= 1, got {rank}")
    return int(rank)


def check_count(n, *, what: str) -> int:
    """``n`` as a Python int >= 0 (an iteration count; bools and floats refused)."""
    if isinstance(n, (bool, np.bool_)) or not isinstance(n, (int, np.integer)) or n < 0:
        raise InputError(f"expected {what} >= 0, got {n!r}")
    return int(n)


def check_mask(mask, shape) -> np.ndarray | None:
    """A fit's weights (``mask``) as float64 of ``shape`` with entries in ``[0, 1]``, or None.

    Raises
    ------
    InputError, ShapeError
        Non-finite entries or entries outside ``[0, 1]``; another shape.
    """
    if mask is None:
        return None
    M = as_float_tensor(mask, name="mask")
    if M.shape != tuple(shape):
        raise ShapeError(f"expected a mask of the tensor's shape {tuple(shape)}, got {M.shape}")
    if M.min() < 0.0 or M.max() > 1.0:
        raise InputError(f"expected mask entries in [0, 1] (0 = missing), got the range [{M.min():g}, {M.max():g}]")
    return M


def as_generator(seed) -> np.random.Generator:
    """A :class:`numpy.random.Generator`: ``seed`` itself if it is one, else ``default_rng(seed)``."""
    return seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)


def relative_error(X: np.ndarray, Xhat: np.ndarray) -> float:
    """``||X - Xhat||_F / ||X||_F`` (``||X - Xhat||_F / tiny`` for a zero ``X``)."""
    return float(np.linalg.norm(X - Xhat) / max(np.linalg.norm(X), np.finfo(float).tiny))


def kernel_status(code: int, what: str) -> str:
    """The word of a kernel status code; ``BAD_INPUT`` after validation is an internal error.

    Raises
    ------
    NumericalError
        ``code`` is ``BAD_INPUT`` (the kernel refused input this tier had accepted) or unknown.
    """
    if code == BAD_INPUT or code not in STATUS_TEXT:
        raise NumericalError(f"the {what} kernel rejected its input after validation (status {code})")
    return STATUS_TEXT[code]


def load_float_array(path) -> np.ndarray:
    """A real tensor from ``.npy`` (numeric dtypes, no pickle), ``.json`` (nested lists) or ``.txt``.

    Floats are allowed (this is the numeric path); NaN/Inf are refused. Exact data goes through
    :func:`tnverify.exact.io.load_array` instead. A ``.npy`` header is read before the data, so an
    object array or one of more than :data:`MAX_ENTRIES` entries is refused without loading it.

    Raises
    ------
    InputError
        A missing file, an unknown suffix, unreadable contents, an object array, too many
        entries, NaN or Inf.
    """
    p = Path(path)
    if not p.is_file():
        raise InputError(f"expected an existing file, got {os.fspath(path)!r}")
    ext = p.suffix.lower()
    if ext == ".npy":
        try:
            with open(p, "rb") as fh:
                version = np.lib.format.read_magic(fh)
                read = (np.lib.format.read_array_header_1_0 if version == (1, 0)
                        else np.lib.format.read_array_header_2_0)
                shape, _, dtype = read(fh)
        except Exception as e:  # noqa: BLE001 - any header problem is bad input
            raise InputError(f"expected a .npy file, could not read the header of {p.name}: {e}") from None
        if dtype.hasobject:
            raise InputError(f"{p.name} holds an object array; a numeric decomposition needs a numeric dtype")
        if int(np.prod(shape)) > MAX_ENTRIES:
            raise InputError(f"expected at most {MAX_ENTRIES} entries in {p.name}, got shape {shape}")
        data = np.load(p, allow_pickle=False)
    elif ext == ".json":
        try:
            data = json.loads(p.read_text())
        except json.JSONDecodeError as e:
            raise InputError(f"expected valid JSON in {p.name}: {e.msg} at line {e.lineno}") from None
    elif ext == ".txt":
        try:
            data = np.loadtxt(p, ndmin=2)
        except ValueError as e:
            raise InputError(f"expected whitespace-separated numbers in {p.name}: {e}") from None
    else:
        raise InputError(f"expected a .npy, .json or .txt file, got {p.name!r}")
    return as_float_tensor(data, name=f"tensor in {p.name}")
