"""The lock: one mirrorctl at a time backs up and writes."""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Callable, NamedTuple

from mirrorctl import fileio, paths
from mirrorctl.errors import StoreError
from mirrorctl.i18n import N_
from mirrorctl.store import atomic

#: How long a second mirrorctl waits for the first to finish before giving up.
LOCK_WAIT_S = 10.0


@contextlib.contextmanager
def locked() -> Iterator[None]:
    """Keep two mirrorctl runs from interleaving their backups and writes.

    An flock on ``<state>/lock``: the kernel releases it when its holder dies, however it dies, so a killed
    run never leaves a stale lock. The holder writes its pid into the file, so a waiting run can name it, and
    empties the file again when it lets go: a pid left in a lock nobody holds is the record of a run that was
    killed in the middle (:func:`inspect`), harmless to the next run, which takes the lock and writes its own.
    """
    lock_path = paths.lock_file()
    atomic.ensure_directory(lock_path.parent)
    flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(lock_path, flags | getattr(os, "O_NONBLOCK", 0), 0o600)
    except OSError as exc:
        raise StoreError(N_("cannot open the lock: {reason}"), reason=atomic.reason(exc), path=lock_path) from None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise StoreError(N_("cannot open the lock: is {kind}"), kind=fileio.kind(os.fstat(fd).st_mode),
                             path=lock_path)
        if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
            import msvcrt

            _retry_lock(fd, lambda: msvcrt.locking(fd, msvcrt.LK_NBLCK, 1))
            try:
                yield
            finally:
                _forget_holder(fd)
                os.lseek(fd, 0, os.SEEK_SET)
                msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
        else:
            import fcntl

            _retry_lock(fd, lambda: fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB))
            try:
                yield
            finally:
                _forget_holder(fd)
                fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def _retry_lock(fd: int, try_lock: Callable[[], object]) -> None:
    wait_s = LOCK_WAIT_S
    deadline = time.monotonic() + wait_s
    while True:
        try:
            try_lock()
            break
        except OSError as exc:
            if exc.errno not in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK, errno.EDEADLK):
                raise StoreError(N_("cannot lock: {reason}"), reason=atomic.reason(exc),
                                 path=paths.lock_file()) from None
            if time.monotonic() >= deadline:
                holder = _lock_holder(fd)
                if holder:
                    raise StoreError(N_("another mirrorctl (pid {pid}) is still running; gave up after waiting "
                                        "{seconds:g} s"), pid=holder, seconds=wait_s, path=paths.lock_file()) from None
                raise StoreError(N_("another mirrorctl is still running; gave up after waiting {seconds:g} s"),
                                 seconds=wait_s, path=paths.lock_file()) from None
            time.sleep(0.05)
    try:
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
    except OSError:
        pass  # the pid is only there to name the holder; the flock is what excludes


def _lock_holder(fd: int) -> int | None:
    try:
        text = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None


def _forget_holder(fd: int) -> None:
    """Empty the pid record while still holding the lock (a run that ends normally leaves no record)."""
    with contextlib.suppress(OSError):
        os.ftruncate(fd, 0)


class LockState(NamedTuple):
    """What the lock file says right now: ``held`` by a running mirrorctl, and the ``pid`` it records."""

    path: Path
    held: bool
    pid: int | None


def inspect() -> LockState | None:
    """The lock's state, read-only: None when there is no lock file (or it cannot be read, or on Windows).

    ``held`` is asked of the kernel (a non-blocking flock taken and released at once), so a process that died
    holding it never counts: the kernel released its lock. A free lock that still records a pid was left by a
    run killed while it held the lock (a normal run empties the record when it lets go).
    """
    lock_path = paths.lock_file()
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        fd = os.open(lock_path, flags)
    except OSError:
        return None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return None
        pid = _lock_holder(fd)
        if sys.platform == "win32":  # pragma: no cover - msvcrt locks need a writable descriptor: not asked
            return None
        import fcntl

        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            if exc.errno in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
                return LockState(lock_path, True, pid)
            return None
        try:
            return LockState(lock_path, False, _lock_holder(fd))  # read again: the holder may just have let go
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
