"""CLI subcommands on architectures: ``separation``, ``compare``, ``sweep``, ``draw``.

A network is a JSON file (positional ``FILE``) or a builder: ``--arch
cp|tucker|tt|tr|ht|convac|rac --inputs N --features M --widths 2,2,2 --rank Z
[--shared] [--tree SPEC] [--depth L]``; the partition is ``--partition
interleaved|left-right|0,2,4,6``. ``-N`` and ``-M`` are deprecated aliases of
``--inputs`` and ``--features`` (docs/cli.md). A separation rank is reported ``proved`` only
after the independent checker has verified its certificate.
"""
from __future__ import annotations

import csv
import math
import time
from pathlib import Path

from tnverify.cli import args as cli_args
from tnverify.cli._output import write_cert
from tnverify.errors import EXIT_FAILED, EXIT_OK, BudgetError, InputError, NoNetworkError
from tnverify.files import atomic_path

__all__ = ["register"]


def _one_or_list(v):
    """A parsed ``--features`` / ``--widths`` list: one entry as an int (the same at every input / level)."""
    if v is None:
        return None
    return v[0] if len(v) == 1 else list(v)


def _builder_args(p, file=True):
    if file:
        p.add_argument("file", nargs="?", help="JSON network file (instead of --arch)")
    p.add_argument("--arch", help="cp, tucker, tt, tr, ht, convac, rac, overlap, dilated or mixed")
    cli_args.option(p, "--inputs", type=cli_args.integer, metavar="N", help="number of inputs N (time steps for rac)")
    cli_args.alias(p, "-N", "--inputs", dest="inputs", type=cli_args.integer)
    cli_args.option(p, "--features", type=cli_args.widths, default="2", metavar="M",
                    help="feature dimension M (or one per input: 2,3,2; default 2)")
    cli_args.alias(p, "-M", "--features", dest="features", type=cli_args.widths)
    cli_args.option(p, "--widths", type=cli_args.widths, metavar="W[,W...]",
                    help="widths per level (ht, convac), TT/TR ranks, Tucker ranks, RAC hidden width")
    cli_args.add_rank(p, "channels Z (cp)")
    p.add_argument("--shared", action="store_true", help="shared (convolutional / recurrent) weights")
    p.add_argument("--tree", type=cli_args.tree,
                   help="pooling tree: pairs, mirror, odd-even, ((0,1),(2,3)) or a permutation 0,2,1,3")
    p.add_argument("--depth", type=cli_args.integer, default=1, help="depth L (rac)")
    p.add_argument("--field", type=cli_args.int_list, metavar="R[,R...]",
                   help="receptive field per layer (overlap; default 2)")
    p.add_argument("--stride", type=cli_args.int_list, metavar="S[,S...]", help="stride per layer (overlap; default 1)")
    p.add_argument("--dilations", type=cli_args.int_list, metavar="D,D,...", help="dilation order, e.g. 4,2,1 "
                   "(dilated, and branch A of mixed; default 1,2,4,...)")
    p.add_argument("--dilations-b", type=cli_args.int_list, metavar="D,D,...", help="mixed: branch B's dilation "
                   "order (default: branch A's first two swapped, 2,1,4,...)")
    p.add_argument("--mix", type=cli_args.layer_list, metavar="L[,L...]|none", help="mixed: the interconnection "
                   "layers (default: every layer below the top where the two orders read the same inputs; none: "
                   "joined at the output only)")
    p.add_argument("--partition", type=cli_args.partition, default="interleaved", metavar="SPEC",
                   help="interleaved (default), left-right (= start-end), or row legs like 0,2,4,6")
    p.add_argument("--activation", help="rectifier network: relu, linear or abs (docs/rectifier.md)")
    p.add_argument("--pooling", help="rectifier network: max, avg or product")
    p.add_argument("--biases", action="store_true", help="rectifier network with biases")
    p.add_argument("--templates", metavar="SPEC", help="rectifier templates: onehot (default), random, or points "
                   "like '1,0;0,1;1/2,1' (exact rationals)")
    p.add_argument("--weights", metavar="FILE.json", help="rectifier weights: name -> nested lists of integers or "
                   "'p/q' strings (default: random)")
    p.add_argument("--max-block", type=cli_args.positive, default=256, help="rectifier: most sampled template "
                   "sequences per side of the block")
    if file:
        p.add_argument("--forward", metavar="FILE.py:FUNCTION",
                       help="your own architecture's forward pass (docs/grid_tensors.md); FILE is then an optional "
                            "network for a probable upper bound")


