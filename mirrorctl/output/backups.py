"""`backups` and `restore`."""

from __future__ import annotations

from typing import Any

from mirrorctl.errors import display_path
from mirrorctl.output.common import document, table
from mirrorctl.results import RestoreResult


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
