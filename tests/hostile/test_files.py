"""Files and interrupts: atomic writes, Ctrl-C, bounded messages, and the sizes of the primes.

* A write that fails (here: a file-size limit, ``ulimit -f``) leaves no truncated file, no
  temporary file, and an earlier file at the destination as it was; the command exits 2 with
  one line.
* Ctrl-C (SIGINT to the whole process group, as a terminal sends it) during ``tnverify run
  --jobs 2`` prints one line, exits 130, stops the workers and leaves no partial file.
* No line a user reads is longer than 2000 characters, whatever the size of the data.
* The primes are the sizes the documentation states, and the failure probability of a
  ``probable`` rank is the documented bound computed from the primes actually used.
"""
from __future__ import annotations

import json
import math
import os
import re
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from tnverify.files import TEMP_MARK, atomic_path, write_text_atomic
from tnverify.parallel import executor

ROOT = Path(__file__).parent.parent.parent
VALID = ROOT / "tests" / "certs" / "valid"
MAX_LINE = 2000


def _temporaries(folder: Path) -> list:
    return [f.name for f in folder.iterdir() if TEMP_MARK in f.name]


def _run_capped(args, fsize: int, cwd=None) -> subprocess.CompletedProcess:
    """``tnverify ARGS`` with files capped at ``fsize`` bytes (a write past it fails with EFBIG)."""
    def limits():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the cap raises, not kills
        resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, resource.RLIM_INFINITY))

    env = {**os.environ, "NUMBA_NUM_THREADS": "1"}
    return subprocess.run([sys.executable, "-m", "tnverify.cli", *map(str, args)], capture_output=True, text=True,
                          timeout=120, preexec_fn=limits, cwd=cwd, env=env)


def _one_error_line(err: str) -> bool:
    lines = [ln for ln in err.splitlines() if not ln.startswith("tnverify: warning:")]
    return len(lines) == 1 and lines[0].startswith("tnverify: error:") and "Traceback" not in err


def _low_rank_matrix(path: Path, m: int = 30, r: int = 5) -> Path:
    rng = np.random.default_rng(1)
    np.save(path, rng.integers(-50, 50, (m, r)) @ rng.integers(-50, 50, (r, m)))
    return path


# ------------------------------------------------------------------ atomic writes
def test_a_certificate_over_the_file_size_limit_leaves_the_old_one_and_no_partial_file(tmp_path):
    inp = _low_rank_matrix(tmp_path / "M.npy")
    out = tmp_path / "certs"
    out.mkdir()
    cert = out / "rank.json"
    cert.write_bytes(b"an earlier certificate")
    p = _run_capped(["rank", inp, "--cert", cert], fsize=1000)
    assert p.returncode == 2, p.stderr
    assert _one_error_line(p.stderr) and "cannot write" in p.stderr and "rank.json" in p.stderr, p.stderr
    assert sorted(f.name for f in out.iterdir()) == ["rank.json"]
    assert cert.read_bytes() == b"an earlier certificate"
    # without the cap the same command writes the whole certificate, which the checker accepts
    p = _run_capped(["rank", inp, "--cert", cert], fsize=resource.RLIM_INFINITY)
    assert p.returncode == 0, p.stderr
    assert sorted(f.name for f in out.iterdir()) == ["rank.json"]
    from tnverify.checker import check

    assert check(cert).ok


def test_a_figure_over_the_file_size_limit_leaves_no_partial_png(tmp_path):
    fig = tmp_path / "plot.png"
    p = _run_capped(["neuro-plot", "--widths", "2,2,1", "--max-degree", "2", "-o", fig], fsize=2000)
    assert p.returncode == 2 and _one_error_line(p.stderr) and "cannot write" in p.stderr, p.stderr
    assert list(tmp_path.iterdir()) == []


def test_a_failing_writer_leaves_the_destination_as_it_was(tmp_path):
    dest = tmp_path / "report.md"
    dest.write_text("old report")
    with pytest.raises(KeyboardInterrupt):
        with atomic_path(dest) as tmp:
            tmp.write_text("half a new rep")
            raise KeyboardInterrupt
    assert dest.read_text() == "old report" and _temporaries(tmp_path) == []
    write_text_atomic(dest, "new report")
    assert dest.read_text() == "new report" and _temporaries(tmp_path) == []


