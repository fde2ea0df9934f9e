"""What the command modules share: printing results, exit codes, one-line errors and warnings."""
from __future__ import annotations

import json
import sys

from tnverify.errors import EXIT_FAILED, EXIT_INCONCLUSIVE, EXIT_OK

__all__ = ["emit", "status_exit", "fail", "warn"]


def emit(args, payload: dict, text: str) -> None:
    """Print ``payload`` as JSON with ``--json``, else ``text``."""
    if getattr(args, "json", False):
        print(json.dumps(payload, default=str))
    else:
        print(text)


def status_exit(status: str) -> int:
    """Exit code for a result status."""
    return {"proved": EXIT_OK, "refuted": EXIT_FAILED}.get(status, EXIT_INCONCLUSIVE)


def fail(as_json: bool, message: str, code: int) -> int:
    """Report a user error: one line on stderr and, with ``--json``, one JSON object on stdout."""
    print(f"tnverify: error: {message}", file=sys.stderr)
    if as_json:
        print(json.dumps({"status": "error", "exit_code": code, "message": message}))
    return code


def warn(message: str) -> None:
    """One warning line on stderr (``tnverify: warning: ...``); stdout, and so ``--json``, is untouched."""
    print(f"tnverify: warning: {message}", file=sys.stderr)
