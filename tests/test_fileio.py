"""Bounded, non-blocking reads of configuration files, and the refusal to write through to anything but a file.

Device nodes are always made with mknod inside tmp_path (as root) and never taken from /dev: a write through
a symlink to the real /dev/null would replace the machine's /dev/null.
"""

from __future__ import annotations

import contextlib
import os
import socket
import stat
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Callable

import pytest
from conftest import write

from mirrorctl import fileio, store
from mirrorctl.errors import ConfigParseError, StoreError

IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0


def finishes(call: Callable[[], object], *, within: float = 5.0) -> object:
    """``call()``'s result (or the exception it raised); fails the test instead of hanging on a FIFO."""
    outcome: list[object] = []

    def target() -> None:
        try:
            outcome.append(call())
        except BaseException as exc:
            outcome.append(exc)

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(within)
    assert not thread.is_alive(), f"still blocked after {within} s"
    return outcome[0]


def unblock(path: Path) -> None:
    """A reader blocked in open() by a bug would keep the test process alive: give it a writer."""
    with contextlib.suppress(OSError):
        os.close(os.open(path, os.O_WRONLY | os.O_NONBLOCK))


@pytest.fixture
def fifo(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "fifo.conf"
    os.mkfifo(path)
    yield path
    unblock(path)


@pytest.fixture
def device(tmp_path: Path) -> Path:
    """A character device of our own (a null device, major 1 minor 3 on Linux)."""
    if not IS_ROOT:
        pytest.skip("creating a device node needs root")
    path = tmp_path / "null-device"
    os.mknod(path, stat.S_IFCHR | 0o666, os.makedev(1, 3))
    return path


def refusal(call: Callable[[], object]) -> ConfigParseError:
    outcome = finishes(call)
    assert isinstance(outcome, ConfigParseError), outcome
    assert "\n" not in str(outcome)
    return outcome


def test_absent_file_is_none_and_a_regular_file_is_its_bytes(tmp_path: Path):
    assert fileio.read_config(tmp_path / "missing.conf") is None
    assert fileio.read_config(tmp_path / "no-dir" / "missing.conf") is None
    assert fileio.read_config(write(tmp_path / "f.conf", b"[global]\r\nx = 1\r\n")) == b"[global]\r\nx = 1\r\n"


def test_a_file_under_a_file_is_absent_as_pip_treats_it(tmp_path: Path):
    parent = write(tmp_path / "pip", "not a directory")
    assert fileio.read_config(parent / "pip.conf") is None


def test_a_fifo_is_refused_without_blocking(fifo: Path):
    error = refusal(lambda: fileio.read_config(fifo))
    assert str(error) == f"{fifo}: is a named pipe (FIFO), not a regular file"


def test_a_fifo_behind_a_symlink_is_refused_without_blocking(fifo: Path, tmp_path: Path):
    link = tmp_path / "pip.conf"
    link.symlink_to(fifo)
    assert str(refusal(lambda: fileio.read_config(link))) == f"{link}: is a named pipe (FIFO), not a regular file"


def test_a_socket_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(tmp_path)  # a relative bind: AF_UNIX paths are limited to ~108 bytes
    with socket.socket(socket.AF_UNIX) as server:
        server.bind("sock.conf")
        error = refusal(lambda: fileio.read_config(tmp_path / "sock.conf"))
    assert str(error).endswith("sock.conf: is a socket, not a regular file")


def test_a_device_behind_a_symlink_is_refused(device: Path, tmp_path: Path):
    link = tmp_path / "pip.conf"
    link.symlink_to(device)
    assert str(refusal(lambda: fileio.read_config(link))) == f"{link}: is a character device, not a regular file"


def test_a_directory_and_a_symlink_loop_are_refused(tmp_path: Path):
    (tmp_path / "dir.conf").mkdir()
    assert str(refusal(lambda: fileio.read_config(tmp_path / "dir.conf"))).endswith(
        "dir.conf: is a directory, not a file")
    (tmp_path / "a.conf").symlink_to("b.conf")
    (tmp_path / "b.conf").symlink_to("a.conf")
    assert str(refusal(lambda: fileio.read_config(tmp_path / "a.conf"))).endswith("a.conf: is a symlink loop")


def test_the_size_limit_is_exact(tmp_path: Path):
    path = write(tmp_path / "big.conf", b"#" * 1024)
    assert fileio.read_config(path, limit=1024) == b"#" * 1024
    error = refusal(lambda: fileio.read_config(path, limit=1023))
    assert str(error) == f"{path}: is 1.0 KiB, over the 1023 bytes mirrorctl reads from a configuration file"
    assert fileio.MAX_CONFIG_BYTES == 1024 * 1024


def test_a_file_that_grows_after_the_size_check_is_still_bounded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    path = write(tmp_path / "grows.conf", b"small")
    real_fstat = os.fstat

    def fstat_then_grow(fd: int) -> os.stat_result:
        result = real_fstat(fd)
        with open(path, "ab") as handle:  # another process appends between the checks and the read
            handle.write(b"#" * 4096)
        return result

    monkeypatch.setattr(fileio.os, "fstat", fstat_then_grow)
    assert "over the 100 bytes" in str(refusal(lambda: fileio.read_config(path, limit=100)))


def test_a_fifo_swapped_in_after_the_checks_never_blocks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    path = write(tmp_path / "pip.conf", b"[global]\n")
    real_lstat = os.lstat
    swapped: list[bool] = []

    def lstat_then_swap(target: os.PathLike[str] | str) -> os.stat_result:
        result = real_lstat(target)
        if os.fspath(target) == str(path) and stat.S_ISREG(result.st_mode) and not swapped:
            swapped.append(True)  # once (the home guard's audit hook calls lstat too)
            os.unlink(path)  # an attacker replaces the checked file with a FIFO before it is opened
            os.mkfifo(path)
        return result

    monkeypatch.setattr(fileio.os, "lstat", lstat_then_swap)
    try:
        error = refusal(lambda: fileio.read_config(path))
    finally:
        unblock(path)
    assert swapped and str(error) == f"{path}: is a named pipe (FIFO), not a regular file"


@pytest.mark.skipif(IS_ROOT, reason="root reads files whatever their mode")
def test_an_unreadable_file_is_a_one_line_error(tmp_path: Path):
    path = write(tmp_path / "secret.conf", "x", mode=0o000)
    assert str(refusal(lambda: fileio.read_config(path))) == f"{path}: cannot read: Permission denied"


def test_writable_target_accepts_files_and_absence(tmp_path: Path):
    regular = write(tmp_path / "dotfiles" / "pip.conf", "x")
    link = tmp_path / "pip.conf"
    link.symlink_to(regular)
    assert fileio.check_writable_target(link) == regular
    assert fileio.check_writable_target(tmp_path / "new.conf") == tmp_path / "new.conf"
    dangling = tmp_path / "dangling.conf"
    dangling.symlink_to(tmp_path / "later" / "real.conf")
    assert fileio.check_writable_target(dangling) == tmp_path / "later" / "real.conf"


def test_writable_target_refuses_devices_fifos_directories_and_loops(device: Path, fifo: Path, tmp_path: Path):
    link = tmp_path / "pip.conf"
    link.symlink_to(device)
    (tmp_path / "dir.conf").mkdir()
    (tmp_path / "a.conf").symlink_to("b.conf")
    (tmp_path / "b.conf").symlink_to("a.conf")
    expected = {
        link: f"{link}: is a character device, not a regular file; mirrorctl writes only regular files",
        fifo: f"{fifo}: is a named pipe (FIFO), not a regular file; mirrorctl writes only regular files",
        tmp_path / "dir.conf": f"{tmp_path / 'dir.conf'}: is a directory, not a regular file; "
                               "mirrorctl writes only regular files",
        tmp_path / "a.conf": f"{tmp_path / 'a.conf'}: is a symlink loop; mirrorctl writes only regular files",
    }
    for path, message in expected.items():
        with pytest.raises(StoreError) as caught:
            fileio.check_writable_target(path)
        assert str(caught.value) == message


def test_atomic_write_never_replaces_a_device_behind_a_symlink(device: Path, tmp_path: Path):
    link = tmp_path / "pip.conf"
    link.symlink_to(device)
    with pytest.raises(OSError, match="not a regular file"):
        store.atomic_write(link, b"[global]\n")
    assert stat.S_ISCHR(os.lstat(device).st_mode) and link.is_symlink()


# ---------------------------------------------------------------------------------------------------------
# Every command, end to end


def test_use_and_current_refuse_a_fifo_pip_conf_in_one_line(run, pip_conf: Path):
    pip_conf.parent.mkdir(parents=True)
    os.mkfifo(pip_conf)
    try:
        used = finishes(lambda: run("use", "tuna"))
        current = finishes(lambda: run("current"))
    finally:
        unblock(pip_conf)
    assert used.exit_code == 1  # type: ignore[attr-defined]
    assert used.output == (  # type: ignore[attr-defined]
        "mirrorctl: error: ~/.config/pip/pip.conf: is a named pipe (FIFO), not a regular file\n")
    assert current.exit_code == 1  # type: ignore[attr-defined]  # pip cannot use its file: current says so
    assert current.output.splitlines()[0] == (  # type: ignore[attr-defined]
        "pip: pip cannot read ~/.config/pip/pip.conf: is a named pipe (FIFO), not a regular file")
    assert stat.S_ISFIFO(os.lstat(pip_conf).st_mode)


def test_use_never_replaces_a_device_behind_a_symlinked_pip_conf(run, pip_conf: Path, device: Path):
    pip_conf.parent.mkdir(parents=True)
    pip_conf.symlink_to(device)
    result = run("use", "tuna", "--only", "pip")
    assert result.exit_code == 1
    assert result.output == "mirrorctl: error: ~/.config/pip/pip.conf: is a character device, not a regular file\n"
    assert stat.S_ISCHR(os.lstat(device).st_mode) and pip_conf.is_symlink()
    assert run("backups").output == "no backups yet\n"


def test_restore_refuses_to_write_over_a_device(run, pip_conf: Path, device: Path):
    assert run("use", "tuna", "--only", "pip").exit_code == 0
    pip_conf.unlink()
    pip_conf.symlink_to(device)  # the restore would have to delete it (it did not exist before `use`)
    result = run("restore")
    assert result.exit_code == 1
    assert result.output == ("mirrorctl: error: ~/.config/pip/pip.conf: cannot back up: is a character device, "
                             "not a regular file\n")
    assert stat.S_ISCHR(os.lstat(device).st_mode) and pip_conf.is_symlink()


def test_an_oversized_condarc_is_refused_quickly(run, condarc: Path):
    write(condarc, b"channels:\n  - defaults\n# " + b"x" * (2 * 1024 * 1024) + b"\n")
    result = run("use", "tuna", "--only", "conda")
    assert result.exit_code == 1
    assert result.output == ("mirrorctl: error: ~/.condarc: is 2.0 MiB, over the 1.0 MiB mirrorctl reads from a "
                             "configuration file\n")


def test_an_oversized_user_profile_is_reported_not_read(run, tmp_path: Path):
    write(tmp_path / "mirrorctl" / "profiles" / "huge.toml", b'name = "huge"\n#' + b"x" * (1024 * 1024) + b"\n")
    result = run("list")
    assert result.exit_code == 1  # list shows every profile that loaded, and exits 1 for the one that did not
    assert "huge.toml: is 1.0 MiB, over the 1.0 MiB mirrorctl reads from a configuration file" in result.output


def test_an_oversized_condarc_is_one_tools_error_in_current_and_the_others_are_still_shown(run, condarc: Path,
                                                                                          pip_conf: Path):
    write(pip_conf, "[global]\nindex-url = https://pypi.tuna.tsinghua.edu.cn/simple\n")
    write(condarc, b"channels:\n  - defaults\n# " + b"x" * (2 * 1024 * 1024) + b"\n")
    result = run("current", "--only", "pip", "--only", "conda")
    assert result.exit_code == 1
    assert result.output.startswith("pip: tuna\n")
    assert ("conda: mirrorctl does not read ~/.condarc for conda: is 2.0 MiB, over the 1.0 MiB mirrorctl reads "
            "from a configuration file\n") in result.output
