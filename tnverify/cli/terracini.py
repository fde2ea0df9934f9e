"""CLI: ``generic-rank``, ``secant``, ``neurovariety``, ``neuro-identifiable``, ``ah-table``, ``neuro-plot``.

All dimensions are over C at generic points (stated in every output); each
command takes ``--json`` and ``--cert FILE`` (the certificate the independent
checker verifies) and exits 0 when proved, 3 when only bounds are known.
"""
from __future__ import annotations

import argparse
import math

from tnverify.cli import args as cli_args
from tnverify.cli._output import write_cert
from tnverify.errors import InputError

__all__ = ["register"]


def _pos(v: int, what: str) -> int:
    if v is None or v < 1:
        raise InputError(f"expected {what} >= 1, got {v}")
    return v


def _write(args, cert, payload, statement: str) -> None:
    """``--cert``: the certificate, its claim naming the statement, the seed and the reported status."""
    write_cert(args, cert, payload, statement=statement, seed=args.seed,
               status=payload.get("identifiability_status", payload.get("status")))


def _format_args(args):
    """The format: ``--shape`` (``--symmetric``: equal dimensions n,...,n, d of them = S^d(C^n)).

    Deprecated and still read, with one warning line: positional dimensions ``3 3 3`` and
    ``--symmetric --vars N --degree D``.
    """
    dims = args.shape
    if args.dims:
        if dims is not None:
            raise InputError("give the dimensions once, as --shape 3,3,3 (positional dimensions are deprecated)")
        dims = tuple(args.dims)
        cli_args.deprecated(args, f"giving dimensions as positional arguments ({' '.join(map(str, dims))})",
                            f"--shape {','.join(map(str, dims))}")
    if args.vars is not None or args.degree is not None:
        if dims is not None:
            raise InputError("give either --shape N,...,N --symmetric or --vars N --degree D, not both")
        n, d = _pos(args.vars, "--vars"), _pos(args.degree, "--degree")
        shape = ",".join([str(n)] * d) if d <= 6 else f"{n},{n},...,{n} ({d} entries)"
        cli_args.deprecated(args, f"--vars {n} --degree {d}", f"--shape {shape} --symmetric")
        return {"symmetric": (n, d)}
    if dims is None:
        raise InputError("expected a tensor format --shape 3,3,3 (with --symmetric: symmetric tensors, "
                         "e.g. --shape 3,3,3,3 --symmetric for quartic forms in 3 variables)")
    shown = ",".join(map(str, dims))
    if min(dims) < 2:
        raise InputError(f"expected every dimension >= 2 (a mode of dimension 1 only scales: drop it, e.g. "
                         f"1,3,4 is the 3 x 4 matrix format), got --shape {shown}")
    if args.symmetric:
        if len(set(dims)) != 1:
            raise InputError(f"expected equal dimensions with --symmetric (n,...,n: forms of degree d in n "
                             f"variables), got --shape {shown}")
        return {"symmetric": (dims[0], len(dims))}
    return {"dims": list(dims)}


def _ambient_below(f: dict, R: int) -> int | None:
    """The ambient dimension (prod n_k, or C(n+d-1, d) for S^d(C^n)) when it is below ``R``, else None.

    Built up factor by factor and stopped as soon as it reaches ``R``: never a huge product.
    """
    value = 1
    if "dims" in f:
        for n in f["dims"]:
            value *= n
            if value >= R:
                return None
        return value
    n, d = f["symmetric"]
    m, k = n - 1 + d, min(d, n - 1)
    for i in range(1, k + 1):  # C(m, k) = prod_{i <= k} (m - k + i) / i, each partial product an integer
        value = value * (m - k + i) // i
        if value >= R:
            return None
    return value


def _cmd_generic_rank(args) -> int:
    from tnverify.theory import terracini as G

    from tnverify.cli._output import certified, emit, status_exit

    r = G.generic_rank(**_format_args(args), seed=args.seed)
    out = r.to_dict()
    status, checked = certified(args, out, r.status, r.certificate)
    name = "x".join(str(n) for n, _ in r.blocks) if all(d == 1 for _, d in r.blocks) else \
        ", ".join(f"S^{d}(C^{n})" for n, d in r.blocks)
    _write(args, r.certificate, out, f"the generic rank over C of {name}")
    if status == "proved":
        text = (f"generic rank of {name} over C = {r.generic_rank} (proved)\n"
                f"  fills at R = {r.generic_rank}: Jacobian rank = ambient {r.ambient}\n"
                f"  not at R-1: {r.lower_source}\n  expected {r.expected}"
                + (" (defective)" if r.generic_rank != r.expected else ""))
    else:
        text = f"generic rank of {name} over C in [{r.lower}, {r.upper}] (unknown): {r.note}"
    emit(args, out, text + checked + f"\n  field: {G.FIELD_NOTE}")
    return status_exit(status)


