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

__all__ = ["emit", "status_exit", "fail", "warn", "say", "certified"]

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


def write_cert(args, cert, out: dict, **claim) -> None:
    """``--cert FILE``: write ``cert`` (atomically), its claim updated with ``claim`` (None values skipped).

    The callers pass what the reader of the file needs to know, such as the ``status`` that was
    reported and the ``statement``. With no certificate (a point at a breakpoint, an unknown
    result) nothing is written, a warning says so, and ``out["certificate"]`` is None (``layer-dim``
    refuses such a request before it calls this). Sets ``out["certificate"]`` to the path otherwise.
    """
    if not getattr(args, "cert", None):
        return
    if cert is None:
        warn(f"no certificate was produced, so {args.cert} was not written")
        out["certificate"] = None
        return
    from tnverify.certificate import write

    if isinstance(getattr(cert, "claim", None), dict):
        cert.claim.update({k: v for k, v in claim.items() if v is not None})
    write(cert, args.cert)
    out["certificate"] = str(args.cert)


def certified(args, out: dict, status: str, cert, key: str = "status") -> tuple[str, str]:
    """The status to report, and the checker's line for the text: ``proved`` means the checker accepted.

    A ``proved`` or ``refuted`` result stands only when the independent checker VERIFIED ``cert``
    (its JSON text, exactly what ``--cert`` writes and ``tnverify check`` reads). Otherwise it
    is reported as ``unknown``, with the checker's verdict and message. With ``--no-check`` the
    checker is not run: the status is the prover's and the line says so. Sets ``out[key]`` and
    ``out["checker"]`` (``VERIFIED``, ``NOT VERIFIED``, ``MALFORMED``, ``not run`` or None when
    there was nothing to confirm).
    """
    out[key] = status
    if status not in ("proved", "refuted"):
        out["checker"] = None
        return status, ""
    if getattr(args, "no_check", False):
        out["checker"] = "not run"
        return status, "\n  checker: not run (--no-check: the status is the prover's)"
    if cert is None:
        out.update({key: "unknown", "checker": None})
        return "unknown", f"\n  checker: no certificate, so reported unknown (the prover said {status})"
    from tnverify.certificate import dumps
    from tnverify.checker import check

    v = check(dumps(cert))
    out["checker"] = v.status
    if v.ok:
        return status, "\n  checker: VERIFIED"
    out.update({key: "unknown", "checker_message": v.message})
    if isinstance(getattr(cert, "claim", None), dict):  # a --cert file says what was reported
        cert.claim.update({"status": "unknown", "checker": f"{v.status}: {v.message}"})
    return "unknown", f"\n  checker: {v.status}: {v.message} (so reported unknown; the prover said {status})"
