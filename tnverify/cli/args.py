"""argparse value types shared by the subcommands (one-line errors, exit code 2)."""
from __future__ import annotations

import argparse
import os


def _int(text: str, what: str, lo: int | None = None) -> int:
    try:
        v = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}") from None
    if lo is not None and v < lo:
        raise argparse.ArgumentTypeError(f"expected {what}, got {v}")
    return v


def integer(text: str) -> int:
    """Any integer (the command checks its range and says what it needs)."""
    return _int(text, "an integer")


def seed(text: str) -> int:
    """``--seed``: an integer >= 0 (numpy's seed sequences take no negative seeds)."""
    return _int(text, "a seed >= 0", 0)


def positive(text: str) -> int:
    """A count such as ``--jobs`` or ``--attempts``: an integer >= 1."""
    return _int(text, "an integer >= 1", 1)


#: Figure formats the plotting commands write (matplotlib backends available everywhere).
FIGURE_SUFFIXES = (".png", ".pdf", ".svg")


def figure(text: str) -> str:
    """A figure file name: ``.png``, ``.pdf`` or ``.svg``."""
    if os.path.splitext(text)[1].lower() not in FIGURE_SUFFIXES:
        raise argparse.ArgumentTypeError(f"expected a {', '.join(FIGURE_SUFFIXES)} file name, got {text!r}")
    return text


def npz(text: str) -> str:
    """A ``.npz`` file name (numpy would otherwise append ``.npz`` silently)."""
    if not text.lower().endswith(".npz"):
        raise argparse.ArgumentTypeError(f"expected a .npz file name, got {text!r}")
    return text
