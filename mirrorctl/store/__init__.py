"""What mirrorctl keeps on disk, one module per concern:

- :mod:`~mirrorctl.store.atomic`: atomic writes (temp file, fsync, rename; mode and owner kept) and the
  clean-up of temp files an interrupted run left;
- :mod:`~mirrorctl.store.lock`: the lock that keeps two runs from interleaving;
- :mod:`~mirrorctl.store.snapshots`: backups taken before every change, listed, restored byte for byte, pruned;
- :mod:`~mirrorctl.store.transaction`: a multi-file change applied all or nothing (and rolled back).

The names most callers need are re-exported here.
"""

from __future__ import annotations

from mirrorctl.store.atomic import NotRegularFile, atomic_write, real_path, remove_stale_temps
from mirrorctl.store.lock import LOCK_WAIT_S, locked
from mirrorctl.store.snapshots import (
    BACKUP_LIMIT,
    KEEP_BACKUPS,
    MANIFEST,
    SavedFile,
    Snapshot,
    discard,
    find_snapshot,
    list_snapshots,
    mark_undone,
    prune,
    remove_created_dirs,
    set_undo_marks,
    take_snapshot,
    undo_marks,
    verify_snapshot,
    write_back,
)
from mirrorctl.store.transaction import apply, check_not_read_only, exposure_warnings, roll_back

__all__ = [
    "BACKUP_LIMIT", "KEEP_BACKUPS", "LOCK_WAIT_S", "MANIFEST", "NotRegularFile", "SavedFile", "Snapshot", "apply",
    "atomic_write", "check_not_read_only", "discard", "exposure_warnings", "find_snapshot", "list_snapshots",
    "locked", "mark_undone", "prune", "real_path", "remove_created_dirs", "remove_stale_temps", "roll_back",
    "set_undo_marks", "take_snapshot", "undo_marks", "verify_snapshot", "write_back",
]