def _subject(args, arch=None, file=None):
    """The claim's object: an architecture (:class:`tnverify.networks.forward.Arch`, its grid tensor) or a network FILE."""
    from tnverify.networks.network import load
    from tnverify.networks.architectures import spec

    file = file if file is not None else getattr(args, "file", None)
    arch = arch or args.arch
    if file:
        if arch:
            raise InputError("give either a network FILE or --arch, not both")
        return load(file)
    if not arch:
        raise InputError("expected a network FILE or --arch cp|tucker|tt|tr|ht|convac|rac")
    if args.inputs is None:
        raise InputError(f"--arch {arch} needs --inputs N")
    if arch.startswith("relu-") or args.activation or args.pooling:
        return _rectifier(args, arch)
    if args.biases:
        raise InputError(f"--arch {arch} has no biases; biases need a rectifier network (--activation relu "
                         "--pooling max|avg|product, or --arch relu-cp|relu-ht|relu-tt)")
    return spec(arch, args.inputs, _one_or_list(args.features), _one_or_list(args.widths), args.rank, args.shared,
                args.tree, args.depth, getattr(args, "field", None), getattr(args, "stride", None),
                getattr(args, "dilations", None), getattr(args, "dilations_b", None), getattr(args, "mix", None))


#: The rectifier family of a network name (docs/rectifier.md).
_RECT = {"cp": "relu-cp", "relu-cp": "relu-cp", "ht": "relu-ht", "convac": "relu-ht", "relu-ht": "relu-ht",
         "tt": "relu-tt", "relu-tt": "relu-tt"}


def _rectifier(args, arch):
    """A :class:`tnverify.networks.rectifier.RectArch` from ``--arch --activation --pooling ...``."""
    from tnverify.networks.rectifier import rect_spec

    if arch not in _RECT:
        raise InputError(f"--activation/--pooling need --arch cp, ht, convac, tt or relu-cp|relu-ht|relu-tt, "
                         f"got {arch}")
    fam = _RECT[arch]
    width = args.rank if fam == "relu-cp" and args.rank is not None else _one_or_list(args.widths)
    M = _one_or_list(args.features)
    if not isinstance(M, int):
        raise InputError(f"a rectifier network reads M templates at every input; expected one --features M, got {M}")
    return rect_spec(fam, args.inputs, width, templates=args.templates,
                     features=None if args.templates not in (None, "onehot", "random") else M,
                     activation=args.activation or "relu", pooling=args.pooling or "max", biases=args.biases,
                     shared=args.shared, tree=args.tree)


def _rect_weights(args):
    """The ``--weights`` file (exact rationals), or None."""
    if not getattr(args, "weights", None):
        return None
    import json

    from tnverify.errors import NotExactError

    def no_float(text):
        raise NotExactError(f"--weights must be exact: give integers or rational strings like \"3/4\", got {text}")

    try:
        return json.loads(Path(args.weights).read_text(), parse_float=no_float)
    except (OSError, ValueError) as e:
        raise InputError(f"--weights: expected a JSON file of exact weights, got {args.weights!r} ({e})") from None


def _order(subject) -> int:
    from tnverify.networks.forward import Arch
    from tnverify.networks.rectifier import RectArch

    return subject.N if isinstance(subject, (Arch, RectArch)) else subject.order


def _network(args, arch=None, file=None):
    """The tensor network of the subject (the builder's grid network for an architecture)."""
    from tnverify.networks.architectures import network
    from tnverify.networks.forward import Arch

    subject = _subject(args, arch, file)
    return network(subject) if isinstance(subject, Arch) else subject


def _checked(res, no_check: bool) -> tuple:
    """(status, verdict): 'proved' only when the checker verifies the certificate."""
    if no_check:
        return res.status, None
    if res.certificate is None:
        if res.status == "proved":
            res.status, res.rank = "unknown", None  # nothing for the checker to verify
        return res.status, None
    from tnverify.certificate import dumps
    from tnverify.checker import check

    v = check(dumps(res.certificate))  # the JSON text that --cert writes
    if not v.ok and res.status in ("proved", "probable"):
        res.status, res.rank = "unknown", None  # the text and the JSON then say unknown, with both bounds
        return "unknown", f"{v.status}: {v.message}"
    return res.status, v.status


