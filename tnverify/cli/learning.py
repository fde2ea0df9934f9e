"""``tnverify implicit-bias``: gradient descent on a CP or HT factorization, and the ranks it learns.

The run and its statements are :func:`tnverify.theory.implicit_bias.implicit_bias`; this module
parses, prints, and writes the CSV (``-o``), the figure (``--plot``) and the certificate
(``--cert``). docs/implicit_bias.md explains the output.
"""
from __future__ import annotations

import argparse
import csv
import io

from tnverify.cli import args as cli_args
from tnverify.cli._output import emit, write_cert
from tnverify.errors import EXIT_OK, InputError

__all__ = ["register"]


def _reals(text: str) -> tuple:
    """``--sweep-scales 1e-4,1e-3,0.1``: finite reals, comma-separated (their sign is checked by the run)."""
    parts = str(text).split(",")
    if any(not p.strip() for p in parts):
        raise argparse.ArgumentTypeError(f"expected scales like 1e-4,1e-3,0.1, got {text!r}: an empty entry")
    return tuple(cli_args.real(p) for p in parts)


def _options(args) -> dict:
    return {"observed": args.observed, "model": args.model, "components": args.components, "step": args.step,
            "iterations": args.iterations, "seed": args.seed, "threshold": args.threshold, "grid": args.grid,
            "engine": args.engine}


def _write_csv(path, header: list, rows: list) -> None:
    from tnverify.files import write_text_atomic

    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(header)
    w.writerows(rows)
    write_text_atomic(path, buf.getvalue())


def _dynamics_plot(run, path, title: str) -> None:
    """Component norms (log scale) against the iteration, and the reconstruction errors below."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from tnverify.plot import save_figure

    fig, (ax, bx) = plt.subplots(2, 1, figsize=(7, 6), sharex=True, gridspec_kw={"height_ratios": [3, 2]})
    its = run.iterations
    for j, lab in enumerate(run.labels):
        ax.plot(its, run.norms[:, j].clip(min=1e-300), lw=1.2, label=lab if len(run.labels) <= 12 else None)
    ax.set_yscale("log")
    ax.set_ylabel("component norm" if run.model == "cp" else "local component norm")
    if len(run.labels) <= 12:
        ax.legend(fontsize=7, ncol=2)
    bx.plot(its, run.observed_error.clip(min=1e-300), label="observed entries")
    if run.full_error.size and run.full_error[0] == run.full_error[0]:
        bx.plot(its, run.full_error.clip(min=1e-300), label="all entries")
    bx.set_yscale("log")
    bx.set_xlabel("iteration")
    bx.set_ylabel("relative error")
    bx.legend(fontsize=8)
    for a in (ax, bx):
        a.grid(True, which="both", alpha=0.3)
    ax.set_title(title, fontsize=9)
    fig.tight_layout()
    save_figure(fig, path, dpi=110)


def _sweep_plot(rows: list, path, title: str) -> None:
    """Numerical rank, rounded rank and error against the initialization scale (log scale)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from tnverify.plot import save_figure

    fig, ax = plt.subplots(figsize=(7, 4))
    rows = [r for r in rows if r["rounded_status"] != "diverged"]
    xs = [r["init_scale"] for r in rows]
    ax.plot(xs, [r["numerical_rank"] for r in rows], marker="o", label="numerical rank (components above threshold)")
    ax.plot(xs, [r["rounded_rank"] for r in rows], marker="s", ls="--", label="rank of the rounded tensor (exact)")
    ax.plot(xs, [r["truth_cp_rank"] for r in rows], color="gray", ls=":", label="rank of the truth (proved)")
    ax.set_xscale("log")
    ax.set_xlabel("initialization scale")
    ax.set_ylabel("rank")
    bx = ax.twinx()
    bx.plot(xs, [max(r["full_error"], 1e-300) for r in rows], color="black", marker="x", lw=0.8,
            label="relative error, all entries")
    bx.set_yscale("log")
    bx.set_ylabel("relative error")
    h1, l1 = ax.get_legend_handles_labels()
    h2, l2 = bx.get_legend_handles_labels()
    ax.legend(h1 + h2, l1 + l2, fontsize=7, loc="upper left")
    ax.grid(True, which="both", alpha=0.3)
    ax.set_title(title, fontsize=9)
    fig.tight_layout()
    save_figure(fig, path, dpi=110)


