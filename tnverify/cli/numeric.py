"""CLI: ``tnverify decompose`` (numeric decompositions, optionally proved exactly) and
``tnverify learn`` (learning a 2-layer network by the method of moments)."""
from __future__ import annotations

import argparse
import csv
import sys
import time

from tnverify.cli import args as cli_args
from tnverify.cli._output import write_cert
from tnverify.errors import EXIT_OK, InputError
from tnverify.files import atomic_path

#: Work (entries x rank x iterations) above which CP-ALS runs in chunks behind a progress bar.
PROGRESS_WORK = 5e8
#: Sweeps per chunk of a long CP-ALS run.
CHUNK = 10


# ------------------------------------------------------------------ decompose
def _als(X, R, args):
    from tnverify import numeric

    work = X.size * R * max(args.n_iter_max, 1)
    if args.no_progress or work < PROGRESS_WORK or not sys.stderr.isatty():
        return numeric.cp_als(X, R, n_iter_max=args.n_iter_max, tol=args.tol, seed=args.seed, init=args.init,
                              linesearch=args.linesearch)
    from tqdm import tqdm

    init, done, res = args.init, 0, None
    with tqdm(total=args.n_iter_max, desc="CP-ALS", unit="sweep", file=sys.stderr) as bar:
        while done < args.n_iter_max:
            step = min(CHUNK, args.n_iter_max - done)
            res = numeric.cp_als(X, R, n_iter_max=step, tol=args.tol, seed=args.seed, init=init,
                                 linesearch=args.linesearch)
            done += res.n_iter
            bar.update(res.n_iter)
            bar.set_postfix(rel_error=f"{res.rel_error:.3e}")
            init = res
            if res.status != "max iterations reached":
                break
    res.n_iter = done
    return res


def _require_decompose(shape, R: int, method: str, sweeps: int) -> None:
    """Refuse a decomposition over the budget before it starts (:mod:`tnverify.budget`).

    CP-ALS: :func:`tnverify.theory.cp_rank.als_cost` for ``sweeps`` sweeps. Jennrich, HOSVD
    and TT-SVD: an SVD or eigendecomposition per mode, ``E max(I_n)`` operations each (E entries),
    and factors of ``I_n x R`` (a float64 copy of the tensor per mode for the SVDs).
    """
    from tnverify import budget
    from tnverify.theory.cp_rank import als_cost

    E = budget.product(shape)
    if method == "als":
        memory, work = als_cost(shape, R, max(sweeps, 1))
    else:
        memory, work = 8 * (3 * E + sum(shape) * R), len(shape) * E * max(shape) * 10
    budget.require(f"a rank-{R} {method} decomposition of a {' x '.join(map(str, shape))} tensor", memory=memory,
                   work=work)


def _exact_tensor(path, X):
    """The exact tensor behind a file, for --prove (integer-valued floats are accepted)."""
    import numpy as np

    from tnverify.exact.io import load_array

    try:
        return load_array(path)
    except InputError:
        if np.all(X == np.round(X)) and np.max(np.abs(X)) < 2.0**53:
            return X.astype(np.int64)
        raise InputError("--prove needs an integer or rational tensor (.npy int, or .json with ints / 'p/q'); "
                         f"{path} holds non-integer floats") from None