def _dim_text(title: str, r, status: str, checked: str) -> str:
    from tnverify.theory import terracini as G

    d = r.to_dict()
    head = (f"{title} = {r.lower} (proved)" if status == "proved"
            else f"{title} in [{r.lower}, {r.upper}] (unknown)")
    return (f"{head}\n  lower: Jacobian rank mod {r.prime} (Terracini)\n  upper: {r.upper} ({r.upper_source})\n"
            f"  expected {r.expected}, ambient {r.ambient}, defective: {d['defective']}{checked}\n"
            f"  field: {G.FIELD_NOTE}")


def _cmd_secant(args) -> int:
    from tnverify.theory import terracini as G

    from tnverify.cli._output import certified, emit, status_exit

    f = _format_args(args)
    R = _pos(args.rank, "--rank")
    N = _ambient_below(f, R)
    if N is not None:
        raise InputError(f"expected --rank at most the ambient dimension {N} of the format (sigma_R is the "
                         f"whole space from R = {N} on), got --rank {R}")
    r = G.secant_dimension(f.get("dims"), R, symmetric=f.get("symmetric"), seed=args.seed)
    out = r.to_dict()
    status, checked = certified(args, out, r.status, r.certificate)
    _write(args, r.certificate, out, f"the dimension over C of sigma_{R} of "
                + ("x".join(map(str, f["dims"])) if "dims" in f else "S^{1}(C^{0})".format(*f["symmetric"])))
    emit(args, out, _dim_text(f"dim sigma_{R}", r, status, checked))
    return status_exit(status)


def _widths(args) -> list:
    w = list(args.widths)
    if len(w) < 2:
        raise InputError(f"expected at least 2 widths (input and output), got {len(w)}")
    _pos(args.degree, "--degree")
    return w


def _cmd_neurovariety(args) -> int:
    from tnverify.theory import terracini as G

    from tnverify.cli._output import certified, emit, status_exit

    r = G.neurovariety(_widths(args), args.degree, args.seed)
    out = r.to_dict()
    status, checked = certified(args, out, r.status, r.certificate)
    _write(args, r.certificate, out, f"the dimension over C of the neurovariety of widths "
                f"{tuple(r.spec['widths'])}, activation t^{args.degree}")
    emit(args, out, _dim_text(f"dim of the neurovariety {tuple(r.spec['widths'])}, t^{args.degree}", r, status,
                              checked))
    return status_exit(status)


def _cmd_identifiable(args) -> int:
    from tnverify.theory import terracini as G

    from tnverify.cli._output import certified, emit, status_exit

    d = G.deep_identifiability(_widths(args), args.degree, args.seed)
    cert = d.pop("certificate_obj")
    status, checked = certified(args, d, d["identifiability_status"], cert, key="identifiability_status")
    _write(args, cert, d, f"local identifiability of the polynomial network of widths "
                f"{tuple(d['spec']['widths'])}, activation t^{args.degree}")
    verdict = {True: "locally identifiable", False: "NOT identifiable (positive-dimensional fibres)",
               None: "unknown"}[d["identifiable"] if status != "unknown" else None]
    text = (f"widths {tuple(d['spec']['widths'])}, t^{args.degree}: {verdict} ({status})\n"
            f"  dim in [{d['lower']}, {d['upper']}] vs parameters - rescalings = {d['params_minus_symmetry']}\n"
            f"  notion: {d['notion']}{checked}")
    emit(args, d, text)
    return status_exit(status)


