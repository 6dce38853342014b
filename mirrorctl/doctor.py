"""`mirrorctl doctor`: why installs are slow, wrong or failing, and the command that fixes each thing. Read-only.

The findings come from four places, each data (a :class:`~mirrorctl.results.Finding` with a code, a level, the
file and line where one applies, and ``params["fix"]``: the command to run), worded by ``output.doctor``:

1. what each tool really uses (:func:`mirrorctl.core.current`): the findings ``current`` already has (a variable
   or a higher scope beating the user file, a file the tool refuses ...) with the fix added here, plus each
   target's own ``checks()`` (pip: a trusted-host on an https index, a proxy, two user files that disagree;
   conda: ``ssl_verify`` off, strict priority with upstream channels, an index cache from another mirror);
2. the tools together: some on a mirror and others left on upstream, channels mixed across mirrors, proxies;
3. PyTorch, when it is installed in the Python in use: `mirrorctl torch --check`'s problems (a build without
   kernels for this GPU, a driver too old, nvidia-* wheels of another CUDA major);
4. mirrorctl's own state: temp files an interrupted write left next to a config file, and backup folders an
   interrupted run left without a manifest (``--clean`` removes exactly those), backups whose files no longer
   match their checksums, and the lock (a mirrorctl running now; the pid record of a run killed holding it);
5. Anaconda coverage (:mod:`mirrorctl.coverage`): each channel in use on its mirror, for this machine's platform
   subdir, from the profiles' data and, online, confirmed by a request;
6. with the network (skipped by ``--offline``): each mirror in effect is probed (the bench's answer checks: it
   answers, is a real index and not a portal page, is not stale) and its own sync-status feed read, bounded by
   ``timeout``, at the same time as the coverage requests.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from mirrorctl.results import CUSTOM, MIXED, UPSTREAM, Finding, ToolState

if TYPE_CHECKING:
    from mirrorctl.probe.model import ProbeResult
    from mirrorctl.store.lock import LockState

#: Proxy variables pip, conda, uv and httpx read (urllib.request.getproxies: either case).
PROXY_VARIABLES = ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy")
LEVEL_ORDER = {"error": 0, "warning": 1, "info": 2}


class DoctorReport(NamedTuple):
    findings: tuple[Finding, ...]
    #: The tools looked at (installed or configured).
    tools: tuple[str, ...]
    offline: bool
    #: With --clean: the leftovers removed.
    cleaned: tuple[Path, ...] = ()
    #: With --clean: the lock file whose pid record (a killed run's) was emptied.
    cleared_lock: Path | None = None

    @property
    def errors(self) -> int:
        return sum(f.level == "error" for f in self.findings)


def diagnose(*, only: Sequence[str] | None = None, offline: bool = False, timeout: float = 5.0,
             clean: bool = False) -> DoctorReport:
    from mirrorctl import core
    from mirrorctl.targets import base

    states = [s for s in core.current(only=only) if s.present]
    findings: list[Finding] = []
    for state in states:
        target = base.load(state.tool)
        for finding in (*state.findings, *target.checks(state)):
            if finding.code in ("scope-unavailable",):
                continue  # `current --scope` words; doctor looks at what is in effect
            findings.append(_with_fix(finding, state))
    findings += _across_tools(states)
    findings += _proxies()
    lock = _lock_state()
    running = lock is not None and lock.held
    leftovers = _leftovers(states, running=running)
    cleaned: list[Path] = []
    if clean:
        cleaned = _clean(leftovers)
    else:
        findings += [Finding("doctor.leftover", "warning", "mirrorctl", path, None,
                             {"fix": "mirrorctl doctor --clean"}) for path in leftovers]
        findings += _lock_findings(lock)
    findings += _damaged_backups()
    findings += _torch()
    if offline:
        findings += _coverage(states, None)
    else:
        findings += _online(states, timeout)
    ordered = sorted(findings, key=lambda f: (LEVEL_ORDER.get(_level(f.level), 3), f.tool, f.code))
    cleared = lock.path if clean and lock is not None and not lock.held and lock.pid is not None else None
    return DoctorReport(tuple(f._replace(level=_level(f.level)) for f in ordered), tuple(s.tool for s in states),
                        offline, tuple(cleaned), cleared)


def _level(level: str) -> str:
    """doctor's three levels: what `current` calls a note or a hint is information here."""
    return level if level in ("error", "warning") else "info"


