"""The three paths, free of click: switch (profile -> render -> backup -> atomic write), inspect, restore.

Every function takes keyword arguments, prints nothing and returns a frozen result (:mod:`mirrorctl.results`)
for ``output`` to render. Tools are reached only through the :class:`~mirrorctl.targets.base.Target` contract.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from mirrorctl.errors import MirrorctlError, NothingInScope, ScopeUnavailable, UsageError
from mirrorctl.i18n import N_
from mirrorctl.profiles import UPSTREAM_PROFILE, Profile, ProfileSet, load_profiles
from mirrorctl.results import (
    BenchResult,
    ChangeResult,
    EnvPlan,
    EnvResult,
    FastestChoice,
    FileEdit,
    Finding,
    Label,
    ListResult,
    RestoreResult,
    ToolState,
)
from mirrorctl.targets import base

if TYPE_CHECKING:

    from mirrorctl import store
    from mirrorctl.probe.model import ProbeResult

    #: Called with each mirror's result as its part of a bench ends, and the count done of the total.
    OnResult = Callable[[ProbeResult, int, int], None]


def _apply(plan: Callable[[], list[FileEdit]], *, reason: str,
           force: bool = False) -> tuple[list[FileEdit], str | None]:
    """The transaction of :mod:`mirrorctl.store.transaction`: plan under the lock, back up, write all or none."""
    from mirrorctl import store

    return store.apply(plan, reason=reason, force=force)


def _change(action: str, plans: Mapping[base.Target, Profile | None], profiles: ProfileSet, *, dry_run: bool,
            skipped: Sequence[Finding] = (), reason: str | None = None, scope: str | None = None,
            force: bool = False, read_only_ok: bool | None = None) -> ChangeResult:
    from mirrorctl import cache

    with cache.disabled():  # what is written comes from the real parsers only
        return _change_uncached(action, plans, profiles, dry_run=dry_run, skipped=skipped, reason=reason,
                                scope=scope, force=force, read_only_ok=read_only_ok)


def resolve_scope(target: base.Target, scope: str | None) -> str:
    """The scope a change writes for ``target``: the one asked for, else the tool's ``default_scope`` (for a
    tool with project files only, reached only when named with --only: see :func:`_change_targets`).

    The one place a scope is checked against a tool: no tool module raises its own "has no scope" error."""
    if scope is None:
        return base.default_scope(target)
    if scope not in target.scopes:
        raise UsageError(N_("{tool} has no {scope} scope (it has {scopes})"), tool=target.name, scope=scope,
                         scopes=", ".join(target.scopes))
    return scope


def _read(target: base.Target, profiles: ProfileSet, overrides: Mapping[Path, bytes | None] | None = None,
          scope: str | None = None) -> ToolState:
    """``target.read``; the scope is passed only when one was asked for (a tool module written before scopes
    existed keeps working for the default)."""
    from mirrorctl.errors import ConfigParseError

    try:
        if scope is None:
            return target.read(profiles.profiles, overrides)
        return target.read(profiles.profiles, overrides, scope=scope)
    except ConfigParseError as exc:  # refused by mirrorctl's own read limits (size, FIFO ...), not by the tool
        if exc.path is None:
            raise
        from mirrorctl.targets import refused

        return ToolState(target.name, Label(None), findings=(refused(target.name, Path(exc.path), exc,
                                                                     code="file-unread"),))


def _change_uncached(action: str, plans: Mapping[base.Target, Profile | None], profiles: ProfileSet, *,
                     dry_run: bool, skipped: Sequence[Finding], reason: str | None,
                     scope: str | None = None, force: bool = False,
                     read_only_ok: bool | None = None) -> ChangeResult:
    """``force``: the targets replace a source the user wrote that would still win; ``read_only_ok`` (default:
    ``force``): a read-only file is replaced too."""
    from mirrorctl.targets import pending

    def plan() -> list[FileEdit]:
        edits: list[FileEdit] = []
        upcoming: dict[Path, bytes | None] = {}
        for target, profile in plans.items():  # every file is read and validated before anything is written
            with pending(upcoming):  # a file two tools share (pyproject.toml) gets both edits, in turn
                planned = (target.plan(profile, profiles.profiles, resolve_scope(target, scope), force=True) if force
                           else target.plan(profile, profiles.profiles, resolve_scope(target, scope)))  # older tools
            for edit in planned:
                if edit.changed:
                    upcoming[edit.path] = edit.new
            edits += planned
        return edits

    named = {p.name for p in plans.values() if p is not None}
    label = reason or (f"{action} {named.pop()}" if len(named) == 1 else action)
    if scope is not None and scope != "user":
        label += f" --scope {scope}"
    from mirrorctl import store

    if read_only_ok is None:
        read_only_ok = force
    if dry_run:
        edits, snapshot_id = plan(), None
        store.check_not_read_only(edits, force=read_only_ok)  # a dry run says what the real one would
    else:
        edits, snapshot_id = _apply(plan, reason=label, force=read_only_ok)
    edits = store.exposure_warnings(edits)
    overrides = {e.path: e.new for e in edits} if dry_run else None
    after = tuple(_read(t, profiles, overrides, scope) for t in plans)
    changed_tools = {e.tool for e in edits if e.changed}
    hints = tuple(h for t in plans if t.name in changed_tools for h in t.hints())
    wanted = {t.name: (p.name if p else None) for t, p in plans.items()}
    profile_names = {p.name for p in plans.values() if p}
    return ChangeResult(action, profile_names.pop() if len(profile_names) == 1 else None, tuple(edits), dry_run,
                        snapshot_id, after, wanted, tuple(skipped), hints)


def fresh_profiles() -> ProfileSet:
    """Profiles for a command that writes: parsed from their files, never from the cache."""
    from mirrorctl import cache

    with cache.disabled():
        return load_profiles()


def _targets_for(only: Sequence[str] | str | None) -> list[base.Target]:
    return base.selected(only)


def _configurable(only: Sequence[str] | str | None) -> tuple[list[base.Target], list[Finding]]:
    """The tools a change is for: those named with --only, else every tool that is installed or configured."""
    targets = _targets_for(only)
    if only is not None:
        return targets, []
    present = [t for t in targets if t.present()]
    return present, [Finding("tool-absent", "note", t.name) for t in targets if t not in present]


def _check_scope(scope: str | None) -> None:
    if scope is not None and scope not in base.SCOPES:
        raise UsageError(N_("unknown scope {scope!r} (choose from {scopes})"), scope=scope,
                         scopes=", ".join(base.SCOPES))


def _scoped(targets: list[base.Target], scope: str | None,
            only: Sequence[str] | str | None) -> tuple[list[base.Target], list[Finding]]:
    """The tools that have ``scope`` here. A tool named with --only that lacks it is a usage error, one that
    lacks it here (no active virtualenv ...) an error; any other such tool is skipped with the reason."""
    _check_scope(scope)
    if scope is None:
        return targets, []
    kept: list[base.Target] = []
    skipped: list[Finding] = []
    for target in targets:
        if scope not in target.scopes:
            if only is not None:
                resolve_scope(target, scope)  # raises: the tool was named
            skipped.append(Finding("scope-unsupported", "note", target.name,
                                   params={"scope": scope, "scopes": list(target.scopes)}))
            continue
        try:
            target.locations(scope)
        except ScopeUnavailable as exc:
            if only is not None:
                raise
            skipped.append(Finding("scope-unavailable", "note", target.name,
                                   params={"scope": scope, "reason": exc.sentence if exc.path is None else str(exc)}))
            continue
        kept.append(target)
    return kept, skipped


def _project_only(targets: list[base.Target], scope: str | None,
                  only: Sequence[str] | str | None) -> tuple[list[base.Target], list[Finding]]:
    """With no scope asked for, a tool that has project files only (no user-wide setting) is changed only when
    named with --only: switching the machine's mirror never edits a tracked file of the current folder. Named,
    it must have a project here (else ScopeUnavailable: an error, said once)."""
    if scope is not None:
        return targets, []
    kept: list[base.Target] = []
    skipped: list[Finding] = []
    for target in targets:
        if base.default_scope(target) != "project":
            kept.append(target)
        elif only is not None:
            target.locations(resolve_scope(target, None))  # raises ScopeUnavailable without a project
            kept.append(target)
        else:
            skipped.append(Finding("scope-project-only", "note", target.name,
                                   params={"scope": target.scopes[0], "tool": target.name}))
    return kept, skipped


def _change_targets(only: Sequence[str] | str | None, scope: str | None) -> tuple[list[base.Target], list[Finding]]:
    """The tools `use`, `use --fastest` and `reset` change, and a finding for each one left out (absent, or
    without ``scope``, or project files only in the default scope); none of them in ``scope`` is an error that
    says why."""
    targets, skipped = _configurable(only)
    targets, project_only = _project_only(targets, scope, only)
    skipped += project_only
    in_scope, out_of_scope = _scoped(targets, scope, only)
    skipped += out_of_scope
    if targets and not in_scope and scope is not None:
        raise _nothing_in_scope(scope, skipped)
    return in_scope, skipped


def _no_tool() -> MirrorctlError:
    return MirrorctlError(N_("no package tool is installed or configured here; name one with --only ({tools})"),
                          tools=", ".join(base.tool_names()))


def _nothing_in_scope(scope: str, skipped: Sequence[Finding]) -> MirrorctlError:
    return NothingInScope(scope, skipped)


def use(*, name: str, only: Sequence[str] | str | None = None, dry_run: bool = False,
        scope: str | None = None, force: bool = False) -> ChangeResult:
    """Switch the tools to profile ``name``; ``scope`` None is each tool's default (user, else its own)."""
    profiles = fresh_profiles()
    profile = profiles.get(name)
    targets, skipped = _change_targets(only, scope)
    chosen = [t for t in targets if base.covers(t, profile)]
    skipped += [Finding("tool-not-covered", "note", t.name, params={"profile": profile.name,
                                                                    "ecosystems": sorted(t.ecosystems)})
                for t in targets if t not in chosen]
    if not chosen:
        if not targets:
            raise _no_tool()
        raise MirrorctlError(N_("profile {name!r} has no mirror for {tools}"), name=profile.name,
                             tools=", ".join(t.name for t in targets))
    return _change("use", dict.fromkeys(chosen, profile), profiles, dry_run=dry_run, skipped=skipped, scope=scope,
                   force=force)


