"""Text and JSON renderings of the core's result objects: the only place messages are worded.

A finding's sentence comes from its code: generic codes are in :data:`MESSAGES`; a tool's own codes are in its
module's ``MESSAGES`` (the English source text, as gettext keeps msgids in code). A translation adds a catalogue
keyed by the same codes without touching a target. Paths are shown as ``~/...`` in text and absolute in JSON.

Every string leaves through :func:`emit`, which masks credentials in URLs, so no output path (tables, diffs,
warnings, errors, JSON) can leak a password.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import IO, Any

from mirrorctl.errors import display_path
from mirrorctl.profiles import UPSTREAM_PROFILE
from mirrorctl.results import (
    CUSTOM,
    JSON_SCHEMA,
    MIXED,
    ChangeResult,
    FileEdit,
    Finding,
    Label,
    ListResult,
    ProfileChange,
    RestoreResult,
    Setting,
    Source,
    ToolState,
)
from mirrorctl.urls import mask_credentials

#: Sentences for the codes any tool may report.
MESSAGES = {
    "file-refused": "{tool} cannot read {path}: {where}{reason}",
    "file-ignored": "{tool} ignores {path} ({where}{reason})",
    "file-unread": "mirrorctl does not read {path} for {tool}: {where}{reason}",
    "config-env-disables-files": "{variable}={value}: {tool} reads no configuration files at all",
    "config-env-skips-user-files": "{variable}={value} is set: {tool} skips your user files ({paths}), so what "
                                   "mirrorctl writes there is not used; unset {variable} or edit that file",
    "env-overrides": "{variable} is set in your environment and beats every {files}",
    "tool-not-covered": "{profile} has no {ecosystems} mirror; left unchanged",
    "tool-absent": "neither installed nor configured; skipped (name it with --only to configure it anyway)",
    "tool-absent.grouped": "neither installed nor configured (name one with --only to configure it anyway)",
    "scope-unsupported": "has no {scope} scope (it has {scopes}); skipped",
    "scope-unavailable": "{reason}; skipped",
    "scope-project-only": "has no user-wide setting, only the files of a {scope}: left alone (name it with "
                          "--only {tool}, or use --scope {scope}, to change the {scope} here)",
    "scope-shadowed": "{path} ({higher} scope) sets {key} = {value} and beats {written} ({scope} scope), so "
                      "{tool} uses that value",
    "profile-refused": "{where_path}{reason}",
    "profile.pypi-not-simple": "{url} does not end in /simple: installers expect a PEP 503 simple index there",
}


def emit(text: str, *, err: bool = False, stream: IO[str] | None = None) -> None:
    out = stream or (sys.stderr if err else sys.stdout)
    if text and not text.endswith("\n"):
        text += "\n"
    out.write(mask_credentials(text))
    out.flush()


def to_json(value: Any) -> str:
    import json

    return json.dumps(value, indent=2, ensure_ascii=False, default=str) + "\n"


def document(kind: str, **fields: Any) -> dict[str, Any]:
    """Every JSON document: its schema version and what it describes first."""
    return {"schema": JSON_SCHEMA, "kind": kind, **fields}


def table(rows: list[list[str]], header: list[str]) -> str:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    lines = []
    for row in [header, *rows]:
        lines.append("  ".join(str(cell).ljust(widths[i]) for i, cell in enumerate(row)).rstrip())
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------------------------------------
# Findings


def _template(code: str, tool: str) -> str:
    if code in MESSAGES:
        return MESSAGES[code]
    import importlib

    try:
        catalogue: Mapping[str, str] = getattr(importlib.import_module(f"mirrorctl.targets.{tool}"), "MESSAGES", {})
    except ImportError:
        return code
    return catalogue.get(code, code)


def _shown(value: Any) -> str:
    if isinstance(value, Path):
        return display_path(value)
    if isinstance(value, (list, tuple)):
        return ", ".join(_shown(v) for v in value)
    return str(value)


def message(finding: Finding) -> str:
    """The sentence for one finding."""
    params = {key: _shown(value) for key, value in finding.params.items()}
    params.setdefault("tool", finding.tool)
    params.setdefault("path", display_path(finding.path) if finding.path else "")
    params["where"] = f"line {finding.line}: " if finding.line else ""
    params["where_path"] = (display_path(finding.path) + (f" line {finding.line}" if finding.line else "") + ": "
                            if finding.path else "")
    try:
        return _template(finding.code, finding.tool).format(**params)
    except (KeyError, IndexError, ValueError):
        return f"{finding.code} {params}"


def finding_json(finding: Finding) -> dict[str, Any]:
    return {
        "code": finding.code,
        "level": finding.level,
        "tool": finding.tool,
        "path": str(finding.path) if finding.path else None,
        "line": finding.line,
        "params": {k: _json_value(v) for k, v in finding.params.items()},
        "message": message(finding),
    }


def _json_value(value: Any) -> Any:
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, (list, tuple)):
        return [_json_value(v) for v in value]
    return value


# ---------------------------------------------------------------------------------------------------------
# Labels: a profile's name only when it is true


def label_text(label: Label, findings: Iterable[Finding] = ()) -> str:
    if label.name is None:
        blocking = [f for f in findings if f.level == "error" or f.code == "file-ignored"]
        if blocking:
            return message(blocking[0])
        return "nothing configured"
    if label.name == MIXED:
        return "mixed — " + ", ".join(
            f"{owner} ({count} channel{'s' if count != 1 else ''})" if index == 0 else f"{owner} ({count})"
            for index, (owner, count) in enumerate(label.parts)
        )
    upstream = dict(label.parts).get("upstream")
    if upstream and label.name not in (UPSTREAM_PROFILE, CUSTOM):
        return f"{label.name} (upstream for {upstream} channel{'s' if upstream != 1 else ''} {label.name} " \
               "does not carry)"
    return label.name


def label_json(label: Label) -> dict[str, Any]:
    return {"name": label.name, "parts": dict(label.parts)}


# ---------------------------------------------------------------------------------------------------------
# current


def source_text(source: Source | None) -> str:
    if source is None:
        return "built-in default"
    if source.env:
        return f"environment variable {source.env}"
    if source.path and source.section:
        return f"{display_path(source.path)} [{source.section}]"
    return display_path(source.path) if source.path else "built-in default"


def source_json(source: Source | None) -> dict[str, Any] | None:
    if source is None or source == Source():
        return None
    return {"path": str(source.path) if source.path else None, "section": source.section, "env": source.env,
            "line": source.line}


def _in_scope(source: Source | None, state: ToolState | None) -> str:
    """`` (user scope)`` after a source that is one of the state's scope files."""
    scope = state.scope_of(source.path) if state is not None and source is not None else None
    return f" ({scope} scope)" if scope else ""


