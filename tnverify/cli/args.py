"""argparse value types and option builders shared by the subcommands.

One spelling per concept, in every command (docs/cli.md has the table):

==================  ==========================================================
a tensor format     ``--shape 3,3,3`` (``--symmetric`` for symmetric tensors)
a rank              ``--rank R``
a seed              ``--seed S``
a partition         ``--partition interleaved|left-right|0,2,...``
widths, features    ``--widths 2,2,2``, ``--features M`` (or ``2,3,2``)
number of inputs    ``--inputs N``
output files        ``--cert FILE`` (certificate), ``-o/--output FILE`` (main output),
                    ``--plot FIGURE`` (a figure besides it)
==================  ==========================================================

A list is parsed completely or refused: ``3,,3``, ``3,x`` or ``0,3`` for a shape is a
one-line error with exit code 2 (argparse's error, raised by :class:`tnverify.cli._Parser`).
Every integer has the syntax and the digit limit of :mod:`tnverify.numbers` (ASCII digits,
no ``1_000``, at most :data:`~tnverify.numbers.MAX_DIGITS` digits); a real number such as
``--tol 1e-8`` is a finite decimal in ASCII digits (:func:`real`).

Old spellings stay for one release as deprecated aliases. They give the same result and
print one line ``tnverify: warning: OLD is deprecated; use NEW`` on stderr: an alias option
(:func:`alias`) records its line while argparse parses, and :func:`tnverify.cli.main` prints
the recorded lines once parsing has succeeded (:func:`flush_deprecations`); an alias that
needs the other arguments (positional dimensions, ``--vars N --degree D``) is resolved by
its command, which calls :func:`deprecated` itself.

This module is imported when the parser is built: the standard library and
:mod:`tnverify.numbers` (which loads nothing heavier) only.
"""
from __future__ import annotations

import argparse
import math
import os
import re

from tnverify.cli._output import warn
from tnverify.errors import InputError, NotExactError
from tnverify.numbers import check_digit_runs, parse_int, to_exact

__all__ = ["integer", "seed", "positive", "rank", "dimension", "real", "positive_real", "shape", "matrix_shape",
           "widths", "int_list", "partition", "tree", "activation", "figure", "npz", "option", "alias", "deprecated",
           "flush_deprecations", "add_seed", "add_cert", "add_output", "add_rank", "add_shape", "PARTITION_NAMES",
           "TREE_NAMES"]


def _shown(text) -> str:
    """``repr(text)``, shortened for a one-line message."""
    r = repr(str(text))
    return r if len(r) <= 60 else f"{r[:60]}... ({len(str(text))} characters)"


def _parse(text: str, what: str) -> int:
    """``text`` as an integer by :func:`tnverify.numbers.parse_int`, or argparse's error."""
    try:
        return parse_int(text, what)
    except NotExactError:
        raise argparse.ArgumentTypeError(f"expected {what}, got {_shown(text)}") from None
    except InputError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def _int(text: str, what: str, lo: int | None = None) -> int:
    v = _parse(text, what)
    if lo is not None and v < lo:
        raise argparse.ArgumentTypeError(f"expected {what}, got {v}")
    return v


# ------------------------------------------------------------------ numbers
def integer(text: str) -> int:
    """Any integer (the command checks its range and says what it needs)."""
    return _int(text, "an integer")


def seed(text: str) -> int:
    """``--seed``: an integer >= 0 (numpy's seed sequences take no negative seeds)."""
    return _int(text, "a seed >= 0", 0)


def positive(text: str) -> int:
    """A count such as ``--jobs`` or ``--attempts``: an integer >= 1."""
    return _int(text, "an integer >= 1", 1)


def repeat(text: str) -> int:
    """``bench --repeat``: an integer from 1 to 1000 (each case runs that many times, or more)."""
    v = _int(text, "an integer from 1 to 1000", 1)
    if v > 1000:
        raise argparse.ArgumentTypeError(f"expected an integer from 1 to 1000, got {_shown(text)}")
    return v


def rank(text: str) -> int:
    """``--rank R``: an integer >= 1."""
    return _int(text, "a rank >= 1", 1)