def _cmd_forward(args) -> int:
    """``separation --forward FILE.py:FUNCTION``: bounds for the grid tensor of the user's own function."""
    from tnverify.networks.partitions import parse_partition
    from tnverify.cli._output import emit, status_exit
    from tnverify.networks.network import load
    from tnverify.theory.user_forward import forward_separation, load_forward

    t0 = time.perf_counter()
    if args.arch:
        raise InputError("give either --forward or --arch, not both")
    if args.inputs is None:
        raise InputError("--forward needs --inputs N (the number of inputs of the function)")
    M = _one_or_list(args.features)
    if not isinstance(M, int):
        raise InputError(f"--forward reads the same M templates at every input; expected one --features M, got {M}")
    uf = load_forward(args.forward)
    net = load(args.file) if args.file else None
    rows = parse_partition(args.partition, args.inputs)
    res = forward_separation(uf, args.inputs, M, rows, seed=args.seed, attempts=args.attempts, network=net)
    verdict = None
    status = res.status
    if not args.no_check and res.certificate is not None:
        from tnverify.certificate import dumps
        from tnverify.checker import check

        v = check(dumps(res.certificate), allow_code=True)
        verdict = v.status
        if not v.ok and status in ("proved", "probable"):
            status = res.status = "unknown"
            verdict = f"{v.status}: {v.message}"
    out = res.to_dict()
    out.update({"status": status, "checker": verdict, "seconds": round(time.perf_counter() - t0, 6)})
    write_cert(args, res.certificate, out, status=status)
    emit(args, out, res.text() + (f"\n  checker: {verdict} (ran the user's code)" if verdict else "\n  checker: not run"))
    return status_exit(status)


def _cmd_separation(args) -> int:
    from tnverify.cli._output import emit, status_exit
    from tnverify.networks.partitions import parse_partition
    from tnverify.theory.separation import separation

    if args.forward:
        return _cmd_forward(args)
    t0 = time.perf_counter()
    subject = _subject(args)
    rows = parse_partition(args.partition, _order(subject))
    if hasattr(subject, "activation"):
        from tnverify.theory.rectifier import rectifier_separation

        res = rectifier_separation(subject, rows, seed=args.seed, attempts=args.attempts,
                                   weights=_rect_weights(args), max_block=args.max_block)
    else:
        res = separation(subject, rows, seed=args.seed, attempts=args.attempts)
    status, verdict = _checked(res, args.no_check)
    out = res.to_dict()
    out.update({"status": status, "checker": verdict, "seconds": round(time.perf_counter() - t0, 6)})
    if status != "proved":
        out["rank"] = None
    write_cert(args, res.certificate, out, status=status)
    text = res.text() + (f"\n  checker: {verdict}" if verdict else "\n  checker: not run")
    emit(args, out, text)
    return status_exit(status)


_ARCH_NAMES = {"convac": "deep ConvAC", "ht": "hierarchical Tucker network", "cp": "shallow CP network",
               "tt": "tensor train (multiplicative RNN)", "tr": "tensor ring", "tucker": "Tucker network",
               "rac": "recurrent arithmetic circuit", "overlap": "overlapping ConvAC", "dilated": "dilated ConvAC",
               "mixed": "mixed dilated ConvAC (two dilation orders joined)"}
_WIDTH_NAMES = {"cp": ("Z channels", "Z"), "tt": ("TT rank r", "r"), "tr": ("TR rank r", "r"),
                "rac": ("hidden width R", "R")}