def _cmd_decompose(args) -> int:
    import numpy as np

    from tnverify import numeric
    from tnverify.cli._output import certified, emit, status_exit

    if args.cert and not args.prove:
        raise InputError("--cert writes the certificate of --prove; add --prove")
    t0 = time.perf_counter()
    X = numeric.load_float_array(args.file)
    R = numeric.check_rank(args.rank)
    if args.method in ("als", "jennrich") and X.ndim < 3:
        raise InputError(f"--method {args.method} needs a tensor of order >= 3 (for a matrix, the SVD gives the rank), "
                         f"got order {X.ndim}")
    if args.n_iter_max < 0:
        raise InputError(f"expected --n-iter-max >= 0, got {args.n_iter_max}")
    _require_decompose(X.shape, R, args.method, args.n_iter_max)
    out = {"rank": R, "method": args.method, "shape": list(X.shape)}
    save = {}
    cp = None
    if args.method == "als":
        cp = _als(X, R, args)
    elif args.method == "jennrich":
        cp = numeric.jennrich(X, R, seed=args.seed)
    elif args.method == "hosvd":
        core, F, err = numeric.hosvd(X, [min(R, n) for n in X.shape])
        out.update({"relative_error": err, "iterations": 0, "convergence": "direct", "core_shape": list(core.shape)})
        save = {"core": core, **{f"factor_{n}": f for n, f in enumerate(F)}}
    else:
        cores, err = numeric.tt_svd(X, R)
        out.update({"relative_error": err, "iterations": 0, "convergence": "direct",
                    "tt_ranks": [c.shape[2] for c in cores[:-1]]})
        save = {f"core_{n}": c for n, c in enumerate(cores)}
    if cp is not None:
        out.update({"relative_error": cp.rel_error, "iterations": cp.n_iter, "convergence": cp.status,
                    "error_change": None if cp.error_change != cp.error_change else cp.error_change,
                    "message": cp.message})
        save = {"weights": cp.weights, **{f"factor_{n}": f for n, f in enumerate(cp.factors)}}
    status = "numerical"
    if args.prove:
        if X.ndim < 3:
            raise InputError(f"--prove needs a tensor of order >= 3, got order {X.ndim}")
        from tnverify.theory.cp_rank import cp_rank_bounds, rational_cp

        T = _exact_tensor(args.file, X)
        given = None
        if cp is not None:
            F = [f.copy() for f in cp.factors]
            F[0] = F[0] * cp.weights
            given = rational_cp(T, F)
        res = cp_rank_bounds(T, factors=given, seed=args.seed, max_rank=R)
        out["proof"] = res.to_dict()
        if res.certificate is not None:
            res.certificate.claim.update({"statement": f"CP rank bounds of {args.file}", "seed": args.seed})
        proof_status, checked = certified(args, out["proof"], res.status, res.certificate)
        if proof_status == "proved" and res.rank == R:
            status = "proved"
        write_cert(args, res.certificate, out, status=proof_status)
    out["status"] = status
    if args.output:
        with atomic_path(args.output) as tmp, open(tmp, "wb") as fh:
            np.savez(fh, **save)
        out["out"] = str(args.output)
    out["seconds"] = round(time.perf_counter() - t0, 4)
    change = "" if out.get("error_change") is None else f", last change of error {out['error_change']:.3e}"
    text = (f"{args.method} rank {R}: relative error {out['relative_error']:.3e}, {out['iterations']} iterations "
            f"({out['convergence']}{change}) -- numerical")
    if "proof" in out:
        p = out["proof"]
        text += (f"\n  exact CP rank over Q/R/C: {p['rank']} (proved)" if p["status"] == "proved"
                 else f"\n  exact CP rank in [{p['lower']}, {p['upper']}] (unknown)")
        text += f"\n  lower: {p['lower_method']}\n  upper: {p['upper_method'] or 'none'}{checked}"
    if args.output:
        text += f"\n  wrote {args.output}"
    emit(args, out, text)
    return status_exit(status) if args.prove else EXIT_OK


# ------------------------------------------------------------------ learn
def _widths(args):
    """(d, k) of a random network: ``--widths D,K``, or the deprecated ``--inputs D --hidden K``; None if neither."""
    old = args.inputs is not None or args.hidden is not None
    if old and args.widths is not None:
        raise InputError("give either --widths D,K or the deprecated --inputs D --hidden K, not both")
    if old:
        if args.inputs is None or args.hidden is None:
            raise InputError("expected --widths D,K (input dimension, hidden units) or --weights FILE")
        cli_args.deprecated(args, f"--inputs {args.inputs} --hidden {args.hidden}",
                            f"--widths {args.inputs},{args.hidden}")
        return args.inputs, args.hidden
    if args.widths is None:
        return None
    w = list(args.widths)
    if len(w) == 3 and w[2] == 1:
        w = w[:2]
    if len(w) != 2:
        raise InputError(f"expected --widths D,K (input dimension, hidden units; one output), got "
                         f"{','.join(map(str, args.widths))}")
    return tuple(w)


def _network(args):
    from tnverify.theory.learning import load_network, random_network

    if args.weights:
        if args.widths is not None or args.inputs is not None or args.hidden is not None:
            raise InputError("give either --weights FILE or --widths D,K, not both")
        return load_network(args.weights, args.activation)
    dk = _widths(args)
    if dk is None:
        raise InputError("expected --widths D,K (a random network: input dimension, hidden units) or --weights FILE")
    return random_network(dk[0], dk[1], args.activation or "tanh", seed=args.seed, integer=args.exact)


