"""CLI: ``kruskal`` (Kruskal rank), ``unique`` (CP uniqueness), ``identifiable`` (polynomial networks).

Exit codes: 0 proved (unique / identifiable / not identifiable / k-rank determined),
3 unknown (bounds do not meet, no sufficient condition holds), 2 bad input.
"""
from __future__ import annotations

import sys

from tnverify.cli import args as cli_args
from tnverify.cli._output import write_cert
from tnverify.cli.rank import npy_shape
from tnverify.errors import InputError

__all__ = ["register"]


# ------------------------------------------------------------------ kruskal
def _cmd_kruskal(args) -> int:
    from tnverify.cli._output import certified, emit, status_exit
    from tnverify.exact.io import load_array
    from tnverify.theory.kruskal import generic_kruskal_rank, kruskal_certificate, kruskal_rank

    if (args.file is None) == (args.shape is None):
        raise InputError("expected a matrix FILE or --shape I,R (a generic I x R matrix), exactly one")
    if args.scheduler:
        from tnverify.parallel import check_scheduler

        check_scheduler(args.scheduler)  # an address given is never ignored, even where no chunk needs it
    shape = npy_shape(args.file) if args.file else None
    if shape is not None and len(shape) == 2:  # before the data is read
        from tnverify import budget
        from tnverify.theory.kruskal import BYTES_PER_ENTRY

        budget.require(f"the Kruskal rank of the {shape[0]} x {shape[1]} matrix in {args.file}",
                       memory=BYTES_PER_ENTRY * float(shape[0]) * shape[1])
    if args.shape is not None and args.field is not None:
        raise InputError(f"--field is for a matrix FILE; --shape is about generic complex matrices, got --field "
                         f"{args.field}")
    if args.shape is not None:
        I, R = args.shape  # two positive integers (cli_args.matrix_shape)
        res, A = generic_kruskal_rank(I, R, seed=args.seed)
        what = f"generic {I} x {R} matrices (proved at a random point; valid over C)"
    else:
        A = load_array(args.file, allow_pickle=args.allow_pickle)
        if A.ndim != 2:
            raise InputError(f"expected a matrix in {args.file}, got an array of shape {A.shape}")
        res = kruskal_rank(A, args.field or "Q", k_max=args.k_max, max_subsets=args.max_subsets, timeout=args.timeout,
                           seed=args.seed, progress=not args.no_progress and sys.stderr.isatty(),
                           jobs=args.jobs, scheduler=args.scheduler)
        what = f"{args.file} ({A.shape[0]} x {A.shape[1]}) over {res.field}"
    out = res.to_dict()
    if args.shape is not None:  # a statement about generic matrices, proved at one random point
        out.update({"field": "C", "notion": "generic Kruskal rank"})
    cert = None
    if args.cert or res.status == "proved":
        cert = kruskal_certificate(res, A)
        if args.shape is not None:
            cert.meta["generic"] = f"the point is a random {A.shape[0]} x {A.shape[1]} matrix; k >= lower is open"
        cert.claim.update({"statement": f"Kruskal rank of {what}", "status": res.status})
    status, checked = certified(args, out, res.status, cert)
    write_cert(args, cert, out)
    if status == "proved":
        text = f"Kruskal rank of {what} = {res.k_rank} (proved)"
    else:
        why = res.reason if status == res.status else "the checker did not verify it"
        text = f"Kruskal rank of {what} in [{res.lower}, {res.upper}] (unknown: {why})"
    text += f"\n  lower: every {res.lower} columns independent mod {res.prime}"
    if res.witness:
        text += f"\n  upper: columns {res.witness} dependent, exact kernel vector {res.kernel}"
    else:
        text += f"\n  upper: {res.upper} (shape)"
    text += f"\n  {res.n_checked} subsets checked, {res.seconds:.3f} s"
    emit(args, out, text + checked)
    return status_exit(status)


