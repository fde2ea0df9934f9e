"""``tnverify rank``: the exact rank of a matrix or of a flattening, with witnesses; ``--notion border``: a
proved lower bound on the border rank of a tensor."""
from __future__ import annotations

import math
import time

from tnverify.cli import args as cli_args
from tnverify.cli._output import emit, status_exit, warn, write_cert
from tnverify.errors import InputError

__all__ = ["register", "npy_shape"]


def _modes(spec, order: int):
    """Row modes of ``--partition``: a named partition (interleaved, left-right), or the modes in the order given."""
    if isinstance(spec, str):
        from tnverify.networks.partitions import parse_partition

        return parse_partition(spec, order)
    return spec


def npy_shape(path) -> tuple | None:
    """The shape in a ``.npy`` file's header, read without the data; None for anything else.

    Files that cannot be memory-mapped (object arrays, bad headers, other formats) give None
    and are left to :func:`tnverify.exact.io.load_array`, which says what is wrong with them.
    """
    import numpy as np

    if not str(path).lower().endswith(".npy"):
        return None
    try:
        return tuple(np.load(path, mmap_mode="r").shape)  # reads the header only
    except Exception:  # noqa: BLE001 - load_array gives the one-line reason
        return None


#: Bytes per matrix entry that checking a rank certificate holds at its peak: the JSON text, the
#: parsed rows of Python integers and FLINT's copy (measured: 36 M entries, 2.9 GB in all).
CHECK_BYTES_PER_ENTRY = 80


def _require_check(m: int, n: int, what: str) -> None:
    """The checker's memory for a rank certificate of an m x n matrix (skipped with ``--no-check``)."""
    from tnverify import budget

    budget.require(f"checking the certificate of {what} (or --no-check)", memory=CHECK_BYTES_PER_ENTRY * m * n)


def _require_npy(path: str, partition, F, check: bool = True) -> None:
    """A ``.npy`` file: refuse a rank over the budget from the header's shape, before the data is read.

    The rank itself checks the budget again once the matrix exists (any format); with ``check``
    the memory of checking its certificate counts too.
    """
    from tnverify.exact.rank import require_rank
    from tnverify.exact.tensor import parse_modes

    shape = npy_shape(path)
    if shape is None or len(shape) < 2 or 0 in shape:
        return
    rows = parse_modes(_modes(partition, len(shape)), len(shape)) if (len(shape) > 2 or partition) else (0,)
    m = math.prod(shape[k] for k in rows)
    n = math.prod(shape) // m
    require_rank(m, n, F, f"the rank over {F} of the {m} x {n} matrix in {path}")
    if check:
        _require_check(m, n, f"the rank of the {m} x {n} matrix in {path}")


def _cmd_rank(args) -> int:
    from tnverify import certificate as C
    from tnverify.cli._output import certified
    from tnverify.exact import parse_field, rank, reduce_mod
    from tnverify.exact.rank import rank_certificate
    from tnverify.exact.io import load_array
    from tnverify.exact.tensor import flatten, parse_modes

    t0 = time.perf_counter()
    if args.symmetric:
        return _border_form(args, t0)
    if args.notion == "border" or args.koszul is not None:
        return _border(args, t0)
    F = parse_field(args.field)
    if args.scheduler:
        from tnverify.parallel import check_scheduler

        check_scheduler(args.scheduler)  # used only for the upper-bound primes: checked now, whatever the rank
    _require_npy(args.file, args.partition, F, check=not args.no_check)
    T = load_array(args.file, allow_pickle=args.allow_pickle)
    if T.ndim == 1:
        raise InputError(f"expected a matrix or a tensor of order >= 2 in {args.file}, got a vector of length {T.shape[0]}")
    if F.kind == "GF":
        T = reduce_mod(T, F.p)
    rows = parse_modes(_modes(args.partition, T.ndim), T.ndim) if (T.ndim > 2 or args.partition) else (0,)
    M = T if (T.ndim == 2 and rows == (0,)) else flatten(T, rows)
    if not args.no_check:
        _require_check(M.shape[0], M.shape[1], f"the rank of the {M.shape[0]} x {M.shape[1]} matrix in {args.file}")
    res = rank(M, F, seed=args.seed, upper=args.upper, jobs=args.jobs, scheduler=args.scheduler)
    seconds = time.perf_counter() - t0
    out = res.to_dict()
    out.update({"shape": list(M.shape), "tensor_shape": list(T.shape), "rows": list(rows), "seconds": round(seconds, 6)})
    cert = None
    if args.cert or res.status == "proved":
        if T.ndim == 2 and rows == (0,):
            cert = rank_certificate(res, M, {"object": "M"})
        else:
            cert = C.Certificate(objects={"T": C.tensor_object(T)})
            rank_certificate(res, M, {"object": "T", "rows": list(rows)}, cert)
        cert.claim.update({"statement": f"rank over {F} of the flattening rows={list(rows)} of {args.file}",
                           "status": res.status, "seed": res.seed})
    status, checked = certified(args, out, res.status, cert)
    write_cert(args, cert, out)
    if res.status == "proved":
        how = {"shape": "full rank", "kernel": f"{M.shape[1] - res.rank} exact kernel vectors",
               "modular": f"rank <= {res.upper} mod {len(res.primes)} primes beyond the Hadamard bound"}[res.upper_method]
        text = (f"rank over {F} = {res.rank} (proved)\n"
                f"  lower: nonzero {res.rank}x{res.rank} minor mod {res.prime}\n  upper: {how}")
    else:
        bits = "/".join(sorted({str(int(q).bit_length()) for q in res.primes}))
        text = (f"rank over {F} = {res.rank} (probable)\n  lower: {res.lower} proved (nonzero minor mod {res.prime})\n"
                f"  upper: {res.upper} modulo {len(res.primes)} random {bits}-bit primes, failure probability <= "
                f"{res.failure_probability:.3g}; proved upper bound {res.upper_proved}")
    text += f"\n  matrix {M.shape[0]} x {M.shape[1]}, {seconds:.3f} s"
    if status != res.status:
        text = text.replace(f"({res.status})", "(unknown: the checker did not verify it)", 1)
    emit(args, out, text + checked)
    return status_exit(status)


