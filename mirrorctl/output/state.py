"""`current` and `list`: what each tool really uses, and which profile that is."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from mirrorctl.errors import display_path
from mirrorctl.output.common import (
    document,
    finding_json,
    label_json,
    label_text,
    message,
    source_json,
    source_text,
    table,
)
from mirrorctl.results import CUSTOM, MIXED, ListResult, Setting, Source, ToolState


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
    """A block per tool in use; the tools neither installed nor configured share one line at the end."""
    states = list(states)
    blocks = [state_text(s) for s in states if s.present]
    absent = [s.tool for s in states if not s.present]
    if absent:
        blocks.append(f"not installed and not configured: {', '.join(absent)}\n")
    return "\n".join(blocks)


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