def use_many(*, choices: Mapping[str, str], dry_run: bool = False, reason: str = "use --fastest",
             scope: str | None = None, force: bool = False) -> ChangeResult:
    """Switch each tool to its own profile (``{"pip": "tuna", "conda": "ustc"}``) in one transaction."""
    profiles = fresh_profiles()
    targets, skipped = _scoped(_targets_for(list(choices)), scope, None)
    if not targets and scope is not None:
        raise _nothing_in_scope(scope, skipped)
    plans = {t: profiles.get(choices[t.name]) for t in targets}
    return _change("use", plans, profiles, dry_run=dry_run, reason=reason, skipped=skipped, scope=scope,
                   force=force)


def use_fastest(*, candidates: Sequence[str] = (), only: Sequence[str] | str | None = None, samples: int = 3,
                timeout: float = 5.0, by: str = "install", dry_run: bool = False, scope: str | None = None,
                on_result: OnResult | None = None, force: bool = False) -> tuple[FastestChoice, ChangeResult]:
    """Benchmark, then switch each tool that `use` would configure to its own best mirror, in one transaction.

    The same tools as `use NAME`: those named with --only, else the installed or configured ones (the others
    are reported as skipped, never given a file). The race ends as soon as each pick is settled.
    """
    targets, skipped = _change_targets(only, scope)
    if not targets:
        raise _no_tool()
    choice = _choose(targets, candidates=candidates, samples=samples, timeout=timeout, by=by, on_result=on_result)
    result = use_many(choices=choice.profiles, dry_run=dry_run, scope=scope, force=force)
    return choice, result._replace(skipped=tuple(skipped) + result.skipped)