def _cmd_compare(args) -> int:
    from tnverify.cli._output import emit, status_exit
    from tnverify.networks.partitions import parse_partition
    from tnverify.theory.separation import separation, shallow_width

    t0 = time.perf_counter()
    if getattr(args, "arch", None):
        raise InputError(f"compare takes the deep and the shallow architecture as its two arguments "
                         f"(compare DEEP SHALLOW); --arch is for separation and draw, got --arch {args.arch}")
    deep_file = args.deep if args.deep.endswith(".json") else None
    subject = _subject(args, arch=None if deep_file else args.deep, file=deep_file)
    rows = parse_partition(args.partition, _order(subject))
    if hasattr(subject, "activation"):
        return _compare_rectifier(args, subject, rows, t0)
    res = separation(subject, rows, seed=args.seed, attempts=args.attempts, prefix="deep_")
    net = res.network
    order = res.arch.N if res.arch is not None else net.order  # no network when it has too many copies
    feats = _one_or_list(args.features)
    mixed = res.arch is not None and res.arch.family == "mixed" and args.shallow == "dilated"
    need, below = shallow_width(args.shallow, order, feats, rows, res.lower, cert=res.certificate,
                                dilations=res.arch.dilations if mixed else None)  # a mixed network's branch A
    if mixed:  # and its branch B: a dilated network of either order
        need_b, below_b = shallow_width(args.shallow, order, feats, rows, res.lower, cert=res.certificate,
                                        dilations=res.arch.dilations_b, label="shallow_b")
    status, verdict = _checked(res, args.no_check)
    wname, sym = _WIDTH_NAMES.get(args.shallow, ("width w", "w"))
    m = net.meta if net is not None else {"arch": res.arch.family, **res.arch.params()}
    deep_desc = (f"a generic {_ARCH_NAMES.get(m.get('arch'), 'network')} with N={order}"
                 + (f", M={m['M']}" if "M" in m else "") + (f", widths {m['widths']}" if "widths" in m else ""))
    part = args.partition if args.partition in ("interleaved", "left-right") else f"I={list(rows)}"
    rank_txt = (f"has {part} separation rank {res.rank} (proved)" if status == "proved"
                else f"has {part} separation rank >= {res.lower} (proved lower bound; upper {res.upper})")
    sname = _ARCH_NAMES.get(args.shallow, args.shallow)

    def tail(need, below, name):
        if need is None:
            return f"no width of a {name} reaches {res.lower}"
        return f"a {name} with {wname} has rank at most its min cut (at {sym}={need - 1}: {below}); so it needs {sym} >= {need}"

    if mixed:
        tails = [tail(need, below, f"{sname} with branch A's dilations {list(res.arch.dilations)}"),
                 tail(need_b, below_b, f"{sname} with branch B's dilations {list(res.arch.dilations_b)}")]
    else:
        tails = [tail(need, below, sname if need is not None else f"{args.shallow} network")]
    text = f"{deep_desc} {rank_txt}; " + "; ".join(tails)
    out = {"deep": res.to_dict(), "status": status, "checker": verdict, "shallow": args.shallow,
           "shallow_width_needed": need, "shallow_bound_below": below, "statement": text,
           "seconds": round(time.perf_counter() - t0, 6)}
    if mixed:
        out.update({"dilations": list(res.arch.dilations), "dilations_b": list(res.arch.dilations_b),
                    "shallow_width_needed_b": need_b, "shallow_bound_below_b": below_b})
    write_cert(args, res.certificate, out, status=status)
    emit(args, out, text)
    return status_exit(status)


def _compare_rectifier(args, a, rows, t0) -> int:
    """``compare --activation/--pooling``: the channels a shallow relu-cp network needs (docs/rectifier.md)."""
    from tnverify.cli._output import emit, status_exit
    from tnverify.theory.rectifier import rectifier_separation, shallow_channels

    if _RECT.get(args.shallow) != "relu-cp":
        raise InputError(f"a rectifier network is compared with a shallow relu-cp network, got {args.shallow}")
    res = rectifier_separation(a, rows, seed=args.seed, attempts=args.attempts, weights=_rect_weights(args),
                               max_block=args.max_block, prefix="deep_")
    per, need = shallow_channels(a, rows, res.lower, res.certificate)
    res.status = "proved" if res.lower > 0 else "unknown"  # the claim is the bound on Z, not the deep rank
    status, verdict = _checked(res, args.no_check)
    text = (f"{a.describe()} has rank >= {res.lower} for I={list(rows)} on an open set of weights; a shallow "
            f"relu-cp network ({a.activation}/{a.pooling}) has rank <= {per} Z for every weight, so it needs "
            f"Z >= {need}" + (f"\n  checker: {verdict}" if verdict else "\n  checker: not run"))
    out = {"deep": res.to_dict(), "status": status, "checker": verdict, "shallow": "relu-cp", "per_channel": per,
           "shallow_width_needed": need, "statement": text, "seconds": round(time.perf_counter() - t0, 6)}
    write_cert(args, res.certificate, out, status=status)
    emit(args, out, text)
    return status_exit(status)


