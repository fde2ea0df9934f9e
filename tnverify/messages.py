"""Bounded messages: no value and no line that a user reads is longer than a screenful.

A message (an error, a warning, a line of a result's text) shows each value within
:data:`MAX_VALUE` characters and each line within :data:`MAX_LINE` characters; what is cut is
counted, never dropped silently (``... (N more characters)``). Long lists are summarised:
runs of equal items as ``x k`` (``[1 x 1000000]``, ``[2 x 3, 1 x 5]``), otherwise the first and
last few items around ``... (N more)``. Producers summarise at the source (:func:`brief`);
the command line clips every line it prints as a backstop (:func:`clip_lines`). JSON output is
data: every value is kept, except that a list longer than :data:`MAX_JSON_LIST` is written by
its runs ``{"runs": [[item, count], ...], "length": n}`` (still exact) or, when it has too many
runs, as ``{"head": [...], "tail": [...], "length": n, "omitted": k}``, and a string longer than
:data:`MAX_JSON_STRING` is clipped (:func:`compact`). A certificate (``--cert``) holds the data
in full.

The independent checker (``tnverify/checker``) imports nothing from here; it bounds its own
messages the same way (``checker/kernel.py``: ``show``, ``clip``).
"""
from __future__ import annotations

import itertools

__all__ = ["MAX_VALUE", "MAX_LINE", "MAX_JSON_LIST", "MAX_JSON_STRING", "clip", "one_line", "clip_lines", "brief",
           "compact"]

#: Characters of one value shown in a message.
MAX_VALUE = 500
#: Characters of one line of a message or of a result's text.
MAX_LINE = 2000
#: Lists of at most this many items are shown whole (within :data:`MAX_VALUE`).
SHORT_LIST = 12
#: Runs shown when a list is summarised by its runs of equal items.
MAX_RUNS = 8
#: Items of a JSON list written whole; longer lists are written by their runs or their ends.
MAX_JSON_LIST = 10_000
#: Characters of one JSON string.
MAX_JSON_STRING = 100_000
#: Items kept at each end of a JSON list with too many runs.
JSON_ENDS = 50


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


def compact(obj):
    """``obj`` (JSON data: dicts, lists, scalars) with long lists and strings bounded, for ``--json``.

    A list of more than :data:`MAX_JSON_LIST` items becomes ``{"runs": [[item, count], ...],
    "length": n}`` when it has at most :data:`MAX_JSON_LIST` runs of equal items (nothing is
    lost), else ``{"head": first 50, "tail": last 50, "length": n, "omitted": n - 100}``. A string
    longer than :data:`MAX_JSON_STRING` is clipped by :func:`clip`. Cost O(size of obj).

    Examples
    --------
    >>> compact({"groups": [1] * 1000000})
    {'groups': {'runs': [[1, 1000000]], 'length': 1000000}}
    """
    if isinstance(obj, dict):
        return {k: compact(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        n = len(obj)
        if n <= MAX_JSON_LIST:
            return [compact(x) for x in obj]
        runs = []
        for x, group in itertools.groupby(obj):
            runs.append([compact(x), sum(1 for _ in group)])
            if len(runs) > MAX_JSON_LIST:
                break
        if len(runs) <= MAX_JSON_LIST:
            return {"runs": runs, "length": n}
        return {"head": [compact(x) for x in obj[:JSON_ENDS]], "tail": [compact(x) for x in obj[-JSON_ENDS:]],
                "length": n, "omitted": n - 2 * JSON_ENDS}
    if isinstance(obj, str) and len(obj) > MAX_JSON_STRING:
        return clip(obj, MAX_JSON_STRING)
    return obj
