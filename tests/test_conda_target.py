"""conda: round trips on realistic .condarc files, and what `current` explains."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import messages, setting, write

from mirrorctl import core
from mirrorctl.errors import ConfigParseError
from mirrorctl.profiles import load_profiles
from mirrorctl.targets import conda

TUNA = "https://mirrors.tuna.tsinghua.edu.cn/anaconda"

REALISTIC = """\
# My conda settings — 我的配置
channels:
  - defaults
  - conda-forge   # community packages
  - https://conda.corp.example/internal
ssl_verify: "/etc/ssl/corp.pem"  #!final
envs_dirs:
  - ~/envs
pkgs_dirs: ['/data/pkgs', "/scratch/pkgs"]
proxy_servers:
  https: http://proxy.corp.example:3128

# private channels live here
custom_channels:
  private: https://conda.corp.example/channels   # company mirror
auto_activate_base: false
"""


def profiles():
    return list(load_profiles().profiles)


def profile(name):
    return load_profiles().get(name)


def test_use_tuna_on_a_realistic_file_keeps_everything_else_byte_for_byte():
    new, notes = conda.render(REALISTIC, profile("tuna"), profiles())
    custom = "\n".join(f"  {c}: {TUNA}/cloud" for c in profile("tuna").conda.custom_channels)
    expected = REALISTIC.replace(
        "  private: https://conda.corp.example/channels   # company mirror\n",
        "  private: https://conda.corp.example/channels   # company mirror\n" + custom + "\n",
    ) + (
        "default_channels:\n"
        f"  - {TUNA}/pkgs/main\n  - {TUNA}/pkgs/r\n  - {TUNA}/pkgs/msys2\n"
        "show_channel_urls: true\n"
    )
    assert new == expected
    assert notes == []


def test_switching_tuna_to_ustc_removes_what_tuna_wrote_and_keeps_private_channels():
    with_tuna, _ = conda.render(REALISTIC, profile("tuna"), profiles())
    with_ustc, notes = conda.render(with_tuna, profile("ustc"), profiles())
    data = conda.load(with_ustc, None)
    assert "default_channels" not in data
    assert dict(data["custom_channels"]) == {
        "private": "https://conda.corp.example/channels",
        "conda-forge": "https://mirrors.ustc.edu.cn/anaconda/cloud",
        "bioconda": "https://mirrors.ustc.edu.cn/anaconda/cloud",
    }
    assert any("does not mirror pkgs/main" in n for n in messages(notes))
    assert "# company mirror" in with_ustc and "#!final" in with_ustc and "我的配置" in with_ustc


def test_reset_returns_a_tuna_switch_to_the_original_text():
    with_tuna, _ = conda.render(REALISTIC, profile("tuna"), profiles())
    reset, notes = conda.render(with_tuna, None, profiles())
    assert reset == REALISTIC + "show_channel_urls: true\n"
    assert messages(notes) == ["kept custom_channels that no profile writes: private"]


def test_comment_block_after_a_removed_entry_survives():
    text = (
        "custom_channels:\n  conda-forge: https://mirrors.tuna.tsinghua.edu.cn/anaconda/cloud\n"
        "  pytorch: https://mirrors.tuna.tsinghua.edu.cn/anaconda/cloud\n\n# about the next key\nthreads: 4\n"
    )
    reset, _ = conda.render(text, None, profiles())
    assert reset == "# about the next key\nthreads: 4\n"
    middle = "a: 1\n" + text.replace("  pytorch: https://mirrors.tuna.tsinghua.edu.cn/anaconda/cloud\n", "")
    assert conda.render(middle, None, profiles())[0] == "a: 1\n\n# about the next key\nthreads: 4\n"


def test_empty_and_comment_only_files():
    new, _ = conda.render("", profile("ustc"), profiles())
    assert new == ("channels:\n  - defaults\ncustom_channels:\n"
                   "  conda-forge: https://mirrors.ustc.edu.cn/anaconda/cloud\n"
                   "  bioconda: https://mirrors.ustc.edu.cn/anaconda/cloud\nshow_channel_urls: true\n")
    commented, _ = conda.render("# nothing yet\n", profile("ustc"), profiles())
    assert commented == "# nothing yet\n" + new


def test_dash_under_key_style_and_crlf_are_kept():
    text = "channels:\r\n- defaults\r\n- conda-forge\r\nshow_channel_urls: true\r\n"
    new, _ = conda.render(text, profile("tuna"), profiles())
    assert "\n" not in new.replace("\r\n", "")
    assert new.startswith("channels:\r\n- defaults\r\n- conda-forge\r\nshow_channel_urls: true\r\n")
    assert f"default_channels:\r\n- {TUNA}/pkgs/main\r\n" in new


def test_channels_without_defaults_are_not_changed_but_explained():
    text = "channels:\n  - conda-forge\n"
    new, notes = conda.render(text, profile("tuna"), profiles())
    assert new.startswith(f"channels:\n  - conda-forge\ndefault_channels:\n  - {TUNA}/pkgs/main\n")
    assert messages(notes) == [
        "`channels` does not list `defaults`, so default_channels (pkgs/main, pkgs/r) is not used"]


def test_no_change_needed_returns_the_same_text():
    once, _ = conda.render(REALISTIC, profile("tuna"), profiles())
    twice, _ = conda.render(once, profile("tuna"), profiles())
    assert twice == once


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ("channels:\n\t- defaults\n", 2, "tab used for indentation"),
        ("- defaults\n- conda-forge\n", 1, "top level must be a mapping"),
        ("channels: [defaults\n", 2, ""),
        ("channels: []\nchannels: [x]\n", 2, "duplicate key"),
    ],
)
def test_invalid_files_are_refused_with_their_line(text, line, words, condarc: Path, pip_conf: Path):
    write(condarc, text)
    with pytest.raises(ConfigParseError) as caught:
        core.use(name="tuna")
    assert caught.value.path == condarc
    assert caught.value.line == line
    assert words in caught.value.message
    assert condarc.read_text() == text
    assert not pip_conf.exists(), "pip must not be written when conda's file is invalid"


def test_current_resolves_defaults_and_named_channels(condarc: Path, tmp_path: Path):
    write(condarc, conda.render(REALISTIC, profile("tuna"), profiles())[0])
    state = core.current(only="conda")[0]
    assert state.profile == "mixed"  # the corp URL is nobody's mirror: not "tuna"
    assert state.label.parts == (("tuna", 4), ("custom", 1))
    assert setting(state, "channel", "defaults").resolved == (
        f"{TUNA}/pkgs/main", f"{TUNA}/pkgs/r", f"{TUNA}/pkgs/msys2")
    assert setting(state, "channel", "conda-forge").resolved == (f"{TUNA}/cloud/conda-forge",)
    internal = setting(state, "channel", "https://conda.corp.example/internal")
    assert (internal.via, internal.owner) == ("URL", "custom")


def test_current_warns_when_another_file_or_variable_overrides(condarc: Path, tmp_path: Path, monkeypatch):
    write(condarc, "channels: [defaults]\ndefault_channels: [https://mirrors.tuna.tsinghua.edu.cn/anaconda/pkgs/main]\n")
    write(tmp_path / "system" / "etc" / "conda" / ".condarc", "default_channels: [https://old.example/pkgs/main]\n")
    monkeypatch.setenv("CONDA_CHANNEL_ALIAS", "https://alias.example")
    state = core.current(only="conda")[0]
    text = " | ".join(messages(state.findings, "warning"))
    assert "default_channels is set in several files and conda merges them all" in text
    assert "CONDA_CHANNEL_ALIAS is set in your environment" in text
    assert setting(state, "channel", "defaults").resolved == (
        "https://mirrors.tuna.tsinghua.edu.cn/anaconda/pkgs/main", "https://old.example/pkgs/main")


def test_a_broken_file_elsewhere_is_reported_as_conda_treats_it(tmp_path: Path):
    # Observed with conda 26.7.1: an unclosed flow list is a ruamel ParserError, which conda does not catch
    # (it crashes, exit 1); a tab is a ScannerError, which conda skips with "Ignoring configuration file".
    write(tmp_path / "home" / ".conda" / "condarc", "channels: [\n")
    state = core.current(only="conda")[0]
    assert messages(state.findings, "error") == [
        "conda cannot read ~/.conda/condarc: line 2: expected the node content, but found '<stream end>'"]
    assert state.profile is None and state.broken
    write(tmp_path / "home" / ".conda" / "condarc", "channels:\n\t- defaults\n")
    state = core.current(only="conda")[0]
    assert messages(state.findings, "warning")[0] == (
        "conda ignores ~/.conda/condarc (line 2: tab used for indentation (YAML allows spaces only))")
    assert state.profile is None and not state.broken


def test_unset_conda_is_not_labelled_and_ustc_is_recognised(condarc: Path):
    assert core.current(only="conda")[0].profile is None  # conda >= 26.1 has no channels: nothing to label
    write(condarc, "channels: [defaults, conda-forge]\ncustom_channels:\n  conda-forge: https://mirrors.ustc.edu.cn/anaconda/cloud\n")
    assert core.current(only="conda")[0].profile == "ustc"


def test_condarc_variable_names_the_file_written(monkeypatch, tmp_path: Path):
    target = tmp_path / "conf" / "condarc.yml"
    monkeypatch.setenv("CONDARC", str(target))
    core.use(name="tuna", only="conda")
    assert "default_channels" in target.read_text()
    monkeypatch.setenv("CONDARC", str(tmp_path / "conf" / "wrong.txt"))
    assert conda.write_path() == tmp_path / "home" / ".condarc"
    assert any("is ignored by conda" in w for w in messages(core.current(only="conda")[0].findings))


def test_reading_uses_a_parse_cache_that_any_byte_change_invalidates(condarc: Path, monkeypatch):
    write(condarc, "channels: [defaults, conda-forge]\n"
                   "custom_channels: {conda-forge: https://mirrors.ustc.edu.cn/anaconda/cloud}\n")
    assert core.current(only="conda")[0].profile == "ustc"

    def must_not_parse(text, path):
        raise AssertionError("parsed again although the file did not change")

    with monkeypatch.context() as patched:
        patched.setattr(conda, "load", must_not_parse)
        assert core.current(only="conda")[0].profile == "ustc"
    # Same size, different bytes: the cache must not answer.
    write(condarc, "channels: [defaults, conda-forge]\n"
                   "custom_channels: {conda-forge: https://mirrors.ustc.edu.cn/anaconda/CLOUX}\n")
    assert core.current(only="conda")[0].profile == "mixed"  # upstream defaults + a URL of nobody's


def test_a_final_marker_in_a_system_file_is_explained(condarc: Path, tmp_path: Path):
    write(tmp_path / "system" / "etc" / "conda" / ".condarc",
          "default_channels:  #!final\n  - https://repo.corp.example/pkgs/main\n")
    result = core.use(name="tuna", only="conda")
    state = result.after[0]
    assert setting(state, "channel", "defaults").resolved == ("https://repo.corp.example/pkgs/main",)
    assert state.profile == "custom"
    assert ("~/.condarc sets default_channels, but " + str(tmp_path / "system" / "etc" / "conda" / ".condarc")
            + " marks it #!final, so conda ignores it here") in messages(state.findings)


def test_a_non_utf8_condarc_is_refused_with_its_line(condarc: Path):
    original = "channels:\n  - defaults\n# 清华\n".encode("gbk")
    write(condarc, original)
    with pytest.raises(ConfigParseError) as caught:
        core.use(name="tuna", only="conda")
    assert caught.value.line == 3 and "is not UTF-8 text" in caught.value.message
    assert condarc.read_bytes() == original