# ---------------------------------------------------------------------------------------------------------
# 1. Each tool


def _with_fix(finding: Finding, state: ToolState) -> Finding:
    if "fix" in finding.params:
        return finding
    fix = _fix_for(finding, state)
    return finding._replace(params={**finding.params, "fix": fix}) if fix else finding


def _fix_for(finding: Finding, state: ToolState) -> str | None:
    params, tool = finding.params, finding.tool
    profile = state.label.name if state.label.name not in (None, MIXED, CUSTOM) else "NAME"
    if finding.code in ("env-overrides", "config-env-disables-files", "config-env-skips-user-files"):
        return f"unset {str(params.get('variable', '')).split('=')[0]}"
    if finding.code == "scope-shadowed" or finding.code.endswith(".site-file-wins"):
        higher = params.get("higher") or state.scope_of(finding.path)
        return f"mirrorctl reset --only {tool} --scope {higher}" if higher else None
    if finding.code in ("file-refused", "file-ignored") and finding.path is not None:
        return f"${{EDITOR:-vi}} {finding.path}" + (f"    (line {finding.line})" if finding.line else "")
    if finding.code.endswith((".bad-index-url", ".no-channels", ".http-untrusted")):
        return (f"mirrorctl use {profile} --only {tool}" if profile != "NAME"
                else f"mirrorctl use --fastest --only {tool}")  # no mirror in use: let the probe pick one
    if finding.code.endswith(".section-beats-global") and finding.path is not None:
        wanted = _owner_of_index(params.get("global")) or profile  # the [global] index is what the user chose
        return f"mirrorctl reset --only {tool} && mirrorctl use {wanted} --only {tool}"
    return None


def _owner_of_index(url: object) -> str | None:
    from mirrorctl.profiles import UPSTREAM_PROFILE, load_profiles, pypi_owner

    owner = pypi_owner(load_profiles().profiles, url) if isinstance(url, str) and url else None
    return owner if owner != UPSTREAM_PROFILE else None


# ---------------------------------------------------------------------------------------------------------
# 2. The tools together


def _across_tools(states: Sequence[ToolState]) -> list[Finding]:
    mirrored = Counter(s.label.name for s in states
                       if s.label.name not in (None, MIXED, CUSTOM, UPSTREAM, "official"))
    findings = []
    if mirrored:
        usual = mirrored.most_common(1)[0][0]
        for state in states:
            if state.label.name in (UPSTREAM, "official"):
                findings.append(Finding("doctor.left-on-upstream", "warning", state.tool, state.write_path, None, {
                    "mirror": usual, "fix": f"mirrorctl use {usual} --only {state.tool}"}))
    for state in states:
        if state.label.name == MIXED:
            parts = [name for name, _ in state.label.parts if name not in (UPSTREAM, CUSTOM)]
            wanted = parts[0] if parts else "NAME"
            findings.append(Finding("doctor.mixed-mirrors", "warning", state.tool, None, None, {
                "owners": [name for name, _ in state.label.parts],
                "fix": f"mirrorctl use {wanted} --only {state.tool}"}))
    return findings


def _proxies() -> list[Finding]:
    found = [(name, os.environ[name]) for name in PROXY_VARIABLES if os.environ.get(name)]
    if not found:
        return []
    return [Finding("doctor.proxy-env", "info", "mirrorctl", None, None, {
        "variables": [f"{name}={value}" for name, value in found],
        "fix": "unset " + " ".join(name for name, _ in found)})]


