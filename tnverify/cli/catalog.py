"""Catalog commands: ``list``, ``prove``, ``run`` and ``report``.

``tnverify run PATH... [--emit DIR] [--jobs N] [--scheduler ADDRESS] [--runslow] [--json]``
runs theorem instances (see :mod:`tnverify.theorems`), one line per instance on
stdout and a progress bar on stderr, then ``N passed, N failed``. Every
certificate goes through the independent checker before an instance counts as
passed. Exit 0 when every outcome matches ``expect``, 1 otherwise, 2 on
malformed input (every file is validated before the first run).

``tnverify list`` prints each theorem with its notion, fields, number of
instances and full references. The theorem registry is imported only by the
commands that need it (it loads every family). See ``docs/architecture.md``.
"""
from __future__ import annotations

import html
import inspect
import json
import platform
import sys
import time
from pathlib import Path

from tnverify.cli import args as cli_args
from tnverify.cli._output import emit, fail, say
from tnverify.files import discard_orphans
from tnverify.errors import EXIT_FAILED, EXIT_OK, EXIT_USAGE, InputError
from tnverify.files import write_text_atomic
from tnverify.messages import clip


def _run_one(task):
    """Module-level (picklable) worker: run one instance, return a plain dict."""
    from tnverify.theorems.runner import run_instance

    path, emit = task
    return run_instance(path, emit_dir=emit).to_dict()


def _list_archs(args) -> int:
    """``tnverify list --archs``: the architecture registry (name, what it is, what --widths means)."""
    from tnverify.networks.architectures import ARCHITECTURES

    rows = [{"name": f.name, "description": f.description, "widths": f.widths} for f in ARCHITECTURES.values()]
    if args.json:
        print(json.dumps({"architectures": rows}))
    else:
        for r in rows:
            print(f"{r['name']:8s} {r['description']}\n         --widths: {r['widths']}")
    return EXIT_OK


def _cmd_list(args) -> int:
    from collections import Counter

    if args.archs:
        return _list_archs(args)

    from tnverify.theorems import registry
    from tnverify.theorems.instance import describe, find_instances, load_instance
    from tnverify.theorems.references import REFERENCES

    reg = registry()
    instances = []
    paths = args.paths or (["proofs_checks"] if Path("proofs_checks").is_dir() else [])
    for f in find_instances(paths):
        inst = load_instance(f)
        instances.append({"id": inst.id, "theorem": inst.theorem, "expect": inst.expect, "slow": inst.slow,
                          "statement": inst.statement, "source": inst.source})
    count = Counter(i["theorem"] for i in instances)
    theorems = [{"name": t.name, "statement": t.statement, "notion": t.notion, "fields": list(t.fields),
                 "values": list(t.values), "instances": count[t.name],
                 "references": {k: REFERENCES[k] for k in t.references},
                 "params": [{"name": k, "type": describe(t.types[k]),
                             **({} if d is inspect.Parameter.empty else {"default": d})}
                            for k, d in t.params.items()]}
                for t in sorted(reg.values(), key=lambda t: t.name)]
    if args.json:
        print(json.dumps({"theorems": theorems, "instances": instances}))
        return EXIT_OK
    say(f"{len(theorems)} theorems:")
    for t in theorems:
        say(f"\n{t['name']}  ({t['instances']} instance{'s' if t['instances'] != 1 else ''})")
        say(f"  {t['statement']}")
        say(f"  notion: {t['notion']}; fields: {', '.join(t['fields'])}")
        say(f"  values: {', '.join(t['values'])}")
        for key, text in t["references"].items():
            say(f"  [{key}] {text}")
    say(f"\n{len(instances)} instances:")
    for i in instances:
        say(f"  {i['id']:60} {i['theorem']:24} expect {i['expect']}{' (slow)' if i['slow'] else ''}")
    return EXIT_OK


def _cmd_prove(args) -> int:
    from tnverify.theorems.runner import BAD_INPUT, run_instance

    res = run_instance(args.instance, cert_path=args.cert)
    if args.json:
        print(json.dumps(res.to_dict()))
    else:
        lines = [f"{res.id}: {res.statement}", f"  source: {res.source}",
                 f"  expected {res.expect}, got {res.got} ({res.seconds:.2f} s); "
                 f"checker: {res.verdict or 'no certificate'}"]
        if res.notion:
            lines.append(f"  notion: {res.notion}" + (f" over {res.field}" if res.field else ""))
        if res.values:
            lines.append(f"  values: {json.dumps(res.values)}")
        if res.message:
            lines.append(f"  {res.message}")
        if res.certificate:
            lines.append(f"  certificate: {res.certificate}")
        lines.append("as expected" if res.passed else "NOT as expected")
        say("\n".join(lines))
    if res.got == BAD_INPUT:
        return fail(False, f"{res.path}: {res.message}", EXIT_USAGE)
    return EXIT_OK if res.passed else EXIT_FAILED


