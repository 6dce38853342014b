"""Atomic writes: a file is replaced whole or not at all, and what an interrupted run left is cleaned up.

Everything here raises OSError (or a subclass), so a caller's transaction can roll back.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import stat
import time
from collections.abc import Iterable
from pathlib import Path

from mirrorctl import fileio
from mirrorctl.errors import StoreError, display_path

TEMP_SUFFIX = ".mirrorctl-tmp"
#: A temp file whose creator cannot be told (no pid in its name) is stale once it is this old.
STALE_TEMP_S = 10.0


class NotRegularFile(OSError):
    """A write would go through to a device, FIFO or directory (an OSError, so transactions roll back)."""


def real_path(path: Path) -> Path:
    """A symlinked config file is edited at its target, so the link stays a link."""
    return Path(os.path.realpath(path))


def atomic_write(path: Path, data: bytes, *, durable: bool = True, mode: int | None = None,
                 owner: tuple[int, int] | None = None) -> None:
    """Replace ``path`` with ``data`` so that readers see the old file or the new one, never half of either.

    The temp file lives in the same directory (os.replace cannot cross file systems), carries the writer's pid
    in its name (so a later run can tell a dead run's leftover), is fsynced before the rename, gets ``mode`` or
    else the original's permission bits (a new file: what the umask allows) before it is renamed, and is
    removed if anything fails. Only a regular file or a path that does not exist is ever replaced. Raises
    OSError, so a caller's transaction can roll back. ``durable=False`` skips the fsyncs, for caches.
    The file keeps the replaced file's owner and group, or gets ``owner`` (uid, gid) when one is given.
    """
    import tempfile

    try:
        target = fileio.check_writable_target(path)
    except StoreError as exc:
        raise NotRegularFile(errno.EINVAL, exc.message, str(path)) from None
    directory = target.parent
    _make_directories(directory)
    try:
        existing: os.stat_result | None = os.stat(target)
    except FileNotFoundError:
        existing = None
    if mode is None:
        if existing is not None:
            mode = stat.S_IMODE(existing.st_mode)
        else:
            umask = os.umask(0)
            os.umask(umask)
            mode = 0o666 & ~umask
    fd, temp = tempfile.mkstemp(dir=directory, prefix=f".{target.name}.{os.getpid()}.", suffix=TEMP_SUFFIX)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            if durable:
                os.fsync(handle.fileno())
            _keep_owner(handle.fileno(), existing, target, owner)
        os.chmod(temp, mode)
        os.replace(temp, target)
        if durable:
            _fsync_directory(directory)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp)


def _keep_owner(fd: int, existing: os.stat_result | None, target: Path,
                owner: tuple[int, int] | None = None) -> None:
    """The replacement keeps the replaced file's owner and group (a system file edited by root stays the lab
    admin's), or gets ``owner``; if they cannot be given to it, nothing is replaced (PermissionError naming the
    file)."""
    if not hasattr(os, "fchown"):
        return
    if owner is None:
        if existing is None:
            return
        owner = (existing.st_uid, existing.st_gid)
    current = os.fstat(fd)
    if (current.st_uid, current.st_gid) == owner:
        return
    try:
        os.fchown(fd, *owner)
    except PermissionError:
        raise PermissionError(errno.EPERM, f"cannot keep its owner ({owner[0]}:{owner[1]}) in a rewrite",
                              str(target)) from None


def _make_directories(directory: Path, *, private: bool = False) -> None:
    """mkdir -p, with a file in the way named as such (OSError, for transactions)."""
    try:
        directory.mkdir(parents=True, exist_ok=True, mode=0o700 if private else 0o777)
    except (FileExistsError, NotADirectoryError):
        blocker = next((p for p in reversed((directory, *directory.parents)) if p.exists() and not p.is_dir()),
                       directory)
        raise NotADirectoryError(errno.ENOTDIR, f"{display_path(blocker)} is a file, not a directory",
                                 str(blocker)) from None
    if private and stat.S_IMODE(os.stat(directory).st_mode) != 0o700:
        os.chmod(directory, 0o700)


def ensure_directory(directory: Path, *, private: bool = False) -> None:
    """Like _make_directories, for mirrorctl's own state: StoreError naming the path."""
    try:
        _make_directories(directory, private=private)
    except NotADirectoryError as exc:
        raise StoreError("is a file, not a directory", path=str(exc.filename)) from None
    except OSError as exc:
        raise StoreError(f"cannot create the directory: {exc.strerror or exc}", path=directory) from None


def _fsync_directory(directory: Path) -> None:
    if os.name != "posix":
        return
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def remove_stale_temps(files: Iterable[Path]) -> list[Path]:
    """Delete temp files an interrupted mirrorctl left next to ``files``; only ones that are provably stale.

    A temp file is mirrorctl's if its name is ``.<file name>.[<pid>.]<random>.mirrorctl-tmp`` for one of the
    files; it is stale if that pid is no longer running, or, without a pid (older versions), if it is older
    than STALE_TEMP_S. Call under the lock: no other mirrorctl is writing then.
    """
    removed = []
    by_directory: dict[Path, set[str]] = {}
    for file in files:
        target = real_path(file)
        by_directory.setdefault(target.parent, set()).add(target.name)
    now = time.time()
    for directory, names in by_directory.items():
        alternatives = "|".join(map(re.escape, names))
        pattern = re.compile(rf"\.(?:{alternatives})\.(?:(\d+)\.)?[A-Za-z0-9_]+{re.escape(TEMP_SUFFIX)}")
        try:
            entries = list(os.scandir(directory))
        except OSError:
            continue
        for entry in entries:
            match = pattern.fullmatch(entry.name)
            if not match:
                continue
            try:
                info = entry.stat(follow_symlinks=False)
                if not stat.S_ISREG(info.st_mode):
                    continue
                pid = match.group(1)
                stale = not _running(int(pid)) if pid else now - info.st_mtime > STALE_TEMP_S
                if stale:
                    os.unlink(entry.path)
                    removed.append(Path(entry.path))
            except OSError:
                continue  # not ours to fight over: it stays, as it would have
    return removed


def _running(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError, OSError):
        return True  # another user's live process (or a pid we cannot ask about): keep its file
    return True


def reason(exc: OSError) -> str:
    """An OSError in a few words ("Permission denied"), for a one-line error."""
    return str(exc.strerror or exc)