def _cmd_learn(args) -> int:
    from tnverify.cli._output import emit, warn

    from tnverify.theory import moment_method as MM

    if args.cert and not args.exact:
        raise InputError("--cert writes the certificate of --exact; add --exact")
    if (args.output or args.plot) and not args.sweep:
        raise InputError("-o/--output and --plot write the table and figure of --sweep; add --sweep N1,N2,...")
    if args.data:
        return _learn_from_data(args)
    if args.components is not None:
        raise InputError("--components K is the number of directions to learn from --data FILE; a network of "
                         "--widths D,K or --weights FILE has its own")
    net = _network(args)
    if args.exact:
        return _learn_exact(args, net)
    if args.samples is None and not args.sweep:
        raise InputError("expected --samples N (or --sweep N1,N2,...)")
    if args.samples is not None and args.sweep:
        raise InputError("give either --samples N or --sweep N1,N2,..., not both")
    if args.repeats != 1 and not args.sweep:
        raise InputError("--repeats runs each size of --sweep several times; add --sweep N1,N2,...")
    for n in list(args.sweep or []) + ([args.samples] if args.samples is not None else []):
        MM.check_samples(n, net.d, " in --sweep" if args.sweep else "")
    if net.k > net.d:
        return _learn_overcomplete(args, net)
    if args.sweep:
        return _learn_sweep(args, net)
    res = MM.learn(net, args.samples, seed=args.seed, method=args.method)
    out = {**res.to_dict(), "activation": net.activation.name}
    for w in res.warnings:
        warn(w)
    emit(args, out, _learn_text(res))
    return EXIT_OK


def _learn_from_data(args) -> int:
    """``learn --data FILE.npz --components K``: the directions from the user's samples alone (no oracle)."""
    from tnverify import budget
    from tnverify.cli._output import emit, warn
    from tnverify.theory import moment_method as MM
    from tnverify.theory.learning import parse_activation

    clash = [flag for flag, v in (("--weights", args.weights), ("--widths", args.widths), ("--inputs", args.inputs),
                                  ("--hidden", args.hidden), ("--samples", args.samples), ("--sweep", args.sweep),
                                  ("--exact", args.exact)) if v]
    if clash:
        raise InputError(f"--data FILE learns from the samples in FILE; drop {', '.join(clash)} (they describe a "
                         f"synthetic network)")
    if args.components is None:
        raise InputError("expected --components K with --data FILE (the number of hidden units to learn)")
    X, y = MM.load_samples(args.data)
    n, d = X.shape
    MM.check_samples(n, d, f" in {args.data}")
    k = args.components
    if k > d:
        raise InputError(f"expected --components at most the input dimension {d} (the moment flattening has rank "
                         f"<= {d}: whitening cannot separate more directions; see docs/learning.md), got {k}")
    memory, work = MM.learn_cost(d, k, n)
    budget.require(f"learning from {n} samples with {d} inputs", memory=memory, work=work)
    act = parse_activation(args.activation or "tanh")
    res = MM.learn_data(X, y, k, act, method=args.method, seed=args.seed)
    res.warnings = MM.gaussian_input_warnings(X[: n - res.held_out]) + res.warnings
    out = {**res.to_dict(), "activation": act.name, "data": str(args.data)}
    for w in res.warnings:
        warn(w)
    emit(args, out, _learn_text(res))
    return EXIT_OK


def _learn_text(res) -> str:
    """The report of one run of ``learn`` for people (the same values as ``--json``)."""
    g = res.diagnostics
    d, k = res.d, res.k
    sv = " ".join(f"{x:.3g}" for x in g.singular_values[:k]) + " | " + " ".join(f"{x:.3g}" for x in
                                                                             g.singular_values[k:])
    lines = [f"learned {k} directions from {res.n} samples ({g.samples} for the moment, {res.held_out} held out), "
             f"d = {d}, {res.method} -- numerical",
             f"  held-out test error {res.test_error:.3e} (ridge-function model on the recovered directions, "
             f"{res.held_out} held-out samples; 1 = the mean predictor)",
             f"  moment noise {g.noise_spectral:.3g} (spectral norm of the d x d^2 flattening, batch means over "
             f"{g.batches} batches); its singular values: {sv}",
             "  recovered  lambda (+- se)            signal/noise  resolvable (> 3 x noise) at n"]
    for j in range(k):
        ratio = g.signal[j] / g.noise_spectral if g.noise_spectral else float("inf")
        at = g.neuron_resolvable_at[j]
        lines.append(f"  neuron {j + 1:<3} {g.lambdas[j]: .4e} (+- {g.lambda_se[j]:.1e})  {ratio:12.3g}  "
                     f"{'never (no signal)' if at == float('inf') else f'{at:.2g}'}")
    lines.append(f"  residual {g.residual_ratio:.3g} x the noise "
                 f"({'the fit explains the moment' if g.residual_ratio <= 2 else 'the fit does NOT explain the moment'})")
    lines.append("  recovery: accepted by the diagnostics" if res.good else
                 "  recovery: NOT reliable (the diagnostics object; see the warnings)")
    if res.oracle is not None:
        o = res.oracle
        lines.append(f"  oracle (synthetic data only): recovery error {o['recovery_error']:.3e} (max 1 - |cos| "
                     f"against the generating weights), true lambdas "
                     + ", ".join(f"{x:.4g}" for x in o["lambdas"]))
    lines += [f"  WARNING: {w}" for w in res.warnings]
    return "\n".join(lines)