def _setting_lines(settings: Iterable[Setting], state: ToolState | None = None) -> list[str]:
    lines: list[str] = []
    settings = list(settings)
    channels = [s for s in settings if s.key == "channel"]
    unlisted: dict[tuple[str, str], list[str]] = {}
    for setting in settings:
        if setting.key == "index-url":
            lines += [f"  index-url     {setting.value}",
                      f"    from        {source_text(setting.source)}{_in_scope(setting.source, state)}"]
        elif setting.key == "extra-index-url":
            lines.append(f"  extra-index   {setting.value}")
        elif setting.key == "trusted-host":
            lines.append(f"  trusted-host  {setting.value}")
        elif setting.key == "channel":
            lines.append(f"  channel {setting.value}  (listed in {source_text(setting.source)}"
                         f"{_in_scope(setting.source, state)})")
            lines += [f"      -> {url}" for url in setting.resolved]
            via = setting.via or ""
            if setting.via_source is not None and via != "URL":
                via += f" in {source_text(setting.via_source)}{_in_scope(setting.via_source, state)}"
            lines.append(f"      via {via}" + (f"  [{setting.owner}]" if setting.owner else ""))
        elif setting.key == "default_channels":
            lines.append(f"  defaults would be {', '.join(setting.resolved)} ({source_text(setting.source)})")
        elif setting.key == "custom_channel":
            base = setting.resolved[0][: -len(setting.value)].rstrip("/") if setting.resolved else ""
            where = source_text(setting.source) + _in_scope(setting.source, state)
            unlisted.setdefault((base, where), []).append(setting.value)
        else:
            where = _in_scope(setting.source, state)
            if where and setting.source.path is not None:
                where = f"  ({display_path(setting.source.path)}{where[1:]}"
            lines.append(f"  {setting.key:<13} {setting.value}{where}")
    if not channels and any(s.key == "default_channels" for s in settings):
        lines.insert(0, "  channels      (none)")
    for (base, where), names in unlisted.items():
        lines.append(f"  when used: {', '.join(names)} -> {base}/<name>  (custom_channels in {where})")
    return lines