def _choose(targets: Sequence[base.Target], *, candidates: Sequence[str], samples: int, timeout: float, by: str,
            on_result: OnResult | None) -> FastestChoice:
    """Probe until each pick is settled, then each tool's best healthy mirror that is not stale (a tool serving
    several ecosystems takes all of them from one profile)."""
    from mirrorctl.probe.model import TARGETS
    from mirrorctl.probe.rank import fastest, fastest_for_all

    measured = _probe(names=tuple(candidates), only=[t.name for t in targets], samples=samples, timeout=timeout,
                      by=by, on_result=on_result, settle_only=True)
    chosen: dict[str, str] = {}
    winners: dict[str, ProbeResult] = {}
    left = []
    for target in targets:
        if len(target.ecosystems) == 1:
            winner = fastest(measured, next(iter(target.ecosystems)), by=by)
        else:
            winner = fastest_for_all(measured, sorted(target.ecosystems, key=TARGETS.index), by=by)
        if winner is None:
            left.append(target.name)
            continue
        chosen[target.name], winners[target.name] = winner.profile, winner
    if not chosen:
        raise MirrorctlError(N_("no mirror answered correctly and in time; nothing was changed "
                                "(see `mirrorctl bench`)"))
    return FastestChoice(chosen, winners, tuple(left), measured, by)


