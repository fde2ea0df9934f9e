"""Hostile inputs of ``unique`` and ``identifiable`` around the identifiability criteria: one line, exit 2."""
from __future__ import annotations

import numpy as np
import pytest


@pytest.mark.parametrize("args, words", [
    (["unique", "--shape", "3,1,3", "--rank", "2"], ["at least 2", "[3, 1, 3]"]),
    (["unique", "--shape=3,0,3", "--rank", "2"], ["3,0,3"]),
    (["unique", "--shape", "2,2,2", "--rank", "9"], ["ambient dimension 8", "got 9"]),
    (["unique", "--shape", "1000,1000,1000", "--rank", "1000000001"], ["ambient dimension"]),
    (["unique", "--shape", "3,3", "--rank", "2"], ["at least 3"]),
])
def test_bad_formats_are_refused_in_one_line(cli, args, words):
    res = cli(*args)
    assert res.code == 2 and res.one_line_error
    assert all(w in res.err for w in words), res.err


def test_factor_columns_disagreeing_with_the_rank(cli, tmp_path):
    for name, cols in (("a", 3), ("b", 3), ("c", 4)):
        np.save(tmp_path / f"{name}.npy", np.arange(3 * cols).reshape(3, cols) % 5)
    res = cli("unique", "--factors", *(str(tmp_path / f"{n}.npy") for n in "abc"), "--rank", "3")
    assert res.code == 2 and res.one_line_error and "--rank 3" in res.err and "[3, 3, 4]" in res.err


def test_explain_on_a_large_format_is_bounded(cli):
    res = cli("unique", "--shape", "2,2,2", "--rank", "2", "--explain", "--json")
    assert res.code == 0 and '"ranges"' in res.out
