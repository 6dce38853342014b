"""What mirrorctl keeps on disk: atomic writes, a lock, and snapshots (backups) it can restore byte for byte.

A snapshot is a directory ``<backups>/<id>/`` holding ``manifest.json`` and one blob per file. The manifest
records, for every file a change is about to touch, whether it existed, its mode, size and SHA-256, so a
restore can put back the exact bytes and mode, or delete a file that did not exist before.
"""

from __future__ import annotations

import contextlib
import os
import stat
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from mirrorctl import paths
from mirrorctl.errors import StoreError

#: How many snapshots to keep; the oldest beyond this are pruned after each change.
KEEP_BACKUPS = 30
#: How long a second mirrorctl waits for the first to finish before giving up.
LOCK_WAIT_S = 10.0
MANIFEST = "manifest.json"


def real_path(path: Path) -> Path:
    """A symlinked config file is edited at its target, so the link stays a link."""
    return Path(os.path.realpath(path))


def atomic_write(path: Path, data: bytes, *, durable: bool = True) -> None:
    """Replace ``path`` with ``data`` so that readers see the old file or the new one, never half of either.

    The temp file lives in the same directory (os.replace cannot cross file systems), is fsynced before the
    rename, inherits the original's permission bits, and is removed if anything fails. ``durable=False`` skips
    the fsyncs, for caches that may be lost in a crash.
    """
    import tempfile

    target = real_path(path)
    directory = target.parent
    directory.mkdir(parents=True, exist_ok=True)
    try:
        mode = stat.S_IMODE(os.stat(target).st_mode)
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o666 & ~umask
    fd, temp = tempfile.mkstemp(dir=directory, prefix=f".{target.name}.", suffix=".mirrorctl-tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            if durable:
                os.fsync(handle.fileno())
        os.chmod(temp, mode)
        os.replace(temp, target)
        if durable:
            _fsync_directory(directory)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp)


def _fsync_directory(directory: Path) -> None:
    if os.name != "posix":
        return
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextlib.contextmanager
def locked() -> Iterator[None]:
    """Keep two mirrorctl runs from interleaving their backups and writes."""
    lock_path = paths.lock_file()
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_path, "a+b") as handle:
        if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
            import msvcrt

            _retry_lock(lambda: msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1))
            try:
                yield
            finally:
                handle.seek(0)
                msvcrt.locking(handle.fileno(), msvcrt.LK_UNLCK, 1)
        else:
            import fcntl

            _retry_lock(lambda: fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB))
            try:
                yield
            finally:
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def _retry_lock(try_lock) -> None:
    wait_s = LOCK_WAIT_S
    deadline = time.monotonic() + wait_s
    while True:
        try:
            try_lock()
            return
        except OSError:
            if time.monotonic() >= deadline:
                raise StoreError(
                    f"another mirrorctl is still running (lock held for {wait_s:.0f} s)", path=paths.lock_file()
                ) from None
            time.sleep(0.05)


# ---------------------------------------------------------------------------------------------------------
# Snapshots


@dataclass(frozen=True)
class SavedFile:
    path: str
    existed: bool
    mode: int | None = None
    size: int | None = None
    sha256: str | None = None
    blob: str | None = None


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
    directory: Path = field(default=Path(), compare=False)

    def to_json(self) -> dict:
        return {
            "id": self.id,
            "created": self.created,
            "reason": self.reason,
            "kind": self.kind,
            "undone": self.undone,
            "files": [vars(f) for f in self.files],
        }


def _new_snapshot_id(directory: Path) -> str:
    stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime())
    candidate, counter = stamp, 1
    while (directory / candidate).exists():
        counter += 1
        candidate = f"{stamp}-{counter}"
    return candidate