def _learn_overcomplete(args, net) -> int:
    from tnverify.cli._output import emit
    from tnverify.theory.learning_hardness import overcomplete

    res = overcomplete(net, seed=args.seed)
    out = {**res.to_dict(), "activation": net.activation.name}
    text = (f"not learned: {net.k} hidden units > {net.d} inputs (the overcomplete case) -- unknown\n"
            f"  proved: {res.reason}\n  needed: {res.to_dict()['needed']}")
    emit(args, out, text)
    return 3


def _learn_sweep(args, net) -> int:
    from tnverify.cli._output import emit
    from tnverify.theory import moment_method as MM

    res = MM.sweep(net, list(args.sweep), seed=args.seed, method=args.method, repeats=args.repeats,
                   progress=not args.no_progress and not args.json and sys.stderr.isatty())
    rows = res.rows
    if args.output:
        with atomic_path(args.output) as tmp, open(tmp, "w", newline="") as fh:
            wr = csv.DictWriter(fh, fieldnames=list(rows[0]))
            wr.writeheader()
            wr.writerows(rows)
    if args.plot:
        from tnverify.plot import learning_plot

        learning_plot(rows, args.plot, title=f"d={net.d}, k={net.k}, {net.activation.name}, {args.method}",
                      marks=res.resolvable_at, slope=res.slope)
    out = {"status": "numerical", "inputs": net.d, "hidden": net.k, "activation": net.activation.name,
           "method": args.method, **res.to_dict(), "csv": args.output, "plot": args.plot}
    text = "\n".join(f"n = {r['samples']:>9}: oracle recovery error {r['recovery_error']:.3e} (direction error "
                     f"{r['direction_error']:.3e}), held-out test error {r['test_error']:.3e}, "
                     f"{'accepted' if r['recovery_good'] else 'NOT reliable'}" for r in rows)
    if res.slope is not None:
        text += (f"\nslope of log(oracle direction error) against log(n): {res.slope:.3f}, 95% interval "
                 f"[{res.interval[0]:.3f}, {res.interval[1]:.3f}] over n = {', '.join(map(str, res.fitted_on))} "
                 f"(Janzamin et al. 2015: -1/2)")
    if res.note:
        text += f"\nnote: {res.note}"
    text += "\nresolvable (> 3 x noise, estimated at the largest n) at n = " + ", ".join(
        "never" if x is None else str(x) for x in res.resolvable_at)
    emit(args, out, text)
    return EXIT_OK


def _learn_exact(args, net) -> int:
    from tnverify.theory import learning as L
    from tnverify.certificate import dumps
    from tnverify.checker import check
    from tnverify.cli._output import emit

    M3 = L.exact_moment(net)
    lam = L.stein_weights(net)
    cert = L.moment_certificate(net, M3)
    verdict = check(dumps(cert)).status
    warn = L.identifiability_warnings(net, lam)
    ok, msg = (L.exact_recovery(net, M3, seed=args.seed) if net.k <= net.d and all(x != 0 for x in lam)
               else (False, "exact recovery not attempted"))
    if net.k > net.d:  # the overcomplete case: the proved reason, with the flattening rank checked
        from tnverify.theory.learning_hardness import overcomplete

        oc = overcomplete(net, seed=args.seed)
        msg = f"not recoverable by these methods: {oc.reason}; needed: {oc.to_dict()['needed']}"
    status = "proved" if verdict == "VERIFIED" else "unknown"
    written: dict = {}
    write_cert(args, cert, written, status=status, seed=args.seed,
               statement=f"E[y He_3(x)] = sum_j lambda_j w_j^(x)3 for the {net.activation.name} network with "
                         f"{net.d} inputs and {net.k} hidden units")
    out = {"status": status, "identity": verdict, "lambdas": [str(x) for x in lam], "recovered_exactly": ok,
           "recovery_error": 0.0 if ok else None, "message": msg, "warnings": warn, "inputs": net.d,
           "hidden": net.k, "activation": net.activation.name, "certificate": written.get("certificate")}
    text = (f"E[y He_3(x)] = sum_j lambda_j w_j^(x)3 exactly: {verdict} (lambda = {', '.join(map(str, lam))})\n"
            f"  {msg}" + "".join(f"\n  WARNING: {w}" for w in warn))
    emit(args, out, text)
    return EXIT_OK if status == "proved" else 3