def bench(*, names: Sequence[str] = (), only: Sequence[str] | str | None = None, samples: int = 3,
          timeout: float = 5.0, by: str = "latency", upstream: bool = True,
          on_result: OnResult | None = None) -> BenchResult:
    """Probe the named profiles (all when none are named) for the ecosystems of the tools in ``only`` (all),
    and read which of them are in effect, through the same read as `current` (a file that cannot be read is a
    finding, not an error). ``by="install"`` also downloads a bounded part of a real package file from the
    leading contenders, to rank by estimated install time. ``on_result(result, done, total)`` sees each
    mirror's result as its part of the race ends."""
    results = _probe(names=tuple(names), only=only, samples=samples, timeout=timeout, by=by, upstream=upstream,
                     on_result=on_result)
    profiles = load_profiles()
    pairs: set[tuple[str, str]] = set()
    findings: list[Finding] = []
    for target in base.all_targets():
        state = _state(target, profiles, named=False)
        if state.profile:
            pairs.update((state.profile, ecosystem) for ecosystem in target.ecosystems)
        findings += [f for f in state.findings if f.level == "error"]
    return BenchResult(results, frozenset(pairs), by, tuple(findings))


def _probe(*, names: tuple[str, ...], only: Sequence[str] | str | None, samples: int, timeout: float, by: str,
           upstream: bool = True, on_result: OnResult | None = None, settle_only: bool = False
           ) -> list[ProbeResult]:
    """Probe the profiles ``names`` (all when empty), with the upstream profile as freshness evidence when it
    is not among them."""
    from mirrorctl.probe.fanout import run_bench

    profiles = load_profiles()
    chosen = [profiles.get(name) for name in names] if names else list(profiles.profiles)
    unique = list({p.name: p for p in chosen}.values())
    reference = [p for p in profiles.profiles if p.name == UPSTREAM_PROFILE and p not in unique]
    tools = None if only is None else [only] if isinstance(only, str) else list(only)
    ecosystems = {e for target in base.selected(tools) for e in target.ecosystems} if tools else set()
    results = run_bench(unique, only=ecosystems.pop() if len(ecosystems) == 1 else None,
                        upstream=reference if upstream else (), samples=samples, timeout=timeout, by=by,
                        settle_only=settle_only, on_result=on_result)
    if not results:
        raise MirrorctlError(N_("the named profiles have no mirror for {tools}"),
                             tools=", ".join(tools or base.tool_names()))
    return results


# ---------------------------------------------------------------------------------------------------------
# Mirrors without touching a file: `env` (variables for a shell, CI, a Dockerfile) and `run` (one command)


def _env_choices(name: str | None, choices: Mapping[str, str] | None,
                 only: Sequence[str] | str | None) -> tuple[dict[base.Target, Profile], list[Finding], ProfileSet]:
    """Each tool and its profile: ``name`` for every tool it covers, or ``choices`` (tool -> profile, from
    --fastest). Every tool counts, installed or not: the lines are often for another machine."""
    profiles = load_profiles()
    if choices is not None:
        return {t: profiles.get(choices[t.name]) for t in base.selected(list(choices))}, [], profiles
    profile = profiles.get(str(name))
    targets = base.selected(only)
    chosen = {t: profile for t in targets if base.covers(t, profile)}
    skipped = [Finding("tool-not-covered", "note", t.name, params={"profile": profile.name,
                                                                   "ecosystems": sorted(t.ecosystems)})
               for t in targets if t not in chosen]
    if not chosen:
        raise MirrorctlError(N_("profile {name!r} has no mirror for {tools}"), name=profile.name,
                             tools=", ".join(t.name for t in targets))
    return chosen, skipped, profiles


