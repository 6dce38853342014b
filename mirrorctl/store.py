"""What mirrorctl keeps on disk: atomic writes, a lock, and snapshots (backups) it can restore byte for byte.

A snapshot is a directory ``<backups>/<id>/`` holding ``manifest.json`` and one blob per file. The manifest
records, for every file a change is about to touch, whether it existed, its mode, owner, size and SHA-256, so
a restore can put back the exact bytes and mode (and, as root, the owner), or delete a file that did not exist
before.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import stat
import sys
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Callable

from mirrorctl import fileio, paths
from mirrorctl.errors import MirrorctlError, Sentence, StoreError, display_path
from mirrorctl.i18n import N_

#: How many changes (`use`, `reset`) stay undoable; the safety snapshots taken before each restore are kept
#: beside them (at most as many), so restoring never pushes an older change out of reach.
KEEP_BACKUPS = 30
#: How long a second mirrorctl waits for the first to finish before giving up.
LOCK_WAIT_S = 10.0
MANIFEST = "manifest.json"
#: The largest file a snapshot copies. Larger than the read limit for config files on purpose: a restore must
#: work when the current file is broken, over-long included.
BACKUP_LIMIT = 64 * 1024 * 1024
TEMP_SUFFIX = ".mirrorctl-tmp"
#: A temp file whose creator cannot be told (no pid in its name) is stale once it is this old.
STALE_TEMP_S = 10.0
_SNAPSHOT_ID = re.compile(r"\d{8}-\d{6}(?:-\d+)?")


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


def _ensure_directory(directory: Path, *, private: bool = False) -> None:
    """Like _make_directories, for mirrorctl's own state: StoreError naming the path."""
    try:
        _make_directories(directory, private=private)
    except NotADirectoryError as exc:
        raise StoreError(N_("is a file, not a directory"), path=str(exc.filename)) from None
    except OSError as exc:
        raise StoreError(N_("cannot create the directory: {reason}"), reason=exc.strerror or exc,
                         path=directory) from None


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


# ---------------------------------------------------------------------------------------------------------
# The lock


@contextlib.contextmanager
def locked() -> Iterator[None]:
    """Keep two mirrorctl runs from interleaving their backups and writes.

    An flock on ``<state>/lock``: the kernel releases it when its holder dies, however it dies, so a killed
    run never leaves a stale lock. The holder writes its pid into the file, so a waiting run can name it.
    """
    lock_path = paths.lock_file()
    _ensure_directory(lock_path.parent)
    flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(lock_path, flags | getattr(os, "O_NONBLOCK", 0), 0o600)
    except OSError as exc:
        raise StoreError(N_("cannot open the lock: {reason}"), reason=_reason(exc), path=lock_path) from None
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
                raise StoreError(N_("cannot lock: {reason}"), reason=_reason(exc), path=paths.lock_file()) from None
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


def _reason(exc: OSError) -> str:
    return str(exc.strerror or exc)


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
    directory: Path = field(default=Path(), compare=False)

    def to_json(self) -> dict:
        return {
            "id": self.id,
            "created": self.created,
            "reason": self.reason,
            "kind": self.kind,
            "undone": self.undone,
            "created_dirs": list(self.created_dirs),
            "files": [vars(f) for f in self.files],
        }


def _new_snapshot_id(directory: Path, created: float) -> str:
    """The snapshot's local time, as the TAKEN column shows it (ids before 0.2 were UTC; they still work)."""
    stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(created))
    candidate, counter = stamp, 1
    while (directory / candidate).exists():
        counter += 1
        candidate = f"{stamp}-{counter}"
    return candidate


#: The reasons :func:`_read_current` shortens (fileio's, without "; mirrorctl writes only regular files").
_SHORT_REASONS = (N_("is a symlink loop"), N_("is {kind}, not a regular file"))


def _read_current(path: Path, action: str) -> bytes | None:
    """What is at ``path`` now (None: absent), for a snapshot; refuses anything a write must not replace."""
    try:
        fileio.check_writable_target(path)
        return fileio.read_config(path, limit=BACKUP_LIMIT, error=StoreError)
    except StoreError as exc:
        reason = Sentence(exc.template.replace("; mirrorctl writes only regular files", ""), exc.params)
        raise StoreError(N_("{action}: {reason}"), action=Sentence(action), reason=reason, path=path) from None


