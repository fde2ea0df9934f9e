"""The hostile corpus: every reproducer of a hang, a memory blow-up, a traceback or a silent
misreading, run as a user would run it (a subprocess), under a time limit and a memory cap.

:func:`run_cli` is the one way these tests run a command: ``python -m tnverify.cli ARGS`` with
``resource.setrlimit`` capping the address space (default 3 GiB) and a wall-clock timeout
(default 60 s). A test then asserts the exit code and the one-line message.
"""
from __future__ import annotations

import os
import resource
import subprocess
import sys
from dataclasses import dataclass

import pytest

#: Address-space cap of a hostile command (bytes). numba and FLINT need about 1 GiB to start.
MEMORY_CAP = 3 * 2**30
#: Wall-clock limit of a hostile command (seconds).
TIMEOUT = 60


@dataclass
class Outcome:
    """Exit code and output of one command."""

    code: int
    out: str
    err: str

    @property
    def one_line_error(self) -> bool:
        """stderr is one ``tnverify: error:`` line (warnings aside) and has no traceback."""
        lines = [ln for ln in self.err.splitlines() if not ln.startswith("tnverify: warning:")]
        return (len(lines) == 1 and lines[0].startswith("tnverify: error:")
                and "Traceback" not in self.err and len(lines[0]) <= 2000)


def _limits(cap: int):
    def apply():
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
    return apply


def run_cli(*args, cwd=None, timeout: float = TIMEOUT, memory: int = MEMORY_CAP, env: dict | None = None,
            stdin: str | None = None) -> Outcome:
    """Run ``tnverify ARGS`` in a subprocess under a memory cap; fail the test on a timeout."""
    e = dict(os.environ)
    e.setdefault("NUMBA_NUM_THREADS", "1")
    if env:
        e.update(env)
    try:
        p = subprocess.run([sys.executable, "-m", "tnverify.cli", *map(str, args)], cwd=cwd, env=e,
                           capture_output=True, text=True, timeout=timeout, preexec_fn=_limits(memory),
                           input=stdin)
    except subprocess.TimeoutExpired:
        pytest.fail(f"tnverify {' '.join(map(str, args))} ran past {timeout} s")
    return Outcome(p.returncode, p.stdout, p.stderr)


@pytest.fixture
def cli():
    """The :func:`run_cli` function."""
    return run_cli