def dimension(text: str) -> int:
    """One dimension of a tensor format (the deprecated positional ``secant 3 3 3``): an integer >= 1."""
    return _int(text, "a dimension >= 1", 1)


_REAL = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


def real(text: str) -> float:
    """A finite real number such as ``--tol 1e-8``: decimal or scientific notation in ASCII digits.

    Refuses what Python's ``float()`` would also take: ``nan``, ``inf``, ``1_000``, other
    Unicode digits, and values that overflow to infinity (``1e999``).
    """
    s = str(text).strip()
    v = float(s) if _REAL.fullmatch(s) else math.nan
    if not math.isfinite(v):
        raise argparse.ArgumentTypeError(f"expected a finite number like 0.5 or 1e-8, got {_shown(text)}")
    return v


def positive_real(text: str) -> float:
    """A real number > 0, such as ``--timeout 2.5`` (seconds)."""
    v = real(text)
    if v <= 0:
        raise argparse.ArgumentTypeError(f"expected a number > 0, got {_shown(text)}")
    return v


# ------------------------------------------------------------------ lists
class IntList(tuple):
    """A parsed list of integers that remembers the text it came from (for the deprecation line)."""

    text: str = ""
    x_form: bool = False  # written 3x3x3 (deprecated) instead of 3,3,3


_X_FORM = re.compile(r"[0-9]+(?:x[0-9]+)+")


def _parse_ints(text: str, what: str, example: str, lo: int, x_form: bool = False) -> IntList:
    """Every comma-separated entry an integer >= ``lo``; an empty entry or a non-integer is refused.

    The message reads ``expected WHAT like EXAMPLE (positive integers), got TEXT: REASON``.
    """
    s = str(text).strip()
    legacy = x_form and bool(_X_FORM.fullmatch(s))
    kind = "positive integers" if lo == 1 else f"integers >= {lo}"
    head = f"expected {what} like {example} ({kind}), got {text!r}"
    vals = []
    for part in (s.split("x") if legacy else s.split(",")):
        p = part.strip()
        if not p:
            raise argparse.ArgumentTypeError(f"{head}: an empty entry")
        try:
            v = parse_int(p, what)
        except NotExactError:
            raise argparse.ArgumentTypeError(f"{head}: {_shown(p)} is not an integer (digits 0-9)") from None
        except InputError as e:
            raise argparse.ArgumentTypeError(f"{head}: {e}") from None
        if v < lo:
            raise argparse.ArgumentTypeError(f"{head}: {v} is {'not positive' if lo == 1 else f'below {lo}'}")
        vals.append(v)
    out = IntList(vals)
    out.text, out.x_form = str(text), legacy
    return out


def shape(text: str) -> IntList:
    """``--shape 3,3,3``: a tensor format, every dimension >= 1 (``3x3x3`` is a deprecated form)."""
    return _parse_ints(text, "a shape", "3,3,3", 1, x_form=True)


def matrix_shape(text: str) -> IntList:
    """``--shape I,R`` of a matrix: two positive integers."""
    out = _parse_ints(text, "a matrix shape I,R", "4,6", 1, x_form=True)
    if len(out) != 2:
        raise argparse.ArgumentTypeError(f"expected a matrix shape I,R (two positive integers) like 4,6, "
                                         f"got {text!r}: {len(out)} entries")
    return out


def widths(text: str) -> IntList:
    """``--widths 2,2,2`` / ``--features 2,3,2``: one or more integers >= 1."""
    return _parse_ints(text, "widths", "2,2,2", 1, x_form=True)


def int_list(text: str) -> IntList:
    """A list of counts such as ``--values 4,8,16`` or ``--sweep 1000,3000``: integers >= 1."""
    return _parse_ints(text, "a list", "4,8,16", 1)


def layer_list(text: str) -> IntList | str:
    """``--mix 2,3`` (layers, integers >= 1) or ``--mix none``."""
    if str(text).strip().lower() == "none":
        return "none"
    v = _parse_ints(text, "layers", "2,3 (or none)", 1)
    if len(set(v)) != len(v):
        raise argparse.ArgumentTypeError(f"expected distinct layers like 2,3 (or none), got {_shown(text)}")
    return v