def _write_slowly(path: str) -> str:
    """A task that is stopped half-way through writing ``path``."""
    with atomic_path(path) as tmp:
        tmp.write_text("partial")
        time.sleep(120)
    return path


def test_a_worker_terminated_while_writing_removes_its_temporary_file(tmp_path):
    dest = tmp_path / "out.json"
    ex = executor(2)

    def interrupt_once_writing(signum, frame):
        if _temporaries(tmp_path):
            signal.setitimer(signal.ITIMER_REAL, 0)
            raise KeyboardInterrupt

    old = signal.signal(signal.SIGALRM, interrupt_once_writing)
    signal.setitimer(signal.ITIMER_REAL, 0.2, 0.2)
    t0 = time.monotonic()
    try:
        with pytest.raises(KeyboardInterrupt):
            list(ex.map_unordered(_write_slowly, [str(dest)]))
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)
        ex.close()
    assert time.monotonic() - t0 < 60  # the worker was stopped, not waited for
    assert not dest.exists() and _temporaries(tmp_path) == []


# ------------------------------------------------------------------ Ctrl-C
def _interrupt_run(tmp_path: Path, when) -> tuple[subprocess.CompletedProcess, Path]:
    """Start ``tnverify run proofs_checks --jobs 2 --emit DIR``; Ctrl-C once ``when(DIR, group)`` holds."""
    emit = tmp_path / "certs"
    env = {**os.environ, "NUMBA_NUM_THREADS": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "tnverify.cli", "run", str(ROOT / "proofs_checks"), "--jobs", "2",
                             "--emit", str(emit)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True, env=env)
    deadline = time.monotonic() + 90
    while not when(emit, proc.pid) and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert proc.poll() is None, "the run ended before the interrupt"
    os.killpg(proc.pid, signal.SIGINT)  # what a terminal's Ctrl-C does: every process of the group
    try:
        out, err = proc.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        pytest.fail("tnverify run did not stop within 60 s of Ctrl-C")
    for _ in range(100):  # workers and the fork server go with the parent
        try:
            os.killpg(proc.pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.1)
    else:
        os.killpg(proc.pid, signal.SIGKILL)
        pytest.fail("processes of the interrupted run are still alive")
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err), emit


def _assert_interrupted(p: subprocess.CompletedProcess, emit: Path) -> None:
    assert p.returncode == 130, (p.returncode, p.stderr)
    lines = [ln for ln in p.stderr.splitlines() if not ln.startswith("tnverify: warning:")]
    assert lines == ["tnverify: interrupted"], p.stderr
    if emit.exists():
        assert _temporaries(emit) == []
        for f in emit.iterdir():
            json.loads(f.read_text())  # every certificate present is complete


def _forkserver_importing(group: int) -> bool:
    """A fork server of the process group ``group`` is importing the theorem families (numpy is loaded)."""
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            fields = (proc / "stat").read_text().rsplit(")", 1)[1].split()
            if (int(fields[2]) == group and b"multiprocessing.forkserver" in (proc / "cmdline").read_bytes()
                    and "numpy" in (proc / "maps").read_text()):
                return True
        except (OSError, IndexError, ValueError):
            continue
    return False


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc")
def test_ctrl_c_at_start_up_prints_one_line(tmp_path):
    # Ctrl-C while the fork server imports the theorem families for the workers
    p, emit = _interrupt_run(tmp_path, lambda d, group: _forkserver_importing(group))
    _assert_interrupted(p, emit)


def test_ctrl_c_while_workers_write_certificates_stops_them(tmp_path):
    p, emit = _interrupt_run(tmp_path, lambda d, group: d.is_dir() and any(f.suffix == ".json" for f in d.iterdir()))
    _assert_interrupted(p, emit)
    instances = len(list((ROOT / "proofs_checks").rglob("*.toml")))
    assert len(list(emit.iterdir())) < instances // 2  # the remaining instances were not run after Ctrl-C