def take_snapshot(files: Sequence[Path], *, reason: str, kind: str = "change") -> Snapshot:
    """Copy every file in ``files`` (existing or not) into a new snapshot before anything is written."""
    import hashlib

    root = paths.backups_dir()
    root.mkdir(parents=True, exist_ok=True)
    snapshot_id = _new_snapshot_id(root)
    directory = root / snapshot_id
    directory.mkdir()
    saved = []
    seen: set[Path] = set()
    for index, original in enumerate(files):
        path = real_path(original)
        if path in seen:
            continue
        seen.add(path)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            saved.append(SavedFile(path=str(path), existed=False))
            continue
        except OSError as exc:
            raise StoreError(f"cannot back up: {exc.strerror}", path=path) from None
        blob = f"{index}-{path.name}"
        atomic_write(directory / blob, data)
        saved.append(
            SavedFile(
                path=str(path),
                existed=True,
                mode=stat.S_IMODE(path.stat().st_mode),
                size=len(data),
                sha256=hashlib.sha256(data).hexdigest(),
                blob=blob,
            )
        )
    snapshot = Snapshot(snapshot_id, time.time(), reason, kind, tuple(saved), directory=directory)
    _write_manifest(snapshot)
    return snapshot


def _write_manifest(snapshot: Snapshot) -> None:
    import json

    text = json.dumps(snapshot.to_json(), indent=2, sort_keys=True) + "\n"
    atomic_write(snapshot.directory / MANIFEST, text.encode("utf-8"))


def _read_snapshot(directory: Path) -> Snapshot | None:
    import json

    try:
        data = json.loads((directory / MANIFEST).read_text(encoding="utf-8"))
        files = tuple(SavedFile(**entry) for entry in data["files"])
        return Snapshot(
            id=data["id"], created=float(data["created"]), reason=data["reason"], kind=data["kind"],
            files=files, undone=bool(data.get("undone", False)), directory=directory,
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None  # an interrupted or foreign directory: not a snapshot we can trust


def list_snapshots() -> list[Snapshot]:
    """Newest first."""
    root = paths.backups_dir()
    try:
        directories = [d for d in root.iterdir() if d.is_dir()]
    except FileNotFoundError:
        return []
    snapshots = [s for s in map(_read_snapshot, directories) if s is not None]
    return sorted(snapshots, key=lambda s: (s.created, s.id), reverse=True)


def find_snapshot(snapshot_id: str | None) -> Snapshot:
    """The snapshot named by ``snapshot_id`` (a full id or a unique prefix), or the newest change not undone."""
    snapshots = list_snapshots()
    if snapshot_id is None:
        for snapshot in snapshots:
            if snapshot.kind == "change" and not snapshot.undone:
                return snapshot
        raise StoreError("nothing to restore: mirrorctl has not changed any file yet (see `mirrorctl backups`)")
    matches = [s for s in snapshots if s.id == snapshot_id] or [s for s in snapshots if s.id.startswith(snapshot_id)]
    if not matches:
        raise StoreError(f"no backup {snapshot_id!r} (see `mirrorctl backups`)")
    if len(matches) > 1:
        raise StoreError(f"backup id {snapshot_id!r} is ambiguous: {', '.join(s.id for s in matches)}")
    return matches[0]


def verify_snapshot(snapshot: Snapshot) -> None:
    """Refuse to restore from a blob that was changed or truncated after it was saved."""
    import hashlib

    for saved in snapshot.files:
        if not saved.existed:
            continue
        blob = snapshot.directory / str(saved.blob)
        try:
            data = blob.read_bytes()
        except OSError:
            raise StoreError(f"backup {snapshot.id} is incomplete: {blob.name} is missing", path=blob) from None
        if hashlib.sha256(data).hexdigest() != saved.sha256:
            raise StoreError(f"backup {snapshot.id} is damaged: {blob.name} does not match its checksum", path=blob)


def write_back(snapshot: Snapshot) -> list[Path]:
    """Put every file of ``snapshot`` back exactly: bytes and mode, or absence. Returns the paths written."""
    verify_snapshot(snapshot)
    written = []
    for saved in reversed(snapshot.files):
        path = Path(saved.path)
        if saved.existed:
            data = (snapshot.directory / str(saved.blob)).read_bytes()
            atomic_write(path, data)
            if saved.mode is not None:
                os.chmod(path, saved.mode)
        else:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(path)
        written.append(path)
    return written


def mark_undone(snapshot: Snapshot) -> Snapshot:
    updated = replace(snapshot, undone=True)
    _write_manifest(updated)
    return updated


def prune(keep: int = KEEP_BACKUPS) -> list[str]:
    """Delete all but the newest ``keep`` snapshots; returns the ids removed."""
    import shutil

    removed = []
    for snapshot in list_snapshots()[keep:]:
        shutil.rmtree(snapshot.directory, ignore_errors=True)
        removed.append(snapshot.id)
    return removed