def take_snapshot(files: Sequence[Path], *, reason: str, kind: str = "change") -> Snapshot:
    """Copy every file in ``files`` (existing or not) into a new snapshot before anything is written.

    Every file is read and checked first; then the snapshot directory is written (blobs 0600, the store 0700),
    its manifest last, so a snapshot without a manifest is an interrupted one. Any failure removes the partial
    snapshot and raises StoreError: nothing changed. Call under the lock (it also clears leftover temp files).
    """
    import hashlib
    import shutil

    unique: dict[Path, Path] = {}
    for original in files:
        unique.setdefault(real_path(original), original)
    contents = [(path, original, _read_current(original, N_("cannot back up"))) for path, original in unique.items()]
    remove_stale_temps(unique)
    created_dirs: list[str] = []
    for path, _original, data in contents:
        if data is None:
            missing = [d for d in path.parents if not os.path.lexists(d)]
            created_dirs += [str(d) for d in reversed(missing) if str(d) not in created_dirs]
    root = paths.backups_dir()
    _ensure_directory(root, private=True)
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
            atomic_write(directory / blob, data, mode=0o600)
            info = os.stat(path)
            owned = os.name == "posix"
            saved.append(SavedFile(path=str(path), existed=True, mode=stat.S_IMODE(info.st_mode),
                                   size=len(data), sha256=hashlib.sha256(data).hexdigest(), blob=blob,
                                   uid=info.st_uid if owned else None, gid=info.st_gid if owned else None))
        current = root
        snapshot = Snapshot(snapshot_id, created, reason, kind, tuple(saved), created_dirs=tuple(created_dirs),
                            directory=directory)
        _write_manifest(snapshot)
    except OSError as exc:
        if directory is not None:
            shutil.rmtree(directory, ignore_errors=True)
        if current != root:
            raise StoreError(N_("cannot back up {file}: {reason}; nothing was changed"), file=display_path(current),
                             reason=_reason(exc), path=root) from None
        raise StoreError(N_("cannot back up: {reason}; nothing was changed"), reason=_reason(exc), path=root) from None
    return snapshot


def _write_manifest(snapshot: Snapshot) -> None:
    import json

    text = json.dumps(snapshot.to_json(), indent=2, sort_keys=True) + "\n"
    atomic_write(snapshot.directory / MANIFEST, text.encode("utf-8"), mode=0o600)


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
            created_dirs=tuple(str(d) for d in data.get("created_dirs", ())), directory=directory,
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
        _ensure_directory(root)  # names the file in the way
        raise  # pragma: no cover - _ensure_directory raised
    except OSError as exc:
        raise StoreError(N_("cannot list the backups: {reason}"), reason=_reason(exc), path=root) from None
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
            raise StoreError(N_("nothing to restore: mirrorctl has not changed any file yet (see `mirrorctl backups`)"))
        newest = snapshots[0]
        raise StoreError(N_("nothing to restore: no older change to undo; newest backup {id} ({command}) "
                            "can be put back with `mirrorctl restore {id}`"), id=newest.id, command=newest.reason)
    matches = [s for s in snapshots if s.id == snapshot_id] or [s for s in snapshots if s.id.startswith(snapshot_id)]
    if not matches:
        raise StoreError(N_("no backup {id!r} (see `mirrorctl backups`)"), id=snapshot_id)
    if len(matches) > 1:
        raise StoreError(N_("backup id {id!r} is ambiguous: {ids}"), id=snapshot_id,
                         ids=", ".join(s.id for s in matches))
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
            raise StoreError(N_("backup {id} is damaged: {file} does not match its checksum"), id=snapshot.id,
                             file=blob.name,
                             path=blob)
        found[str(saved.blob)] = data
    if missing:
        raise StoreError(N_("backup {id} is incomplete: missing {files}"), id=snapshot.id, files=", ".join(missing),
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
        before = _read_current(path, N_("cannot restore"))
        before_mode = stat.S_IMODE(os.stat(path).st_mode) if before is not None else None
        plan.append((saved, path, before, before_mode))
    written: list[tuple[Path, bytes | None, int | None]] = []
    for saved, path, before, before_mode in plan:
        try:
            if saved.existed:
                atomic_write(path, blobs[str(saved.blob)], mode=saved.mode, owner=_saved_owner(saved))
            else:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(path)
        except OSError as exc:
            for done, data, done_mode in reversed(written):
                _put_back(done, data, done_mode)
            raise StoreError(N_("cannot restore: {reason}; nothing was changed"), reason=_reason(exc),
                             path=path) from None
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
            atomic_write(path, data, mode=mode)


def mark_undone(snapshot: Snapshot) -> Snapshot:
    updated = replace(snapshot, undone=True)
    try:
        _write_manifest(updated)
    except OSError as exc:
        raise StoreError(N_("files restored, but the backup could not be marked as undone: {reason}"),
                         reason=_reason(exc),
                         path=snapshot.directory / MANIFEST) from None
    return updated


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