# ------------------------------------------------------------------ bounded messages
def _longest(text: str) -> int:
    return max((len(ln) for ln in text.splitlines()), default=0)


def test_identifiability_of_a_huge_degree_prints_a_summary(cli):
    d = 100_000
    o = cli("identifiable", "--degree", d, "--widths", "3,3,1")
    assert o.code == 0, o.err
    # three inputs, three neurons: the grouping into d single modes, k-rank 3 each (docs: Kruskal N-way)
    assert f"[1 x {d}]" in o.out and f"[3 x {d}]" in o.out, o.out
    assert len(o.out) < 5000 and _longest(o.out) <= MAX_LINE


def test_identifiability_json_of_a_huge_degree_is_bounded_and_exact(cli):
    d = 100_000
    o = cli("identifiable", "--degree", d, "--widths", "3,3,1", "--json")
    assert o.code == 0, o.err
    out = json.loads(o.out)  # the lists of d items are written by their runs: nothing is lost
    assert out["groups"] == {"runs": [[1, d]], "length": d} and out["k_ranks"] == {"runs": [[3, d]], "length": d}
    assert len(o.out) < 5000


def test_a_checker_message_about_a_huge_value_is_bounded(cli, tmp_path):
    cert = json.loads((VALID / "cp_moment_identity_cubic_poly.json").read_text())
    name = next(iter(cert["objects"]))
    obj = cert["objects"][name]
    obj["entries"][0] = list(range(30_000))  # a list where a number belongs: MALFORMED
    f = tmp_path / "bad.json"
    f.write_text(json.dumps(cert))
    o = cli("check", f)
    assert o.code == 2 and "MALFORMED" in o.out and _longest(o.out) <= MAX_LINE + 2, o.out[:300]
    o = cli("check", f, "--json")
    assert len(json.loads(o.out)["message"]) <= MAX_LINE


def test_a_conclusion_about_a_huge_subject_is_bounded(cli, tmp_path):
    cert = json.loads((VALID / "arch_compare_convac_vs_cp.json").read_text())
    cert["conclusion"][0]["subject"]["rows"] = [list(range(30_000))]
    f = tmp_path / "bad.json"
    f.write_text(json.dumps(cert))
    o = cli("check", f)
    assert o.code in (1, 2) and _longest(o.out) <= MAX_LINE + 2, o.out[:300]
    assert "more characters" in o.out


def test_result_lines_about_a_huge_statement_are_bounded(cli, tmp_path):
    folder = tmp_path / "classical_ranks"  # a catalog folder is named after its reference
    folder.mkdir()
    inst = folder / "hilbert.toml"
    inst.write_text('[claim]\ntheorem = "matrix-rank"\nstatement = "' + "s" * 100_000 + '"\nsource = "s"\n'
                    'expect = "proved"\n\n[params]\nfamily = "hilbert"\nn = 12\n\n[expected]\nrank = 11\n')
    o = cli("prove", inst)
    assert o.code == 1 and "NOT as expected" in o.out, o.err
    assert _longest(o.out) <= MAX_LINE and "more characters" in o.out
    o = cli("run", folder)
    assert o.code == 1 and _longest(o.out) <= MAX_LINE


def test_errors_and_warnings_are_one_bounded_line(capsys):
    from tnverify.cli._output import fail, warn

    fail(False, "x" * 10_000 + "\nsecond line", 2)
    warn("y" * 10_000)
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 2 and err[0].startswith("tnverify: error: x") and err[1].startswith("tnverify: warning: y")
    assert max(map(len, err)) <= MAX_LINE and all("more characters" in ln for ln in err)


# ------------------------------------------------------------------ primes
def _primes_between(bits: int) -> float:
    """Rosser-Schoenfeld lower bound on the number of primes in [2^(bits-1), 2^bits):
    x / ln x < pi(x) < 1.25506 x / ln x for x >= 17."""
    hi, lo = 2.0**bits, 2.0 ** (bits - 1)
    return hi / math.log(hi) - 1.25506 * lo / math.log(lo)


