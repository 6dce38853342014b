"""Snapshots (backups): taken before every change, listed, restored byte for byte, pruned.

A snapshot is a directory ``<backups>/<id>/`` holding ``manifest.json`` and one blob per file. The manifest
records, for every file a change is about to touch, whether it existed, its mode, owner, size and SHA-256, so
a restore can put back the exact bytes and mode (and, as root, the owner), or delete a file that did not exist
before.
"""

from __future__ import annotations

import contextlib
import os
import re
import stat
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, fields, replace
from pathlib import Path

from mirrorctl import fileio, paths
from mirrorctl.errors import MirrorctlError, StoreError, display_path
from mirrorctl.store import atomic

#: How many changes (`use`, `reset`) stay undoable; the safety snapshots taken before each restore are kept
#: beside them (at most as many), so restoring never pushes an older change out of reach.
KEEP_BACKUPS = 30
MANIFEST = "manifest.json"
#: The largest file a snapshot copies. Larger than the read limit for config files on purpose: a restore must
#: work when the current file is broken, over-long included.
BACKUP_LIMIT = 64 * 1024 * 1024
_SNAPSHOT_ID = re.compile(r"\d{8}-\d{6}(?:-\d+)?")


@dataclass(frozen=True)
class SavedFile:
    path: str
    existed: bool
    mode: int | None = None
    size: int | None = None
    sha256: str | None = None
    blob: str | None = None
    #: Owner and group when the snapshot was taken (None in older manifests, and on Windows).
    uid: int | None = None
    gid: int | None = None


@dataclass(frozen=True)
class Snapshot:
    id: str
    created: float
    #: What was about to happen, e.g. "use tuna"; shown by `mirrorctl backups`.
    reason: str
    #: "change" (taken before use/reset) or "restore" (taken before a restore, so a restore can be undone too).
    kind: str
    files: tuple[SavedFile, ...]
    #: Set when a plain `mirrorctl restore` has undone this change, so the next one steps further back.
    undone: bool = False
    #: Directories that did not exist when the snapshot was taken (the change creates them for a new file),
    #: outermost first: restoring the absence of that file removes them again if they are empty.
    created_dirs: tuple[str, ...] = ()
    #: A restore snapshot: every change's ``undone`` mark when it was taken, so restoring it (going forward
    #: again) puts the marks back too and the history stays a line. None in manifests before 0.3.
    marks: tuple[tuple[str, bool], ...] | None = None
    directory: Path = field(default=Path(), compare=False)

    def to_json(self) -> dict:
        data = {
            "id": self.id,
            "created": self.created,
            "reason": self.reason,
            "kind": self.kind,
            "undone": self.undone,
            "created_dirs": list(self.created_dirs),
            "files": [vars(f) for f in self.files],
        }
        if self.marks is not None:
            data["marks"] = {snapshot_id: undone for snapshot_id, undone in self.marks}
        return data

    def marks_after_restore(self) -> dict[str, bool]:
        """The ``undone`` marks that restoring this snapshot sets: a change becomes undone; a restore snapshot
        puts back the marks of its moment (an old one without them redoes the change its restore undid)."""
        if self.kind == "change":
            return {self.id: True}
        if self.marks is not None:
            return dict(self.marks)
        undid = self.reason[len("restore "):] if self.reason.startswith("restore ") else ""
        return {undid: False} if _SNAPSHOT_ID.fullmatch(undid) else {}


def _new_snapshot_id(directory: Path, created: float) -> str:
    """The snapshot's local time, as the TAKEN column shows it (ids before 0.2 were UTC; they still work)."""
    stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(created))
    candidate, counter = stamp, 1
    while (directory / candidate).exists():
        counter += 1
        candidate = f"{stamp}-{counter}"
    return candidate


def _read_current(path: Path, action: str) -> bytes | None:
    """What is at ``path`` now (None: absent), for a snapshot; refuses anything a write must not replace."""
    try:
        fileio.check_writable_target(path)
        return fileio.read_config(path, limit=BACKUP_LIMIT, error=StoreError)
    except StoreError as exc:
        reason = exc.message.replace("; mirrorctl writes only regular files", "")
        raise StoreError(f"{action}: {reason}", path=path) from None