def register(sub, common) -> None:
    """Add this module's subcommands to ``sub`` (``common`` holds the shared options)."""
    p = sub.add_parser("decompose", parents=[common], help="numeric CP / Tucker / TT decomposition (optionally proved)")
    p.add_argument("file", help="tensor: .npy (any numeric dtype), .json (nested lists) or .txt")
    cli_args.add_rank(p, "CP rank (Tucker / TT: rank cap)", required=True)
    p.add_argument("--method", default="als", choices=["als", "jennrich", "hosvd", "tt"])
    p.add_argument("--n-iter-max", type=cli_args.integer, default=100, help="CP-ALS sweeps (default 100)")
    p.add_argument("--tol", type=cli_args.real, default=1e-8, help="stop when the relative error changes less (default 1e-8)")
    cli_args.add_seed(p, "the random initialisation")
    p.add_argument("--init", default="svd", choices=["svd", "random"],
                   help="CP-ALS start: leading singular vectors of the unfoldings (default), or random entries "
                        "from --seed (uniform for non-negative data, normal otherwise)")
    p.add_argument("--linesearch", action="store_true", help="Bro's extrapolation in CP-ALS")
    cli_args.add_output(p, "write factors / core / cores to this .npz file", type=cli_args.npz)
    cli_args.alias(p, "--out", "--output", dest="output", type=cli_args.npz)
    p.add_argument("--prove", action="store_true",
                   help="prove the exact CP rank (rationalised factors + flattening lower bound)")
    cli_args.add_cert(p, "with --prove: write the certificate to this JSON file")
    cli_args.add_no_check(p)
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=_cmd_decompose)

    p = sub.add_parser("learn", parents=[common], help="learn a 2-layer network's weights from its third moment")
    cli_args.option(p, "--widths", type=cli_args.widths, metavar="D,K",
                    help="a random network: input dimension D and hidden units K (one output)")
    p.add_argument("--inputs", type=cli_args.integer, help=argparse.SUPPRESS)  # deprecated: --widths D,K
    p.add_argument("--hidden", type=cli_args.integer, help=argparse.SUPPRESS)  # deprecated: --widths D,K
    p.add_argument("--weights", help="network JSON: {'weights': d x k, 'bias': [k], 'output': [k], 'activation': ...}")
    p.add_argument("--activation", type=cli_args.activation,
                   help="sigmoid, tanh (default), relu, cube, square, quartic, poly:c0,c1,...")
    p.add_argument("--samples", type=cli_args.integer, help="number of samples n")
    p.add_argument("--data", metavar="FILE.npz",
                   help="learn from your samples: arrays X (n x d, inputs ~ N(0, I)) and y (n); with --components K")
    p.add_argument("--components", type=cli_args.positive, metavar="K",
                   help="with --data: the number of hidden units (directions) to learn")
    cli_args.add_seed(p, "the network and the samples")
    p.add_argument("--method", default="jennrich", choices=["jennrich", "power"])
    p.add_argument("--sweep", type=cli_args.int_list, help="comma-separated sample sizes, e.g. 1000,3000,10000")
    p.add_argument("--repeats", type=cli_args.positive, default=1,
                   help="with --sweep: runs per sample size (independent samples), all fitted (default 1)")
    cli_args.add_output(p, "with --sweep: write the table to this CSV file", type=cli_args.table)
    cli_args.alias(p, "--csv", "--output", dest="output")
    p.add_argument("--plot", type=cli_args.figure, metavar="FIGURE", help="with --sweep: write a log-log figure (.png, .pdf or .svg)")
    p.add_argument("--exact", action="store_true",
                   help="polynomial activation: exact population moment, checked identity, exact recovery")
    cli_args.add_cert(p, "with --exact: write the moment-identity certificate here")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=_cmd_learn)