def _text(d: dict) -> str:
    shape = " x ".join(map(str, d["shape"]))
    lines = [f"implicit bias: {d['model'].upper()} with {d['components']} components on a {shape} tensor, "
             f"{d['observed_entries']} entries observed (seed {d['seed']})",
             f"  gradient descent: {d['iterations']} steps of size {d['step']:g} from init scale {d['init_scale']:g} "
             f"({d['engine']}, {d['seconds']:.3g} s); final relative error {d['observed_error']:.3g} on the observed "
             f"entries, {d['full_error']:.3g} on all entries"]
    norms = sorted(d["component_norms"].values(), reverse=True)
    ranks = ", ".join(f"{k}: {v}" for k, v in d["numerical_ranks"].items())
    if d["model"] == "cp":
        lines.append(f"  upper (numerical): {d['numerical_rank']} components above {d['threshold']:g} x the largest "
                     f"(norms {', '.join(f'{x:.3g}' for x in norms[:d['numerical_rank'] + 1])}); the learned tensor is "
                     f"within relative distance {d['truncation_error']:.3g} of their sum")
    else:
        nodes = ", ".join(f"{{{k}}}: {v}" for k, v in d["local_components"].items())
        lines.append(f"  upper (numerical): local components above {d['threshold']:g} x the node's largest: {nodes}; "
                     f"so flattening ranks (row modes) at most {ranks}")
    L, T = d["learned"], d["truth"]
    if L:
        fr = ", ".join(f"{k}: {v}" for k, v in L["flattening_ranks"].items())
        tail = (f"; it equals the truth's observations, so its CP rank is {L['cp_rank_upper']}"
                if L["equals_truth"] and L["cp_rank_upper"] == L["cp_rank_lower"] else
                "; it differs from the truth's observations")
        lines.append(f"  lower ({L['status']}, about the learned tensor rounded to multiples of 1/{L['grid']}): "
                     f"flattening ranks {fr}, so CP rank >= {L['cp_rank_lower']}{tail}")
        tr = ", ".join(f"{k}: {v}" for k, v in T["flattening_ranks"].items())
        lines.append(f"  ground truth ({T['status']}): CP rank {T['cp_rank'] if T['cp_rank'] is not None else '?'} "
                     f"(flattening ranks {tr}; integer factors), observations = truth / {T['scale']}")
        lines.append(f"  certificate: {d['verdict']} by the independent checker")
    return "\n".join(lines)


def _cmd_implicit_bias(args) -> int:
    from tnverify.theory import implicit_bias as IB

    shape = tuple(args.shape) if args.shape else (10, 10, 10)
    if args.sweep_scales is not None:
        if args.cert:
            raise InputError("expected --cert with a single run, got it with --sweep-scales (one run per scale)")
        rows = IB.sweep(args.sweep_scales, shape, args.truth_rank, **_options(args))
        out = {"status": "numerical", "model": args.model, "shape": list(shape), "truth_rank": args.truth_rank,
               "threshold": args.threshold, "rows": rows}
        if args.output:
            _write_csv(args.output, list(rows[0]), [list(r.values()) for r in rows])
            out["csv"] = args.output
        if args.plot:
            _sweep_plot(rows, args.plot, f"{args.model.upper()}, {' x '.join(map(str, shape))}, truth rank "
                                         f"{args.truth_rank}, {args.observed:g} observed, seed {args.seed}")
            out["plot"] = args.plot
        head = f"{'init scale':>10} {'num. rank':>9} {'rounded rank':>12} {'= truth':>7} {'error (all)':>11} {'status':>8}"
        text = [f"implicit bias sweep: {args.model.upper()} on {' x '.join(map(str, shape))}, truth rank "
                f"{args.truth_rank} (numerical rank: components above {args.threshold:g} x the largest; rounded "
                f"rank: exact, of the learned tensor rounded to its grid)", head]
        for r in rows:
            if r["rounded_status"] == "diverged":
                text.append(f"{r['init_scale']:>10.3g} {'-':>9} {'-':>12} {'-':>7} {'-':>11} {'diverged':>8}  "
                            f"({r['note']})")
                continue
            text.append(f"{r['init_scale']:>10.3g} {r['numerical_rank']:>9} {r['rounded_rank']:>12} "
                        f"{'yes' if r['rounded_equals_truth'] else 'no':>7} {r['full_error']:>11.3g} "
                        f"{r['rounded_status']:>8}")
        emit(args, out, "\n".join(text))
        return EXIT_OK
    res = IB.implicit_bias(shape, args.truth_rank, init_scale=args.init_scale, **_options(args))
    d = res.to_dict()
    run = res.run
    if args.output:
        header = ["iteration", "observed_error", "full_error"] + [f"norm_{lab}" for lab in run.labels]
        _write_csv(args.output, header, [[int(t), float(o), float(f), *map(float, n)] for t, o, f, n in
                                         zip(run.iterations, run.observed_error, run.full_error, run.norms)])
        d["csv"] = args.output
    if args.plot:
        _dynamics_plot(run, args.plot, f"{args.model.upper()}, {' x '.join(map(str, shape))}, init scale "
                                       f"{args.init_scale:g}, step {args.step:g}, seed {args.seed}")
        d["plot"] = args.plot
    write_cert(args, res.certificate, d, status=d.get("status"))
    emit(args, d, _text(d))
    return EXIT_OK


