"""CLI: ``layer-dim``, the parameters of a tensorized layer against the dimension of its set of weights.

``tnverify layer-dim --format tt --row-factors 4,4,4 --col-factors 4,4,4 --ranks 4`` prints the
parameter count, the dimension of the set of 64 x 64 weight matrices the format can store (proved
when the Terracini lower bound meets a structural upper bound and the independent checker verifies
the certificate), the closed form of the literature with whether it applies and agrees, and the
effective ranks when the given ones are not full. ``--sweep R1,R2,...`` runs every uniform rank and
writes a CSV (``-o``) and a figure (``--plot``). The mathematics and conventions: docs/layers.md.
Exit codes: 0 proved (a sweep: finished), 3 only bounds, 2 bad input.
"""
from __future__ import annotations

import csv

from tnverify.cli import args as cli_args
from tnverify.cli._output import write_cert
from tnverify.errors import EXIT_OK, InputError

__all__ = ["register"]


def _layer(args, ranks):
    from tnverify.theory.layers import make_layer

    return make_layer(args.format, args.row_factors, args.col_factors, ranks, args.shape)


def _text(res) -> str:
    d = res.to_dict()
    L = res.layer
    lines = [L.describe(), f"  parameters: {res.params}   entries of W: {res.ambient}   modes: "
             f"{'x'.join(map(str, L.modes))} (row and column factors paired)"]
    if res.status == "proved":
        lines.append(f"  dimension of the set of weight matrices = {res.lower} (proved; checker {res.verdict})")
    else:
        low = "?" if res.lower is None else res.lower
        lines.append(f"  dimension of the set of weight matrices in [{low}, {res.upper}] (unknown; checker "
                     f"{res.verdict})")
    lines.append(f"  lower: {res.lower_source}; upper: {res.upper_source}")
    c = d["closed_form"]
    applies = {True: "applies (full ranks)", False: "does NOT apply (ranks not full)",
               None: "conditional" if L.format == "cp" else "no theorem"}[c["applies"]]
    agrees = {True: "agrees", False: "DISAGREES", None: "agreement unknown"}[c["agrees"]]
    ref = f" ({c['reference']})" if c["reference"] else ""
    lines.append(f"  closed form {c['formula']} = {c['value']}{ref}: {applies}; {agrees}")
    if res.effective:
        e = res.effective
        r = ",".join(f"{k}={v}" for k, v in e["ranks"].items())
        dim = (f"dimension {e['lower']} (proved)" if e["status"] == "proved" else
               f"dimension in [{'?' if e['lower'] is None else e['lower']}, {e['upper']}] (unknown)")
        lines.append(f"  effective ranks {r} (the same set of matrices, docs/layers.md): {e['params']} parameters, "
                     f"{dim}" + (f", closed form {e['closed_form']}" if e["closed_form"] is not None else ""))
    lines += [f"  note: {n}" for n in res.notes]
    lines.append("  field: C (generic points)")
    return "\n".join(lines)


def _cmd_layer_dim(args) -> int:
    from tnverify.cli._output import emit, status_exit

    if args.sweep is not None:
        return _sweep(args)
    if args.output or args.plot:
        raise InputError("-o/--output and --plot write the table and figure of --sweep; add --sweep R1,R2,...")
    if args.ranks is None:
        raise InputError("expected --ranks R,... (or --sweep R1,R2,...)")
    from tnverify.theory.layers import layer_dimension

    res = layer_dimension(_layer(args, args.ranks), seed=args.seed)
    out = res.to_dict()
    out["seed"] = args.seed
    if args.cert and res.certificate is None:
        raise InputError("no certificate to write: nothing here is within the checker's limits and the budget")
    write_cert(args, res.certificate, out, status=res.status, seed=args.seed,
               statement=f"the dimension over C of the {res.layer.format} layer with modes {list(res.layer.rows)} x "
                         f"{list(res.layer.cols)} and ranks {list(res.layer.ranks)}")
    emit(args, out, _text(res))
    return status_exit(res.status)