#: Named bipartitions of the legs (modes) 0..N-1; ``start-end`` is ``left-right``.
PARTITION_NAMES = ("interleaved", "left-right", "start-end")


def partition(text: str):
    """``--partition``: a name of :data:`PARTITION_NAMES` or the row legs ``0,2,4`` (a tuple, in the order given).

    Ranges are checked by the command, which knows the order of the tensor.
    """
    s = str(text).strip()
    if s in PARTITION_NAMES:
        return s
    if not any(c.isdigit() for c in s):
        raise argparse.ArgumentTypeError(f"expected a partition {', '.join(PARTITION_NAMES)} or row legs like "
                                         f"0,2,4, got {text!r}")
    return tuple(_parse_ints(s, "a partition (interleaved, left-right or row legs)", "0,2,4", 0))


#: Named pooling trees (``--tree``).
TREE_NAMES = ("pairs", "mirror", "odd-even")


def tree(text: str) -> str:
    """``--tree``: a name of :data:`TREE_NAMES`, a nesting ``((0,1),(2,3))`` or a permutation ``0,2,1,3``.

    A permutation must parse completely (``0,,1`` is refused); a nesting is read by the
    architecture's own parser, which refuses malformed text.
    """
    s = str(text).strip()
    if s in TREE_NAMES:
        return s
    if "(" in s or "[" in s:
        try:
            check_digit_runs(s, "--tree")
        except InputError as e:
            raise argparse.ArgumentTypeError(str(e)) from None
        return s
    if not any(c.isdigit() for c in s):
        raise argparse.ArgumentTypeError(f"expected a tree {', '.join(TREE_NAMES)}, a nesting like ((0,1),(2,3)) "
                                         f"or a permutation like 0,2,1,3, got {text!r}")
    _parse_ints(s, "a permutation of the inputs", "0,2,1,3", 0)
    return s


def activation(text: str) -> str:
    """``--activation``: a name, or ``poly:c0,c1,...`` whose every coefficient is an integer or p/q."""
    s = str(text)
    if s.startswith("poly:"):
        for c in s[5:].split(","):
            try:
                to_exact(c, "a coefficient")
            except InputError:
                raise argparse.ArgumentTypeError(f"expected poly:c0,c1,... with integer or p/q coefficients, "
                                                 f"got {_shown(text)} ({_shown(c.strip())})") from None
    return s


# ------------------------------------------------------------------ files
#: Figure formats the plotting commands write (matplotlib backends available everywhere).
FIGURE_SUFFIXES = (".png", ".pdf", ".svg")


def figure(text: str) -> str:
    """A figure file name: ``.png``, ``.pdf`` or ``.svg``."""
    if os.path.splitext(text)[1].lower() not in FIGURE_SUFFIXES:
        raise argparse.ArgumentTypeError(f"expected a {', '.join(FIGURE_SUFFIXES)} file name, got {text!r}")
    return text


def table(text: str) -> str:
    """A CSV file name: anything but a figure's suffix (the figure has its own option, ``--plot``)."""
    if os.path.splitext(text)[1].lower() in FIGURE_SUFFIXES:
        raise argparse.ArgumentTypeError(f"expected a CSV file name (the figure goes to --plot), got {text!r}")
    return text


def npz(text: str) -> str:
    """A ``.npz`` file name (numpy would otherwise append ``.npz`` silently)."""
    if not text.lower().endswith(".npz"):
        raise argparse.ArgumentTypeError(f"expected a .npz file name, got {text!r}")
    return text


# ------------------------------------------------------------------ deprecated spellings
_NOTES = "_deprecations"


def _render(value) -> str:
    """A parsed value as the new spelling writes it (lists comma-separated)."""
    return ",".join(map(str, value)) if isinstance(value, (tuple, list)) else str(value)


def _note(namespace, message: str) -> None:
    notes = list(getattr(namespace, _NOTES, None) or [])
    if message not in notes:
        notes.append(message)
    setattr(namespace, _NOTES, notes)