#: The defaults shown in ``--help``: those of :data:`tnverify.theory.implicit_bias.DEFAULTS` (a test
#: keeps them equal; building the parser must not import the numeric stack).
DEFAULTS = {"components": 10, "init_scale": 1e-3, "step": 10.0, "iterations": 20000, "threshold": 1e-2,
            "observed": 0.3}


def register(sub, common) -> None:
    """Add this module's subcommands to ``sub`` (``common`` holds the shared options)."""
    p = sub.add_parser("implicit-bias", parents=[common],
                       help="gradient descent on a CP/HT factorization from small init: the low rank it learns")
    cli_args.add_shape(p, "the tensor format (default 10,10,10)")
    p.add_argument("--truth-rank", type=cli_args.rank, default=2, metavar="R",
                   help="CP rank of the integer ground truth (default 2)")
    p.add_argument("--observed", type=cli_args.real, default=DEFAULTS["observed"], metavar="F",
                   help=f"fraction of the entries observed, in (0, 1] (default {DEFAULTS['observed']})")
    p.add_argument("--model", choices=("cp", "ht"), default="cp", help="the factorization (default cp)")
    p.add_argument("--components", type=cli_args.positive, default=DEFAULTS["components"], metavar="R",
                   help=f"CP components, or HT width of every interior node (default {DEFAULTS['components']})")
    p.add_argument("--init-scale", type=cli_args.real, default=DEFAULTS["init_scale"], metavar="S",
                   help=f"standard deviation of the initial weights (default {DEFAULTS['init_scale']:g})")
    p.add_argument("--step", type=cli_args.real, default=DEFAULTS["step"], metavar="ETA",
                   help=f"gradient step size (default {DEFAULTS['step']:g})")
    p.add_argument("--iterations", type=cli_args.positive, default=DEFAULTS["iterations"], metavar="N",
                   help=f"gradient steps (default {DEFAULTS['iterations']})")
    cli_args.add_seed(p, "the ground truth, the observed entries and the initialization")
    p.add_argument("--threshold", type=cli_args.real, default=DEFAULTS["threshold"], metavar="T",
                   help=f"numerical rank: components above T x the largest (default {DEFAULTS['threshold']:g})")
    p.add_argument("--grid", type=cli_args.positive, default=None, metavar="Q",
                   help="round the learned tensor to multiples of 1/Q for the exact ranks (default: the truth's scale)")
    p.add_argument("--engine", choices=("numba", "numpy"), default="numba",
                   help="numba (default) or the same descent in vectorised numpy")
    p.add_argument("--sweep-scales", type=_reals, default=None, metavar="S1,S2,...",
                   help="one run per initialization scale: the bias fading as the scale grows")
    cli_args.add_output(p, "CSV: the norms and errors per recorded iteration (or the sweep's rows)", type=cli_args.table)
    p.add_argument("--plot", type=cli_args.figure, metavar="FIGURE",
                   help="figure: component norms and errors against iterations (or the sweep)")
    cli_args.add_cert(p)
    p.set_defaults(func=_cmd_implicit_bias)