def _sweep_rectifier(args) -> int:
    """``sweep --activation/--pooling``: rank against --over for ReLU/max and for product pooling, side by side."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from tnverify.cli._output import emit
    from tnverify.networks.partitions import parse_partition
    from tnverify.theory.rectifier import rectifier_separation

    if args.over not in ("inputs", "widths"):
        raise InputError(f"a rectifier sweep runs over inputs (depth) or widths, got --over {args.over}")
    rows_out = []
    for v in args.values:
        rec = {args.over: v}
        for tag, act, pool in (("relu", args.activation or "relu", args.pooling or "max"),
                               ("product", "linear", "product")):
            ns = argparse_copy(args, activation=act, pooling=pool, **{args.over: v if args.over == "inputs" else [v]})
            a = _rectifier(ns, args.arch)
            res = rectifier_separation(a, parse_partition(args.partition, a.N), seed=args.seed,
                                       max_block=args.max_block, certificate=False)
            rec.update({f"{tag}_lower": res.lower, f"{tag}_upper": res.upper, f"{tag}_status": res.status})
        rows_out.append(rec)
    out_csv = Path(args.output)
    with atomic_path(out_csv) as tmp, open(tmp, "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows_out[0]))
        w.writeheader()
        w.writerows(rows_out)
    png = Path(args.plot) if args.plot else out_csv.with_suffix(".png")
    fig, axes = plt.subplots(1, 2, figsize=(10, 4), sharey=True)
    xs = list(args.values)
    for ax, tag, title in ((axes[0], "relu", f"{args.activation or 'relu'}/{args.pooling or 'max'}: rank on an "
                            "open set"), (axes[1], "product", "linear/product (ConvAC)")):
        ax.plot(xs, [r[f"{tag}_lower"] for r in rows_out], marker="o", label="proved lower bound")
        ax.plot(xs, [r[f"{tag}_upper"] for r in rows_out], linestyle="--", label="upper bound (every weight)")
        ax.set_yscale("log")
        ax.set_xlabel("inputs N (depth log2 N)" if args.over == "inputs" else "width")
        ax.set_title(title)
        ax.legend()
    axes[0].set_ylabel("matricization rank")
    with atomic_path(png) as tmp:
        fig.savefig(tmp, format=png.suffix[1:] or "png")
    plt.close(fig)
    lines = [f"{args.over}={r[args.over]}  relu: >= {r['relu_lower']} (<= {r['relu_upper']})  product: >= "
             f"{r['product_lower']} (<= {r['product_upper']})" for r in rows_out]
    emit(args, {"rows": rows_out, "csv": str(out_csv), "png": str(png)},
         "\n".join(lines) + f"\nwrote {out_csv} and {png}")
    return EXIT_OK


def argparse_copy(args, **changes):
    """A copy of the parsed ``args`` with ``changes`` (one sweep point)."""
    import argparse

    return argparse.Namespace(**{**vars(args), **changes})


def _sweep_arch(task: dict, arch: str, width: int | None):
    """The architecture of one side of a sweep point: the deep one (``width`` None) or the shallow one."""
    from tnverify.networks.architectures import spec

    kw = task["kw"]
    w = kw["widths"] if width is None else (None if arch == "cp" else width)
    r = kw["rank"] if width is None else (width if arch == "cp" else None)
    tree = task["tree"] if (task["tree"] and width is None) else None
    if tree is None and arch in ("convac", "ht") and (kw["inputs"] & (kw["inputs"] - 1)):
        tree = "pairs"
    return spec(arch, kw["inputs"], kw["features"], w, r, task["shared"] and width is None, tree, task["depth"])


def _require_sweep(tasks: list) -> None:
    """The budget of the whole sweep, before its first point: both sides of every point
    (:func:`tnverify.theory.costs.separation_cost`); a point that cannot be built is left
    to report its own error."""
    from tnverify import budget
    from tnverify.networks.partitions import parse_partition
    from tnverify.theory.costs import separation_cost

    t = tasks[0]
    tally = budget.Tally(f"the sweep over {t['over']} = {','.join(str(x['value']) for x in tasks[:8])}"
                         + (",..." if len(tasks) > 8 else ""))
    for task in tasks:
        for arch, width in ((task["arch"], None), (task["shallow"], task["shallow_width"])):
            try:
                a = _sweep_arch(task, arch, width)
                memory, work = separation_cost(a, parse_partition(task["partition"], a.N))
            except BudgetError:
                raise
            except InputError:
                continue
            tally.add(memory=memory, work=work)


def _sweep_point(task: dict) -> dict:
    """One sweep point (module level, so an executor can ship it): deep and shallow ranks."""
    from tnverify.networks.partitions import parse_partition
    from tnverify.theory.separation import architecture_separation

    over, v = task["over"], task["value"]
    rec = {over: v}
    for tag, arch, width in (("deep", task["arch"], None), ("shallow", task["shallow"], task["shallow_width"])):
        t0 = time.perf_counter()
        try:
            a = _sweep_arch(task, arch, width)
            res = architecture_separation(a, parse_partition(task["partition"], a.N), seed=task["seed"])
            rec.update({f"{tag}_status": res.status, f"{tag}_lower": res.lower, f"{tag}_upper": res.upper,
                        f"{tag}_rank": res.rank, f"{tag}_seconds": round(time.perf_counter() - t0, 4)})
        except InputError as e:
            rec.update({f"{tag}_status": "error", f"{tag}_error": str(e)})
    return rec


def _cmd_sweep(args) -> int:
    from tnverify.cli._output import emit
    from tnverify.parallel import TaskFailure, executor
    from tnverify.plot import sweep_plot

    from tnverify.networks.architectures import ARCHS
    from tnverify.errors import UnknownNameError

    if args.activation or args.pooling:
        return _sweep_rectifier(args)
    if args.over not in ("inputs", "features", "widths", "rank"):
        raise InputError(f"--over must be inputs, features, widths or rank, got {args.over!r}")
    for name in (args.arch, args.shallow):
        if name not in ARCHS:
            raise UnknownNameError("architecture", name, ARCHS)
    if args.shallow_width < 1:
        raise InputError(f"expected --shallow-width >= 1, got {args.shallow_width}")
    vals = list(args.values)
    tasks = []
    for v in vals:
        kw = {"inputs": args.inputs, "features": _one_or_list(args.features), "widths": _one_or_list(args.widths),
              "rank": args.rank}
        kw[args.over] = v
        tasks.append({"kw": kw, "over": args.over, "value": v, "arch": args.arch, "shallow": args.shallow,
                      "shallow_width": args.shallow_width, "tree": args.tree, "shared": args.shared,
                      "depth": args.depth, "partition": args.partition, "seed": args.seed})
    if args.scheduler:
        from tnverify.parallel import check_scheduler

        check_scheduler(args.scheduler)
    _require_sweep(tasks)
    ex = executor(args.jobs, args.scheduler)
    rows_out = [None] * len(tasks)
    try:
        for i, rec in ex.map_unordered(_sweep_point, tasks):
            if isinstance(rec, TaskFailure):
                rec = {args.over: vals[i], "deep_status": "error", "deep_error": rec.message,
                       "shallow_status": "error", "shallow_error": rec.message}
            rows_out[i] = rec
    finally:
        ex.close()
    failed = [r for r in rows_out if "error" in (r.get("deep_status"), r.get("shallow_status"))]
    if len(failed) == len(rows_out):
        r = failed[0]
        raise InputError(f"every sweep point failed; at {args.over} = {r[args.over]}: "
                         f"{r.get('deep_error') or r.get('shallow_error')}")
    deep_key, shallow_key = f"{args.arch}", f"{args.shallow} (width {args.shallow_width})"
    series = {deep_key: [r.get("deep_rank") for r in rows_out], shallow_key: [r.get("shallow_rank") for r in rows_out]}
    keys = list(dict.fromkeys(k for r in rows_out for k in r))
    out_csv = Path(args.output)
    with atomic_path(out_csv) as tmp, open(tmp, "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=keys)
        w.writeheader()
        w.writerows(rows_out)
    png = Path(args.plot) if args.plot else out_csv.with_suffix(".png")
    part = args.partition if isinstance(args.partition, str) else "I=" + ",".join(map(str, args.partition))
    sweep_plot(vals, series, png, xlabel=args.over, title=f"{part} separation rank (proved values only)")
    emit(args, {"rows": rows_out, "csv": str(out_csv), "png": str(png)},
         "\n".join(_sweep_line(args.over, r) for r in rows_out) + f"\nwrote {out_csv} and {png}")
    return EXIT_FAILED if failed else EXIT_OK


def _sweep_line(over: str, rec: dict) -> str:
    """One readable line per sweep point: the value, then each side's rank or bounds."""
    parts = [f"{over}={rec[over]}"]
    for tag in ("deep", "shallow"):
        st = rec.get(f"{tag}_status")
        if st == "proved":
            parts.append(f"{tag}: {rec[f'{tag}_rank']} (proved)")
        elif st == "error":
            parts.append(f"{tag}: error: {rec[f'{tag}_error']}")
        else:
            parts.append(f"{tag}: in [{rec[f'{tag}_lower']}, {rec[f'{tag}_upper']}] ({st})")
    return "  ".join(parts)


