"""pixi: the [mirrors] table of pixi's config.toml, tested against pixi's documented semantics.

No pixi client exists on this machine, so every expectation comes from pixi's own documentation
(prefix-dev/pixi ``docs/reference/pixi_configuration.md``, v0.77.0+): the file order
(/etc/pixi, ~/.config/pixi, $XDG_CONFIG_HOME/pixi, ~/.pixi, $PIXI_HOME; later wins), ``[mirrors]`` keys are URL
prefixes merged per key across files, PyPI needs both ``https://pypi.org/simple`` and
``https://files.pythonhosted.org/packages``, and pixi does not read .condarc.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import messages, write

from mirrorctl import core
from mirrorctl.errors import ConfigParseError
from mirrorctl.profiles import load_profiles
from mirrorctl.targets import pixi
from mirrorctl.urls import join

REALISTIC = """\
# pixi settings — 我的配置
default-channels = ["conda-forge"]
tls-no-verify = false

[mirrors]
# bioconda comes from prefix.dev (my own choice)
"https://conda.anaconda.org/bioconda" = ["https://prefix.dev/bioconda"]

[repodata-config]
disable-jlap = true  # slow proxy
"""


def profiles():
    return list(load_profiles().profiles)


def profile(name):
    return load_profiles().get(name)


def expected_entries(name: str) -> dict[str, list[str]]:
    """What the docs say a profile means for pixi: one key per mirrored cloud channel, plus PyPI's two keys."""
    chosen = profile(name)
    entries = {f"https://conda.anaconda.org/{channel}": [join(base, channel)]
               for channel, base in chosen.conda.custom_channels.items()}
    entries["https://pypi.org/simple"] = [chosen.pypi.index_url]
    if chosen.pypi.files:
        entries["https://files.pythonhosted.org/packages"] = [chosen.pypi.files]
    return entries


@pytest.fixture
def config(isolated_home: Path) -> Path:
    """The user file pixi reads on Linux with XDG_CONFIG_HOME=~/.config (pixi_configuration.md, Linux table)."""
    return isolated_home / ".config" / "pixi" / "config.toml"


def test_use_tuna_keeps_comments_unrelated_keys_and_the_users_own_mirror():
    """TUNA as pixi mirrors: conda-forge -> TUNA cloud, pypi.org/simple and files.pythonhosted.org/packages."""
    new, findings = pixi.render(REALISTIC, profile("tuna"), profiles())
    data = pixi.load(new, None).unwrap()
    assert data["default-channels"] == ["conda-forge"] and data["repodata-config"] == {"disable-jlap": True}
    wanted = expected_entries("tuna")
    del wanted["https://conda.anaconda.org/bioconda"]  # the user's own entry wins over the profile's
    assert data["mirrors"] == {"https://conda.anaconda.org/bioconda": ["https://prefix.dev/bioconda"], **wanted}
    assert data["mirrors"]["https://files.pythonhosted.org/packages"] == [
        "https://mirrors.tuna.tsinghua.edu.cn/pypi/web/packages"]
    for kept in ("# pixi settings — 我的配置", "# bioconda comes from prefix.dev", "disable-jlap = true  # slow proxy"):
        assert kept in new
    assert new.startswith(REALISTIC.split("[repodata-config]")[0].rstrip("\n"))
    assert findings == []


def test_switching_and_reset_remove_only_what_a_mirror_owns():
    with_tuna, _ = pixi.render(REALISTIC, profile("tuna"), profiles())
    with_ustc, notes = pixi.render(with_tuna, profile("ustc"), profiles())
    mirrors = pixi.load(with_ustc, None).unwrap()["mirrors"]
    assert not any("tuna" in url for urls in mirrors.values() for url in urls)
    assert mirrors["https://conda.anaconda.org/conda-forge"] == [
        "https://mirrors.ustc.edu.cn/anaconda/cloud/conda-forge"]
    # USTC documents no PyPI files host: no files mirror, and a note says so.
    assert "https://files.pythonhosted.org/packages" not in mirrors
    assert messages(notes) == ["ustc has no known host for PyPI package files: files.pythonhosted.org is not "
                               "mirrored (add `files = URL` to the profile's [pypi] table)"]
    reset, notes = pixi.render(with_ustc, None, profiles())
    assert reset == REALISTIC
    assert messages(notes) == ["kept [mirrors] entries that no profile writes: https://conda.anaconda.org/bioconda"]
    # official is upstream: the same as a reset
    assert pixi.render(with_tuna, profile("official"), profiles())[0] == REALISTIC


def test_a_table_mirrorctl_created_goes_away_on_reset_and_crlf_stays():
    text = "default-channels = [\"conda-forge\"]\r\n"
    with_tuna, _ = pixi.render(text, profile("tuna"), profiles())
    assert "\r\n[mirrors]\r\n" in with_tuna and "\n" not in with_tuna.replace("\r\n", "")
    assert pixi.render(with_tuna, None, profiles())[0] == text


def test_invalid_files_are_refused_untouched_with_file_and_line(config: Path):
    for text, line in (("[mirrors]\n\"https://pypi.org/simple\" = [\"https://a.example/simple\"\n", 2),
                       ("a = 1\n[mirrors]\n\"https://pypi.org/simple\" = \"https://a.example/simple\"\n", 3),
                       ("x = 1\nmirrors = 5\n", 2)):
        write(config, text)
        with pytest.raises(ConfigParseError) as caught:
            core.use(name="tuna", only="pixi")
        assert caught.value.path == config and caught.value.line == line, (text, caught.value)
        assert config.read_text() == text


