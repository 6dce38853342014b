"""The lock: one mirrorctl at a time backs up and writes."""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import sys
import time
from collections.abc import Iterator
from typing import Callable

from mirrorctl import fileio, paths
from mirrorctl.errors import StoreError
from mirrorctl.store import atomic

#: How long a second mirrorctl waits for the first to finish before giving up.
LOCK_WAIT_S = 10.0


@contextlib.contextmanager
def locked() -> Iterator[None]:
    """Keep two mirrorctl runs from interleaving their backups and writes.

    An flock on ``<state>/lock``: the kernel releases it when its holder dies, however it dies, so a killed
    run never leaves a stale lock. The holder writes its pid into the file, so a waiting run can name it.
    """
    lock_path = paths.lock_file()
    atomic.ensure_directory(lock_path.parent)
    flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(lock_path, flags | getattr(os, "O_NONBLOCK", 0), 0o600)
    except OSError as exc:
        raise StoreError(f"cannot open the lock: {atomic.reason(exc)}", path=lock_path) from None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise StoreError(f"cannot open the lock: is {fileio.kind(os.fstat(fd).st_mode)}", path=lock_path)
        if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
            import msvcrt

            _retry_lock(fd, lambda: msvcrt.locking(fd, msvcrt.LK_NBLCK, 1))
            try:
                yield
            finally:
                os.lseek(fd, 0, os.SEEK_SET)
                msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
        else:
            import fcntl

            _retry_lock(fd, lambda: fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB))
            try:
                yield
            finally:
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
                raise StoreError(f"cannot lock: {atomic.reason(exc)}", path=paths.lock_file()) from None
            if time.monotonic() >= deadline:
                holder = _lock_holder(fd)
                who = f"another mirrorctl (pid {holder})" if holder else "another mirrorctl"
                raise StoreError(f"{who} is still running; gave up after waiting {wait_s:g} s",
                                 path=paths.lock_file()) from None
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