def _verified(args, res, extra: dict, what: str, t0: float) -> dict | None:
    """The JSON payload of a border-rank result once the checker VERIFIED its certificate (written to
    ``--cert``); None after reporting that it did not (never reported as proved without the checker)."""
    from tnverify import certificate as C
    from tnverify.checker import check

    verdict = check(C.dumps(res.certificate))
    out = {**res.to_dict(), **extra, "checker": verdict.status, "seconds": round(time.perf_counter() - t0, 6)}
    if not verdict.ok:
        out.update({"status": "unknown", "lower": None})
        if args.cert:
            warn(f"the checker did not verify the certificate, so {args.cert} was not written")
        emit(args, out, f"{what} over C: no verified bound ({verdict.status}: {verdict.message})")
        return None
    write_cert(args, res.certificate, out, status=res.status)
    return out


def _border(args, t0: float) -> int:
    """``--notion border``: a proved lower bound on the border rank (over C) of the tensor in the file.

    The witness is a flattening or a Koszul-Young flattening (:mod:`tnverify.theory.koszul`) with a
    nonzero minor mod p; the certificate goes through the checker before anything is reported proved.
    """
    from tnverify.exact.io import load_array
    from tnverify.theory.koszul import border_rank_lower

    if args.koszul is not None and args.notion != "border":
        raise InputError("--koszul A chooses the Koszul-Young flattening of --notion border; add --notion border")
    if args.partition is not None or args.field != "Q":
        raise InputError("--notion border takes no --partition or --field: it bounds the border rank over C "
                         "from every flattening and Koszul-Young flattening")
    T = load_array(args.file, allow_pickle=args.allow_pickle)
    res = border_rank_lower(T, seed=args.seed, mode=args.koszul)
    out = _verified(args, res, {"tensor_shape": list(T.shape)}, "border rank", t0)
    if out is None:
        return status_exit("unknown")
    shape = "x".join(map(str, T.shape))
    slices = res.upper == min(math.prod(T.shape) // n for n in T.shape)
    source = ("the slices" if slices else f"Terracini: sigma_{res.upper} fills the {shape} format, so every tensor "
              "of it is a limit of tensors of rank <= " + str(res.upper))
    head = (f"border rank over C = {res.lower} (proved)" if res.status == "proved" else
            f"border rank over C in [{res.lower}, {res.upper}] (unknown; both bounds proved)")
    emit(args, out, f"{head}\n  lower: {res.witness}, nonzero minor mod {res.prime} (checker: VERIFIED)\n"
                    f"  upper: {res.upper}, from {source}\n  tensor {shape}, {out['seconds']:.3f} s")
    return status_exit(res.status)


def _load_form(path: str, allow_pickle: bool):
    """The form in ``path``: a polynomial in x0, x1, ... (``.poly``), or a symmetric tensor (any array file)."""
    import os

    from tnverify import budget
    from tnverify.exact.io import load_array
    from tnverify.theory.young import form_from_tensor, parse_form

    if str(path).lower().endswith(".poly"):
        try:
            size = os.path.getsize(path)
        except OSError as e:
            raise InputError(f"expected a readable polynomial file, got {path}: {e.strerror}") from None
        budget.require(f"reading the polynomial in {path}", memory=8 * size, work=size)
        try:
            text = open(path, encoding="ascii").read()
        except (OSError, UnicodeDecodeError):
            raise InputError(f"expected an ASCII polynomial like x0^3 - 2*x1*x2^2 in {path}") from None
        return parse_form(text)
    return form_from_tensor(load_array(path, allow_pickle=allow_pickle))


def _border_form(args, t0: float) -> int:
    """``--notion border --symmetric``: a proved lower bound on the Waring border rank of a form.

    The witness is a catalecticant or a Young flattening (:mod:`tnverify.theory.young`) with a
    nonzero minor mod p; the certificate goes through the checker before anything is reported proved.
    """
    from tnverify.theory.young import waring_border_lower

    if args.notion != "border":
        raise InputError("--symmetric bounds the Waring border rank of a form; add --notion border")
    if args.koszul is not None or args.partition is not None or args.field != "Q":
        raise InputError("--notion border --symmetric takes no --koszul, --partition or --field: it bounds the "
                         "Waring border rank over C from every catalecticant and Young flattening")
    f = _load_form(args.file, args.allow_pickle)
    res = waring_border_lower(f, seed=args.seed)
    out = _verified(args, res, {"notion": "Waring border rank", "variables": f.n, "degree": f.d},
                    "Waring border rank", t0)
    if out is None:
        return status_exit("unknown")
    head = (f"Waring border rank over C = {res.lower} (proved)" if res.status == "proved" else
            f"Waring border rank over C in [{res.lower}, {res.upper}] (unknown; both bounds proved: the upper "
            + ("by Terracini, sigma_R fills S^d(C^n)" if res.upper < math.comb(f.n + f.d - 1, f.d)
               else "is C(n+d-1, d)") + ")")
    emit(args, out, f"{head}\n  witness: {res.witness}, nonzero minor mod {res.prime} (checker: VERIFIED)\n"
                    f"  {f.describe()}, {out['seconds']:.3f} s")
    return status_exit(res.status)


def register(sub, common) -> None:
    """Add this module's subcommands to ``sub`` (``common`` holds the shared options)."""
    p = sub.add_parser("rank", parents=[common], help="exact rank of a matrix or flattening, with witnesses")
    p.add_argument("file", help="matrix or tensor: .npy, .json or .txt")
    cli_args.option(p, "--partition", type=cli_args.partition, metavar="SPEC",
                   help="row modes of the flattening, in this order: 0,2 or interleaved, left-right "
                        "(default: mode 0)")
    cli_args.alias(p, "--rows", "--partition", dest="partition", type=cli_args.partition)
    p.add_argument("--field", default="Q", help="Q (default) or GF(p)")
    p.add_argument("--notion", default="rank", choices=["rank", "border"],
                   help="rank: the exact rank of the matrix or flattening (default); border: a proved lower "
                        "bound on the border rank over C of the tensor (flattenings and Koszul-Young flattenings)")
    p.add_argument("--koszul", type=cli_args.integer, metavar="A",
                   help="with --notion border: use only Koszul-Young flattenings with A = this mode (dim >= 3)")
    p.add_argument("--symmetric", action="store_true",
                   help="with --notion border: FILE is a form, a polynomial in x0, x1, ... (.poly) or a symmetric "
                        "tensor; bound its Waring border rank by catalecticants and Young flattenings")
    cli_args.add_seed(p, "the random primes")
    p.add_argument("--upper", default="auto", choices=["auto", "kernel", "modular", "probable"],
                   help="upper-bound witness over Q")
    cli_args.add_cert(p)
    cli_args.add_no_check(p)
    p.add_argument("--allow-pickle", action="store_true", help="accept object .npy files (pickle can run code)")
    p.add_argument("--jobs", type=cli_args.positive, default=1, help="local processes for the ranks modulo the upper-bound primes")
    p.add_argument("--scheduler", help="Dask scheduler address for those ranks, e.g. tcp://127.0.0.1:8786")
    p.set_defaults(func=_cmd_rank)
