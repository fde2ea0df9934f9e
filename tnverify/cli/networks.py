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
import time
from pathlib import Path

from tnverify.cli import args as cli_args
from tnverify.errors import EXIT_FAILED, EXIT_OK, InputError

__all__ = ["register"]


def _one_or_list(v):
    """A parsed ``--features`` / ``--widths`` list: one entry as an int (the same at every input / level)."""
    if v is None:
        return None
    return v[0] if len(v) == 1 else list(v)


def _builder_args(p, file=True):
    if file:
        p.add_argument("file", nargs="?", help="JSON network file (instead of --arch)")
    p.add_argument("--arch", help="cp, tucker, tt, tr, ht, convac or rac")
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
    p.add_argument("--depth", type=int, default=1, help="depth L (rac)")
    p.add_argument("--partition", type=cli_args.partition, default="interleaved", metavar="SPEC",
                   help="interleaved (default), left-right (= start-end), or row legs like 0,2,4,6")
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
    return spec(arch, args.inputs, _one_or_list(args.features), _one_or_list(args.widths), args.rank, args.shared,
                args.tree, args.depth)


def _order(subject) -> int:
    from tnverify.networks.forward import Arch

    return subject.N if isinstance(subject, Arch) else subject.order


def _network(args, arch=None, file=None):
    """The tensor network of the subject (the builder's grid network for an architecture)."""
    from tnverify.networks.architectures import network
    from tnverify.networks.forward import Arch

    subject = _subject(args, arch, file)
    return network(subject) if isinstance(subject, Arch) else subject


def _checked(res, no_check: bool) -> tuple:
    """(status, verdict): 'proved' only when the checker verifies the certificate."""
    if no_check or res.certificate is None:
        return res.status, None
    from tnverify.checker import check

    v = check(res.certificate.to_dict())
    if not v.ok and res.status == "proved":
        return "unknown", v.status
    return res.status, v.status


def _cmd_forward(args) -> int:
    """``separation --forward FILE.py:FUNCTION``: bounds for the grid tensor of the user's own function."""
    from tnverify import certificate as C
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
        from tnverify.checker import check

        verdict = check(res.certificate.to_dict(), allow_code=True).status
        if verdict != "VERIFIED" and status in ("proved", "probable"):
            status = "unknown"
    out = res.to_dict()
    out.update({"status": status, "checker": verdict, "seconds": round(time.perf_counter() - t0, 6)})
    if args.cert:
        C.write(res.certificate, args.cert)
        out["certificate"] = str(args.cert)
    emit(args, out, res.text() + (f"\n  checker: {verdict} (ran the user's code)" if verdict else "\n  checker: not run"))
    return status_exit(status)


def _cmd_separation(args) -> int:
    from tnverify import certificate as C
    from tnverify.cli._output import emit, status_exit
    from tnverify.networks.partitions import parse_partition
    from tnverify.theory.separation import separation

    if args.forward:
        return _cmd_forward(args)
    t0 = time.perf_counter()
    subject = _subject(args)
    rows = parse_partition(args.partition, _order(subject))
    res = separation(subject, rows, seed=args.seed, attempts=args.attempts)
    status, verdict = _checked(res, args.no_check)
    out = res.to_dict()
    out.update({"status": status, "checker": verdict, "seconds": round(time.perf_counter() - t0, 6)})
    if status != "proved":
        out["rank"] = None
    if args.cert:
        C.write(res.certificate, args.cert)
        out["certificate"] = str(args.cert)
    text = res.text() + (f"\n  checker: {verdict}" if verdict else "\n  checker: not run")
    emit(args, out, text)
    return status_exit(status)


_ARCH_NAMES = {"convac": "deep ConvAC", "ht": "hierarchical Tucker network", "cp": "shallow CP network",
               "tt": "tensor train (multiplicative RNN)", "tr": "tensor ring", "tucker": "Tucker network",
               "rac": "recurrent arithmetic circuit"}
_WIDTH_NAMES = {"cp": ("Z channels", "Z"), "tt": ("TT rank r", "r"), "tr": ("TR rank r", "r"),
                "rac": ("hidden width R", "R")}


def _cmd_compare(args) -> int:
    from tnverify import certificate as C
    from tnverify.cli._output import emit, status_exit
    from tnverify.networks.partitions import parse_partition
    from tnverify.theory.separation import separation, shallow_width

    t0 = time.perf_counter()
    deep_file = args.deep if args.deep.endswith(".json") else None
    subject = _subject(args, arch=None if deep_file else args.deep, file=deep_file)
    rows = parse_partition(args.partition, _order(subject))
    res = separation(subject, rows, seed=args.seed, attempts=args.attempts, prefix="deep_")
    net = res.network
    feats = _one_or_list(args.features)
    need, below = shallow_width(args.shallow, net.order, feats, rows, res.lower, cert=res.certificate)
    status, verdict = _checked(res, args.no_check)
    wname, sym = _WIDTH_NAMES.get(args.shallow, ("width w", "w"))
    m = net.meta
    deep_desc = (f"a generic {_ARCH_NAMES.get(m.get('arch'), 'network')} with N={net.order}"
                 + (f", M={m['M']}" if "M" in m else "") + (f", widths {m['widths']}" if "widths" in m else ""))
    part = args.partition if args.partition in ("interleaved", "left-right") else f"I={list(rows)}"
    rank_txt = (f"has {part} separation rank {res.rank} (proved)" if status == "proved"
                else f"has {part} separation rank >= {res.lower} (proved lower bound; upper {res.upper})")
    if need is None:
        tail = f"no width of a {args.shallow} network reaches {res.lower}"
    else:
        tail = (f"a {_ARCH_NAMES.get(args.shallow, args.shallow)} with {wname} has rank at most its min cut "
                f"(at {sym}={need - 1}: {below}); so it needs {sym} >= {need}")
    text = f"{deep_desc} {rank_txt}; {tail}"
    out = {"deep": res.to_dict(), "status": status, "checker": verdict, "shallow": args.shallow,
           "shallow_width_needed": need, "shallow_bound_below": below, "statement": text,
           "seconds": round(time.perf_counter() - t0, 6)}
    if args.cert:
        C.write(res.certificate, args.cert)
        out["certificate"] = str(args.cert)
    emit(args, out, text)
    return status_exit(status)


