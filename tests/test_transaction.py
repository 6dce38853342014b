"""The transaction (mirrorctl.store.transaction) and the history line behind a plain `restore`.

- a `use` that fails part-way rolls back what it wrote and leaves no backup behind;
- a read-only config file is refused (by its mode bits: these tests run as root, who could write it) unless
  `--force`, and is never silently replaced;
- after `restore` and `restore <forward id>`, a plain `restore` undoes again (the history is a line).
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from conftest import write

from mirrorctl import core, paths, store
from mirrorctl.errors import StoreError

PIP_BEFORE = b"[global]\ntimeout = 9\n"


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def snapshot_dirs() -> list[str]:
    root = paths.backups_dir()
    return sorted(p.name for p in root.iterdir()) if root.exists() else []


# A failed `use` ---------------------------------------------------------------------------------------------

def test_a_use_that_fails_on_a_real_os_error_rolls_back_and_leaves_no_backup(isolated_home: Path, pip_conf: Path,
                                                                             monkeypatch: pytest.MonkeyPatch):
    """No monkeypatching of the write: conda's file lives under a path whose parent is a regular file, so the
    write itself fails (ENOTDIR) after pip's file was written."""
    write(pip_conf, PIP_BEFORE)
    blocker = write(isolated_home / "blocker", "a file, not a directory")
    monkeypatch.setenv("CONDARC", str(blocker / ".condarc"))
    with pytest.raises(StoreError, match="nothing was changed"):
        core.use(name="tuna", only=["pip", "conda"])
    assert pip_conf.read_bytes() == PIP_BEFORE
    assert core.backups() == [] and snapshot_dirs() == []


def test_a_permission_error_on_the_second_file_leaves_no_backup(pip_conf: Path, condarc: Path,
                                                                monkeypatch: pytest.MonkeyPatch, run):
    write(pip_conf, PIP_BEFORE)
    write(condarc, "channels:\n  - defaults\n")
    real_write = store.atomic.atomic_write

    def failing(path: Path, data: bytes, **options: object) -> None:
        if Path(path).name == ".condarc":
            raise PermissionError(13, "Permission denied", str(path))
        real_write(path, data, **options)  # type: ignore[arg-type]

    monkeypatch.setattr(store.atomic, "atomic_write", failing)
    result = run("use", "tuna", "--only", "pip", "--only", "conda")
    assert result.exit_code == 1
    assert result.output == "mirrorctl: error: ~/.condarc: cannot write: Permission denied; nothing was changed\n"
    assert pip_conf.read_bytes() == PIP_BEFORE
    assert snapshot_dirs() == []
    assert run("backups").output.startswith("no backups")


def test_an_earlier_backup_survives_a_later_failed_use(pip_conf: Path, condarc: Path,
                                                       monkeypatch: pytest.MonkeyPatch):
    core.use(name="tuna", only="pip")
    kept = snapshot_dirs()
    real_write = store.atomic.atomic_write

    def failing(path: Path, data: bytes, **options: object) -> None:
        if Path(path).name == ".condarc":
            raise PermissionError(13, "Permission denied", str(path))
        real_write(path, data, **options)  # type: ignore[arg-type]

    monkeypatch.setattr(store.atomic, "atomic_write", failing)
    with pytest.raises(StoreError):
        core.use(name="ustc", only=["pip", "conda"])
    assert snapshot_dirs() == kept and len(kept) == 1


# Read-only files --------------------------------------------------------------------------------------------

def test_a_read_only_file_is_refused_with_one_line_and_left_alone(pip_conf: Path, run):
    before = PIP_BEFORE + b"index-url = https://mirrors.ustc.edu.cn/pypi/simple\n"
    write(pip_conf, before, mode=0o444)
    assert os.access(pip_conf, os.W_OK) == (os.geteuid() == 0)  # root could write it: the mode bits decide
    for args in (("use", "tuna", "--only", "pip"), ("use", "tuna", "--only", "pip", "--dry-run"),
                 ("reset", "--only", "pip")):
        result = run(*args)
        assert result.exit_code == 1, result.output
        assert result.output == ("mirrorctl: error: ~/.config/pip/pip.conf: is read-only (mode 0444); mirrorctl "
                                 "leaves it as it is unless you add --force; nothing was changed\n"), args
    assert pip_conf.read_bytes() == before and mode(pip_conf) == 0o444
    assert snapshot_dirs() == []


