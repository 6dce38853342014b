"""The transaction: back up every file a change touches, then write them all or none."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from mirrorctl.errors import StoreError
from mirrorctl.store import atomic, lock, snapshots

if TYPE_CHECKING:
    from mirrorctl.results import FileEdit


def apply(plan: Callable[[], list[FileEdit]], *, reason: str) -> tuple[list[FileEdit], str | None]:
    """Plan under the lock, back up every file, then write them all or none; returns the edits planned and the
    snapshot id (None when nothing changed).

    If any write fails, the files already written are put back from the snapshot in reverse order.
    """
    with lock.locked():
        edits = plan()
        changed = [e for e in edits if e.changed]
        if not changed:
            return edits, None
        snapshot = snapshots.take_snapshot([e.path for e in changed], reason=reason)
        written: list[FileEdit] = []
        for edit in changed:
            try:
                if edit.new is None:
                    Path(atomic.real_path(edit.path)).unlink(missing_ok=True)
                else:
                    atomic.atomic_write(edit.path, edit.new)
            except OSError as exc:
                roll_back(snapshot, written)
                raise StoreError(f"cannot write: {exc.strerror or exc}; nothing was changed",
                                 path=edit.path) from None
            written.append(edit)
        snapshots.prune()
        return edits, snapshot.id


def roll_back(snapshot: snapshots.Snapshot, written: list[FileEdit]) -> None:
    """Put back the files of ``written`` (and remove the directories their writes created) from ``snapshot``."""
    from dataclasses import replace

    done = {str(atomic.real_path(e.path)) for e in written}
    partial = replace(snapshot, files=tuple(f for f in snapshot.files if f.path in done))
    snapshots.write_back(partial)
    snapshots.remove_created_dirs(partial)