def _sweep(args) -> int:
    from tnverify.cli._output import emit
    from tnverify.files import atomic_path
    from tnverify.theory.layers import sweep

    if args.ranks is not None or args.cert:
        raise InputError("--sweep runs every uniform rank it lists; give no --ranks or --cert with it")
    if not args.output or not args.plot:
        raise InputError("--sweep writes a CSV and a figure: give -o FILE.csv and --plot FILE.png")
    if not str(args.output).lower().endswith(".csv"):
        raise InputError(f"expected a .csv file name for -o, got {args.output!r}")
    ranks = list(args.sweep)
    for r in ranks:
        _layer(args, [r])  # every point is valid before any work
    rows = sweep(args.format, args.row_factors, args.col_factors, ranks, seed=args.seed, shape=args.shape)
    with atomic_path(args.output) as tmp, open(tmp, "w", newline="") as fh:
        wr = csv.DictWriter(fh, fieldnames=list(rows[0]))
        wr.writeheader()
        wr.writerows(rows)
    _plot(args, rows)
    L = _layer(args, [ranks[0]])
    out = {"format": args.format, "rows": list(L.rows), "cols": list(L.cols), "sweep": rows,
           "output": args.output, "plot": args.plot, "seed": args.seed}
    text = "\n".join(f"rank {r['rank']:>4}: {r['params']:>9} parameters, dimension "
                     + (f"{r['lower']} (proved)" if r["status"] == "proved" else
                        f"in [{'?' if r['lower'] is None else r['lower']}, {r['upper']}] (unknown)")
                     + f", closed form {r['closed_form']}" + ("" if r["closed_form_applies"] else
                                                              " (not a theorem here)")
                     for r in rows) + f"\ntable: {args.output}\nplot: {args.plot}"
    emit(args, out, text)
    return EXIT_OK


def _plot(args, rows) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import matplotlib.ticker

    from tnverify.plot import save_figure

    xs = [r["rank"] for r in rows]
    P = [r["params"] for r in rows]
    fig, (ax, bx) = plt.subplots(1, 2, figsize=(10, 4))
    ax.plot(P, P, "-", color="gray", lw=0.8, label="dimension = parameters")
    ax.plot(P, [r["upper"] for r in rows], "x--", label="upper bound (structure)")
    ax.plot(P, [max(r["closed_form"], 1) for r in rows], ":", label="closed form")
    pts = [(p, r["lower"]) for p, r in zip(P, rows) if r["status"] == "proved"]
    if pts:
        ax.plot([q[0] for q in pts], [q[1] for q in pts], "o", ms=8, mfc="none", label="dimension (proved)")
    for p, r in zip(P, rows):
        ax.annotate(f"r={r['rank']}", (p, r["upper"]), fontsize=7, textcoords="offset points", xytext=(4, -10))
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("parameters")
    ax.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
    ax.set_ylabel("dimension of the set of weight matrices")
    bx.plot(xs, [p - r["upper"] for p, r in zip(P, rows)], "x--", label="parameters - upper bound")
    bx.plot(xs, [p - r["closed_form"] for p, r in zip(P, rows)], ":", label="parameters - closed form")
    pts = [(x, p - r["lower"]) for x, p, r in zip(xs, P, rows) if r["status"] == "proved"]
    if pts:
        bx.plot([q[0] for q in pts], [q[1] for q in pts], "o", ms=8, mfc="none", label="parameters - dimension (proved)")
    bx.set_xscale("log", base=2)
    bx.set_xlabel("rank (every bond)")
    bx.set_ylabel("redundant parameters")
    L = _layer(args, [xs[0]])
    fig.suptitle(f"{args.format}: {L.shape[0]} x {L.shape[1]} as ({'x'.join(map(str, L.rows))}) x "
                 f"({'x'.join(map(str, L.cols))}); unproved points show bounds only", fontsize=9)
    for a in (ax, bx):
        a.grid(True, which="both", alpha=0.3)
        a.legend(fontsize=7)
    fig.tight_layout()
    save_figure(fig, args.plot, dpi=110)


def register(sub, common) -> None:
    """Add ``layer-dim`` to the ``tnverify`` parser."""
    p = sub.add_parser("layer-dim", parents=[common],
                       help="parameters against the proved dimension of a tensorized layer (CP/Tucker/TT/TR/HT)")
    p.add_argument("--format", required=True, metavar="FORMAT", help="cp, tucker, tt, tr or ht")
    p.add_argument("--row-factors", type=cli_args.int_list, required=True, metavar="M1,...,Md",
                   help="the rows m = m_1 ... m_d of W, e.g. 4,4,4,4,4 (paired with the column factors)")
    p.add_argument("--col-factors", type=cli_args.int_list, required=True, metavar="N1,...,Nd",
                   help="the columns n = n_1 ... n_d of W, e.g. 4,4,4,4,4")
    cli_args.add_shape(p, "the layer size m,n (optional; the factors must multiply to it)",
                       type=cli_args.matrix_shape, metavar="M,N")
    p.add_argument("--ranks", type=cli_args.int_list, metavar="R,...",
                   help="cp: R; tucker: d ranks; tt: d-1; tr: d; ht: 1 (one value = every bond)")
    p.add_argument("--sweep", type=cli_args.int_list, metavar="R1,R2,...",
                   help="run every uniform rank listed; write -o FILE.csv and --plot FILE.png")
    cli_args.add_output(p, "the CSV of --sweep", type=cli_args.table)
    p.add_argument("--plot", type=cli_args.figure, metavar="FIGURE", help="the figure of --sweep (.png, .pdf, .svg)")
    cli_args.add_seed(p, "the random points and primes")
    cli_args.add_cert(p)
    p.set_defaults(func=_cmd_layer_dim)
