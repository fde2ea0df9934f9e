"""Bounded messages: no value and no line that a user reads is longer than a screenful.

A message (an error, a warning, a line of a result's text) shows each value within
:data:`MAX_VALUE` characters and each line within :data:`MAX_LINE` characters; what is cut is
counted, never dropped silently (``... (N more characters)``). Long lists are summarised:
runs of equal items as ``x k`` (``[1 x 1000000]``, ``[2 x 3, 1 x 5]``), otherwise the first and
last few items around ``... (N more)``. Producers summarise at the source (:func:`brief`);
the command line clips every line it prints as a backstop (:func:`clip_lines`). JSON output is
data and is not summarised.

The independent checker (``tnverify/checker``) imports nothing from here; it bounds its own
messages the same way (``checker/kernel.py``: ``show``, ``clip``).
"""
from __future__ import annotations

import itertools

__all__ = ["MAX_VALUE", "MAX_LINE", "clip", "one_line", "clip_lines", "brief"]

#: Characters of one value shown in a message.
MAX_VALUE = 500
#: Characters of one line of a message or of a result's text.
MAX_LINE = 2000
#: Lists of at most this many items are shown whole (within :data:`MAX_VALUE`).
SHORT_LIST = 12
#: Runs shown when a list is summarised by its runs of equal items.
MAX_RUNS = 8


def clip(text: str, limit: int = MAX_LINE) -> str:
    """``text`` cut to at most ``limit`` characters (the note included), saying how many were left out.

    Examples
    --------
    >>> clip("x" * 60, 40)
    'xxxxxxxxxxxxxxxx... (44 more characters)'
    """
    text = str(text)
    if len(text) <= limit:
        return text
    keep = max(0, limit - len(f"... ({len(text)} more characters)"))
    return f"{text[:keep]}... ({len(text) - keep} more characters)"


def one_line(text: str, limit: int = MAX_LINE) -> str:
    """``text`` as one line (line breaks become spaces), clipped to ``limit`` characters."""
    return clip(" ".join(str(text).splitlines()), limit)


def clip_lines(text: str, limit: int = MAX_LINE) -> str:
    """Every line of ``text`` clipped by :func:`clip` (the number of lines is kept)."""
    text = str(text)
    if len(text) <= limit:
        return text
    return "\n".join(clip(line, limit) for line in text.split("\n"))


def brief(items, limit: int = MAX_VALUE) -> str:
    """A list (any iterable) as short text: whole when short, else by its runs or its ends.

    Cost O(len(items)).

    Examples
    --------
    >>> brief([1] * 1000000)
    '[1 x 1000000]'
    >>> brief([3] * 5 + [2] * 20)
    '[3 x 5, 2 x 20]'
    >>> brief(range(100))
    '[0, 1, 2, 3, 4, 5, ... (92 more), 98, 99]'
    """
    xs = list(items)
    n = len(xs)
    if n <= SHORT_LIST:
        return clip(f"[{', '.join(map(repr, xs))}]", limit)
    runs = [(x, sum(1 for _ in group)) for x, group in itertools.groupby(xs)]
    if len(runs) <= MAX_RUNS:
        return clip("[" + ", ".join(repr(x) if k == 1 else f"{x!r} x {k}" for x, k in runs) + "]", limit)
    head, tail = xs[:6], xs[-2:]
    return clip(f"[{', '.join(map(repr, head))}, ... ({n - 8} more), {', '.join(map(repr, tail))}]", limit)