def test_dry_run_shows_the_diff_and_writes_nothing(config: Path):
    write(config, REALISTIC)
    result = core.use(name="tuna", only="pixi", dry_run=True)
    assert config.read_text() == REALISTIC
    (edit,) = result.edits
    assert edit.path == config and edit.old == REALISTIC.encode()
    keys = {change.key: change.after for change in edit.changes}
    assert keys["mirrors https://pypi.org/simple"] == "[https://pypi.tuna.tsinghua.edu.cn/simple]"
    assert "mirrors https://conda.anaconda.org/bioconda" not in keys
    (state,) = result.after
    # The user's prefix.dev entry is a mirror entry that is not TUNA's: the truth rule says "mixed".
    assert state.profile == "mixed"
    assert [h.code for h in result.hints] == ["pixi.lock-urls"]


def test_use_then_restore_is_byte_exact_and_current_follows(config: Path):
    original = REALISTIC.replace("\n", "\r\n").replace('"https://conda.anaconda.org/bioconda" = '
                                                       '["https://prefix.dev/bioconda"]\r\n', "").encode()
    write(config, original)
    assert core.current(only="pixi")[0].profile == "official"
    core.use(name="tuna", only="pixi")
    (state,) = core.current(only="pixi")
    assert state.profile == "tuna" and state.write_path == config
    assert {s.value for s in state.settings} == set(expected_entries("tuna"))
    core.restore()
    assert config.read_bytes() == original


def test_a_missing_file_is_created_and_restore_removes_it(config: Path):
    core.use(name="tuna", only="pixi")
    assert pixi.load(config.read_text(), config).unwrap() == {"mirrors": expected_entries("tuna")}
    core.restore()
    assert not config.exists()


def test_a_later_file_shadows_the_written_one(config: Path, isolated_home: Path):
    """~/.pixi/config.toml is read after ~/.config/pixi/config.toml; [mirrors] merge per key (pixi_configuration.md)."""
    later = write(isolated_home / ".pixi" / "config.toml",
                  '[mirrors]\n"https://pypi.org/simple" = ["https://pypi.corp.example/simple"]\n')
    core.use(name="tuna", only="pixi")
    (state,) = core.current(only="pixi")
    assert state.profile == "mixed"
    index = next(s for s in state.settings if s.value == "https://pypi.org/simple")
    assert index.resolved == ("https://pypi.corp.example/simple",) and index.source.path == later
    assert index.source.line == 2 and index.owner == "custom"
    assert any(f.code == "pixi.shadowed" and f.path == later for f in state.findings)


def test_pixi_home_and_system_files_are_read(isolated_home: Path, tmp_path: Path, monkeypatch):
    system = write(tmp_path / "system" / "etc" / "pixi" / "config.toml",
                   '[mirrors]\n"https://conda.anaconda.org/conda-forge" = '
                   '["https://mirrors.ustc.edu.cn/anaconda/cloud/conda-forge"]\n')
    monkeypatch.setenv("PIXI_HOME", str(tmp_path / "pixi-home"))
    home_file = write(tmp_path / "pixi-home" / "config.toml",
                      '[mirrors]\n"https://pypi.org/simple" = ["https://mirrors.ustc.edu.cn/pypi/simple"]\n')
    (state,) = core.current(only="pixi")
    assert state.files_read == (system, home_file)
    assert state.profile == "ustc"


def test_pixi_no_config_and_pixi_config_file_are_reported(config: Path, monkeypatch):
    write(config, '[mirrors]\n"https://pypi.org/simple" = ["https://pypi.tuna.tsinghua.edu.cn/simple"]\n')
    assert core.current(only="pixi")[0].profile == "tuna"
    monkeypatch.setenv("PIXI_NO_CONFIG", "1")
    (state,) = core.current(only="pixi")
    assert state.profile == "official" and [f.code for f in state.findings] == ["pixi.no-config"]
    monkeypatch.delenv("PIXI_NO_CONFIG")
    monkeypatch.setenv("PIXI_CONFIG_FILE", str(config.parent / "other.toml"))
    assert [f.code for f in core.current(only="pixi")[0].findings] == ["pixi.config-file"]


def test_a_broken_file_makes_the_label_unknown(config: Path):
    write(config, "[mirrors\n")
    (state,) = core.current(only="pixi")
    assert state.profile is None and state.findings[0].code == "file-refused" and state.findings[0].line == 1


def test_present_is_a_config_file_or_pixi_on_path(config: Path, monkeypatch, tmp_path: Path):
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))
    assert not pixi.TARGET.present()
    write(tmp_path / "empty-bin" / "pixi", "#!/bin/sh\n", mode=0o755)
    assert pixi.TARGET.present()
    monkeypatch.setenv("PATH", str(tmp_path / "nowhere"))
    write(config, "")
    assert pixi.TARGET.present()


def test_a_profile_files_host_is_optional_and_checked(tmp_path: Path):
    from mirrorctl.errors import ProfileError
    from mirrorctl.profiles import parse_profile

    plain = parse_profile(tmp_path / "campus.toml", {"pypi": {"index": "https://p.example/simple"}}, builtin=False)
    assert plain.pypi.files is None
    with_files = parse_profile(tmp_path / "campus.toml", {"pypi": {"index": "https://p.example/simple",
                                                                   "files": "https://p.example/packages"}},
                               builtin=False)
    assert pixi.wanted(with_files)["https://files.pythonhosted.org/packages"] == "https://p.example/packages"
    with pytest.raises(ProfileError, match=r"pypi\.files"):
        parse_profile(tmp_path / "campus.toml", {"pypi": {"index": "https://p.example/simple", "files": 3}},
                      builtin=False)