def _require_table(n_min: int, n_max: int, d_min: int, d_max: int, max_ambient: int) -> None:
    """The budget of the whole table: every (n, d) the loop of ``ah-table`` will prove, summed before it starts.

    The same walk as the table (rows stop where the space of forms exceeds ``max_ambient``),
    with sizes as floats (:func:`tnverify.budget.comb`); it stops as soon as the running
    total is over the budget, so it is never longer than the budget allows.
    """
    from tnverify import budget
    from tnverify.theory import terracini as G

    tally = budget.Tally(f"the table n in {n_min}..{n_max}, d in {d_min}..{d_max} (max ambient {max_ambient})")
    for n in range(n_min, n_max + 1):
        if budget.comb(n + d_min - 1, d_min) > max_ambient:
            break
        for d in range(d_min, d_max + 1):
            if budget.comb(n + d - 1, d) > max_ambient:
                break
            memory, work = G.generic_rank_cost([(n, d)])
            tally.add(memory=memory, work=work)


def _cmd_ah_table(args) -> int:
    from tnverify.theory import terracini as G

    from tnverify.cli._output import certified, emit

    rows, lines, rejected = [], [f"{'n':>3} {'d':>3} {'expected':>9} {'generic':>8} {'status':>8}  note"], 0
    exceptions = {(3, 4), (4, 4), (5, 4), (5, 3)}
    n_min, n_max = _pos(args.n_min, "--n-min"), _pos(args.n_max, "--n-max")
    d_min, d_max = _pos(args.d_min, "--d-min"), _pos(args.d_max, "--d-max")
    if n_min > n_max or d_min > d_max:
        raise InputError(f"expected --n-min <= --n-max and --d-min <= --d-max, got n in {n_min}..{n_max} "
                         f"and d in {d_min}..{d_max}")
    _require_table(n_min, n_max, d_min, d_max, args.max_ambient)
    for n in range(n_min, n_max + 1):
        if math.comb(n + d_min - 1, d_min) > args.max_ambient:
            break  # the space of forms grows with n and with d: nothing further fits
        for d in range(d_min, d_max + 1):
            if math.comb(n + d - 1, d) > args.max_ambient:
                break
            r = G.generic_rank(symmetric=(n, d), seed=args.seed)
            status, _ = certified(args, {}, r.status, r.certificate)  # each proved row is checked
            if status != r.status:
                r.status, r.generic_rank = status, None
                rejected += 1
            exc = r.generic_rank != r.expected if r.generic_rank is not None else None
            ah = (d == 2 and n >= 3) or (n, d) in exceptions
            note = ("EXCEPTION" if exc else "") + ("" if exc in (None, ah) else " (disagrees with AH!)")
            if r.generic_rank is None:
                note = f"unknown in [{r.lower}, {r.upper}]; AH exception: {ah}"
            rows.append({"n": n, "d": d, "expected": r.expected, "generic_rank": r.generic_rank,
                         "status": r.status, "exception": exc, "ah_exception": ah})
            lines.append(f"{n:>3} {d:>3} {r.expected:>9} {str(r.generic_rank):>8} {r.status:>8}  {note}")
    verdict = "not run" if args.no_check else ("VERIFIED" if not rejected else f"{rejected} rows not verified")
    note = {"not run": "checker: not run (--no-check)", "VERIFIED": "checker: every proved row VERIFIED"}.get(
        verdict, f"checker: {verdict}, reported unknown")
    emit(args, {"rows": rows, "field": G.FIELD_NOTE, "checker": verdict},
         "\n".join(lines) + f"\nfield: {G.FIELD_NOTE}\n{note}")
    return 0


def _cmd_neuro_plot(args) -> int:
    from tnverify.theory import terracini as G

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from tnverify.cli._output import emit

    w = list(args.widths)
    if len(w) < 2:
        raise InputError(f"expected at least 2 widths, got {len(w)}")
    from tnverify import budget
    from tnverify.theory import jacobian as J

    top = _pos(args.max_degree, "--max-degree")
    tally = budget.Tally(f"the neurovariety of widths {','.join(map(str, w))} for degrees 1..{top}")
    for r in range(1, top + 1):  # the whole plot, before the first point
        memory, work = J.jacobian_cost(J.polynet_spec(w, r))
        tally.add(memory=memory, work=3 * work)
    degs = list(range(1, top + 1))
    pts = []
    for r in degs:
        res = G.neurovariety(w, r, args.seed)
        pts.append({"degree": r, "lower": res.lower, "upper": res.upper, "ambient": res.ambient,
                    "params_minus_symmetry": res.extra["params_minus_symmetry"], "status": res.status})
    fig, ax = plt.subplots(figsize=(5, 3.5))
    ax.plot(degs, [p["lower"] for p in pts], "o-", label="dim (proved lower)")
    ax.plot(degs, [p["upper"] for p in pts], "x--", label="structural upper")
    ax.plot(degs, [p["params_minus_symmetry"] for p in pts], ":", label="params - rescalings")
    ax.set_xlabel("activation degree r")
    ax.set_ylabel("dimension over C")
    ax.set_title(f"neurovariety of widths {tuple(w)}")
    ax.legend()
    fig.tight_layout()
    from tnverify.plot import save_figure

    save_figure(fig, args.output)
    emit(args, {"points": pts, "output": args.output}, "\n".join(
        f"r={p['degree']}: dim in [{p['lower']}, {p['upper']}] ({p['status']})" for p in pts) + f"\nplot: {args.output}")
    return 0


