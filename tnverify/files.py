"""Atomic file writes: a destination holds either its previous content or the whole new content.

Every file tnverify writes (certificates, reports, CSV tables, figures, arrays) goes through this
module. The content is written to a temporary file in the destination's own folder, flushed to
disk (``fsync``), and then renamed over the destination with :func:`os.replace`, which POSIX makes
atomic within one file system. A write that fails part-way (a full disk, a file-size limit such as
``ulimit -f``, an interrupt) removes the temporary file and leaves the destination as it was: no
truncated file is ever left behind.

* :func:`write_text_atomic` and :func:`write_bytes_atomic` write a string or bytes;
* :func:`atomic_path` is a context manager that yields a temporary path for libraries that write
  a file themselves (matplotlib's ``savefig``, numpy's ``save``); the temporary name ends with the
  destination's suffix, so a format read from the suffix stays the same (give numpy the open
  file, not the name: it appends ``.npy`` / ``.npz`` to a name without that suffix);
* :func:`discard_pending` removes the temporary files this process has not yet renamed (a worker
  process calls it when it is terminated, :mod:`tnverify.parallel`).

Conventions: a temporary file is named ``.<stem>~<random>~tmp<suffix>`` (hidden, next to the
destination); the destination keeps its permissions when it exists, otherwise it gets the usual
``0o666`` minus the umask. A destination that exists and is not a regular file (``/dev/null``,
``/dev/stdout``, a named pipe) cannot be replaced by a rename and is written in place. A symbolic
link is written through: its target is replaced, the link stays. Cost: one extra ``fsync`` and one
rename per file.
"""
from __future__ import annotations

import os
import secrets
import stat
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from tnverify.errors import InputError

__all__ = ["write_text_atomic", "write_bytes_atomic", "atomic_path", "discard_pending", "discard_orphans",
           "TEMP_MARK"]

#: The part of every temporary file's name that marks it as one (``.<stem>~<pid>-<random>~tmp<suffix>``).
TEMP_MARK = "~tmp"

#: Temporary files of this process that are not yet renamed over their destination.
_pending: set[str] = set()
_umask: int | None = None


def _default_mode() -> int:
    """``0o666`` minus the process umask (read once; reading it means setting it)."""
    global _umask
    if _umask is None:
        _umask = os.umask(0)
        os.umask(_umask)
    return 0o666 & ~_umask


def _destination(path) -> Path:
    """The file to replace: ``path``, or the target of the symbolic link ``path``."""
    p = Path(path)
    return Path(os.path.realpath(p)) if p.is_symlink() else p


def _failed(path, err: OSError, kept: bool = True) -> InputError:
    tail = "; the file was left as it was (no partial file written)" if kept else ""
    return InputError(f"cannot write {str(path)!r}: {err.strerror or err}{tail}")


@contextmanager
def atomic_path(path) -> Iterator[Path]:
    """Yield a temporary path; when the block ends without an error, rename it over ``path``.

    Parameters
    ----------
    path : str or Path
        The destination. Its folder must exist.

    Yields
    ------
    Path
        A new, empty file in the destination's folder, with the destination's suffix. The
        block writes it (and closes it) completely.

    Raises
    ------
    InputError
        The file could not be written (``cannot write 'PATH': <reason>``); the destination is
        unchanged and the temporary file removed. Any other exception in the block (an
        interrupt included) also removes the temporary file and leaves the destination as it
        was, and is raised again.
    """
    dest = _destination(path)
    try:
        info = os.stat(dest)
    except OSError:
        info = None
    if info is not None and not stat.S_ISREG(info.st_mode):  # a device or a pipe: no rename possible
        try:
            yield dest
        except OSError as e:
            raise _failed(path, e, kept=False) from None
        return
    tmp = None
    try:
        tmp = _reserve(dest)
        os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        yield Path(tmp)
        fd = os.open(tmp, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        os.chmod(tmp, stat.S_IMODE(info.st_mode) if info is not None else _default_mode())
        os.replace(tmp, dest)
    except BaseException as e:
        if tmp is not None:
            _remove(tmp)
        if isinstance(e, OSError):
            raise _failed(path, e) from None
        raise
    finally:
        if tmp is not None:
            _pending.discard(tmp)


def write_bytes_atomic(path, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically (see :func:`atomic_path`); returns ``Path(path)``."""
    with atomic_path(path) as tmp, open(tmp, "wb") as fh:
        fh.write(data)
    return Path(path)


def write_text_atomic(path, text: str, *, encoding: str = "utf-8", errors: str = "strict") -> Path:
    """Write ``text`` to ``path`` atomically, encoded with ``encoding`` (see :func:`atomic_path`).

    ``errors`` is the codec's error handler, e.g. ``"backslashreplace"`` for text that may hold
    lone surrogates.
    """
    return write_bytes_atomic(path, text.encode(encoding, errors))


def _reserve(dest: Path) -> str:
    """A fresh temporary name ``.<stem>~<pid>-<random>~tmp<suffix>`` beside ``dest``, registered as pending
    BEFORE the file exists, so that an interrupt at any moment leaves nothing unregistered behind."""
    while True:
        tmp = str(dest.parent / f".{dest.stem[:100]}~{os.getpid()}-{secrets.token_hex(4)}{TEMP_MARK}{dest.suffix}")
        if not os.path.lexists(tmp):
            _pending.add(tmp)
            return tmp


def discard_orphans(folder) -> int:
    """Remove the temporary files in ``folder`` whose writing process no longer exists; returns how many.

    A worker killed before it could clean up (``kill -9``, or a grace period that ran out while it
    was inside a C call) leaves its temporary file; the process that started it sweeps the folder.
    """
    removed = 0
    for f in Path(folder).glob(f".*~*-*{TEMP_MARK}*"):
        try:
            pid = int(f.name.rsplit("~", 2)[1].split("-", 1)[0])
        except (IndexError, ValueError):
            continue
        try:
            os.kill(pid, 0)
            continue  # alive: still writing
        except ProcessLookupError:
            pass
        except PermissionError:
            continue
        _remove(str(f))
        removed += 1
    return removed


def _remove(tmp: str) -> None:
    try:
        os.unlink(tmp)
    except OSError:
        pass


def discard_pending() -> None:
    """Remove every temporary file of this process that is not yet renamed (safe in a signal handler)."""
    for tmp in list(_pending):
        _remove(tmp)
        _pending.discard(tmp)