#: Operations charged per drawn node or edge (layout, artists and rendering: about 0.1 s each).
DRAW_OPS = 1e8


def _require_draw(order: int, elements: int) -> None:
    """The budget of a drawing: the canvas (0.6 inch per leg at 110 dpi, RGBA, three buffers) and
    :data:`DRAW_OPS` per node or edge (:func:`tnverify.plot.draw_network`)."""
    from tnverify import budget

    pixels = max(6, 0.6 * order + 3) * 110 * 5 * 110
    budget.require(f"drawing a network with {order} legs and {elements} nodes and edges", memory=12 * pixels,
                   work=DRAW_OPS * elements)


def _cmd_draw(args) -> int:
    from tnverify.cli._output import emit
    from tnverify.networks.mincut import min_cut
    from tnverify.networks.partitions import parse_partition
    from tnverify.plot import draw_network

    if args.forward:
        raise InputError("draw needs a network (--arch or FILE); a forward pass alone has no drawing")
    note = ""
    if args.activation or args.pooling or (args.arch or "").startswith("relu-"):
        a = _rectifier(args, args.arch)  # validated; the drawing is its wiring, the product-pooling network
        note = f"; the wiring of {a.describe()}: the cut bounds only its product-pooling counterpart"
        args.arch = {"relu-cp": "cp", "relu-ht": "convac", "relu-tt": "tt"}[a.family]
        args.activation = args.pooling = None
        args.biases = False
    if args.inputs is not None and not args.file:
        _require_draw(args.inputs, args.inputs)  # the canvas, before the network is built
    if args.arch in ("overlap", "dilated", "mixed") and not args.file:  # networks.overlap.CONV_FAMILIES
        return _draw_units(args)
    net = _network(args)
    _require_draw(net.order, len(net.names) + net.order + sum(len(ix) for ix in net.inputs))
    rows = parse_partition(args.partition, net.order)
    cut = min_cut(net, rows)
    draw_network(net, rows, cut, args.output)
    emit(args, {"png": args.output, "cut": cut.labels, "upper": cut.value},
         f"wrote {args.output} (min cut {cut.value} over {', '.join(cut.labels)}{note})")
    return 0


