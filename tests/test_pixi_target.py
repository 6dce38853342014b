"""pixi: the [mirrors] table of pixi's config.toml, tested against pixi's source.

No pixi client exists on this machine, so every expectation cites prefix-dev/pixi at 2b25fc7 (2026-08-21):

- crates/pixi_config/src/lib.rs L2534-2550 ``config_path_global``: ``dirs::config_dir()/pixi/config.toml``
  (Linux: ``$XDG_CONFIG_HOME`` when absolute, else ``~/.config``; one of the two, not both), then
  ``pixi_home()/config.toml``; L211-217 ``pixi_home``: ``$PIXI_HOME``, else ``~/.pixi`` (one, not both).
  The docs table (docs/reference/pixi_configuration.md L9-17) lists all four; the code reads two.
- lib.rs L1722-1760 ``load_global_with``: /etc/pixi/config.toml then those files, merged in order;
  ``PIXI_CONFIG_FILE`` replaces all of them, ``PIXI_NO_CONFIG`` (boolish, L168-175) drops all of them; L1798-1815
  ``load_with``: the workspace's ``.pixi/config.toml`` on top in every case.
- lib.rs L1861-1866 ``merge_config``: ``self.mirrors.extend(other.mirrors)``: [mirrors] merge per key, the later
  file wins.
- crates/pixi_cli/src/config.rs L243-266 ``determine_config_write_path``: ``pixi config set --global`` writes the
  first global file that exists but the last, else the last (``~/.pixi/config.toml``).
- PyPI needs both ``https://pypi.org/simple`` and ``https://files.pythonhosted.org/packages`` (REFERENCE.md §D),
  and pixi does not read .condarc.
"""

from __future__ import annotations

import json
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


def test_a_missing_file_is_created_where_pixi_config_set_global_writes(config: Path, isolated_home: Path,
                                                                      tmp_path: Path, monkeypatch):
    """config.rs L243-266: the first existing global file but the last, else the last (pixi_home's)."""
    home_file = isolated_home / ".pixi" / "config.toml"
    assert pixi.write_path() == home_file
    core.use(name="tuna", only="pixi")
    assert pixi.load(home_file.read_text(), home_file).unwrap() == {"mirrors": expected_entries("tuna")}
    assert not config.exists() and core.current(only="pixi")[0].profile == "tuna"
    core.restore()
    assert not home_file.exists()
    write(config, "")
    assert pixi.write_path() == config
    monkeypatch.setenv("PIXI_HOME", str(tmp_path / "pixi-home"))
    config.unlink()
    assert pixi.write_path() == tmp_path / "pixi-home" / "config.toml"


def test_a_later_users_entry_still_wins_until_force(config: Path, isolated_home: Path):
    """~/.pixi/config.toml is read after ~/.config/pixi/config.toml; [mirrors] merge per key (lib.rs L1866)."""
    write(config, "")
    own = '[mirrors]\n"https://pypi.org/simple" = ["https://pypi.corp.example/simple"]\n'
    later = write(isolated_home / ".pixi" / "config.toml", own)
    result = core.use(name="tuna", only="pixi")
    assert [e.path for e in result.edits] == [config] and later.read_text() == own  # the user's: kept
    (state,) = core.current(only="pixi")
    assert state.profile == "mixed"
    index = next(s for s in state.settings if s.value == "https://pypi.org/simple")
    assert index.resolved == ("https://pypi.corp.example/simple",) and index.source.path == later
    assert index.source.line == 2 and index.owner == "custom"
    assert any(f.code == "pixi.shadowed" and f.path == later for f in state.findings)
    edits = pixi.TARGET.plan(profile("tuna"), profiles(), "user", force=True)
    forced = {e.path: e for e in edits if e.changed}
    assert list(forced) == [later]
    assert [(c.before, c.after) for c in forced[later].changes] == [
        ("[https://pypi.corp.example/simple]", "[https://pypi.tuna.tsinghua.edu.cn/simple]")]


def test_mirrorctls_entries_in_a_later_user_file_are_switched_too(config: Path, isolated_home: Path, run):
    """Both user files present: the later one's entries would win, so `use` switches them there as well."""
    write(config, "default-channels = [\"conda-forge\"]\n")
    later = isolated_home / ".pixi" / "config.toml"
    write(later, pixi.render("", profile("ustc"), profiles())[0])
    assert core.current(only="pixi")[0].profile == "ustc"
    result = core.use(name="tuna", only="pixi")
    assert [e.path for e in result.edits] == [config, later]
    assert core.current(only="pixi")[0].profile == "tuna"  # not "mixed": pixi's merge gives TUNA for every key
    assert not any("ustc" in url for url in later.read_text().splitlines())
    shown = run("current", "--only", "pixi").output
    assert ("  mirror        https://pypi.org/simple\n"
            "      -> https://pypi.tuna.tsinghua.edu.cn/simple  [tuna]  from ~/.pixi/config.toml (user scope)") in shown
    listed = json.loads(run("list", "--json").output)
    assert "pixi" in next(p["in_effect"] for p in listed["profiles"] if p["name"] == "tuna")
    core.reset(only="pixi")
    assert config.read_text() == "default-channels = [\"conda-forge\"]\n" and later.read_text() == ""
    assert core.current(only="pixi")[0].profile == "official"
    assert run("restore").exit_code == 0
    assert core.current(only="pixi")[0].profile == "tuna"