# ---------------------------------------------------------------------------------------------------------
# 3. mirrorctl's own state


def _leftovers(states: Sequence[ToolState], *, running: bool = False) -> list[Path]:
    """Temp files whose writer has ended, and backup folders without a manifest; while another mirrorctl holds
    the lock, a folder without a manifest may be the backup it is taking, so none is counted."""
    from mirrorctl import store

    files: set[Path] = set()
    for state in states:
        files.update(state.files_read)
        files.update(p for scope in state.scopes for p in scope.paths)
        if state.write_path is not None:
            files.add(state.write_path)
    unfinished = set() if running else set(store.incomplete_snapshot_dirs())
    return sorted(set(store.stale_temps(files)) | unfinished)


def _lock_state() -> LockState | None:
    from mirrorctl.store.lock import inspect

    return inspect()


def _lock_findings(lock: LockState | None) -> list[Finding]:
    """The lock is an flock: the kernel releases it when its holder dies, so a dead process never blocks a run.
    What is worth saying: a mirrorctl running now (its half-done backup is not a leftover), and the pid record
    a run killed while it held the lock left behind (harmless: the next run overwrites it)."""
    if lock is None:
        return []
    if lock.held:
        return [Finding("doctor.lock-held", "info", "mirrorctl", lock.path, None,
                        {"pid": lock.pid if lock.pid is not None else "?"})]
    if lock.pid is not None:
        return [Finding("doctor.lock-killed", "info", "mirrorctl", lock.path, None,
                        {"pid": lock.pid, "fix": "mirrorctl doctor --clean"})]
    return []


def _clean(leftovers: Sequence[Path]) -> list[Path]:
    """Remove exactly the leftovers found (under the lock: no other mirrorctl is writing meanwhile). Taking the
    lock and letting it go also empties a killed run's pid record."""
    import shutil

    from mirrorctl import store

    removed = []
    with store.locked():
        for path in leftovers:
            try:
                if path.is_dir() and not path.is_symlink():
                    shutil.rmtree(path)
                else:
                    path.unlink()
                removed.append(path)
            except FileNotFoundError:
                continue
    return removed


def _damaged_backups() -> list[Finding]:
    from mirrorctl import store
    from mirrorctl.errors import MirrorctlError

    findings = []
    for snapshot in store.list_snapshots():
        try:
            store.verify_snapshot(snapshot)
        except MirrorctlError as error:
            findings.append(Finding("doctor.backup-damaged", "warning", "mirrorctl", snapshot.directory, None, {
                "id": snapshot.id, "reason": error.message, "fix": f"rm -r {snapshot.directory}"}))
    return findings


def _torch() -> list[Finding]:
    """`mirrorctl torch --check`'s problems when torch is installed in the Python in use (read from its metadata,
    never imported), each with the commands that fix it."""
    import shlex

    from mirrorctl.errors import MirrorctlError
    from mirrorctl.torch.plan import check

    try:
        result = check()
    except MirrorctlError:  # no usable interpreter here: nothing to say about torch
        return []
    if result.torch is None:
        return []
    fix = " && ".join(shlex.join(command.argv) for command in result.fixes) or None
    return [f._replace(params={**f.params, "fix": fix}) if fix and f.level in ("error", "warning") else f
            for f in result.findings if f.level in ("error", "warning")]


# ---------------------------------------------------------------------------------------------------------
# 4. Anaconda channels: on the mirror, for this platform (mirrorctl.coverage)


