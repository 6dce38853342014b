"""`backups` and `restore`."""

from __future__ import annotations

from typing import Any

from mirrorctl.errors import display_path
from mirrorctl.i18n import _
from mirrorctl.output.common import document, table
from mirrorctl.results import RestoreResult


def _local_time(epoch: float, *, offset: bool = False) -> str:
    import time

    return time.strftime("%Y-%m-%d %H:%M:%S" + (" %z" if offset else ""), time.localtime(epoch))


def backups_text(snapshots: list[Any]) -> str:
    if not snapshots:
        return _("no backups yet") + "\n"
    rows = []
    for s in snapshots:
        state = _("undone") if s.undone else ""
        files = ", ".join(display_path(f.path) + ("" if f.existed else _(" (absent)")) for f in s.files)
        rows.append([s.id, _local_time(s.created), s.reason, state, files])
    return table(rows, ["ID", "TAKEN", "BEFORE", "", "FILES"])


def backups_json(snapshots: list[Any]) -> dict[str, Any]:
    return document("backups", backups=[{**s.to_json(), "taken": _iso(s.created)} for s in snapshots])


def _iso(epoch: float) -> str:
    from datetime import datetime

    return datetime.fromtimestamp(epoch).astimezone().isoformat(timespec="seconds")


def restore_text(result: RestoreResult) -> str:
    lines = [_("restored backup {id} (taken before `{command}`):").format(id=result.snapshot.id,
                                                                          command=result.snapshot.reason)]
    for saved in result.snapshot.files:
        what = _("put back") if saved.existed else _("removed (it did not exist)")
        lines.append("  " + _("{path}: {what}").format(path=display_path(saved.path), what=what))
    for directory in result.removed_dirs:
        lines.append("  " + _("{path}: {what}").format(path=display_path(directory) + "/",
                                                      what=_("removed (empty; mirrorctl had created it)")))
    if result.safety_snapshot_id:
        lines.append(_("the replaced files are in backup {id} (`mirrorctl restore {id}` to go forward again)")
                     .format(id=result.safety_snapshot_id))
    return "\n".join(lines) + "\n"


def restore_json(result: RestoreResult) -> dict[str, Any]:
    return document("restore", backup={**result.snapshot.to_json(), "taken": _iso(result.snapshot.created)},
                    restored=[str(p) for p in result.restored],
                    removed_directories=[str(p) for p in result.removed_dirs],
                    safety_backup=result.safety_snapshot_id)