def register(sub, common) -> None:
    """Add this module's subcommands to the ``tnverify`` parser."""
    def fmt_args(p):
        cli_args.add_shape(p, "the tensor format, e.g. 3,3,3 (with --symmetric: n,...,n, d times)")
        p.add_argument("--symmetric", action="store_true",
                       help="symmetric tensors (Waring): --shape 3,3,3,3 --symmetric is S^4(C^3)")
        p.add_argument("dims", nargs="*", type=cli_args.dimension, help=argparse.SUPPRESS)  # deprecated: 3 3 3
        p.add_argument("--vars", type=cli_args.integer, help=argparse.SUPPRESS)  # deprecated: --shape N,...,N --symmetric
        p.add_argument("--degree", type=cli_args.integer, help=argparse.SUPPRESS)
        cli_args.add_seed(p, "the random point and prime")
        cli_args.add_cert(p)
        cli_args.add_no_check(p)

    p = sub.add_parser("generic-rank", parents=[common], help="generic rank over C of a tensor format (proved)")
    fmt_args(p)
    p.set_defaults(func=_cmd_generic_rank)

    p = sub.add_parser("secant", parents=[common], help="dimension of the R-th secant variety, defectivity")
    fmt_args(p)
    cli_args.add_rank(p, "the rank R of the secant variety sigma_R", required=True)
    p.set_defaults(func=_cmd_secant)

    for name, fn, hlp in (("neurovariety", _cmd_neurovariety, "dimension of a polynomial network's neurovariety"),
                          ("neuro-identifiable", _cmd_identifiable,
                           "local identifiability of a deep polynomial network (finite fibres)")):
        p = sub.add_parser(name, parents=[common], help=hlp)
        cli_args.option(p, "--widths", type=cli_args.widths, required=True, metavar="D0,...,DH",
                        help="layer widths d_0,...,d_h, e.g. 2,2,3,2")
        p.add_argument("--degree", type=cli_args.integer, required=True, help="activation degree r (s(t) = t^r)")
        cli_args.add_seed(p, "the random point and prime")
        cli_args.add_cert(p)
        cli_args.add_no_check(p)
        p.set_defaults(func=fn)

    p = sub.add_parser("ah-table", parents=[common], help="Alexander-Hirschowitz table of generic Waring ranks")
    p.add_argument("--n-min", type=cli_args.integer, default=2)
    p.add_argument("--n-max", type=cli_args.integer, default=5)
    p.add_argument("--d-min", type=cli_args.integer, default=2)
    p.add_argument("--d-max", type=cli_args.integer, default=5)
    p.add_argument("--max-ambient", type=cli_args.positive, default=2000, help="skip (n, d) with a larger space of forms")
    cli_args.add_seed(p, "the random points and primes")
    cli_args.add_no_check(p)
    p.set_defaults(func=_cmd_ah_table)

    p = sub.add_parser("neuro-plot", parents=[common], help="plot neurovariety dimension against activation degree")
    cli_args.option(p, "--widths", type=cli_args.widths, required=True, metavar="D0,...,DH",
                    help="layer widths d_0,...,d_h, e.g. 2,2,2")
    p.add_argument("--max-degree", type=cli_args.integer, default=4)
    cli_args.add_output(p, "figure file: .png, .pdf or .svg (default neurovariety.png)", type=cli_args.figure,
                        default="neurovariety.png")
    cli_args.add_seed(p, "the random points and primes")
    p.set_defaults(func=_cmd_neuro_plot)