def state_json(state: ToolState) -> dict[str, Any]:
    return {
        "tool": state.tool,
        "present": state.present,
        "profile": state.label.name,
        "label": label_json(state.label),
        "settings": [
            {"key": s.key, "value": s.value, "source": source_json(s.source), "resolved": list(s.resolved),
             "owner": s.owner, "via": s.via, "via_source": source_json(s.via_source)}
            for s in state.settings
        ],
        "write_path": str(state.write_path) if state.write_path else None,
        "scope": state.scope,
        "scopes": [{"scope": s.scope, "paths": [str(p) for p in s.paths]} for s in state.scopes],
        "files_read": [str(p) for p in state.files_read],
        "findings": [finding_json(f) for f in state.findings],
    }


def state_text(state: ToolState) -> str:
    if not state.present:
        return f"{state.tool}: not installed, no configuration file\n"
    lines = [f"{state.tool}: {label_text(state.label, state.findings)}"]
    lines += _setting_lines(state.settings, state)
    if state.write_path:
        lines.append(f"  writes to     {display_path(state.write_path)}"
                     + (f" ({state.scope} scope)" if state.scope else ""))
    lines += _scope_lines(state)
    lines.append(f"  files read    {', '.join(map(display_path, state.files_read)) if state.files_read else '(none)'}")
    for finding in state.findings:
        lines.append(f"  {finding.level}: {message(finding)}")
    return "\n".join(lines) + "\n"


def _scope_lines(state: ToolState) -> list[str]:
    """Every scope the tool reads, lowest precedence first: a later scope's value beats an earlier one's."""
    if not state.scopes:
        return []
    read = set(state.files_read)
    lines = ["  scopes        lowest precedence first; * = read"]
    for entry in state.scopes:
        shown = ", ".join(display_path(p) + (" *" if p in read else "") for p in entry.paths) or "(none here)"
        lines.append(f"    {entry.scope:<11} {shown}")
    return lines


def current_text(states: Iterable[ToolState]) -> str:
    return "\n".join(state_text(s) for s in states)


def current_json(states: Iterable[ToolState]) -> dict[str, Any]:
    return document("current", tools={s.tool: state_json(s) for s in states})


# ---------------------------------------------------------------------------------------------------------
# list


def list_text(result: ListResult) -> str:
    present = [s for s in result.states if s.present]
    text = ""
    for state in present:  # a file a tool cannot use is the headline, not a footnote
        if state.label.name is None and state.findings:
            blocking = [f for f in state.findings if f.level == "error" or f.code == "file-ignored"]
            if blocking:
                text += f"{blocking[0].level}: {message(blocking[0])}\n"
    for finding in result.findings:
        text += f"{finding.level}: {message(finding)}\n"
    rows = []
    for profile in result.profiles:
        marks = ["*" if s.label.name == profile.name else "" for s in present]
        rows.append([profile.name, *marks, profile.kind, ", ".join(profile.covers()), profile.title])
    text += table(rows, ["NAME", *(s.tool.upper() for s in present), "KIND", "COVERS", "TITLE"])
    for state in present:
        if state.label.name == CUSTOM:
            text += f"{state.tool}: uses URLs that match no profile (see `mirrorctl current`)\n"
        elif state.label.name == MIXED:
            text += f"{state.tool}: {label_text(state.label)} (see `mirrorctl current`)\n"
    absent = [s.tool for s in result.states if not s.present]
    if absent:
        text += f"not installed and not configured: {', '.join(absent)}\n"
    text += "* in effect.  ? some URLs are UNVERIFIED (from third-party usage, not the mirror's own docs).\n"
    return text