# ------------------------------------------------------------------ unique
def _cmd_unique(args) -> int:
    from tnverify.cli._output import certified, emit, status_exit
    from tnverify.exact.io import load_array
    from tnverify.theory.uniqueness import factors_uniqueness, generic_uniqueness, exact_jennrich

    modes = [args.factors is not None, args.shape is not None, args.tensor is not None]
    if sum(modes) != 1:
        raise InputError("expected exactly one of --factors A B C ..., --shape I,J,K --rank R, --tensor T")
    if args.symmetric and args.shape is None:
        raise InputError("--symmetric applies to --shape I,I,I --rank R only (for given factors, pass the "
                         "same matrix several times)")
    if args.factors is not None:
        if len(args.factors) < 3:
            raise InputError(f"expected at least 3 factor matrices, got {len(args.factors)}")
        Fs = [load_array(f, allow_pickle=args.allow_pickle) for f in args.factors]
        cols = [F.shape[1] if F.ndim == 2 else None for F in Fs]
        if args.rank is not None and any(c != args.rank for c in cols):
            raise InputError(f"expected factor matrices with --rank {args.rank} columns, got column counts "
                             f"{cols} in {', '.join(args.factors)}")
        res = factors_uniqueness(Fs, seed=args.seed, max_subsets=args.max_subsets)
        what = "the CP decomposition with factors " + ", ".join(args.factors)
    elif args.shape is not None:
        if args.rank is None:
            raise InputError("--shape needs --rank R")
        res = generic_uniqueness(list(args.shape), args.rank, symmetric=args.symmetric, seed=args.seed)
        what = (f"generic rank-{args.rank} {'symmetric ' if args.symmetric else ''}CP of format "
                f"{','.join(map(str, args.shape))}")
    else:
        T = load_array(args.tensor, allow_pickle=args.allow_pickle)
        jr = exact_jennrich(T, seed=args.seed)
        if jr.uniqueness is None:
            out = {"status": "unknown", "verdict": "unknown", "method": "jennrich", "message": jr.message}
            write_cert(args, None, out)  # no decomposition, no certificate: a warning, no file
            emit(args, out, f"Jennrich on {args.tensor}: unknown -- {jr.message}")
            return 3
        res = jr.uniqueness
        res.values.update({"method": "jennrich", "factors": [[[str(x) for x in row] for row in F]
                                                             for F in jr.factors]})
        what = f"the tensor {args.tensor} (Jennrich: exact rank-{jr.rank} decomposition over Q)"
    out = res.to_dict()
    if res.certificate is not None:
        res.certificate.claim.update({"statement": f"uniqueness of {what}", "status": res.status})
    status, checked = certified(args, out, res.status, res.certificate)
    write_cert(args, res.certificate, out)
    text = f"{what}:\n{res.text()}" + checked
    if status != res.status:
        text = text.replace(f"({res.status})", "(unknown: the checker did not verify it)", 1)
    if out.get("criterion"):
        text += f"\n  decided by: {out['criterion']}"
    if args.explain:
        text += _explain(args, out)
    emit(args, out, text)
    return status_exit(status)


def _explain(args, out: dict) -> str:
    """``--explain``: the range of ranks each criterion covers for the format (a table, also in the JSON)."""
    from tnverify.theory.cov import criteria_ranges

    shape = out.get("format")
    if not shape or out.get("symmetric") or len(shape) < 3:
        return "\n  (--explain: ranges are tabled for non-symmetric formats)"
    rows = criteria_ranges(shape, seed=args.seed)
    out["ranges"] = [{"criterion": c, "range": r, "condition": h} for c, r, h in rows]
    w, wr = max(len(c) for c, _, _ in rows), max(len(r) for _, r, _ in rows)
    lines = [f"\n  ranges for the format {','.join(map(str, shape))} (rank R):"]
    lines += [f"    {c:<{w}}  {r:<{wr}}  {h}" for c, r, h in rows]
    return "\n".join(lines)


