"""The isolation every other test relies on."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from conftest import REAL_HOMES, RealHomeAccess

from mirrorctl import paths
from mirrorctl.targets import conda, pip


def test_every_location_points_into_the_temp_home(tmp_path: Path):
    locations = [paths.home(), paths.mirrorctl_config_dir(), paths.backups_dir(), pip.write_path(),
                 conda.write_path(), *pip.user_files(), *pip.global_files(), *pip.site_files(), *conda.search_path()]
    for location in locations:
        assert str(location).startswith(str(tmp_path)), location
    for home in REAL_HOMES:
        assert not str(paths.home()).startswith(home)


def test_guard_refuses_a_write_to_the_real_home(expect_guard_violation):
    real_home = Path(sorted(REAL_HOMES)[0])
    probe = real_home / ".config" / "mirrorctl-guard-probe.txt"
    with pytest.raises(RealHomeAccess):
        probe.write_text("must never be written")
    assert not probe.exists()
    assert expect_guard_violation.violations, "the guard recorded nothing"


def test_guard_refuses_reading_the_real_pip_config(expect_guard_violation):
    real_home = Path(sorted(REAL_HOMES)[0])
    with pytest.raises(RealHomeAccess):
        open(real_home / ".config" / "pip" / "pip.conf", encoding="utf-8")  # noqa: SIM115
    assert any("pip.conf" in v for v in expect_guard_violation.violations)


def test_proxy_and_tool_variables_are_cleared():
    assert "PIP_INDEX_URL" not in os.environ
    assert "CONDA_PREFIX" not in os.environ
    assert not Path(os.environ["PIP_CONFIG_FILE"]).exists()


def test_linux_directories_agree_with_platformdirs(monkeypatch):
    import platformdirs

    if paths.platform() != "linux":
        return
    monkeypatch.delenv("MIRRORCTL_HOME")
    assert paths.mirrorctl_config_dir() == Path(platformdirs.user_config_dir("mirrorctl", appauthor=False))
    assert paths.mirrorctl_state_dir() == Path(platformdirs.user_state_dir("mirrorctl", appauthor=False))
    monkeypatch.setenv("XDG_CONFIG_HOME", "")
    monkeypatch.setenv("XDG_STATE_HOME", " ")
    assert paths.mirrorctl_config_dir() == Path(platformdirs.user_config_dir("mirrorctl", appauthor=False))
    assert paths.mirrorctl_state_dir() == Path(platformdirs.user_state_dir("mirrorctl", appauthor=False))



def test_the_after_test_check_sees_what_a_child_process_left_in_a_home(tmp_path: Path):
    # A child process escapes the audit hook: what it leaves behind is compared after each test instead. Here a
    # stand-in home takes the real one's place, and a child process with no HOME writes where mirrorctl would.
    import subprocess
    import sys

    import conftest

    stand_in = tmp_path / "stand-in-home"
    stand_in.mkdir()
    from unittest import mock

    with mock.patch.object(conftest, "REAL_HOMES", {str(stand_in)}):  # only here: the real check runs after
        before = conftest._real_home_marks()
        subprocess.run([sys.executable, "-c", "import os; os.makedirs(os.path.expanduser('~/.cache/mirrorctl'))"],
                       env={"PATH": "/usr/bin:/bin", "HOME": str(stand_in)}, check=True, timeout=60)
        after = conftest._real_home_marks()
    assert [path for path, mark in after.items() if mark != before[path]] == [str(stand_in / ".cache/mirrorctl")]
