"""Backups that tell the truth (issue 7, section 5): one clock for ids and the TAKEN column, directories that
mirrorctl created go again with the restore that removes their file, and `restore` worded as it happened."""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from conftest import write

from mirrorctl import core, store
from mirrorctl.errors import StoreError
from mirrorctl.output import backups as backups_output


@pytest.fixture
def east_of_utc(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Local time is UTC+8 (a POSIX TZ string: no tzdata needed), so a UTC id and a local one differ."""
    monkeypatch.setenv("TZ", "CST-8")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def table_row(text: str, snapshot_id: str) -> str:
    """The row whose ID column is exactly ``snapshot_id`` (``...-2`` is another backup of the same second)."""
    return next(line for line in text.splitlines() if line.split(" ", 1)[0] == snapshot_id)


def test_backup_id_and_taken_column_are_one_local_clock(run, pip_conf: Path, east_of_utc: None):
    assert run("use", "tuna", "--only", "pip").exit_code == 0
    snapshot = core.backups()[0]
    local = time.localtime(snapshot.created)
    assert snapshot.id == time.strftime("%Y%m%d-%H%M%S", local)
    assert snapshot.id != time.strftime("%Y%m%d-%H%M%S", time.gmtime(snapshot.created))  # 8 hours apart

    listed = run("backups")
    assert listed.exit_code == 0
    row = table_row(listed.output, snapshot.id)
    assert time.strftime("%Y-%m-%d %H:%M:%S", local) in row  # the TAKEN column: the id's own date and time

    taken = json.loads(run("backups", "--json").output)["backups"][0]["taken"]
    assert taken == time.strftime("%Y-%m-%dT%H:%M:%S+08:00", local)
    assert datetime.fromisoformat(taken).timestamp() == int(snapshot.created)

    restored = json.loads(run("restore", "--json").output)
    assert restored["backup"]["id"] == snapshot.id and restored["backup"]["taken"] == taken


def _as_written_by_an_older_version(snapshot: store.Snapshot) -> str:
    """Rename a snapshot to the UTC id the versions before this one gave it, with their manifest (no
    created_dirs)."""
    old_id = time.strftime("%Y%m%d-%H%M%S", time.gmtime(snapshot.created))
    directory = snapshot.directory.with_name(old_id)
    shutil.move(str(snapshot.directory), str(directory))
    manifest = directory / store.MANIFEST
    data = json.loads(manifest.read_text(encoding="utf-8"))
    del data["created_dirs"]
    data["id"] = old_id
    manifest.write_text(json.dumps(data), encoding="utf-8")
    return old_id


def test_old_utc_ids_stay_listed_in_order_and_restorable(run, pip_conf: Path, east_of_utc: None):
    write(pip_conf, "[global]\ntimeout = 5\n")
    core.use(name="tuna", only="pip")
    after_tuna = pip_conf.read_bytes()
    old_id = _as_written_by_an_older_version(core.backups()[0])
    time.sleep(1.1)  # the next id is another second
    core.use(name="ustc", only="pip")
    snapshots = core.backups()
    assert [s.id for s in snapshots][1] == old_id  # newest first by when they were taken, whatever the clock
    assert snapshots[0].id > old_id and snapshots[0].created > snapshots[1].created
    assert old_id in run("backups").output

    core.restore()  # undoes `use ustc`
    assert pip_conf.read_bytes() == after_tuna
    result = core.restore(snapshot_id=old_id)
    assert result.snapshot.id == old_id and result.removed_dirs == ()
    assert pip_conf.read_bytes() == b"[global]\ntimeout = 5\n"


def test_restore_removes_the_directories_mirrorctl_created_for_a_new_file(run, isolated_home: Path,
                                                                          pip_conf: Path):
    assert not (isolated_home / ".config").exists()
    used = run("use", "tuna", "--only", "pip")
    assert used.exit_code == 0 and pip_conf.is_file()
    snapshot = core.backups()[0]
    assert snapshot.created_dirs == (str(isolated_home / ".config"), str(pip_conf.parent))

    restored = run("restore")
    assert restored.exit_code == 0, restored.output
    assert "  ~/.config/pip/: removed (empty; mirrorctl had created it)\n" in restored.output
    assert "  ~/.config/: removed (empty; mirrorctl had created it)\n" in restored.output
    assert not (isolated_home / ".config").exists()
    assert sorted(p.name for p in isolated_home.iterdir()) == []  # the fake home is as it was: empty

    forward = core.backups()[0]  # the safety backup: going forward again re-creates file and folders
    assert forward.kind == "restore" and forward.created_dirs == ()
    core.restore(snapshot_id=forward.id)
    assert pip_conf.is_file()


def test_restore_never_removes_a_directory_that_existed_before(isolated_home: Path, pip_conf: Path):
    (isolated_home / ".config").mkdir()  # empty, and the user's
    core.use(name="tuna", only="pip")
    assert core.backups()[0].created_dirs == (str(pip_conf.parent),)
    result = core.restore()
    assert result.removed_dirs == (pip_conf.parent,)
    assert (isolated_home / ".config").is_dir() and not pip_conf.parent.exists()


def test_restore_keeps_a_created_directory_that_is_no_longer_empty(isolated_home: Path, pip_conf: Path):
    core.use(name="tuna", only="pip")
    other = write(pip_conf.parent / "notes.txt", "mine\n")
    result = core.restore()
    assert not pip_conf.exists() and other.read_text() == "mine\n"
    assert result.removed_dirs == ()


def test_restore_of_an_edited_file_removes_no_directory(pip_conf: Path, condarc: Path):
    write(pip_conf, "[global]\ntimeout = 5\n")
    write(condarc, "channels:\n  - defaults\n")
    core.use(name="tuna", only=["pip", "conda"])
    assert core.backups()[0].created_dirs == ()
    assert core.restore().removed_dirs == ()
    assert pip_conf.read_text() == "[global]\ntimeout = 5\n"


def test_a_failed_write_rolls_back_the_directories_too(isolated_home: Path, pip_conf: Path, condarc: Path,
                                                       monkeypatch: pytest.MonkeyPatch):
    """`use` writes pip's new file (creating ~/.config/pip), then fails on conda's: all of it is undone."""
    real_write = store.atomic_write

    def failing(path: Path, data: bytes, **kwargs: object) -> None:
        if Path(path) == condarc:
            raise OSError(28, "No space left on device")
        real_write(path, data, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(store.atomic, "atomic_write", failing)
    with pytest.raises(StoreError, match="nothing was changed"):
        core.use(name="tuna", only=["pip", "conda"])
    assert not pip_conf.exists() and not (isolated_home / ".config").exists()


def test_restore_wording_after_everything_is_undone(run, pip_conf: Path):
    core.use(name="tuna", only="pip")
    change = core.backups()[0]
    first = run("restore")
    safety = core.backups()[0]
    assert first.output.startswith(f"restored backup {change.id} (taken before `use tuna`):\n")
    again = run("restore")
    assert again.exit_code == 1
    assert again.output.strip().endswith(
        f"nothing to restore: no older change to undo; newest backup {safety.id} (restore {change.id}) can be "
        f"put back with `mirrorctl restore {safety.id}`")
    forward = run("restore", safety.id)
    assert forward.exit_code == 0
    assert forward.output.startswith(f"restored backup {safety.id} (taken before `restore {change.id}`):\n")
    assert "before `before" not in forward.output and "before `before" not in run("backups").output
    assert f"restore {change.id}" in table_row(run("backups").output, safety.id)
    assert backups_output.restore_text(core.restore(snapshot_id=change.id)).count("taken before") == 1
    assert not pip_conf.exists()