def _hadamard_log2(M: np.ndarray, k: int) -> float:
    """log2 of Hadamard's bound on every k x k minor: the k largest row (or column) norms, the smaller."""
    def side(A):
        norms = sorted((math.sqrt(float(sum(int(x) ** 2 for x in row))) for row in A), reverse=True)[:k]
        return sum(math.log2(v) for v in norms if v > 0)
    return min(side(M), side(M.T))


def _readme_bits(pattern: str) -> int:
    text = re.sub(r"\s+", " ", (ROOT / "README.md").read_text())
    m = re.search(pattern, text)
    assert m, pattern
    return int(m.group(1))


def test_probable_rank_states_the_probability_of_the_primes_it_used(cli, tmp_path):
    inp = _low_rank_matrix(tmp_path / "M.npy")
    M = np.load(inp)
    o = cli("rank", inp, "--upper", "probable", "--json")
    assert o.code == 3, o.err  # probable is not proved
    d = json.loads(o.out)
    r, primes = d["rank"], [int(q) for q in d["primes"]]
    assert d["status"] == "probable" and r == np.linalg.matrix_rank(M.astype(float)) == 5
    # the sizes the README states: a 20-bit prime below, 62-bit primes above
    low_bits = _readme_bits(r"Lower witness.{0,200}?random (\d+)-bit prime")
    up_bits = _readme_bits(r"fresh primes of an upper bound are (\d+)-bit")
    assert int(d["prime"]).bit_length() == low_bits == 20
    assert len(set(primes)) == len(primes) == 2 and {q.bit_length() for q in primes} == {up_bits} == {62}
    # the failure bound (log2 H / ((b - 1) |S_b|))^k, recomputed from the primes actually used
    b = up_bits
    per = _hadamard_log2(M, r + 1) / ((b - 1) * _primes_between(b))
    assert d["failure_probability"] == pytest.approx(per ** len(primes), rel=1e-9)
    o = cli("rank", inp, "--upper", "probable")
    assert f"modulo 2 random {b}-bit primes, failure probability <= {per ** 2:.3g}" in o.out, o.out


def test_temporaries_of_dead_writers_are_swept_and_live_ones_kept(tmp_path):
    """A writer killed mid-write (no chance to clean up) leaves ``.<stem>~<pid>-<random>~tmp``; the sweep removes
    it when that process no longer exists and keeps the files of live processes and real outputs."""
    from tnverify.files import TEMP_MARK, discard_orphans, write_text_atomic

    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                          text=True).stdout.strip()
    write_text_atomic(tmp_path / "done.json", "{}")
    (tmp_path / f".a~{dead}-00ff{TEMP_MARK}.json").write_text("{\"trunc")
    (tmp_path / f".b~{os.getpid()}-00ff{TEMP_MARK}.json").write_text("{\"being written")
    assert discard_orphans(tmp_path) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == [f".b~{os.getpid()}-00ff{TEMP_MARK}.json", "done.json"]


def test_a_small_certificate_with_many_templates_does_not_make_the_checker_build_m_squared_vectors(cli, tmp_path):
    """cp with M = 65536 templates per input: the one-hot templates (2 x 65536^2 integers) are built one by one."""
    M, p = 65536, 1_000_003
    point = {"type": "architecture", "family": "cp", "inputs": 2, "features": [M, M], "widths": [1],
             "shared": False, "weights": {"lam": [1], "A0": [1] * M, "A1": [1] * M}}
    cert = {"format": "tnverify-certificate", "version": 1, "objects": {"point": point},
            "steps": [{"rule": "grid-rank-at-least", "id": "r", "grid": "point", "rows": [0], "modulus": p,
                       "minor": {"rows": [7], "cols": [9]}, "rank": 1}],
            "conclusion": [{"fact": "rank-at-least", "subject": {"grid": "point", "rows": [0], "field": "Q"},
                            "value": 1}], "meta": {}}
    f = tmp_path / "many_templates.json"
    f.write_text(json.dumps(cert))
    o = cli("check", f, timeout=30)
    assert o.code == 0 and "VERIFIED" in o.out, (o.code, o.out[-500:], o.err[-500:])
