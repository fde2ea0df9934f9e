"""``tnverify bench``: our times against baselines, measured side by side."""
from __future__ import annotations

import json

from tnverify.cli import args as cli_args
from tnverify.errors import EXIT_FAILED, EXIT_OK

__all__ = ["register"]


def _cmd_bench(args) -> int:
    from tnverify import bench

    rows = bench.run(args.cases, repeat=args.repeat, quick=args.quick, load=args.load)
    if args.json:
        print(json.dumps(rows))
    else:
        print(bench.table(rows))
    return EXIT_OK if all(r.get("met", True) is not False for r in rows) else EXIT_FAILED


def register(sub, common) -> None:
    """Add this module's subcommands to ``sub`` (``common`` holds the shared options)."""
    p = sub.add_parser("bench", parents=[common], help="benchmarks against baselines, side by side")
    p.add_argument("cases", nargs="*", help="case names or groups (default: all)")
    p.add_argument("--repeat", type=cli_args.repeat, default=3, help="repetitions, 1 to 1000 (median reported)")
    p.add_argument("--quick", action="store_true", help="smaller sizes (a smoke run, not the targets)")
    p.add_argument("--load", choices=("none", "numeric", "python"), default="none",
                   help="CPU-bound background processes during the measurement, one per core: numpy matrix "
                        "products on all BLAS threads (numeric) or a pure-Python loop (python)")
    p.set_defaults(func=_cmd_bench)