# ------------------------------------------------------------------ identifiable
def _cmd_identifiable(args) -> int:
    from tnverify.cli._output import certified, emit, status_exit
    from tnverify.exact.io import load_array
    from tnverify.theory.uniqueness import pnn_identifiability

    widths = list(args.widths)
    if len(widths) < 2:
        raise InputError(f"expected --widths n,m[,o] (inputs, neurons, outputs), got {','.join(map(str, widths))}")
    if args.degree < 1:
        raise InputError(f"expected --degree >= 1, got {args.degree}")
    if len(widths) > 3:
        return _deep(args, widths)
    n, m = widths[:2]
    o = widths[2] if len(widths) == 3 else 1
    W = V = None
    if args.weights:
        W = load_array(args.weights, allow_pickle=args.allow_pickle)
        V = load_array(args.outputs, allow_pickle=args.allow_pickle) if args.outputs else None
    res = pnn_identifiability(n, m, args.degree, o, seed=args.seed, W=W, V=V)
    out = res.to_dict()
    what = f"2-layer polynomial network widths {widths}, degree {args.degree}"
    if res.certificate is not None:
        res.certificate.claim.update({"statement": f"identifiability of the {what}", "status": res.status})
    status, checked = certified(args, out, res.status, res.certificate)
    write_cert(args, res.certificate, out)
    held = [c.name for c in res.conditions if c.held]
    out["criterion"] = held[-1] if held and status != "unknown" else None
    text = f"{what}:\n{res.text()}" + checked + (f"\n  decided by: {out['criterion']}" if out["criterion"] else "")
    if status != res.status:
        text = text.replace(f"({res.status})", "(unknown: the checker did not verify it)", 1)
    if args.explain:
        text += _pnn_explain(n, o, args.degree, out)
    emit(args, out, text)
    return status_exit(status)


def _pnn_explain(n: int, o: int, d: int, out: dict) -> str:
    """``--explain`` for 2-layer networks: the widths m each criterion covers (expected k-ranks at generic weights)."""
    import math

    from tnverify.theory.kruskal import best_grouping

    ambient = o * math.comb(n + d - 1, d)
    kr = 0
    for m in range(1, ambient + 1):
        g = best_grouping(n, m, d, 2 if o > 1 else 3)
        ks = [min(math.comb(n + a - 1, a), m) for a in g] + ([min(o, m)] if o > 1 else []) if g else []
        if ks and sum(ks) >= 2 * m + len(ks) - 1:
            kr = m
    refuted = ambient // (n + o - 1) + 1
    rows = [("Kruskal on a grouping of the modes", f"m <= {kr}" if kr else "none", "expected k-ranks of W^(a)"),
            ("parameter count (not identifiable)", f"m >= {refuted}", f"m (n + o - 1) > o C(n+d-1, d) = {ambient}")]
    out["ranges"] = [{"criterion": c, "range": r, "condition": h} for c, r, h in rows]
    w = max(len(c) for c, _, _ in rows)
    return "\n".join([f"\n  ranges for n = {n}, o = {o}, degree {d} (width m):"]
                     + [f"    {c:<{w}}  {r:<12} {h}" for c, r, h in rows])


def _deep(args, widths) -> int:
    from tnverify.cli._output import certified, emit
    from tnverify.theory.terracini import deep_identifiability

    d = deep_identifiability(widths, args.degree, args.seed)
    cert = d.pop("certificate_obj", None)
    ident = d.get("identifiable")
    if cert is not None:
        cert.claim.update({"statement": f"local identifiability of the polynomial network {widths}",
                           "status": d.get("identifiability_status", "unknown")})
    status, checked = certified(args, d, d.get("identifiability_status", "unknown"), cert,
                                key="identifiability_status")
    write_cert(args, cert, d)
    verdict = {True: "locally identifiable", False: "NOT identifiable (positive-dimensional fibres)",
               None: "unknown"}[ident if status != "unknown" else None]
    emit(args, d, f"deep polynomial network widths {widths}, degree {args.degree}: {verdict} ({status}) "
                  f"-- {d.get('notion', '')} [tnverify.theory.terracini]" + checked)
    return 0 if status == "proved" else 3


