"""The transaction: back up every file a change touches, then write them all or none."""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from mirrorctl.errors import StoreError
from mirrorctl.store import atomic, lock, snapshots

if TYPE_CHECKING:
    from mirrorctl.results import FileEdit


def apply(plan: Callable[[], list[FileEdit]], *, reason: str,
          force: bool = False) -> tuple[list[FileEdit], str | None]:
    """Plan under the lock, back up every file, then write them all or none; returns the edits planned and the
    snapshot id (None when nothing changed).

    A read-only file (no write bit for its owner) is refused unless ``force``. If any write fails, the files
    already written are put back from the snapshot in reverse order and the snapshot is discarded: a change
    that did not happen leaves no backup behind.
    """
    with lock.locked():
        edits = plan()
        changed = [e for e in edits if e.changed]
        if not changed:
            return edits, None
        check_not_read_only(changed, force=force)
        snapshot = snapshots.take_snapshot([e.path for e in changed], reason=reason)
        written: list[FileEdit] = []
        for edit in changed:
            try:
                if edit.new is None:
                    Path(atomic.real_path(edit.path)).unlink(missing_ok=True)
                else:
                    atomic.atomic_write(edit.path, edit.new, mode=_private_mode(edit.path, edit.new))
            except OSError as exc:
                try:
                    roll_back(snapshot, written)
                except StoreError as failed:
                    raise StoreError(f"cannot write: {atomic.reason(exc)}; putting the files already written "
                                     f"back failed too ({failed}); `mirrorctl restore {snapshot.id}` puts them "
                                     "back", path=edit.path) from None
                snapshots.discard(snapshot)
                raise StoreError(f"cannot write: {atomic.reason(exc)}; nothing was changed",
                                 path=edit.path) from None
            written.append(edit)
        snapshots.prune()
        return edits, snapshot.id


def _private_mode(path: Path, data: bytes) -> int | None:
    """0600 for a file this write creates that holds a credential (a password or token in a URL); None (the
    replaced file's mode, or the umask's) otherwise. An existing file keeps its mode: see exposure_warnings."""
    from mirrorctl.urls import credentials

    if os.path.lexists(atomic.real_path(path)):
        return None
    return 0o600 if credentials(data.decode("utf-8", "replace")) else None


def exposure_warnings(edits: Sequence[FileEdit]) -> list[FileEdit]:
    """``edits``, each one that writes a new credential into an existing file every user may read carrying one
    ``credential-world-readable`` warning (once per file; its mode is the user's to change, not ours)."""
    from mirrorctl.results import Finding
    from mirrorctl.urls import credentials

    warned = []
    for edit in edits:
        if edit.changed and edit.new is not None and edit.old is not None:
            added = credentials(edit.new.decode("utf-8", "replace")) - credentials(edit.old.decode("utf-8", "replace"))
            try:
                mode = stat.S_IMODE(os.stat(atomic.real_path(edit.path)).st_mode)
            except OSError:
                mode = 0
            if added and mode & stat.S_IROTH:
                finding = Finding("credential-world-readable", "warning", edit.tool, edit.path,
                                  params={"mode": f"{mode:04o}"})
                edit = edit._replace(findings=(*edit.findings, finding))
        warned.append(edit)
    return warned


def check_not_read_only(edits: Sequence[FileEdit], *, force: bool) -> None:
    """Refuse to replace a file whose owner took away its own write bit (chmod a-w): someone meant it to stay
    as it is. Judged by the mode bits, not by access(): root may write any file, and must still be told.
    With ``force`` it is replaced (and keeps its mode)."""
    if force:
        return
    for edit in edits:
        if not edit.changed:
            continue
        try:
            mode = os.stat(atomic.real_path(edit.path)).st_mode
        except OSError:
            continue  # absent (a new file) or unreadable: the write says what is wrong
        if stat.S_ISREG(mode) and not mode & stat.S_IWUSR:
            raise StoreError(f"is read-only (mode {stat.S_IMODE(mode):04o}); mirrorctl leaves it as it is "
                             "unless you add --force; nothing was changed", path=edit.path)


def roll_back(snapshot: snapshots.Snapshot, written: list[FileEdit]) -> None:
    """Put back the files of ``written`` (and remove the directories their writes created) from ``snapshot``."""
    from dataclasses import replace

    done = {str(atomic.real_path(e.path)) for e in written}
    partial = replace(snapshot, files=tuple(f for f in snapshot.files if f.path in done))
    snapshots.write_back(partial)
    snapshots.remove_created_dirs(partial)