def list_json(result: ListResult) -> dict[str, Any]:
    return document(
        "list",
        profiles=[
            {
                "name": p.name,
                "title": p.title,
                "kind": p.kind,
                "aliases": list(p.aliases),
                "covers": p.covers(),
                "in_effect": [s.tool for s in result.states if s.present and s.label.name == p.name],
            }
            for p in result.profiles
        ],
        tools={s.tool: {"present": s.present, "label": label_json(s.label),
                        "findings": [finding_json(f) for f in s.findings]} for s in result.states},
        findings=[finding_json(f) for f in result.findings],
    )


# ---------------------------------------------------------------------------------------------------------
# use / reset


def unified_diff(edit: FileEdit) -> str:
    import difflib

    from mirrorctl.targets import decode

    shown = display_path(edit.path)
    old = decode(edit.old).splitlines(keepends=True)
    new = decode(edit.new).splitlines(keepends=True)
    lines = difflib.unified_diff(
        old, new,
        fromfile=shown if edit.old is not None else "/dev/null",
        tofile=shown if edit.new is not None else "/dev/null",
    )
    return "".join(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in lines)


def _after_line(state: ToolState, wanted: str | None, dry_run: bool) -> str:
    shown = label_text(state.label, state.findings)
    index = state.setting("index-url")
    if index is not None and state.label.name not in (None, MIXED):
        shown += f" ({index.value})"
    if wanted is not None and state.label.name != wanted:
        verb = "would not be fully switched" if dry_run else "not fully switched"
        return f"{state.tool}: {verb} to {wanted}: {shown}"
    return f"{state.tool}: {'would be' if dry_run else 'now'} {shown}"


def change_text(result: ChangeResult) -> str:
    lines = []
    if result.dry_run:
        diffs = [unified_diff(edit) for edit in result.edits if edit.changed]
        lines.append("".join(diffs) if diffs else "nothing to change")
        lines.append("(dry run: nothing was written)")
    else:
        changed = [e for e in result.edits if e.changed]
        if not changed:
            lines.append("already in place: nothing to change")
        for edit in changed:
            verb = "removed" if edit.new is None else ("created" if edit.old is None else "updated")
            lines.append(f"{edit.tool}: {verb} {display_path(edit.path)}")
            lines.extend(f"  {c.key}: {c.before or '(unset)'} -> {c.after or '(unset)'}" for c in edit.changes)
        if result.snapshot_id:
            lines.append(f"backup {result.snapshot_id} saved; undo with `mirrorctl restore`")
    for edit in result.edits:
        lines.extend(f"{edit.tool}: {message(f)}" for f in edit.findings)
    absent = [f.tool for f in result.skipped if f.code == "tool-absent"]
    if absent:  # one line for all of them: most machines have only a few of the tools
        lines.append(f"skipped {', '.join(str(t) for t in absent)}: {MESSAGES['tool-absent.grouped']}")
    lines.extend(f"{f.tool}: {message(f)}" for f in result.skipped if f.code != "tool-absent")
    for state in result.after:
        lines.append(_after_line(state, result.wanted.get(state.tool), result.dry_run))
        lines.extend(f"  {f.level}: {message(f)}" for f in state.findings
                     if not (state.label.name is None and f.level == "error"))
    if not result.dry_run:
        lines.extend(f"next: {message(f)}" for f in result.hints)
    return "\n".join(line.rstrip("\n") for line in lines) + "\n"


def change_json(result: ChangeResult) -> dict[str, Any]:
    return document(
        result.action,
        profile=result.profile,
        dry_run=result.dry_run,
        backup=result.snapshot_id,
        files=[
            {"tool": e.tool, "path": str(e.path), "changed": e.changed,
             "changes": [{"key": c.key, "before": c.before, "after": c.after} for c in e.changes],
             "findings": [finding_json(f) for f in e.findings],
             "diff": unified_diff(e) if e.changed else ""}
            for e in result.edits
        ],
        wanted=dict(result.wanted),
        skipped=[finding_json(f) for f in result.skipped],
        after=[state_json(s) for s in result.after],
        hints=[finding_json(f) for f in result.hints],
    )


# ---------------------------------------------------------------------------------------------------------
# backups / restore


def _local_time(epoch: float, *, offset: bool = False) -> str:
    import time

    return time.strftime("%Y-%m-%d %H:%M:%S" + (" %z" if offset else ""), time.localtime(epoch))