def _sweep_point(task: dict) -> dict:
    """One sweep point (module level, so an executor can ship it): deep and shallow ranks."""
    from tnverify.networks.architectures import spec
    from tnverify.networks.partitions import parse_partition
    from tnverify.theory.separation import architecture_separation

    kw, over, v = task["kw"], task["over"], task["value"]
    rec = {over: v}
    for tag, arch, width in (("deep", task["arch"], None), ("shallow", task["shallow"], task["shallow_width"])):
        t0 = time.perf_counter()
        try:
            w = kw["widths"] if width is None else (None if arch == "cp" else width)
            r = kw["rank"] if width is None else (width if arch == "cp" else None)
            tree = task["tree"] if (task["tree"] and width is None) else None
            if tree is None and arch in ("convac", "ht") and (kw["inputs"] & (kw["inputs"] - 1)):
                tree = "pairs"
            a = spec(arch, kw["inputs"], kw["features"], w, r, task["shared"] and width is None, tree,
                     task["depth"])
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
    with open(out_csv, "w", newline="") as fh:
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


def _cmd_draw(args) -> int:
    from tnverify.cli._output import emit
    from tnverify.networks.mincut import min_cut
    from tnverify.networks.partitions import parse_partition
    from tnverify.plot import draw_network

    if args.forward:
        raise InputError("draw needs a network (--arch or FILE); a forward pass alone has no drawing")
    net = _network(args)
    rows = parse_partition(args.partition, net.order)
    cut = min_cut(net, rows)
    draw_network(net, rows, cut, args.output)
    emit(args, {"png": args.output, "cut": cut.labels, "upper": cut.value},
         f"wrote {args.output} (min cut {cut.value} over {', '.join(cut.labels)})")
    return 0


def register(sub, common) -> None:
    """Add this module's subcommands to ``sub`` (``common`` holds the shared options)."""
    p = sub.add_parser("separation", parents=[common], help="certified generic separation rank of an architecture")
    _builder_args(p)
    cli_args.add_seed(p, "the random point, test matrices and prime")
    p.add_argument("--attempts", type=cli_args.positive, default=3, help="fresh seeds tried before reporting unknown")
    cli_args.add_cert(p)
    p.add_argument("--no-check", action="store_true", help="skip the checker (status is then the prover's)")
    p.set_defaults(func=_cmd_separation)

    p = sub.add_parser("compare", parents=[common], help="separation: what a shallow network needs to match a deep one")
    p.add_argument("deep", help="deep architecture name (convac, ht, tt, ...) or a JSON network file")
    p.add_argument("shallow", help="shallow architecture name (cp, tt, ...)")
    _builder_args(p, file=False)
    cli_args.add_seed(p, "the random point, test matrices and prime")
    p.add_argument("--attempts", type=cli_args.positive, default=3, help="fresh seeds tried before reporting unknown")
    cli_args.add_cert(p)
    p.add_argument("--no-check", action="store_true", help="skip the checker (status is then the prover's)")
    p.set_defaults(func=_cmd_compare)

    p = sub.add_parser("sweep", parents=[common], help="proved separation ranks over a parameter: CSV + PNG (--arch defaults to convac)")
    _builder_args(p, file=False)
    p.add_argument("--over", default="inputs", help="parameter swept: inputs, features, widths or rank")
    p.add_argument("--values", type=cli_args.int_list, required=True, help="values, e.g. 4,8,16")
    p.add_argument("--shallow", default="cp", help="shallow architecture plotted against --arch")
    p.add_argument("--shallow-width", type=int, default=16, help="its width (Z for cp)")
    cli_args.add_seed(p, "the random points, test matrices and primes")
    cli_args.add_output(p, "CSV file", required=True)
    p.add_argument("--plot", type=cli_args.figure, metavar="FIGURE", help="PNG, PDF or SVG file (default: the CSV name with .png)")
    p.add_argument("--jobs", type=cli_args.positive, default=1, help="local worker processes for the points")
    p.add_argument("--scheduler", help="Dask scheduler address for the points, e.g. tcp://127.0.0.1:8786")
    p.set_defaults(func=_cmd_sweep, arch="convac")

    p = sub.add_parser("draw", parents=[common], help="PNG of a network with the partition and its min cut")
    _builder_args(p)
    cli_args.add_output(p, "PNG, PDF or SVG file", type=cli_args.figure, required=True)
    p.set_defaults(func=_cmd_draw)