def _draw_units(args) -> int:
    """``draw --arch overlap|dilated|mixed``: the units and their taps, with the bounds that hold for every weight.

    The grid network copies a unit once per path to the top (65551 cores for an overlapping
    ConvAC with N = 16), which no drawing can show; the figure draws each unit once
    (:func:`tnverify.plot.draw_units`). The bounds are those of ``separation``: the shape, the
    frontier count (the span count for a mixed network, which has no grid network), and the
    min cut of the grid network when it is within its core limit.
    """
    from tnverify.cli._output import emit
    from tnverify.networks.architectures import network
    from tnverify.networks.mincut import min_cut
    from tnverify.networks.overlap import conv_units, frontier_bound, layer_sizes, span_bound
    from tnverify.networks.partitions import parse_partition
    from tnverify.plot import draw_units

    a = _subject(args)
    if a.family == "overlap":  # the count from the layer sizes, before any unit is built
        n = layer_sizes(a.N, a.field, a.stride)
        _require_draw(a.N, a.N + sum(n[l] * (1 + a.field[l - 1]) for l in range(1, len(n))))
    units, _ = conv_units(a)
    if a.family != "overlap":  # dilated, mixed: the units the last output reads, at most 2N per branch
        _require_draw(a.N, a.N + sum(1 + len(kids) for _, kids in units.values()))
    rows = parse_partition(args.partition, a.N)
    cols = [k for k in range(a.N) if k not in rows]
    bounds = {"shape": min(math.prod(a.M[k] for k in rows), math.prod(a.M[k] for k in cols))}
    if a.family == "mixed":
        bounds["span"] = span_bound(a, rows)
    else:
        bounds["frontier"] = frontier_bound(a, rows)
    cut = None
    try:
        cut = min_cut(network(a), rows)
        bounds["cut"] = cut.value
    except (BudgetError, NoNetworkError):
        pass  # over the core limit, or a mixed network: the cut is left out, as in ``separation``
    upper = min(bounds.values())
    told = ", ".join(f"{k} {v}" for k, v in bounds.items())
    draw_units(units, a.N, rows, args.output, f"{a.describe()}\nI = {sorted(rows)}; rank <= {upper} for every "
               f"weight ({told}); red rim: frontier units")
    emit(args, {"png": args.output, "cut": cut.labels if cut else None, "upper": upper, "bounds": bounds},
         f"wrote {args.output} (rank <= {upper} for every weight: {told})")
    return 0


