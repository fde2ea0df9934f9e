"""Reading exact matrices and tensors from files, treating every file as untrusted data.

Formats:

* ``.npy`` -- integer arrays. Object arrays (Python ints, Fractions) need pickle,
  which can run code, so they are refused unless ``allow_pickle=True``.
* ``.json`` -- nested lists of integers or rational strings (``"3/4"``); JSON
  floats, NaN, Infinity and overlong integer literals are refused
  (:func:`tnverify.numbers.strict_json_loads`).
* ``.txt`` -- whitespace-separated rows of integers or rationals (a matrix).

Sizes are checked against :data:`MAX_ENTRIES` before anything large is allocated.
Every number, in every format, has the syntax and the digit limit of
:mod:`tnverify.numbers` (ASCII digits, no ``_``, at most
:data:`~tnverify.numbers.MAX_DIGITS` digits): text entries are read by
:func:`~tnverify.numbers.to_exact`, JSON literals by
:func:`~tnverify.numbers.strict_json_loads`, and the entries of a pickled object
array are checked by :func:`~tnverify.numbers.check_size`.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

from tnverify.errors import InputError, ShapeError
from tnverify.exact.arrays import as_exact_array
from tnverify.numbers import check_size, strict_json_loads

__all__ = ["load_array", "MAX_ENTRIES"]

#: Largest number of entries an input file may declare.
MAX_ENTRIES = 200_000_000


def load_array(path: "str | os.PathLike", *, allow_pickle: bool = False) -> np.ndarray:
    """Load an exact array (int64 or object of int/Fraction) from ``.npy``, ``.json`` or ``.txt``.

    Raises
    ------
    InputError
        Missing file, unknown extension, unreadable content, pickled data without
        ``allow_pickle``.
    NotExactError, ShapeError
        Float/NaN entries, ragged rows, empty arrays.
    """
    p = Path(path)
    if not p.exists():
        raise InputError(f"expected an existing file, got {str(p)!r}, which does not exist")
    if p.is_dir():
        raise InputError(f"expected a file, got the directory {str(p)!r}")
    ext = p.suffix.lower()
    if ext == ".npy":
        return _load_npy(p, allow_pickle)
    if ext == ".json":
        try:
            data = strict_json_loads(p.read_text())
        except json.JSONDecodeError as e:
            raise InputError(f"expected valid JSON in {p.name}, got a parse error at line {e.lineno}: {e.msg}") from None
        if not isinstance(data, list):
            kind = {dict: "an object", str: "a string", bool: "a boolean", type(None): "null"}.get(type(data), "a number")
            raise ShapeError(f"expected a JSON array (nested lists of numbers) in {p.name}, got {kind}")
        return as_exact_array(data, name=p.name)
    if ext == ".txt":
        rows = [ln.split() for ln in p.read_text().splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
        if not rows:
            raise ShapeError(f"expected a nonempty matrix in {p.name}, got no rows")
        widths = {len(r) for r in rows}
        if len(widths) != 1:
            bad = next(i for i, r in enumerate(rows) if len(r) != len(rows[0]))
            raise ShapeError(
                f"expected rows of equal length in {p.name}: row 0 has {len(rows[0])} entries, row {bad} has {len(rows[bad])}"
            )
        return as_exact_array(rows, name=p.name)
    raise InputError(f"expected a .npy, .json or .txt file, got {p.name!r} (extension {ext or 'none'})")


def _load_npy(p: Path, allow_pickle: bool) -> np.ndarray:
    try:
        with open(p, "rb") as fh:
            version = np.lib.format.read_magic(fh)
            read = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
            shape, _, dtype = read(fh)  # the header only: sizes are checked before loading
    except Exception as e:  # noqa: BLE001 - any header problem is bad input
        raise InputError(f"expected a .npy file, could not read the header of {p.name}: {e}") from None
    if not shape:
        raise ShapeError(f"expected a matrix or tensor in {p.name}, got a 0-d array (a single number)")
    n = int(np.prod(shape))
    if n > MAX_ENTRIES:
        raise InputError(f"expected at most {MAX_ENTRIES} entries in {p.name}, got shape {shape} ({n} entries)")
    if dtype.hasobject and not allow_pickle:
        raise InputError(
            f"{p.name} holds an object array, which needs pickle and pickle can run code; "
            "pass --allow-pickle only for files you trust"
        )
    try:
        arr = np.load(p, allow_pickle=allow_pickle)
    except Exception as e:  # noqa: BLE001
        raise InputError(f"expected a readable .npy file, {p.name} failed to load: {e}") from None
    out = as_exact_array(arr, name=p.name)
    if out.dtype == object:  # unpickled Python integers can be of any size
        for idx, x in np.ndenumerate(out):
            check_size(x, f"{p.name} entry {idx}")
    return out
