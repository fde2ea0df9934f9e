"""The ``tnverify`` command line.

Results go to stdout (text for people, one JSON object with ``--json``); errors
go to stderr as one line; progress bars go to stderr. Exit codes, shared by every
subcommand: 0 proved / as expected, 1 refuted or a check failed, 2 usage or bad
input, 3 inconclusive where a definite answer is demanded.

Each capability module registers its subcommands with a ``register(sub, common)``
function; this module holds the shared machinery and the foundation commands
(``rank``, ``check``, ``bench``).
"""
from __future__ import annotations

import argparse
import importlib
import json
import sys
import time
from pathlib import Path

from . import cli_args
from .errors import EXIT_FAILED, EXIT_INCONCLUSIVE, EXIT_OK, EXIT_USAGE, InputError, TnverifyError

#: Modules that add subcommands (each defines ``register(sub, common)``).
COMMAND_MODULES = (
    "tnverify.cli_catalog",
    "tnverify.cli_networks",
    "tnverify.cli_kruskal",
    "tnverify.cli_generic",
    "tnverify.cli_numeric",
)


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors and exit code 2."""

    def error(self, message):  # noqa: D401 - argparse API
        raise InputError(f"{self.prog}: {message}")


def emit(args, payload: dict, text: str) -> None:
    """Print ``payload`` as JSON with ``--json``, else ``text``."""
    if getattr(args, "json", False):
        print(json.dumps(payload, default=str))
    else:
        print(text)


def status_exit(status: str) -> int:
    """Exit code for a result status."""
    return {"proved": EXIT_OK, "refuted": EXIT_FAILED}.get(status, EXIT_INCONCLUSIVE)


# ---------------------------------------------------------------------- rank
def _cmd_rank(args) -> int:
    from . import certificate as C
    from .exact import parse_field, rank, reduce_mod
    from .io import load_array
    from .tensor import flatten, parse_modes

    t0 = time.perf_counter()
    F = parse_field(args.field)
    T = load_array(args.file, allow_pickle=args.allow_pickle)
    if T.ndim == 1:
        raise InputError(f"expected a matrix or a tensor of order >= 2 in {args.file}, got a vector of length {T.shape[0]}")
    if F.kind == "GF":
        T = reduce_mod(T, F.p)
    rows = parse_modes(args.rows, T.ndim) if (T.ndim > 2 or args.rows) else (0,)
    M = T if (T.ndim == 2 and rows == (0,)) else flatten(T, rows)
    res = rank(M, F, seed=args.seed, upper=args.upper, jobs=args.jobs, scheduler=args.scheduler)
    seconds = time.perf_counter() - t0
    out = res.to_dict()
    out.update({"shape": list(M.shape), "tensor_shape": list(T.shape), "rows": list(rows), "seconds": round(seconds, 6)})
    if args.cert:
        if T.ndim == 2 and rows == (0,):
            cert = C.rank_certificate(res, M, {"object": "M"})
        else:
            cert = C.Certificate(objects={"T": C.tensor_object(T)})
            C.rank_certificate(res, M, {"object": "T", "rows": list(rows)}, cert)
        cert.claim.update({"statement": f"rank over {F} of the flattening rows={list(rows)} of {args.file}",
                           "status": res.status, "seed": res.seed})
        C.write(cert, args.cert)
        out["certificate"] = str(args.cert)
    if res.status == "proved":
        how = {"shape": "full rank", "kernel": f"{M.shape[1] - res.rank} exact kernel vectors",
               "modular": f"rank <= {res.upper} mod {len(res.primes)} primes beyond the Hadamard bound"}[res.upper_method]
        text = (f"rank over {F} = {res.rank} (proved)\n"
                f"  lower: nonzero {res.rank}x{res.rank} minor mod {res.prime}\n  upper: {how}")
    else:
        text = (f"rank over {F} = {res.rank} (probable)\n  lower: {res.lower} proved (nonzero minor mod {res.prime})\n"
                f"  upper: {res.upper} modulo {len(res.primes)} random primes, failure probability <= "
                f"{res.failure_probability:.3g}; proved upper bound {res.upper_proved}")
    text += f"\n  matrix {M.shape[0]} x {M.shape[1]}, {seconds:.3f} s"
    emit(args, out, text)
    return status_exit(res.status)


# --------------------------------------------------------------------- check
def _cmd_check(args) -> int:
    from .checker import check

    v = check(args.certificate, allow_code=args.allow_code)
    if args.json:
        print(json.dumps(v.to_dict()))
    else:
        print(v.text())
    return v.exit_code


# --------------------------------------------------------------------- bench
def _cmd_bench(args) -> int:
    from . import bench

    rows = bench.run(args.cases, repeat=args.repeat, quick=args.quick)
    if args.json:
        print(json.dumps(rows))
    else:
        print(bench.table(rows))
    return EXIT_OK if all(r.get("met", True) is not False for r in rows) else EXIT_FAILED


def build_parser() -> argparse.ArgumentParser:
    common = _Parser(add_help=False)
    common.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    parser = _Parser(prog="tnverify", description="Certified facts from the tensor theory of deep networks.")
    from . import __version__

    parser.add_argument("--version", action="version", version=f"tnverify {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    p = sub.add_parser("rank", parents=[common], help="exact rank of a matrix or flattening, with witnesses")
    p.add_argument("file", help="matrix or tensor: .npy, .json or .txt")
    p.add_argument("--rows", help="row modes of the flattening, e.g. 0,2 (default: mode 0)")
    p.add_argument("--field", default="Q", help="Q (default) or GF(p)")
    p.add_argument("--seed", type=cli_args.seed, default=0, help="seed of the random primes (recorded)")
    p.add_argument("--upper", default="auto", choices=["auto", "kernel", "modular", "probable"],
                   help="upper-bound witness over Q")
    p.add_argument("--cert", help="write a certificate to this JSON file")
    p.add_argument("--allow-pickle", action="store_true", help="accept object .npy files (pickle can run code)")
    p.add_argument("--jobs", type=cli_args.positive, default=1, help="local processes for the ranks modulo the upper-bound primes")
    p.add_argument("--scheduler", help="Dask scheduler address for those ranks, e.g. tcp://127.0.0.1:8786")
    p.set_defaults(func=_cmd_rank)

    p = sub.add_parser("check", parents=[common], help="verify a certificate with the independent checker")
    p.add_argument("certificate")
    p.add_argument("--allow-code", action="store_true",
                   help="let a certificate about a user's own forward pass run that code (its SHA-256 is checked)")
    p.set_defaults(func=_cmd_check)

    p = sub.add_parser("bench", parents=[common], help="benchmarks against baselines, side by side")
    p.add_argument("cases", nargs="*", help="case names or groups (default: all)")
    p.add_argument("--repeat", type=int, default=3, help="repetitions (median reported)")
    p.add_argument("--quick", action="store_true", help="smaller sizes (a smoke run, not the targets)")
    p.set_defaults(func=_cmd_bench)

    for name in COMMAND_MODULES:
        try:
            mod = importlib.import_module(name)
        except ModuleNotFoundError as e:
            if e.name != name:
                raise
            continue
        mod.register(sub, common)
    return parser


#: Options that name a file a command writes.
OUTPUT_OPTIONS = ("cert", "out", "output", "csv", "plot")


def _prepare_outputs(args) -> None:
    """Before any work: an output option must not name a directory; missing parents are made."""
    for name in OUTPUT_OPTIONS:
        value = getattr(args, name, None)
        if not isinstance(value, str):
            continue
        path = Path(value)
        if path.is_dir():
            raise InputError(f"expected a file name for --{name}, got the directory {value!r}")
        path.parent.mkdir(parents=True, exist_ok=True)


def _fail(as_json: bool, message: str, code: int) -> int:
    """Report a user error: one line on stderr and, with ``--json``, one JSON object on stdout."""
    print(f"tnverify: error: {message}", file=sys.stderr)
    if as_json:
        print(json.dumps({"status": "error", "exit_code": code, "message": message}))
    return code


def main(argv=None) -> int:
    """Entry point of the ``tnverify`` console script; returns the exit code.

    Errors the user can cause end here as one line and exit code 2 (or the
    :class:`~tnverify.errors.TnverifyError`'s own code), never as a traceback: tnverify's own
    errors, files that cannot be read or written, text that is not UTF-8, input nested too
    deeply and input too large for the memory. Python's limit on the digits of integer/text
    conversions is lifted: exact input may hold integers of any size.
    """
    argv = sys.argv[1:] if argv is None else list(argv)
    old = sys.get_int_max_str_digits()
    sys.set_int_max_str_digits(0)
    try:
        return _main(argv)
    finally:
        sys.set_int_max_str_digits(old)


def _main(argv: list) -> int:
    as_json = "--json" in argv
    for stream in (sys.stdout, sys.stderr):  # text from a certificate may hold lone surrogates
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")
    try:
        parser = build_parser()
        args = parser.parse_args(argv)
        if not getattr(args, "func", None):
            parser.print_help(sys.stderr)
            return EXIT_USAGE
        _prepare_outputs(args)
        return args.func(args)
    except TnverifyError as e:
        return _fail(as_json, str(e), e.exit_code)
    except KeyboardInterrupt:
        print("tnverify: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return EXIT_OK
    except OSError as e:  # a path the user gave: missing, a directory, no permission, exists
        what = f" {e.filename!r}" if e.filename is not None else ""
        return _fail(as_json, f"cannot use{what}: {e.strerror or e}", EXIT_USAGE)
    except UnicodeDecodeError as e:
        return _fail(as_json, f"expected UTF-8 text, got the byte 0x{e.object[e.start]:02x} at offset {e.start} "
                              "(a binary file where a text file was expected?)", EXIT_USAGE)
    except RecursionError:
        return _fail(as_json, "expected input nested at most a few hundred levels deep, got deeper nesting",
                     EXIT_USAGE)
    except MemoryError:
        return _fail(as_json, "the input needs more memory than is available; use smaller sizes", EXIT_USAGE)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
