"""Text and JSON renderings of the core's result objects. The CLI prints nothing else.

Every string leaves through :func:`emit`, which masks credentials in URLs, so no output path (tables, diffs,
warnings, errors, JSON) can leak a password.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from typing import IO, Any

from mirrorctl.urls import mask_credentials


def emit(text: str, *, err: bool = False, stream: IO[str] | None = None) -> None:
    out = stream or (sys.stderr if err else sys.stdout)
    if text and not text.endswith("\n"):
        text += "\n"
    out.write(mask_credentials(text))
    out.flush()


def to_json(value: Any) -> str:
    import json

    return json.dumps(value, indent=2, ensure_ascii=False, default=str) + "\n"


def table(rows: list[list[str]], header: list[str]) -> str:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    lines = []
    for row in [header, *rows]:
        lines.append("  ".join(str(cell).ljust(widths[i]) for i, cell in enumerate(row)).rstrip())
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------------------------------------
# list


def list_text(result) -> str:
    rows = []
    for profile in result.profiles:
        pip_mark = "*" if result.in_effect.get("pip") == profile.name else ""
        conda_mark = "*" if result.in_effect.get("conda") == profile.name else ""
        rows.append([profile.name, pip_mark, conda_mark, profile.kind, ", ".join(profile.covers()), profile.title])
    text = table(rows, ["NAME", "PIP", "CONDA", "KIND", "COVERS", "TITLE"])
    for tool, name in result.in_effect.items():
        if name == "custom":
            text += f"{tool}: uses URLs that match no profile (see `mirrorctl current`)\n"
    text += "* in effect.  ? some URLs are UNVERIFIED (from third-party usage, not the mirror's own docs).\n"
    for problem in result.problems:
        text += f"warning: {problem}\n"
    return text


def list_json(result) -> list[dict]:
    return [
        {
            "name": p.name,
            "title": p.title,
            "kind": p.kind,
            "aliases": list(p.aliases),
            "covers": p.covers(),
            "pip_in_effect": result.in_effect.get("pip") == p.name,
            "conda_in_effect": result.in_effect.get("conda") == p.name,
        }
        for p in result.profiles
    ]


# ---------------------------------------------------------------------------------------------------------
# current


def state_json(state) -> dict:
    return {
        "tool": state.target,
        "profile": state.profile,
        **state.details,
        "files_read": list(state.files),
        "warnings": list(state.warnings),
        "problems": list(state.problems),
    }


def state_text(state) -> str:
    d = state.details
    lines = [f"{state.target}: {state.profile}"]
    import importlib

    tool = importlib.import_module(f"mirrorctl.targets.{state.target}")
    if hasattr(tool, "describe"):  # each tool knows how to show its own details
        lines += tool.describe(d)
    else:
        lines += [f"  {key}: {value}" for key, value in d.items() if key != "write_path"]
    lines.append(f"  writes to     {d['write_path']}")
    lines.append(f"  files read    {', '.join(state.files) if state.files else '(none)'}")
    for warning in state.warnings:
        lines.append(f"  warning: {warning}")
    for problem in state.problems:
        lines.append(f"  error: {problem}")
    return "\n".join(lines) + "\n"


def current_text(states: Iterable) -> str:
    return "\n".join(state_text(s) for s in states)


# ---------------------------------------------------------------------------------------------------------
# use / reset


def change_text(result) -> str:
    lines = []
    if result.dry_run:
        diffs = result.diffs()
        lines.append("".join(diffs) if diffs else "nothing to change")
        lines.append("(dry run: nothing was written)")
    else:
        changed = [e for e in result.edits if e.changed]
        if not changed:
            lines.append("already in place: nothing to change")
        from mirrorctl.errors import display_path

        for edit in changed:
            verb = "removed" if edit.new is None else ("created" if edit.old is None else "updated")
            lines.append(f"{edit.target}: {verb} {display_path(edit.path)}")
            lines.extend(f"  {c}" for c in edit.changes if not c.startswith("note: "))
        if result.snapshot_id:
            lines.append(f"backup {result.snapshot_id} saved; undo with `mirrorctl restore`")
    for edit in result.edits:
        lines.extend(f"{edit.target}: {c[len('note: '):]}" for c in edit.changes if c.startswith("note: "))
    lines.extend(result.skipped)
    for state in result.after:
        lines.append(f"{state.target}: now {state.profile}"
                     + (f" ({state.details['index_url']})" if "index_url" in state.details else ""))
        lines.extend(f"  warning: {w}" for w in state.warnings)
        lines.extend(f"  error: {p}" for p in state.problems)
    if not result.dry_run:
        lines.extend(f"next: {n}" for n in result.notes)
    return "\n".join(line.rstrip("\n") for line in lines) + "\n"


def change_json(result) -> dict:
    return {
        "action": result.action,
        "profile": result.profile,
        "dry_run": result.dry_run,
        "backup": result.snapshot_id,
        "files": [
            {"tool": e.target, "path": str(e.path), "changed": e.changed, "changes": list(e.changes)}
            for e in result.edits
        ],
        "after": [state_json(s) for s in result.after],
        "notes": list(result.notes),
    }


# ---------------------------------------------------------------------------------------------------------
# backups / restore


def backups_text(snapshots) -> str:
    if not snapshots:
        return "no backups yet\n"
    import time

    rows = []
    for s in snapshots:
        when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(s.created))
        state = "undone" if s.undone else ""
        files = ", ".join(_short_path(f.path) + ("" if f.existed else " (absent)") for f in s.files)
        rows.append([s.id, when, s.reason, state, files])
    return table(rows, ["ID", "TAKEN", "BEFORE", "", "FILES"])


def _short_path(path: str) -> str:
    from mirrorctl.errors import display_path

    return display_path(path)


def restore_text(result) -> str:
    lines = [f"restored backup {result.snapshot.id} (taken before `{result.snapshot.reason}`):"]
    for saved in result.snapshot.files:
        lines.append(f"  {_short_path(saved.path)}: " + ("put back" if saved.existed else "removed (it did not exist)"))
    if result.safety_snapshot_id:
        lines.append(f"the replaced files are in backup {result.safety_snapshot_id} "
                     f"(`mirrorctl restore {result.safety_snapshot_id}` to go forward again)")
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------------------------------------
# profiles


def profile_text(profile) -> str:
    lines = [f"{profile.name}: {profile.title}  ({profile.kind}, {profile.path})"]
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


def _verified(section) -> str:
    text = "verified" if section.verified else "UNVERIFIED"
    return f"{text}: {section.source}" if section.source else text