def take_snapshot(files: Sequence[Path], *, reason: str, kind: str = "change",
                  marks: dict[str, bool] | None = None) -> Snapshot:
    """Copy every file in ``files`` (existing or not) into a new snapshot before anything is written.

    Every file is read and checked first; then the snapshot directory is written (blobs 0600, the store 0700),
    its manifest last, so a snapshot without a manifest is an interrupted one. Any failure removes the partial
    snapshot and raises StoreError: nothing changed. Call under the lock (it also clears leftover temp files).
    """
    import hashlib
    import shutil

    unique: dict[Path, Path] = {}
    for original in files:
        unique.setdefault(atomic.real_path(original), original)
    contents = [(path, original, _read_current(original, "cannot back up")) for path, original in unique.items()]
    atomic.remove_stale_temps(unique)
    created_dirs: list[str] = []
    for path, _original, data in contents:
        if data is None:
            missing = [d for d in path.parents if not os.path.lexists(d)]
            created_dirs += [str(d) for d in reversed(missing) if str(d) not in created_dirs]
    root = paths.backups_dir()
    atomic.ensure_directory(root, private=True)
    directory: Path | None = None
    current = root
    try:
        created = time.time()
        snapshot_id = _new_snapshot_id(root, created)
        directory = root / snapshot_id
        directory.mkdir(mode=0o700)
        saved = []
        for index, (path, original, data) in enumerate(contents):
            current = original
            if data is None:
                saved.append(SavedFile(path=str(path), existed=False))
                continue
            blob = f"{index}-{path.name}"
            atomic.atomic_write(directory / blob, data, mode=0o600)
            info = os.stat(path)
            owned = os.name == "posix"
            saved.append(SavedFile(path=str(path), existed=True, mode=stat.S_IMODE(info.st_mode),
                                   size=len(data), sha256=hashlib.sha256(data).hexdigest(), blob=blob,
                                   uid=info.st_uid if owned else None, gid=info.st_gid if owned else None))
        current = root
        snapshot = Snapshot(snapshot_id, created, reason, kind, tuple(saved), created_dirs=tuple(created_dirs),
                            marks=None if marks is None else tuple(sorted(marks.items())), directory=directory)
        _write_manifest(snapshot)
    except OSError as exc:
        if directory is not None:
            shutil.rmtree(directory, ignore_errors=True)
        what = f" {display_path(current)}" if current != root else ""
        raise StoreError(f"cannot back up{what}: {atomic.reason(exc)}; nothing was changed", path=root) from None
    return snapshot


def _write_manifest(snapshot: Snapshot) -> None:
    import json

    text = json.dumps(snapshot.to_json(), indent=2, sort_keys=True) + "\n"
    atomic.atomic_write(snapshot.directory / MANIFEST, text.encode("utf-8"), mode=0o600)


def _read_snapshot(directory: Path) -> Snapshot | None:
    import json

    try:
        raw = fileio.read_config(directory / MANIFEST, error=StoreError)
        if raw is None:
            return None
        data = json.loads(raw.decode("utf-8"))
        known = {f.name for f in fields(SavedFile)}  # a key a later version adds does not void the backup
        files = tuple(SavedFile(**{k: v for k, v in entry.items() if k in known}) for entry in data["files"])
        return Snapshot(
            id=data["id"], created=float(data["created"]), reason=data["reason"], kind=data["kind"],
            files=files, undone=bool(data.get("undone", False)),
            created_dirs=tuple(str(d) for d in data.get("created_dirs", ())),
            marks=None if "marks" not in data else tuple(sorted((str(k), bool(v)) for k, v in data["marks"].items())),
            directory=directory,
        )
    except (MirrorctlError, OSError, ValueError, KeyError, TypeError, AttributeError):
        return None  # an interrupted or foreign directory: not a snapshot we can trust


