"""Where each tool's files are on each platform, as each tool's source says (each target module cites it)."""

from __future__ import annotations

from pathlib import Path

import pytest

from mirrorctl import paths
from mirrorctl.targets import conda, pip


@pytest.fixture
def on(monkeypatch):
    def switch(system: str) -> None:
        monkeypatch.setattr(paths, "platform", lambda: system)

    return switch


def test_pip_on_linux(isolated_home: Path, tmp_path: Path):
    assert pip.user_files() == [isolated_home / ".pip" / "pip.conf", isolated_home / ".config" / "pip" / "pip.conf"]
    assert pip.global_files() == [tmp_path / "system" / "etc" / "xdg" / "pip" / "pip.conf",  # XDG_CONFIG_DIRS
                                  tmp_path / "system" / "etc" / "pip.conf"]
    assert pip.site_files() == [tmp_path / "venv" / "pip.conf"]


def test_pip_on_macos(on, isolated_home: Path):
    on("darwin")
    assert pip.write_path() == isolated_home / ".config" / "pip" / "pip.conf"
    (isolated_home / "Library" / "Application Support" / "pip").mkdir(parents=True)
    assert pip.user_files() == [isolated_home / ".pip" / "pip.conf",
                                isolated_home / "Library" / "Application Support" / "pip" / "pip.conf"]


def test_pip_on_windows(on, isolated_home: Path, tmp_path: Path):
    on("win32")
    assert pip.user_files() == [isolated_home / "pip" / "pip.ini",
                                isolated_home / "AppData" / "Roaming" / "pip" / "pip.ini"]
    assert pip.global_files() == [tmp_path / "system" / "ProgramData" / "pip" / "pip.ini"]


def test_pip_config_file_devnull_means_no_files(monkeypatch):
    import os

    monkeypatch.setenv("PIP_CONFIG_FILE", os.devnull)
    files, notes = pip.load_order()
    assert files == [] and notes[0].code == "config-env-disables-files"


def test_conda_search_path_order(monkeypatch, isolated_home: Path, tmp_path: Path):
    monkeypatch.setenv("CONDA_EXE", str(tmp_path / "miniforge" / "bin" / "conda"))
    monkeypatch.setenv("CONDA_PREFIX", str(tmp_path / "envs" / "work"))
    (isolated_home / ".conda" / "condarc.d").mkdir(parents=True)
    (isolated_home / ".conda" / "condarc.d" / "b.yml").write_text("")
    (isolated_home / ".conda" / "condarc.d" / "a.yaml").write_text("")
    found = conda.search_path()
    system = tmp_path / "system"
    assert found[:4] == [system / "etc" / "conda" / ".condarc", system / "etc" / "conda" / "condarc",
                         system / "var" / "lib" / "conda" / ".condarc", system / "var" / "lib" / "conda" / "condarc"]
    assert found[4] == tmp_path / "miniforge" / ".condarc"
    order = [str(p.relative_to(tmp_path)) for p in found[6:]]
    assert order == [
        "home/.config/conda/.condarc", "home/.config/conda/condarc",  # $XDG_CONFIG_HOME/conda (= ~/.config here)
        "home/.conda/.condarc", "home/.conda/condarc", "home/.conda/condarc.d/a.yaml", "home/.conda/condarc.d/b.yml",
        "home/.condarc",
        "envs/work/.condarc", "envs/work/condarc",
    ]


def test_every_tool_module_is_named_after_its_tool():
    from mirrorctl.targets import base

    assert [t.name for t in base.all_targets()][:2] == ["pip", "conda"]
    assert sorted(base.tool_names()) == sorted(t.name for t in base.all_targets())