def test_pixi_reads_one_config_dir_and_one_pixi_home(config: Path, isolated_home: Path, tmp_path: Path,
                                                     monkeypatch):
    """lib.rs L2534-2550 and L211-217: $XDG_CONFIG_HOME replaces ~/.config, $PIXI_HOME replaces ~/.pixi."""
    tuna = '[mirrors]\n"https://pypi.org/simple" = ["https://pypi.tuna.tsinghua.edu.cn/simple"]\n'
    write(config, tuna)
    write(isolated_home / ".pixi" / "config.toml", tuna)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("PIXI_HOME", str(tmp_path / "pixi-home"))
    assert pixi.search_path()[1:] == [tmp_path / "xdg" / "pixi" / "config.toml",
                                      tmp_path / "pixi-home" / "config.toml"]
    (state,) = core.current(only="pixi")
    assert state.files_read == () and state.profile == "official"
    monkeypatch.setenv("XDG_CONFIG_HOME", "relative/dir")  # not absolute: dirs falls back to ~/.config
    assert pixi.config_dir() == isolated_home / ".config"


def test_config_file_replaces_the_global_files_and_no_config_drops_them(config: Path, tmp_path: Path,
                                                                      monkeypatch):
    """lib.rs L1722-1760: PIXI_CONFIG_FILE is the whole global layer; PIXI_NO_CONFIG (boolish) none of it; the
    workspace's .pixi/config.toml is merged on top either way (L1798-1815)."""
    write(config, '[mirrors]\n"https://pypi.org/simple" = ["https://pypi.tuna.tsinghua.edu.cn/simple"]\n')
    workspace = tmp_path / "ws"
    write(workspace / "pixi.toml", "[workspace]\n")
    local = write(workspace / ".pixi" / "config.toml",
                  '[mirrors]\n"https://conda.anaconda.org/conda-forge" = '
                  '["https://mirrors.ustc.edu.cn/anaconda/cloud/conda-forge"]\n')
    monkeypatch.chdir(workspace)
    other = write(tmp_path / "other.toml", "")
    monkeypatch.setenv("PIXI_CONFIG_FILE", str(other))
    assert pixi.search_path() == [other, local]
    monkeypatch.delenv("PIXI_CONFIG_FILE")
    monkeypatch.setenv("PIXI_NO_CONFIG", "false")
    assert config in pixi.search_path() and pixi.search_path()[-1] == local
    monkeypatch.setenv("PIXI_NO_CONFIG", "yes")
    assert pixi.search_path() == [local]
    (state,) = core.current(only="pixi")
    assert state.profile == "ustc" and [f.code for f in state.findings] == ["pixi.no-config"]
    assert [f.code for f in core.current(only="pixi", scope="project")[0].findings] == []


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


def test_a_users_entry_for_a_url_no_profile_maps_competes_with_nothing(config: Path):
    """lib.rs L1866: entries merge per key; a private channel's key is not one the profile writes, so it stays
    the user's and the profile is still fully in effect. A key the profile does write, pointed elsewhere, wins
    over it: "mixed"."""
    write(config, '[mirrors]\n"https://conda.anaconda.org/my-lab" = ["https://conda.lab.example/my-lab"]\n')
    core.use(name="tuna", only="pixi")
    assert core.current(only="pixi")[0].profile == "tuna"
    assert 'my-lab" = ["https://conda.lab.example/my-lab"]' in config.read_text()
    write(config, config.read_text().replace('"https://pypi.tuna.tsinghua.edu.cn/simple"',
                                             '"https://pypi.lab.example/simple"'))
    assert core.current(only="pixi")[0].profile == "mixed"


def test_a_workspace_index_url_beats_the_pypi_mirror_key(config: Path, tmp_path: Path, monkeypatch, run):
    """pixi_manifest toml/manifest.rs L988 + pypi/pypi_options.rs L155-159: [pypi-options] index-url is the
    workspace's primary PyPI index; [mirrors] rewrites only URLs under its keys (rattler mirror_middleware)."""
    write(config, "")
    core.use(name="tuna", only="pixi")
    workspace = tmp_path / "ws"
    manifest = write(workspace / "pixi.toml", '[workspace]\nchannels = ["conda-forge"]\n\n[pypi-options]\n'
                                              'index-url = "https://mirrors.aliyun.com/pypi/simple"\n')
    monkeypatch.chdir(workspace)
    (state,) = core.current(only="pixi")
    assert state.profile == "mixed"
    assert [(f.code, f.path, f.line) for f in state.findings] == [("pixi.manifest-index", manifest, 5)]
    assert "  index-url     https://mirrors.aliyun.com/pypi/simple" in run("current", "--only", "pixi").output
    write(manifest, manifest.read_text().replace("mirrors.aliyun.com/pypi", "pypi.tuna.tsinghua.edu.cn"))
    assert core.current(only="pixi")[0].profile == "tuna"