class _Store(argparse.Action):
    """Store a value; note a deprecation when the option string or the value's form is an old spelling.

    ``renamed`` maps a deprecated option string to its new spelling (``--new``); the value
    is then written after both in the warning, e.g. ``--generic 4,6 is deprecated; use --shape 4,6``.
    A value given both in a deprecated spelling and in the new one is refused (which would win
    is not obvious).
    """

    def __init__(self, option_strings, dest, renamed=None, **kwargs):
        self.renamed = dict(renamed or {})
        super().__init__(option_strings, dest, **kwargs)

    def __call__(self, parser, namespace, values, option_string=None):
        new = self.renamed.get(option_string)
        given = dict(getattr(namespace, "_given", None) or {})
        prev = given.get(self.dest)
        if prev is not None and prev[1] != (new is not None):
            old_s, new_s = (prev[0], option_string) if prev[1] else (option_string, prev[0])
            raise argparse.ArgumentError(self, f"give either {new_s} or the deprecated {old_s}, not both")
        given[self.dest] = (option_string, new is not None)
        setattr(namespace, "_given", given)
        if new is not None:
            _note(namespace, f"{option_string} {getattr(values, 'text', None) or _render(values)} is deprecated; "
                             f"use {new} {_render(values)}")
        elif isinstance(values, IntList) and values.x_form:
            _note(namespace, f"{option_string} {values.text} is deprecated; use {option_string} {_render(values)}")
        setattr(namespace, self.dest, values)


def option(p, *names, **kwargs):
    """``p.add_argument`` for an option that has a deprecated alias (:func:`alias`) or a deprecated form (``3x3x3``)."""
    return p.add_argument(*names, action=_Store, **kwargs)


def alias(p, old: str, new: str, dest: str, **kwargs) -> None:
    """A deprecated option ``old`` storing into ``dest``, hidden from ``--help``; ``new`` is its spelling now."""
    p.add_argument(old, dest=dest, action=_Store, renamed={old: new}, default=argparse.SUPPRESS,
                   help=argparse.SUPPRESS, **kwargs)


def deprecated(args, old: str, new: str) -> None:
    """A command resolved a deprecated spelling: print its one warning line now (once per run)."""
    message = f"{old} is deprecated; use {new}"
    seen = getattr(args, "_warned", None)
    if seen is None:
        seen = set()
        setattr(args, "_warned", seen)
    if message not in seen:
        seen.add(message)
        warn(message)


def flush_deprecations(args) -> None:
    """Print the deprecation lines noted while parsing (called once parsing has succeeded)."""
    for message in getattr(args, _NOTES, None) or []:
        warn(message)


# ------------------------------------------------------------------ option builders
def add_seed(p, what: str = "the random choices") -> None:
    """``--seed S`` (default 0, recorded in every result)."""
    p.add_argument("--seed", type=seed, default=0, metavar="S", help=f"seed of {what} (default 0; recorded)")


def add_cert(p, what: str = "write the certificate to this JSON file") -> None:
    """``--cert FILE``: the certificate the independent checker verifies."""
    p.add_argument("--cert", metavar="FILE", help=what)


def add_no_check(p) -> None:
    """``--no-check``: skip the independent checker (a proved status is then the prover's, and says so)."""
    p.add_argument("--no-check", action="store_true", help="skip the checker (status is then the prover's)")


def add_output(p, what: str, type=None, required: bool = False, default=None) -> None:
    """``-o/--output FILE``: the command's main output file."""
    option(p, "-o", "--output", metavar="FILE", type=type, required=required, default=default, help=what)


def add_rank(p, what: str = "the rank R", required: bool = False) -> None:
    """``--rank R`` (an integer >= 1)."""
    p.add_argument("--rank", type=rank, required=required, metavar="R", help=what)


def add_shape(p, what: str = "the tensor format, e.g. 3,3,3", type=shape, metavar: str = "I,J,K") -> None:
    """``--shape 3,3,3``."""
    option(p, "--shape", type=type, metavar=metavar, help=what)