def _snapshot_directories() -> list[Path]:
    """Every directory named like a snapshot id (whether or not it is complete)."""
    root = paths.backups_dir()
    try:
        entries = list(os.scandir(root))
    except FileNotFoundError:
        return []
    except NotADirectoryError:
        atomic.ensure_directory(root)  # names the file in the way
        raise  # pragma: no cover - ensure_directory raised
    except OSError as exc:
        raise StoreError(f"cannot list the backups: {atomic.reason(exc)}", path=root) from None
    return [Path(e.path) for e in entries
            if _SNAPSHOT_ID.fullmatch(e.name) and e.is_dir(follow_symlinks=False)]


def list_snapshots() -> list[Snapshot]:
    """Newest first; directories without a valid manifest (an interrupted run's) are left out."""
    snapshots = [s for s in map(_read_snapshot, _snapshot_directories()) if s is not None]
    return sorted(snapshots, key=lambda s: (s.created, s.id), reverse=True)


def find_snapshot(snapshot_id: str | None) -> Snapshot:
    """The snapshot named by ``snapshot_id`` (a full id or a unique prefix), or the newest change not undone."""
    snapshots = list_snapshots()
    if snapshot_id is None:
        for snapshot in snapshots:
            if snapshot.kind == "change" and not snapshot.undone:
                return snapshot
        if not snapshots:
            raise StoreError("nothing to restore: mirrorctl has not changed any file yet (see `mirrorctl backups`)")
        newest = snapshots[0]
        raise StoreError(f"nothing to restore: no older change to undo; newest backup {newest.id} ({newest.reason}) "
                         f"can be put back with `mirrorctl restore {newest.id}`")
    matches = [s for s in snapshots if s.id == snapshot_id] or [s for s in snapshots if s.id.startswith(snapshot_id)]
    if not matches:
        raise StoreError(f"no backup {snapshot_id!r} (see `mirrorctl backups`)")
    if len(matches) > 1:
        raise StoreError(f"backup id {snapshot_id!r} is ambiguous: {', '.join(s.id for s in matches)}")
    return matches[0]


def _blobs(snapshot: Snapshot) -> dict[str, bytes]:
    """Every blob of ``snapshot``, checked: all missing ones listed at once, a changed one refused."""
    import hashlib

    found: dict[str, bytes] = {}
    missing = []
    for saved in snapshot.files:
        if not saved.existed:
            continue
        blob = snapshot.directory / str(saved.blob)
        try:
            data = fileio.read_config(blob, limit=BACKUP_LIMIT, error=StoreError)
        except StoreError:
            data = None
        if data is None:
            missing.append(blob.name)
            continue
        if hashlib.sha256(data).hexdigest() != saved.sha256:
            raise StoreError(f"backup {snapshot.id} is damaged: {blob.name} does not match its checksum", path=blob)
        found[str(saved.blob)] = data
    if missing:
        raise StoreError(f"backup {snapshot.id} is incomplete: missing {', '.join(missing)}",
                         path=snapshot.directory)
    return found


def verify_snapshot(snapshot: Snapshot) -> None:
    """Refuse to restore from a blob that is missing, or was changed or truncated after it was saved."""
    _blobs(snapshot)


def write_back(snapshot: Snapshot) -> list[Path]:
    """Put every file of ``snapshot`` back exactly: bytes and mode, or absence. Returns the paths written.

    All or nothing: every target is checked and its current bytes kept in memory first; if a write fails,
    the files already written are put back as they were, and StoreError says nothing was changed.
    """
    blobs = _blobs(snapshot)
    plan = []
    for saved in reversed(snapshot.files):
        path = Path(saved.path)
        before = _read_current(path, "cannot restore")
        before_mode = stat.S_IMODE(os.stat(path).st_mode) if before is not None else None
        plan.append((saved, path, before, before_mode))
    written: list[tuple[Path, bytes | None, int | None]] = []
    for saved, path, before, before_mode in plan:
        try:
            if saved.existed:
                atomic.atomic_write(path, blobs[str(saved.blob)], mode=saved.mode, owner=_saved_owner(saved))
            else:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(path)
        except OSError as exc:
            for done, data, done_mode in reversed(written):
                _put_back(done, data, done_mode)
            raise StoreError(f"cannot restore: {atomic.reason(exc)}; nothing was changed", path=path) from None
        written.append((path, before, before_mode))
    return [path for path, _, _ in written]


