"""The ``tnverify`` command line.

Results go to stdout (text for people, one JSON object with ``--json``); errors
go to stderr as one line; progress bars go to stderr. Exit codes, shared by every
subcommand: 0 proved / as expected, 1 refuted or a check failed, 2 usage or bad
input, 3 inconclusive where a definite answer is demanded, 130 interrupted (Ctrl-C: the one
line ``tnverify: interrupted``; local workers are stopped, and files are written atomically,
:mod:`tnverify.files`, so none is left partial). Every line printed is bounded
(:mod:`tnverify.messages`).

Each command module of this package (``rank``, ``check``, ``catalog``, ``networks``,
``kruskal``, ``terracini``, ``numeric``, ``bench``) registers its subcommands with a
``register(sub, common)`` function; :mod:`tnverify.cli._output` holds what they share.
This module parses, prints the warning line of each deprecated spelling used
(:mod:`tnverify.cli.args`; the convention is in docs/cli.md), prepares output paths and
turns user errors into one line.
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from tnverify import budget
from tnverify.cli._output import fail as _fail
from tnverify.cli.args import flush_deprecations
from tnverify.errors import EXIT_OK, EXIT_USAGE, InputError, TnverifyError

class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors and exit code 2."""

    def error(self, message):  # noqa: D401 - argparse API
        raise InputError(f"{self.prog}: {message}")


def _budget_factor(text: str) -> float:
    try:
        return budget.parse_factor(text)
    except InputError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def build_parser() -> argparse.ArgumentParser:
    """The argument parser: the shared options and every command module's subcommands."""
    common = _Parser(add_help=False)
    common.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    common.add_argument("--budget", type=_budget_factor, default=None, metavar="N",
                        help="multiply the memory and work budgets by N (0 = no limit; default 1 or "
                             "$TNVERIFY_BUDGET); a request over budget stops before it starts")
    parser = _Parser(prog="tnverify", description="Certified facts from the tensor theory of deep networks.")
    from tnverify import __version__

    parser.add_argument("--version", action="version", version=f"tnverify {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    from tnverify.cli import bench, catalog, check, kruskal, layers, learning, networks, numeric, rank, terracini

    for module in (rank, check, catalog, networks, kruskal, terracini, numeric, layers, learning, bench):
        module.register(sub, common)
    return parser


#: Options that name a file a command writes (destinations: ``--cert``, ``-o/--output``, ``--plot``).
OUTPUT_OPTIONS = ("cert", "output", "plot")


def _prepare_outputs(args) -> None:
    """Before any work: an output option must not name a directory or one of the command's input files
    (``rank v.npy --cert v.npy`` would replace the matrix by its certificate); missing parents are made."""
    inputs = []
    for name, value in vars(args).items():
        if name in OUTPUT_OPTIONS:
            continue
        for v in (value if isinstance(value, list) else [value]):
            if not isinstance(v, str):
                continue
            for path in (v, v.rsplit(":", 1)[0]):  # FILE, or the FILE of --forward FILE.py:FUNCTION
                if os.path.isfile(path):
                    inputs.append((name, path))
    for name in OUTPUT_OPTIONS:
        value = getattr(args, name, None)
        if not isinstance(value, str):
            continue
        path = Path(value)
        if not value.strip():
            raise InputError(f"expected a file name for --{name}, got an empty one")
        if path.is_dir():
            raise InputError(f"expected a file name for --{name}, got the directory {value!r}")
        if path.exists():
            for src, v in inputs:
                if os.path.samefile(path, v):
                    raise InputError(f"expected --{name} to name a new file, got {value!r}, which is the input "
                                     f"{'FILE' if src == 'file' else '--' + src.replace('_', '-')}: it would be "
                                     "overwritten")
        path.parent.mkdir(parents=True, exist_ok=True)


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
        budget.set_factor(None)  # the next call (tests call main in-process) starts from the environment again


def _main(argv: list) -> int:
    as_json = "--json" in argv
    for stream in (sys.stdout, sys.stderr):  # text from a certificate may hold lone surrogates
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")
    try:
        parser = build_parser()
        args, extra = parser.parse_known_args(argv)
        if extra:  # named after the subcommand that did not take them
            command = next((a for a in argv if not a.startswith("-")), None)
            raise InputError(f"{parser.prog}{' ' + command if command else ''}: unrecognized arguments: "
                             f"{' '.join(extra)}")
        if not getattr(args, "func", None):
            parser.print_help(sys.stderr)
            return EXIT_USAGE
        flush_deprecations(args)
        given = getattr(args, "budget", None)
        budget.set_factor(given if given is not None else budget.factor())  # a bad $TNVERIFY_BUDGET fails here
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