#: Modules a worker process imports while it waits for work (names, as the executor's preload takes them);
#: the runner imports the registry, which imports every theorem family.
_WORKER_PRELOAD = ("tnverify.cli.catalog", "tnverify.theorems.runner")


def _cmd_run(args) -> int:
    from tqdm import tqdm

    from tnverify.parallel import TaskFailure, executor
    from tnverify.theorems.instance import find_instances, load_instance
    from tnverify.theorems.runner import BAD_INPUT, InstanceResult

    files = find_instances(args.paths)
    if not files:
        raise InputError(f"expected instance TOML files under {' '.join(args.paths)}, found none")
    t0 = time.perf_counter()
    # workers start (and import the theorem families) while this process validates the instances
    ex = executor(args.jobs, args.scheduler, preload=_WORKER_PRELOAD)
    try:
        insts = [load_instance(f) for f in files]  # malformed input stops here (exit 2)
    except BaseException:
        ex.close()
        raise
    chosen = [i for i in insts if args.runslow or not i.slow]
    skipped = len(insts) - len(chosen)
    if args.emit:
        Path(args.emit).mkdir(parents=True, exist_ok=True)
    results = [None] * len(chosen)
    tasks = [(str(i.path), args.emit) for i in chosen]
    bar = tqdm(total=len(tasks), file=sys.stderr, disable=args.json or not sys.stderr.isatty(),
               desc="instances", unit="inst")
    try:
        for k, out in ex.map_unordered(_run_one, tasks):
            if isinstance(out, TaskFailure):
                out = InstanceResult.failed(chosen[k], out.message, out.kind).to_dict()
            results[k] = out
            bar.update(1)
            if not args.json:
                bar.write(clip(_line(out)), file=sys.stdout)
    finally:
        bar.close()
        ex.close()
        if args.emit:  # a worker killed mid-write (its grace period ran out) leaves its temporary file
            discard_orphans(args.emit)
    passed = sum(r["passed"] for r in results)
    failed = len(results) - passed
    wall = time.perf_counter() - t0
    if args.json:
        print(json.dumps({"results": results, "passed": passed, "failed": failed, "skipped": skipped,
                          "seconds": round(wall, 3), "executor": ex.name}))
    else:
        for r in results:
            if not r["passed"]:
                say(f"FAILED {r['id']}: expected {r['expect']}, got {r['got']}: {r['message']}")
        tail = f", {skipped} skipped (slow; use --runslow)" if skipped else ""
        print(f"{passed} passed, {failed} failed{tail}  [{wall:.1f} s, {ex.name}]")
    bad = [r for r in results if r["got"] == BAD_INPUT]
    if bad:
        return fail(False, f"{len(bad)} instance(s) with [params] the theorem rejects, first "
                           f"{bad[0]['path']}: {bad[0]['message']}", EXIT_USAGE)
    return EXIT_OK if failed == 0 else EXIT_FAILED


def _line(r) -> str:
    mark = "ok  " if r["passed"] else "FAIL"
    cert = f"  {r['certificate']}" if r.get("certificate") else ""
    return (f"{mark} {r['id']:58} expect {r['expect']:8} got {r['got']:8} "
            f"{r['seconds']:7.2f} s  checker {r['verdict'] or '-'}{cert}")


def _cmd_report(args) -> int:
    from tnverify.checker import check

    d = Path(args.dir)
    if not d.is_dir():
        raise InputError(f"expected a folder of certificates (from tnverify run --emit), got {str(d)!r}")
    files = sorted(d.glob("*.json"))
    if not files:
        raise InputError(f"expected certificates (*.json) in {str(d)!r}, found none")
    rows = []
    for f in files:
        v = check(f)
        try:
            claim = json.loads(f.read_text(encoding="utf-8", errors="replace")).get("claim", {})
        except (json.JSONDecodeError, AttributeError, RecursionError, ValueError):
            claim = {}
        rows.append((f, claim if isinstance(claim, dict) else {}, v))
    import flint

    from tnverify import __version__

    env = (f"tnverify {__version__}, python-flint {flint.__version__}, Python {platform.python_version()}, "
           f"{platform.platform()}")
    out = Path(args.output)
    text = _html(rows, env) if out.suffix.lower() in (".html", ".htm") else _markdown(rows, env)
    write_text_atomic(out, text, errors="backslashreplace")  # certificate text may hold lone surrogates
    bad = sum(not v.ok for _, _, v in rows)
    emit(args, {"report": str(out), "certificates": len(rows), "verified": len(rows) - bad,
                "not_verified": [f.name for f, _, v in rows if not v.ok]},
         f"wrote {out} ({len(rows)} certificates, {len(rows) - bad} verified)")
    return EXIT_OK if bad == 0 else EXIT_FAILED