def _saved_owner(saved: SavedFile) -> tuple[int, int] | None:
    """The owner to give a restored file: the recorded one, when we may (root); otherwise None (the file keeps
    the owner it has now, or becomes ours if it is gone)."""
    if saved.uid is None or saved.gid is None or not hasattr(os, "geteuid") or os.geteuid() != 0:
        return None
    return int(saved.uid), int(saved.gid)


def remove_created_dirs(snapshot: Snapshot) -> list[Path]:
    """After a write_back: remove the directories the snapshot's change created, where they are empty again.

    Only directories recorded as absent when the snapshot was taken, innermost first; one that holds anything
    (the user's file, another tool's) stays. Returns the directories removed.
    """
    removed = []
    for directory in sorted(snapshot.created_dirs, key=lambda d: d.count(os.sep), reverse=True):
        try:
            os.rmdir(directory)
        except OSError:
            continue  # not empty, not a directory, already gone: it stays as it is
        removed.append(Path(directory))
    return removed


def _put_back(path: Path, data: bytes | None, mode: int | None) -> None:
    with contextlib.suppress(OSError):  # best effort: the original error is the one to report
        if data is None:
            os.unlink(path)
        else:
            atomic.atomic_write(path, data, mode=mode)


def mark_undone(snapshot: Snapshot, undone: bool = True) -> Snapshot:
    updated = replace(snapshot, undone=undone)
    try:
        _write_manifest(updated)
    except OSError as exc:
        raise StoreError(f"files restored, but the backup could not be marked as undone: {atomic.reason(exc)}",
                         path=snapshot.directory / MANIFEST) from None
    return updated


def undo_marks() -> dict[str, bool]:
    """Every change's ``undone`` mark now (what a restore snapshot records)."""
    return {s.id: s.undone for s in list_snapshots() if s.kind == "change"}


def set_undo_marks(marks: dict[str, bool]) -> None:
    """Set the ``undone`` mark of each change named in ``marks`` (one no longer kept is skipped)."""
    for snapshot in list_snapshots():
        if snapshot.kind == "change" and snapshot.id in marks and snapshot.undone != marks[snapshot.id]:
            mark_undone(snapshot, marks[snapshot.id])


def discard(snapshot: Snapshot) -> None:
    """Remove a snapshot whose change was rolled back: it records nothing that happened."""
    import shutil

    shutil.rmtree(snapshot.directory, ignore_errors=True)


def prune(keep: int = KEEP_BACKUPS) -> list[str]:
    """Keep the newest ``keep`` changes and the restore snapshots taken since; returns the ids removed.

    Retention counts changes, not snapshots: the safety snapshot every restore takes never pushes a change
    out, so `keep` changes stay undoable. Restore snapshots older than the oldest change kept go (there is
    nothing before them left to redo), as do directories an interrupted run left without a manifest.
    """
    import shutil

    snapshots = list_snapshots()
    changes = [s for s in snapshots if s.kind == "change"]
    restores = [s for s in snapshots if s.kind != "change"]
    doomed = changes[keep:] + restores[keep:]
    if len(changes) > keep:
        oldest = changes[keep - 1] if keep else None
        doomed += [s for s in restores[:keep] if oldest is None or (s.created, s.id) < (oldest.created, oldest.id)]
    complete = {s.directory for s in snapshots}
    removed = []
    for snapshot in doomed:
        shutil.rmtree(snapshot.directory, ignore_errors=True)
        removed.append(snapshot.id)
    for directory in _snapshot_directories():
        if directory not in complete:  # no valid manifest: interrupted (we hold the lock) or damaged
            shutil.rmtree(directory, ignore_errors=True)
            removed.append(directory.name)
    return removed