def register(sub, common) -> None:
    """Add the ``kruskal``, ``unique`` and ``identifiable`` subcommands."""
    p = sub.add_parser("kruskal", parents=[common], help="Kruskal rank of a matrix with certified bounds")
    p.add_argument("file", nargs="?", help="matrix: .npy, .json or .txt")
    cli_args.add_shape(p, "a generic I x R matrix instead of a file, e.g. 4,6", type=cli_args.matrix_shape,
                       metavar="I,R")
    cli_args.alias(p, "--generic", "--shape", dest="shape", type=cli_args.matrix_shape)
    p.add_argument("--field", help="Q (default) or GF(p), for a matrix FILE")
    p.add_argument("--k-max", type=cli_args.integer, help="stop at this size")
    p.add_argument("--max-subsets", type=cli_args.positive, help="budget of subset tests")
    p.add_argument("--timeout", type=cli_args.positive_real, help="time budget in seconds")
    cli_args.add_seed(p, "the primes / random point")
    cli_args.add_cert(p)
    cli_args.add_no_check(p)
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument("--jobs", type=cli_args.positive, default=1, help="local processes for enumeration chunks (for clusters, "
                   "see --scheduler; one process already uses every core)")
    p.add_argument("--scheduler", help="Dask scheduler address for enumeration chunks")
    p.add_argument("--allow-pickle", action="store_true", help="accept object .npy files (pickle can run code)")
    p.set_defaults(func=_cmd_kruskal)

    p = sub.add_parser("unique", parents=[common], help="essential uniqueness of a CP decomposition")
    p.add_argument("--factors", nargs="+", metavar="FILE", help="factor matrices (same number of columns)")
    cli_args.add_shape(p, "format I,J,K,... of generic factors (with --rank R)")
    cli_args.add_rank(p, "the rank R (with --shape; with --factors, checked against their columns)")
    p.add_argument("--explain", action="store_true", help="add a table of the rank range each criterion covers "
                   "for the format (Kruskal, De Lathauwer, Domanov-De Lathauwer, COV, parameter count)")
    p.add_argument("--symmetric", action="store_true", help="symmetric CP (all factors equal; --shape I,I,I)")
    p.add_argument("--tensor", help="a 3-way tensor: exact Jennrich decomposition over Q, then uniqueness")
    p.add_argument("--max-subsets", type=cli_args.positive, help="budget of each Kruskal enumeration")
    cli_args.add_seed(p, "the primes / random point")
    cli_args.add_cert(p)
    cli_args.add_no_check(p)
    p.add_argument("--allow-pickle", action="store_true", help="accept object .npy files (pickle can run code)")
    p.set_defaults(func=_cmd_unique)

    p = sub.add_parser("identifiable", parents=[common],
                       help="identifiability of a polynomial network f(x) = V (W^T x)^d")
    cli_args.option(p, "--widths", type=cli_args.widths, required=True, metavar="N,M[,O]",
                    help="inputs, neurons, outputs, e.g. 4,5,1 (more entries: a deep network)")
    p.add_argument("--degree", type=cli_args.integer, required=True, help="degree d of the activation t^d")
    p.add_argument("--weights", help="first-layer weights W (n x m); default: generic")
    p.add_argument("--outputs", help="output weights V (o x m); default all ones")
    p.add_argument("--explain", action="store_true", help="add a table of the widths each criterion covers")
    cli_args.add_seed(p, "the random point and prime")
    cli_args.add_cert(p)
    cli_args.add_no_check(p)
    p.add_argument("--allow-pickle", action="store_true", help="accept object .npy files (pickle can run code)")
    p.set_defaults(func=_cmd_identifiable)