def _coverage(states: Sequence[ToolState], timeout: float | None) -> list[Finding]:
    """Channels in use that the mirror lacks, or lacks for this machine's subdir: from the profiles' data, and
    (``timeout`` given: online) confirmed by asking the mirror for each channel's repodata, in parallel."""
    from mirrorctl import coverage
    from mirrorctl.profiles import load_profiles

    with_channels = [s for s in states if any(setting.key == "channel" for setting in s.settings)]
    if not with_channels:
        return []
    profiles = list(load_profiles().profiles)
    subdir = coverage.platform_subdir()
    answers = None
    if timeout is not None:
        urls = [url for state in with_channels for _, url, _, _ in coverage.channel_urls(state, profiles)]
        answers = coverage.confirm(urls, subdir, timeout)
    mirrored = Counter(s.label.name for s in states if s.label.name not in (None, MIXED, CUSTOM, UPSTREAM, "official"))
    prefer = mirrored.most_common(1)[0][0] if mirrored else None
    return [f for state in with_channels for f in coverage.findings(state, profiles, subdir, answers, prefer)]


# ---------------------------------------------------------------------------------------------------------
# 5. The network


def _online(states: Sequence[ToolState], timeout: float) -> list[Finding]:
    """The probe of the mirrors in effect and the channel requests at the same time (each its own event loop in
    its own thread), so dead mirrors cost one ``timeout``, not two."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=2) as pool:
        channels = pool.submit(_coverage, states, timeout)
        probed = pool.submit(_network, states, timeout)
        return channels.result() + probed.result()


def _network(states: Sequence[ToolState], timeout: float) -> list[Finding]:
    """Probe the mirrors in effect; a mirror that fails or is stale is a finding with the way out."""
    from mirrorctl import core

    in_effect = sorted({s.label.name for s in states if s.label.name not in (None, MIXED, CUSTOM, UPSTREAM)})
    if not in_effect:
        return []
    measured = core.bench(names=in_effect, timeout=timeout, samples=1, by="latency", upstream=True)
    findings = []
    users = {name: [s.tool for s in states if s.label.name == name] for name in in_effect}
    for result in measured.results:
        if result.profile not in users:
            continue
        tools = users[result.profile]
        findings += _sync_findings(result, _serving(tools, result.target) or tools)
        if not result.ok:
            findings.append(Finding("doctor.mirror-failing", "error", tools[0], None, None, {
                "profile": result.profile, "url": result.url, "error": result.error or "",
                "tools": tools, "fix": f"mirrorctl use --fastest --only {' --only '.join(tools)}"}))
        elif result.stale:
            findings.append(Finding("doctor.mirror-stale", "warning", tools[0], None, None, {
                "profile": result.profile, "url": result.url, "tools": tools,
                "fix": f"mirrorctl use --fastest --only {' --only '.join(tools)}"}))
    return findings


#: A feed's flag -> the finding that says it (probe.status.judge sets the flags).
SYNC_CODES = {"failed": "doctor.sync-failed", "paused": "doctor.sync-paused", "old": "doctor.sync-old"}


def _serving(tools: Sequence[str], ecosystem: str) -> list[str]:
    from mirrorctl.targets import base

    return [tool for tool in tools if ecosystem in base.load(tool).ecosystems]


def _sync_findings(result: ProbeResult, tools: Sequence[str]) -> list[Finding]:
    """What the mirror's own status feed says of the repo behind these tools (tunasync or mirrorz JSON, read by
    the bench alongside its samples): a failed or paused sync, or a last success long ago, with when."""
    import time

    from mirrorctl.probe.model import iso

    sync = result.sync
    if sync is None or not sync.flags:
        return []
    flag = next(f for f in ("failed", "paused", "old") if f in sync.flags)
    hours = round((time.time() - sync.last_success) / 3600) if sync.last_success is not None else None
    return [Finding(SYNC_CODES[flag], "warning", tools[0], None, None, {
        "profile": result.profile, "repo": sync.repo or result.target, "feed": sync.url,
        "last_success": iso(sync.last_success) or "?", "hours": hours if hours is not None else "?",
        "tools": list(tools), "fix": f"mirrorctl use --fastest --only {' --only '.join(tools)}"})]
