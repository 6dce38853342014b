"""Backups, atomic writes, transactions and restore: the promises behind `mirrorctl restore`."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from conftest import write

from mirrorctl import core, store
from mirrorctl.errors import StoreError
from mirrorctl.output import unified_diff

PIP_BEFORE = b"# mine\r\n[global]\r\ntimeout = 9\r\nindex-url = https://old.example/simple\r\n"
CONDA_BEFORE = b"# mine\nchannels:\n  - defaults\n"


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_atomic_write_keeps_mode_and_leaves_no_temp_files(tmp_path: Path):
    target = write(tmp_path / "dir" / "f.conf", "old", mode=0o600)
    store.atomic_write(target, b"new")
    assert target.read_bytes() == b"new" and mode(target) == 0o600
    assert [p.name for p in target.parent.iterdir()] == ["f.conf"]


def test_atomic_write_edits_a_symlink_at_its_target(tmp_path: Path):
    real = write(tmp_path / "dotfiles" / "pip.conf", "old")
    link = tmp_path / "pip.conf"
    link.symlink_to(real)
    store.atomic_write(link, b"new")
    assert link.is_symlink() and real.read_bytes() == b"new"


def test_restore_is_byte_exact_with_modes_and_removes_files_that_did_not_exist(
    legacy_pip_conf: Path, pip_conf: Path, condarc: Path
):
    write(legacy_pip_conf, PIP_BEFORE, mode=0o640)
    write(condarc, CONDA_BEFORE, mode=0o600)
    core.use(name="tuna")
    assert pip_conf.exists() and legacy_pip_conf.read_bytes() != PIP_BEFORE
    assert mode(legacy_pip_conf) == 0o640 and mode(condarc) == 0o600

    core.restore()
    assert legacy_pip_conf.read_bytes() == PIP_BEFORE and mode(legacy_pip_conf) == 0o640
    assert condarc.read_bytes() == CONDA_BEFORE and mode(condarc) == 0o600
    assert not pip_conf.exists()


def test_repeated_restore_steps_back_through_history(pip_conf: Path, condarc: Path, conda_installed: Path):
    core.use(name="tuna")
    after_tuna = pip_conf.read_bytes(), condarc.read_bytes()
    core.use(name="ustc")
    core.restore()
    assert (pip_conf.read_bytes(), condarc.read_bytes()) == after_tuna
    core.restore()
    assert not pip_conf.exists() and not condarc.exists()
    with pytest.raises(StoreError, match="nothing to restore"):
        core.restore()


def test_restore_by_id_goes_forward_again(pip_conf: Path):
    core.use(name="tuna", only="pip")
    tuna = pip_conf.read_bytes()
    result = core.restore()
    assert not pip_conf.exists()
    core.restore(snapshot_id=result.safety_snapshot_id)
    assert pip_conf.read_bytes() == tuna


def test_restore_works_when_the_current_file_is_broken(condarc: Path):
    write(condarc, CONDA_BEFORE)
    core.use(name="tuna", only="conda")
    write(condarc, "channels: [\n\tbroken")
    core.restore()
    assert condarc.read_bytes() == CONDA_BEFORE


def test_a_failed_second_write_rolls_the_first_back(monkeypatch, pip_conf: Path, condarc: Path):
    write(pip_conf, PIP_BEFORE)
    write(condarc, CONDA_BEFORE)
    real_write = store.atomic_write

    def failing(path: Path, data: bytes, **options: bool) -> None:
        if Path(path).name == ".condarc":
            raise PermissionError(13, "Permission denied")
        real_write(path, data, **options)

    monkeypatch.setattr(store, "atomic_write", failing)
    with pytest.raises(StoreError, match="nothing was changed"):
        core.use(name="tuna")
    assert pip_conf.read_bytes() == PIP_BEFORE
    assert condarc.read_bytes() == CONDA_BEFORE


def test_nothing_to_change_takes_no_backup(pip_conf: Path):
    core.use(name="tuna", only="pip")
    result = core.use(name="tuna", only="pip")
    assert result.snapshot_id is None
    assert len(core.backups()) == 1


def test_dry_run_writes_nothing(pip_conf: Path, condarc: Path):
    result = core.use(name="tuna", dry_run=True)
    assert not pip_conf.exists() and not condarc.exists() and core.backups() == []
    diff = "".join(unified_diff(e) for e in result.edits if e.changed)
    assert "+++ ~/.config/pip/pip.conf" in diff and "+index-url = https://pypi.tuna.tsinghua.edu.cn/simple" in diff


def test_a_damaged_backup_is_refused(pip_conf: Path):
    write(pip_conf, PIP_BEFORE)
    core.use(name="tuna", only="pip")
    snapshot = core.backups()[0]
    blob = snapshot.directory / snapshot.files[0].blob
    blob.write_bytes(b"tampered")
    changed = pip_conf.read_bytes()
    with pytest.raises(StoreError, match="damaged"):
        core.restore()
    assert pip_conf.read_bytes() == changed


def test_old_backups_are_pruned(pip_conf: Path):
    for index in range(store.KEEP_BACKUPS + 3):
        write(pip_conf, f"[global]\ntimeout = {index}\n")
        core.use(name="tuna" if index % 2 else "ustc", only="pip")
    assert len(core.backups()) == store.KEEP_BACKUPS


def test_lock_is_exclusive(monkeypatch):
    import fcntl

    with store.locked(), open(store.paths.lock_file(), "a+b") as other, pytest.raises(OSError):
        fcntl.flock(other.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    with open(store.paths.lock_file(), "a+b") as other:
        fcntl.flock(other.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)  # released again


def test_a_second_mirrorctl_waits_and_then_gives_a_clear_error(monkeypatch, pip_conf: Path):
    import fcntl

    monkeypatch.setattr(store, "LOCK_WAIT_S", 0.3)
    lock = store.paths.lock_file()
    lock.parent.mkdir(parents=True, exist_ok=True)
    with open(lock, "a+b") as holder:
        fcntl.flock(holder.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        with pytest.raises(StoreError, match="another mirrorctl is still running"):
            core.use(name="tuna", only="pip")
    assert not pip_conf.exists()


def test_umask_decides_the_mode_of_a_new_file(tmp_path: Path):
    old = os.umask(0o077)
    try:
        store.atomic_write(tmp_path / "new.conf", b"x")
    finally:
        os.umask(old)
    assert mode(tmp_path / "new.conf") == 0o600


def test_a_symlinked_condarc_stays_a_link_through_use_and_restore(condarc: Path, tmp_path: Path):
    real = write(tmp_path / "dotfiles" / "condarc", CONDA_BEFORE, mode=0o644)
    condarc.symlink_to(real)
    core.use(name="tuna", only="conda")
    assert condarc.is_symlink() and b"default_channels" in real.read_bytes()
    core.restore()
    assert condarc.is_symlink() and real.read_bytes() == CONDA_BEFORE