def environment(*, name: str | None = None, choices: Mapping[str, str] | None = None,
                only: Sequence[str] | str | None = None) -> EnvResult:
    """The variables that point each tool at its profile with no file at all (`mirrorctl env`), and what they
    cannot carry. Reads no configuration file."""
    chosen, skipped, _ = _env_choices(name, choices, only)
    return EnvResult(tuple(base.env_plan(t, p) for t, p in chosen.items()), tuple(skipped))


def every_variable(*, only: Sequence[str] | str | None = None) -> EnvResult:
    """Every variable any profile sets for the tools (`env --unset` with no NAME): the values are not used."""
    profiles = load_profiles()
    plans = [base.env_plan(t, p) for t in base.selected(only) for p in profiles.profiles if base.covers(t, p)]
    return EnvResult(tuple(plans))


def run_plans(*, name: str | None = None, choices: Mapping[str, str] | None = None,
              only: Sequence[str] | str | None = None) -> tuple[EnvPlan, ...]:
    """What `mirrorctl run` sets for one command: variables, and private temporary files (written by
    :mod:`mirrorctl.runner`, never here). The user's files are read where a tool needs them, never written."""
    chosen, _, profiles = _env_choices(name, choices, only)
    return tuple(base.env_plan(t, p, profiles.profiles) for t, p in chosen.items())


def fastest_choices(*, candidates: Sequence[str] = (), only: Sequence[str] | str | None = None, samples: int = 3,
                    timeout: float = 5.0, by: str = "install", on_result: OnResult | None = None) -> FastestChoice:
    """Benchmark and pick each tool's best mirror, as `use --fastest` does, for `env --fastest` and `run
    --fastest` (every tool, or those named)."""
    return _choose(base.selected(only), candidates=candidates, samples=samples, timeout=timeout, by=by,
                   on_result=on_result)


def reset(*, only: Sequence[str] | str | None = None, dry_run: bool = False,
          scope: str | None = None, force: bool = False) -> ChangeResult:
    profiles = fresh_profiles()
    targets, skipped = _change_targets(only, scope)
    plans: dict[base.Target, Profile | None] = dict.fromkeys(targets)
    # reset's --force only lets a read-only file be replaced: with no profile there is no source to force in
    return _change("reset", plans, profiles, dry_run=dry_run, skipped=skipped, scope=scope, read_only_ok=force)


def _state(target: base.Target, profiles: ProfileSet, *, named: bool, scope: str | None = None) -> ToolState:
    """A tool named with --only is always read; otherwise only if it is installed or configured."""
    if not named and not target.present():
        return ToolState(target.name, Label(None), present=False)
    return _read(target, profiles, None, scope)


def current(*, only: Sequence[str] | str | None = None, scope: str | None = None) -> tuple[ToolState, ...]:
    """What every tool uses; with ``scope``, only the tools that have it here, each read as if that scope were
    the one being written (its file as ``write_path``, findings for what beats it)."""
    profiles = load_profiles()
    targets, _ = _scoped(_targets_for(only), scope, only)
    return tuple(_state(t, profiles, named=only is not None, scope=scope) for t in targets)


def list_profiles() -> ListResult:
    profiles = load_profiles()
    states = tuple(_state(t, profiles, named=False) for t in base.all_targets())
    findings = tuple(Finding("profile-refused", "error", "mirrorctl", Path(p.path) if p.path else None, p.line,
                             {"reason": p.sentence}) for p in profiles.problems)
    return ListResult(profiles.profiles, states, findings)


def backups() -> list[store.Snapshot]:
    from mirrorctl import store

    return store.list_snapshots()


def restore(*, snapshot_id: str | None = None) -> RestoreResult:
    """Put the files of a snapshot back byte for byte; the state being replaced is itself snapshotted first."""
    from mirrorctl import store

    with store.locked():
        snapshot = store.find_snapshot(snapshot_id)
        store.verify_snapshot(snapshot)
        safety = store.take_snapshot([Path(f.path) for f in snapshot.files], reason=f"restore {snapshot.id}",
                                     kind="restore", marks=store.undo_marks())
        restored = store.write_back(snapshot)
        removed_dirs = store.remove_created_dirs(snapshot)
        # Undoing a change marks it undone; going forward (restoring a restore's snapshot) puts the marks of
        # that moment back, so a plain `restore` undoes again: the history is a line, not a tree.
        store.set_undo_marks(snapshot.marks_after_restore())
        store.prune()
    return RestoreResult(snapshot, tuple(restored), safety.id, tuple(removed_dirs))