def _themed(rows) -> list:
    """``[(theme, rows)]`` in report order (:mod:`tnverify.theorems.themes`); a certificate's folder is
    the part of its file name before ``__`` (``run --emit`` names it ``<folder>__<instance>``)."""
    from tnverify.theorems.themes import OTHER, THEMES, theme_of

    groups = {t: [] for t in (*THEMES, OTHER)}
    for row in rows:
        f, c, _ = row
        folder = f.stem.split("__", 1)[0] if "__" in f.stem else None
        groups[theme_of(folder, c.get("theorem") if isinstance(c.get("theorem"), str) else None)].append(row)
    return [(t, groups[t]) for t in groups if t != OTHER or groups[t]]


def _folders(theme: str) -> str:
    from tnverify.theorems.themes import FOLDER_THEMES

    return ", ".join(sorted(k for k, v in FOLDER_THEMES.items() if v == theme)) or "none"


def _markdown(rows, env) -> str:
    from tnverify.theorems.themes import THEMES

    lines = ["# tnverify verification report", "", f"Environment: {env}", ""]
    for theme, group in _themed(rows):
        desc = THEMES.get(theme, "certificates from outside the catalog")
        lines += [f"## {theme.capitalize()}", "", desc[0].upper() + desc[1:] + ".",
                  "", f"Catalog folders: {_folders(theme)}.", ""]
        if not group:
            lines += ["No certificate of this theme in this folder (numerical and reference entries have none: "
                      "`tnverify run` reports them).", ""]
            continue
        lines += ["| instance | statement | source | status | values | checker |", "|---|---|---|---|---|---|"]
        for f, c, v in group:
            vals = ", ".join(f"{k}={w}" for k, w in (c.get("values") or {}).items())
            lines.append(f"| {f.stem} | {c.get('statement', '')} | {c.get('source', '')} | {c.get('status', '')} "
                         f"| {vals} | {v.status} |")
        lines.append("")
    lines += ["## Parameters and seeds", ""]
    for f, c, _ in rows:
        lines.append(f"- `{f.stem}` ({c.get('theorem', '')}): `{json.dumps(c.get('params', {}))}`")
    lines += ["", "Every certificate was re-checked by the independent checker (`tnverify check`) "
              "while writing this report."]
    return "\n".join(lines) + "\n"


def _html(rows, env) -> str:
    from tnverify.theorems.themes import THEMES

    e = html.escape
    head = ("<tr><th>instance</th><th>statement</th><th>source</th><th>status</th><th>values</th><th>checker</th>"
            "<th>parameters</th></tr>")
    sections = []
    for theme, group in _themed(rows):
        body = "".join(
            f"<tr><td>{e(f.stem)}</td><td>{e(str(c.get('statement', '')))}</td><td>{e(str(c.get('source', '')))}</td>"
            f"<td>{e(str(c.get('status', '')))}</td><td>{e(json.dumps(c.get('values', {})))}</td>"
            f"<td>{e(v.status)}</td><td><code>{e(json.dumps(c.get('params', {})))}</code></td></tr>"
            for f, c, v in group)
        table = f"<table border='1'>{head}{body}</table>" if group else "<p>No certificate of this theme in this folder.</p>"
        sections.append(f"<h2>{e(theme.capitalize())}</h2><p>{e(THEMES.get(theme, 'certificates from outside the catalog'))}"
                        f"</p><p>Catalog folders: {e(_folders(theme))}</p>{table}")
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>tnverify report</title></head><body>"
            f"<h1>tnverify verification report</h1><p>{e(env)}</p>{''.join(sections)}</body></html>\n")


def register(sub, common) -> None:
    """Add this module's subcommands to ``sub`` (``common`` holds the shared options)."""
    p = sub.add_parser("list", parents=[common], help="registered theorems and instances")
    p.add_argument("paths", nargs="*", help="instance files or folders (default: proofs_checks, if present)")
    p.add_argument("--archs", action="store_true", help="list the architecture families instead")
    p.set_defaults(func=_cmd_list)

    p = sub.add_parser("prove", parents=[common], help="run one theorem instance")
    p.add_argument("instance", help="instance TOML file")
    p.add_argument("--cert", help="write the certificate to this file")
    p.set_defaults(func=_cmd_prove)

    p = sub.add_parser("run", parents=[common], help="run theorem instances, check every certificate")
    p.add_argument("paths", nargs="+", help="instance files or folders")
    p.add_argument("--emit", help="write certificates to this folder")
    p.add_argument("--jobs", type=cli_args.positive, default=1, help="local worker processes")
    p.add_argument("--scheduler", help="Dask scheduler address, e.g. tcp://127.0.0.1:8786")
    p.add_argument("--runslow", action="store_true", help="include instances marked slow")
    p.set_defaults(func=_cmd_run)

    p = sub.add_parser("report", parents=[common], help="Markdown/HTML report from a folder of certificates")
    p.add_argument("dir", help="folder of certificates (tnverify run --emit DIR)")
    p.add_argument("-o", "--output", default="REPORT.md", help="REPORT.md or REPORT.html")
    p.set_defaults(func=_cmd_report)