def backups_text(snapshots: list[Any]) -> str:
    if not snapshots:
        return "no backups yet\n"
    rows = []
    for s in snapshots:
        state = "undone" if s.undone else ""
        files = ", ".join(display_path(f.path) + ("" if f.existed else " (absent)") for f in s.files)
        rows.append([s.id, _local_time(s.created), s.reason, state, files])
    return table(rows, ["ID", "TAKEN", "BEFORE", "", "FILES"])


def backups_json(snapshots: list[Any]) -> dict[str, Any]:
    return document("backups", backups=[{**s.to_json(), "taken": _iso(s.created)} for s in snapshots])


def _iso(epoch: float) -> str:
    from datetime import datetime

    return datetime.fromtimestamp(epoch).astimezone().isoformat(timespec="seconds")


def restore_text(result: RestoreResult) -> str:
    lines = [f"restored backup {result.snapshot.id} (taken before `{result.snapshot.reason}`):"]
    for saved in result.snapshot.files:
        what = "put back" if saved.existed else "removed (it did not exist)"
        lines.append(f"  {display_path(saved.path)}: {what}")
    for directory in result.removed_dirs:
        lines.append(f"  {display_path(directory)}/: removed (empty; mirrorctl had created it)")
    if result.safety_snapshot_id:
        lines.append(f"the replaced files are in backup {result.safety_snapshot_id} "
                     f"(`mirrorctl restore {result.safety_snapshot_id}` to go forward again)")
    return "\n".join(lines) + "\n"


def restore_json(result: RestoreResult) -> dict[str, Any]:
    return document("restore", backup={**result.snapshot.to_json(), "taken": _iso(result.snapshot.created)},
                    restored=[str(p) for p in result.restored],
                    removed_directories=[str(p) for p in result.removed_dirs],
                    safety_backup=result.safety_snapshot_id)


# ---------------------------------------------------------------------------------------------------------
# profiles


def profile_text(profile: Any) -> str:
    lines = [f"{profile.name}: {profile.title}  ({profile.kind}, {display_path(profile.path)})"]
    if profile.aliases:
        lines.append(f"  aliases    {', '.join(profile.aliases)}")
    if profile.homepage:
        lines.append(f"  homepage   {profile.homepage}")
    if profile.pypi:
        lines.append(f"  pypi       {profile.pypi.index_url}  [{_verified(profile.pypi)}]")
    if profile.conda:
        lines.append(f"  conda      [{_verified(profile.conda)}]")
        if profile.conda.default_channels:
            lines.append("    defaults -> " + ", ".join(profile.conda.default_channels))
        else:
            lines.append("    defaults -> not mirrored (repo.anaconda.com is used)")
        for channel, base in profile.conda.custom_channels.items():
            lines.append(f"    {channel} -> {base.rstrip('/')}/{channel}")
    if profile.pytorch:
        how = "-f" if profile.pytorch.kind == "find-links" else "--index-url"
        lines.append(f"  pytorch    {how} {profile.pytorch.url}  [{_verified(profile.pytorch)}]")
    return "\n".join(lines) + "\n"


def _verified(section: Any) -> str:
    text = "verified" if section.verified else "UNVERIFIED"
    return f"{text}: {section.source}" if section.source else text


def profile_change_text(result: ProfileChange) -> str:
    if result.action == "remove":
        text = f"removed {display_path(result.path)}\n"
    else:
        text = f"added profile {result.profile.name} ({display_path(result.path)})\n" + profile_text(result.profile)
    text += "".join(f"{f.level}: {message(f)}\n" for f in result.findings)
    if result.snapshot_id:
        text += f"backup {result.snapshot_id} saved; undo with `mirrorctl restore`\n"
    return text


def profile_json(profile: Any) -> dict[str, Any]:
    return {
        "name": profile.name, "title": profile.title, "kind": profile.kind, "path": str(profile.path),
        "aliases": list(profile.aliases), "homepage": profile.homepage,
        "pypi": profile.pypi._asdict() if profile.pypi else None,
        "conda": {**profile.conda._asdict(), "custom_channels": dict(profile.conda.custom_channels)}
        if profile.conda else None,
        "pytorch": profile.pytorch._asdict() if profile.pytorch else None,
    }


# ---------------------------------------------------------------------------------------------------------
# errors


def error_text(error: Exception) -> str:
    return f"mirrorctl: error: {error}"