def register(sub, common) -> None:
    """Add this module's subcommands to ``sub`` (``common`` holds the shared options)."""
    p = sub.add_parser("separation", parents=[common], help="certified generic separation rank of an architecture")
    _builder_args(p)
    cli_args.add_seed(p, "the random point, test matrices and prime")
    p.add_argument("--attempts", type=cli_args.positive, default=3, help="fresh seeds tried before reporting unknown")
    cli_args.add_cert(p)
    cli_args.add_no_check(p)
    p.set_defaults(func=_cmd_separation)

    p = sub.add_parser("compare", parents=[common], help="separation: what a shallow network needs to match a deep one")
    p.add_argument("deep", help="deep architecture name (convac, ht, tt, ...) or a JSON network file")
    p.add_argument("shallow", help="shallow architecture name (cp, tt, ...)")
    _builder_args(p, file=False)
    cli_args.add_seed(p, "the random point, test matrices and prime")
    p.add_argument("--attempts", type=cli_args.positive, default=3, help="fresh seeds tried before reporting unknown")
    cli_args.add_cert(p)
    cli_args.add_no_check(p)
    p.set_defaults(func=_cmd_compare)

    p = sub.add_parser("sweep", parents=[common], help="proved separation ranks over a parameter: CSV + PNG (--arch defaults to convac)")
    _builder_args(p, file=False)
    p.add_argument("--over", default="inputs", help="parameter swept: inputs, features, widths or rank")
    p.add_argument("--values", type=cli_args.int_list, required=True, help="values, e.g. 4,8,16")
    p.add_argument("--shallow", default="cp", help="shallow architecture plotted against --arch")
    p.add_argument("--shallow-width", type=cli_args.integer, default=16, help="its width (Z for cp)")
    cli_args.add_seed(p, "the random points, test matrices and primes")
    cli_args.add_output(p, "CSV file", type=cli_args.table, required=True)
    p.add_argument("--plot", type=cli_args.figure, metavar="FIGURE", help="PNG, PDF or SVG file (default: the CSV name with .png)")
    p.add_argument("--jobs", type=cli_args.positive, default=1, help="local worker processes for the points")
    p.add_argument("--scheduler", help="Dask scheduler address for the points, e.g. tcp://127.0.0.1:8786")
    p.set_defaults(func=_cmd_sweep, arch="convac")

    p = sub.add_parser("draw", parents=[common], help="PNG of a network with the partition and its min cut (overlap, dilated: the units and their bounds)")
    _builder_args(p)
    cli_args.add_output(p, "PNG, PDF or SVG file", type=cli_args.figure, required=True)
    p.set_defaults(func=_cmd_draw)
