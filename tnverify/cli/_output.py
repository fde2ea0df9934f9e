"""What the command modules share: printing results, exit codes, one-line errors and warnings.

Every line printed here is bounded (:mod:`tnverify.messages`): an error or a warning is one line of
at most :data:`~tnverify.messages.MAX_LINE` characters, and so is each line of a result's text;
JSON output is data and is printed whole.
"""
from __future__ import annotations

import json
import sys

from tnverify.errors import EXIT_FAILED, EXIT_INCONCLUSIVE, EXIT_OK
from tnverify.messages import MAX_LINE, clip_lines, compact, one_line

__all__ = ["emit", "status_exit", "fail", "warn", "say"]

_ERROR = "tnverify: error: "
_WARNING = "tnverify: warning: "


def emit(args, payload: dict, text: str) -> None:
    """Print ``payload`` as JSON with ``--json`` (long lists and strings bounded by
    :func:`tnverify.messages.compact`), else ``text`` (each line clipped)."""
    if getattr(args, "json", False):
        print(json.dumps(compact(payload), default=str))
    else:
        print(clip_lines(text))


def say(text: str, file=None) -> None:
    """Print ``text`` with each line clipped (a line of a result or of a report for people)."""
    print(clip_lines(text), file=file)


def status_exit(status: str) -> int:
    """Exit code for a result status."""
    return {"proved": EXIT_OK, "refuted": EXIT_FAILED}.get(status, EXIT_INCONCLUSIVE)


def fail(as_json: bool, message: str, code: int) -> int:
    """Report a user error: one line on stderr and, with ``--json``, one JSON object on stdout."""
    message = one_line(message, MAX_LINE - len(_ERROR))
    print(f"{_ERROR}{message}", file=sys.stderr)
    if as_json:
        print(json.dumps({"status": "error", "exit_code": code, "message": message}))
    return code


def warn(message: str) -> None:
    """One warning line on stderr (``tnverify: warning: ...``); stdout, and so ``--json``, is untouched."""
    print(f"{_WARNING}{one_line(message, MAX_LINE - len(_WARNING))}", file=sys.stderr)
