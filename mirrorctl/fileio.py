"""Reading and writing the user's configuration files without trusting what sits at their paths.

A config path can hold anything: a FIFO (reading it blocks forever), a device behind a symlink (writing
"through" it replaces /dev/null), a directory, a symlink loop, a file of gigabytes. Reads here are checked
before the file is opened, opened so that nothing swapped in at the last moment can block, checked again on the
open descriptor, and bounded; writes go only to regular files (or to paths that do not exist yet).
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path
from typing import Any

from mirrorctl.errors import ConfigParseError, MirrorctlError, Sentence, StoreError
from mirrorctl.i18n import N_

#: A configuration file (or profile) larger than this is refused: real ones are a few KiB, and a parser fed
#: megabytes takes seconds (the YAML scanner spends over 20 s on a 2 MB line).
MAX_CONFIG_BYTES = 1024 * 1024

_KINDS = (
    (stat.S_ISDIR, N_("a directory")),
    (stat.S_ISFIFO, N_("a named pipe (FIFO)")),
    (stat.S_ISSOCK, N_("a socket")),
    (stat.S_ISCHR, N_("a character device")),
    (stat.S_ISBLK, N_("a block device")),
    (stat.S_ISLNK, N_("a symlink")),
)


def kind(mode: int) -> Sentence:
    """What a non-regular file is, in words ("a named pipe (FIFO)")."""
    for test, words in _KINDS:
        if test(mode):
            return Sentence(words)
    return Sentence(N_("not a regular file"))


def size_text(size: int) -> str:
    if size < 1024:
        return f"{size} bytes"
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} KiB"
    return f"{size / (1024 * 1024):.1f} MiB"


def _not_regular(mode: int) -> Sentence:
    if stat.S_ISDIR(mode):
        return Sentence(N_("is a directory, not a file"))  # the wording `current` has always used
    return Sentence(N_("is {kind}, not a regular file"), {"kind": kind(mode)})


def read_config(path: Path, *, limit: int = MAX_CONFIG_BYTES,
                error: type[MirrorctlError] = ConfigParseError) -> bytes | None:
    """The bytes of ``path``, or None when it does not exist; ``error`` (one line, naming the path) otherwise.

    Refused: anything but a regular file (FIFO, socket, device, directory), a symlink loop, a file larger
    than ``limit``, a file that cannot be read. A symlink is followed (a dotfiles link is normal); its target is
    then opened with O_NOFOLLOW | O_NONBLOCK and checked with fstat to be the very file that was checked, so a
    FIFO swapped in after the checks is refused instead of blocking the run.
    """

    def fail(message: Sentence) -> MirrorctlError:
        params: dict[str, Any] = dict(message.params)
        return error(message.template, path=path, **params)

    try:
        followed = os.stat(path)
    except (FileNotFoundError, NotADirectoryError):
        return None  # pip and conda treat a missing file, or one under a non-directory, as absent
    except OSError as exc:
        raise fail(_os_reason(exc)) from None
    if not stat.S_ISREG(followed.st_mode):
        raise fail(_not_regular(followed.st_mode))
    if followed.st_size > limit:
        raise fail(_too_large(followed.st_size, limit))
    real = os.path.realpath(path)
    try:
        checked = os.lstat(real)
        flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOFOLLOW", 0)
        flags |= getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)
        fd = os.open(real, flags)
    except FileNotFoundError:
        return None  # removed in the meantime: absent is what a reader would see now
    except OSError as exc:
        raise fail(_os_reason(exc)) from None
    try:
        opened = os.fstat(fd)
        if not stat.S_ISREG(opened.st_mode):
            raise fail(_not_regular(opened.st_mode))
        if (opened.st_dev, opened.st_ino) != (checked.st_dev, checked.st_ino) or not stat.S_ISREG(checked.st_mode):
            raise fail(Sentence(N_("changed while it was being read; try again")))
        chunks, total = [], 0
        while total <= limit:  # read at most limit + 1 bytes, whatever the file grew to since the checks
            chunk = os.read(fd, min(1024 * 1024, limit + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
    except OSError as exc:
        raise fail(_os_reason(exc)) from None
    finally:
        os.close(fd)
    if total > limit:
        raise fail(_too_large(max(total, opened.st_size), limit))
    return b"".join(chunks)


def locale_encoding() -> str:
    """``locale.getpreferredencoding(False)``: the encoding pip reads its config files in.

    Without importing :mod:`locale` (most of a millisecond on every `list`) where CPython exposes the answer
    directly: Lib/locale.py (3.11+) returns ``'utf-8'`` in UTF-8 mode and otherwise ``_locale.getencoding()``.
    """
    import sys

    try:
        from _locale import getencoding  # type: ignore[attr-defined,unused-ignore]  # CPython >= 3.11
    except ImportError:  # 3.9, 3.10: locale's own answer (it says "UTF-8" in UTF-8 mode there)
        import locale

        return locale.getpreferredencoding(False)
    return "utf-8" if sys.flags.utf8_mode else str(getencoding())


def check_writable_target(path: Path) -> Path:
    """The real path a write to ``path`` would replace; StoreError if it is anything but a file or absent.

    Writes go to a symlink's target (the link stays a link), so the target is what must be a regular file:
    a ``pip.conf`` that links to a device must be refused, never replaced by a regular file.
    """
    try:
        os.stat(path)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise StoreError(N_("is a symlink loop; mirrorctl writes only regular files"), path=path) from None
        # absent, or its directory is missing: the write creates it (and reports its own error if it cannot)
    real = Path(os.path.realpath(path))
    try:
        mode = os.lstat(real).st_mode
    except OSError:
        return real
    if not stat.S_ISREG(mode):
        raise StoreError(N_("is {kind}, not a regular file; mirrorctl writes only regular files"), kind=kind(mode),
                            path=path)
    return real


def _too_large(size: int, limit: int) -> Sentence:
    return Sentence(N_("is {size}, over the {limit} mirrorctl reads from a configuration file"),
                    {"size": size_text(size), "limit": size_text(limit)})


def _os_reason(exc: OSError) -> Sentence:
    if exc.errno == errno.ELOOP:
        return Sentence(N_("is a symlink loop"))
    if exc.errno == errno.EISDIR:
        return Sentence(N_("is a directory, not a file"))
    return Sentence(N_("cannot read: {reason}"), {"reason": exc.strerror or exc})
