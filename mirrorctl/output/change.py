"""`use` and `reset`: the diff, what changed, and what is in effect afterwards."""

from __future__ import annotations

from typing import Any

from mirrorctl.errors import display_path
from mirrorctl.output.common import MESSAGES, document, finding_json, label_text, message
from mirrorctl.output.state import state_json
from mirrorctl.results import MIXED, ChangeResult, FileEdit, ToolState


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
