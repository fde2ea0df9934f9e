"""``tnverify check``: one verdict line from the independent checker (exit 0 / 1 / 2)."""
from __future__ import annotations

import json
from pathlib import Path

__all__ = ["register"]


def _cmd_check(args) -> int:
    from tnverify.checker import check

    v = check(Path(args.certificate), allow_code=args.allow_code)  # always a file: a name may start with "{"
    if args.json:
        print(json.dumps(v.to_dict()))
    else:
        print(v.text())
    return v.exit_code


def register(sub, common) -> None:
    """Add this module's subcommands to ``sub`` (``common`` holds the shared options)."""
    p = sub.add_parser("check", parents=[common], help="verify a certificate with the independent checker")
    p.add_argument("certificate")
    p.add_argument("--allow-code", action="store_true",
                   help="let a certificate about a user's own forward pass run that code (its SHA-256 is checked)")
    p.set_defaults(func=_cmd_check)