def test_one_read_only_file_stops_the_whole_change(pip_conf: Path, condarc: Path, run):
    write(condarc, "channels:\n  - defaults\n", mode=0o400)
    result = run("use", "tuna", "--only", "pip", "--only", "conda")
    assert result.exit_code == 1 and "~/.condarc: is read-only (mode 0400)" in result.output
    assert not pip_conf.exists()


def test_force_replaces_a_read_only_file_keeping_its_mode_and_restore_puts_it_back(pip_conf: Path, run):
    write(pip_conf, PIP_BEFORE, mode=0o444)
    result = run("use", "tuna", "--only", "pip", "--force")
    assert result.exit_code == 0, result.output
    assert "pypi.tuna.tsinghua.edu.cn" in pip_conf.read_text() and mode(pip_conf) == 0o444
    assert run("restore").exit_code == 0
    assert pip_conf.read_bytes() == PIP_BEFORE and mode(pip_conf) == 0o444


def test_a_file_only_the_owner_may_write_is_not_read_only(pip_conf: Path):
    write(pip_conf, PIP_BEFORE, mode=0o600)
    core.use(name="tuna", only="pip")
    assert "pypi.tuna.tsinghua.edu.cn" in pip_conf.read_text()


# The history is a line --------------------------------------------------------------------------------------

def test_restore_forward_then_plain_restore_undoes_again(pip_conf: Path, run):
    write(pip_conf, PIP_BEFORE)
    core.use(name="tuna", only="pip")
    tuna = pip_conf.read_bytes()
    back = core.restore()
    assert pip_conf.read_bytes() == PIP_BEFORE
    core.restore(snapshot_id=back.safety_snapshot_id)  # forward again
    assert pip_conf.read_bytes() == tuna
    again = run("restore")
    assert again.exit_code == 0, again.output
    assert again.output.startswith(f"restored backup {back.snapshot.id} (taken before `use tuna`)")
    assert pip_conf.read_bytes() == PIP_BEFORE


def test_the_line_holds_over_two_changes_and_a_jump_forward(pip_conf: Path):
    write(pip_conf, PIP_BEFORE)
    core.use(name="tuna", only="pip")
    tuna = pip_conf.read_bytes()
    core.use(name="ustc", only="pip")
    ustc = pip_conf.read_bytes()
    first = core.restore()  # undoes ustc
    core.restore()  # undoes tuna
    assert pip_conf.read_bytes() == PIP_BEFORE
    core.restore(snapshot_id=first.safety_snapshot_id)  # straight back to after ustc
    assert pip_conf.read_bytes() == ustc
    core.restore()
    assert pip_conf.read_bytes() == tuna
    core.restore()
    assert pip_conf.read_bytes() == PIP_BEFORE
    with pytest.raises(StoreError, match="nothing to restore"):
        core.restore()


def test_a_restore_snapshot_from_before_the_marks_were_recorded_still_redoes(pip_conf: Path):
    """Manifests written before 0.3 have no `marks`: restoring such a forward snapshot redoes the change its
    restore undid (named in its reason)."""
    import json

    core.use(name="tuna", only="pip")
    back = core.restore()
    manifest = paths.backups_dir() / back.safety_snapshot_id / store.MANIFEST
    data = json.loads(manifest.read_text())
    del data["marks"]
    manifest.write_text(json.dumps(data))
    core.restore(snapshot_id=back.safety_snapshot_id)
    assert core.restore().snapshot.id == back.snapshot.id
    assert not pip_conf.exists()
