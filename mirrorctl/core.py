"""The three paths, free of click: switch (profile -> render -> backup -> atomic write), inspect, restore.

Every function takes keyword arguments, prints nothing and returns a frozen result for ``output`` to render.
"""

from __future__ import annotations

from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Callable, NamedTuple

from mirrorctl import targets
from mirrorctl.errors import MirrorctlError, StoreError, display_path
from mirrorctl.profiles import Profile, ProfileSet, load_profiles
from mirrorctl.targets import FileEdit, TargetState, decode

if TYPE_CHECKING:
    from mirrorctl import store


class ChangeResult(NamedTuple):
    """What `use` or `reset` did (or, with dry_run, would do)."""

    action: str
    profile: str | None
    edits: tuple[FileEdit, ...]
    dry_run: bool
    snapshot_id: str | None
    #: Per tool: what is in effect afterwards (its warnings say what still overrides the change).
    after: tuple[TargetState, ...]
    notes: tuple[str, ...] = ()
    #: Tools the profile does not cover, so they were left alone.
    skipped: tuple[str, ...] = ()

    def diffs(self) -> list[str]:
        return [unified_diff(edit) for edit in self.edits if edit.changed]


class RestoreResult(NamedTuple):
    snapshot: store.Snapshot
    restored: tuple[Path, ...]
    safety_snapshot_id: str | None


class ListResult(NamedTuple):
    profiles: tuple[Profile, ...]
    in_effect: dict[str, str | None]
    problems: tuple[str, ...] = ()


def unified_diff(edit: FileEdit) -> str:
    import difflib

    shown = display_path(edit.path)
    old = decode(edit.old).splitlines(keepends=True)
    new = decode(edit.new).splitlines(keepends=True)
    lines = difflib.unified_diff(
        old, new,
        fromfile=shown if edit.old is not None else "/dev/null",
        tofile=shown if edit.new is not None else "/dev/null",
    )
    return "".join(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in lines)


def _covered(module: ModuleType, profile: Profile) -> bool:
    return getattr(profile, module.ECOSYSTEM) is not None


def _apply(plan: Callable[[], list[FileEdit]], *, reason: str) -> tuple[list[FileEdit], str | None]:
    """Plan under the lock, back up every file, then write them all or none.

    If any write fails, the files already written are put back from the snapshot in reverse order.
    """
    from mirrorctl import store

    with store.locked():
        edits = plan()
        changed = [e for e in edits if e.changed]
        if not changed:
            return edits, None
        snapshot = store.take_snapshot([e.path for e in changed], reason=reason)
        written: list[FileEdit] = []
        try:
            for edit in changed:
                if edit.new is None:
                    Path(store.real_path(edit.path)).unlink(missing_ok=True)
                else:
                    store.atomic_write(edit.path, edit.new)
                written.append(edit)
        except OSError as exc:
            _roll_back(snapshot, written)
            raise StoreError(f"cannot write: {exc.strerror or exc}; nothing was changed", path=edit.path) from None
        store.prune()
        return edits, snapshot.id


def _roll_back(snapshot: store.Snapshot, written: list[FileEdit]) -> None:
    from mirrorctl import store

    done = {str(store.real_path(e.path)) for e in written}
    partial = store.Snapshot(
        snapshot.id, snapshot.created, snapshot.reason, snapshot.kind,
        tuple(f for f in snapshot.files if f.path in done), directory=snapshot.directory,
    )
    store.write_back(partial)


def _change(action: str, profile: Profile | None, modules: list[ModuleType], profiles: ProfileSet,
            planner: Callable[[ModuleType], list[FileEdit]], *, dry_run: bool, skipped: list[str]) -> ChangeResult:
    def plan() -> list[FileEdit]:
        edits: list[FileEdit] = []
        for module in modules:  # every file is read and validated before anything is written
            edits += planner(module)
        return edits

    reason = f"{action} {profile.name}" if profile else action
    if dry_run:
        edits, snapshot_id = plan(), None
    else:
        edits, snapshot_id = _apply(plan, reason=reason)
    overrides = {e.path: e.new for e in edits} if dry_run else None
    after = tuple(m.inspect(profiles.profiles, overrides) for m in modules)
    changed_tools = {e.target for e in edits if e.changed}
    hints = [getattr(m, "AFTER_CHANGE", None) for m in modules if m.NAME in changed_tools]
    notes = [hint for hint in hints if hint]
    return ChangeResult(action, profile.name if profile else None, tuple(edits), dry_run, snapshot_id, after,
                        tuple(notes), tuple(skipped))


def use(*, name: str, only: str | None = None, dry_run: bool = False) -> ChangeResult:
    profiles = load_profiles()
    profile = profiles.get(name)
    modules = targets.selected(only)
    chosen = [m for m in modules if _covered(m, profile)]
    skipped = [f"{m.NAME}: {profile.name} has no {m.ECOSYSTEM} mirror; left unchanged"
               for m in modules if m not in chosen]
    if not chosen:
        raise MirrorctlError(f"profile {profile.name!r} has no mirror for {', '.join(m.NAME for m in modules)}")
    return _change("use", profile, chosen, profiles, lambda m: m.plan_use(profile, profiles.profiles),
                   dry_run=dry_run, skipped=skipped)


def use_many(*, choices: dict[str, str], dry_run: bool = False, reason: str = "use --fastest") -> ChangeResult:
    """Switch each tool to its own profile (``{"pip": "tuna", "conda": "ustc"}``) in one transaction."""
    profiles = load_profiles()
    modules = [m for m in targets.all_targets() if m.NAME in choices]
    chosen = {m.NAME: profiles.get(choices[m.NAME]) for m in modules}
    return _change(reason, None, modules, profiles,
                   lambda m: m.plan_use(chosen[m.NAME], profiles.profiles), dry_run=dry_run, skipped=[])


def reset(*, only: str | None = None, dry_run: bool = False) -> ChangeResult:
    profiles = load_profiles()
    modules = targets.selected(only)
    return _change("reset", None, modules, profiles, lambda m: m.plan_reset(profiles.profiles),
                   dry_run=dry_run, skipped=[])


def current(*, only: str | None = None) -> tuple[TargetState, ...]:
    profiles = load_profiles()
    return tuple(m.inspect(profiles.profiles) for m in targets.selected(only))


def list_profiles() -> ListResult:
    profiles = load_profiles()
    states = {m.NAME: m.inspect(profiles.profiles) for m in targets.all_targets()}
    return ListResult(profiles.profiles, {k: s.profile for k, s in states.items()},
                      tuple(str(p) for p in profiles.problems))


def backups() -> list[store.Snapshot]:
    from mirrorctl import store

    return store.list_snapshots()


def restore(*, snapshot_id: str | None = None) -> RestoreResult:
    """Put the files of a snapshot back byte for byte; the state being replaced is itself snapshotted first."""
    from mirrorctl import store

    with store.locked():
        snapshot = store.find_snapshot(snapshot_id)
        store.verify_snapshot(snapshot)
        safety = store.take_snapshot([Path(f.path) for f in snapshot.files], reason=f"before restore {snapshot.id}",
                                     kind="restore")
        restored = store.write_back(snapshot)
        if snapshot.kind == "change":
            store.mark_undone(snapshot)
        store.prune()
    return RestoreResult(snapshot, tuple(restored), safety.id)
