"""pip: what `use`, `reset` and `current` do to realistic pip.conf files."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import messages, setting, write

from mirrorctl import core
from mirrorctl.errors import ConfigParseError
from mirrorctl.output.common import source_text
from mirrorctl.targets import pip

TUNA = "https://pypi.tuna.tsinghua.edu.cn/simple"
USTC = "https://mirrors.ustc.edu.cn/pypi/simple"

REALISTIC = """\
# pip settings, copied from a blog post — 清华源
[global]
timeout = 120
Index_URL = http://mirrors.aliyun.com/pypi/simple/
trusted-host =
    mirrors.aliyun.com
    files.internal.example
extra-index-url = https://files.internal.example/simple

; per-command settings
[install]
no-cache-dir = true
"""


def test_render_use_on_a_realistic_file_changes_only_index_and_its_trusted_host():
    new = pip.render_use(REALISTIC, TUNA, primary=True)
    assert new == REALISTIC.replace(
        "Index_URL = http://mirrors.aliyun.com/pypi/simple/", f"Index_URL = {TUNA}"
    ).replace("    mirrors.aliyun.com\n", "")


def test_http_index_gets_trusted_host_with_port_and_loses_it_when_switching_away():
    text = pip.render_use("", "http://10.0.0.5:8080/simple", primary=True)
    assert text == "[global]\nindex-url = http://10.0.0.5:8080/simple\ntrusted-host = 10.0.0.5:8080\n"
    assert pip.render_use(text, TUNA, primary=True) == f"[global]\nindex-url = {TUNA}\n"


def test_user_trusted_hosts_and_hosts_still_in_use_are_kept():
    text = ("[global]\nindex-url = http://a.example/simple\nfind-links = http://a.example/links\n"
            "trusted-host = a.example b.example\n")
    assert pip.render_use(text, TUNA, primary=True) == text.replace("http://a.example/simple", TUNA)


def test_per_command_index_in_the_users_files_follows_the_switch():
    text = "[global]\ntimeout = 5\n[install]\nindex-url = https://old.example/simple\n"
    new = pip.render_use(text, TUNA, primary=True)
    assert new == f"[global]\ntimeout = 5\nindex-url = {TUNA}\n[install]\nindex-url = {TUNA}\n"


def test_non_primary_file_without_an_index_is_left_alone():
    assert pip.render_use("[global]\ntimeout = 5\n", TUNA, primary=False) == "[global]\ntimeout = 5\n"


def test_render_reset_removes_index_and_its_trusted_host_only():
    new = pip.render_reset(REALISTIC)
    assert "Index_URL" not in new and "mirrors.aliyun.com" not in new
    assert "files.internal.example" in new and "timeout = 120" in new and "清华源" in new


def test_use_updates_legacy_file_and_writes_xdg_file(legacy_pip_conf: Path, pip_conf: Path):
    write(legacy_pip_conf, REALISTIC)
    result = core.use(name="tuna", only="pip")
    assert pip_conf.read_text() == f"[global]\nindex-url = {TUNA}\n"
    assert f"Index_URL = {TUNA}" in legacy_pip_conf.read_text(encoding="utf-8")
    state = result.after[0]
    index = setting(state, "index-url")
    assert (state.profile, index.value, index.owner) == ("tuna", TUNA, "tuna")
    assert source_text(index.source) == "~/.config/pip/pip.conf [global]"


def test_inspect_explains_overrides(monkeypatch, pip_conf: Path, tmp_path: Path):
    write(pip_conf, f"[global]\nindex-url = {TUNA}\n")
    write(tmp_path / "system" / "etc" / "pip.conf", f"[download]\nindex-url = {USTC}\n")
    write(tmp_path / "venv" / "pip.conf", "[global]\nindex-url = https://venv.example/simple\n")
    monkeypatch.setenv("PIP_INDEX_URL", "https://env.example/simple")
    state = core.current(only="pip")[0]
    index = setting(state, "index-url")
    assert index.value == "https://env.example/simple"
    assert source_text(index.source) == "environment variable PIP_INDEX_URL"
    assert state.profile == "custom"
    text = " | ".join(messages(state.findings, "warning"))
    assert "PIP_INDEX_URL=https://env.example/simple is set in your environment" in text
    assert f"[download] index-url = {USTC} beats every [global] index-url for `pip download`" in text
    assert "venv/pip.conf (the virtualenv's own pip config) sets index-url" in text


def test_pip_config_file_pointing_at_a_real_file_is_reported(monkeypatch, tmp_path: Path):
    other = write(tmp_path / "ci-pip.conf", "[global]\nindex-url = https://ci.example/simple\n")
    monkeypatch.setenv("PIP_CONFIG_FILE", str(other))
    state = core.current(only="pip")[0]
    assert setting(state, "index-url").value == "https://ci.example/simple"
    assert any("pip skips your user files" in w for w in messages(state.findings))


def test_current_matches_profiles_by_any_spelling(pip_conf: Path):
    write(pip_conf, "[global]\nindex-url = https://Mirrors.TUNA.tsinghua.edu.cn/pypi/web/simple/\n")
    assert core.current(only="pip")[0].profile == "tuna"


def test_unconfigured_pip_is_official():
    state = core.current(only="pip")[0]
    index = setting(state, "index-url")
    assert (state.profile, index.value, source_text(index.source)) == (
        "official", "https://pypi.org/simple", "built-in default")


@pytest.mark.parametrize(
    ("text", "line"),
    [("[global]\nindex-url = a\nindex-url = b\n", 3), ("index-url = x\n", 1), ("[global]\n[global]\n", 2)],
)
def test_use_refuses_a_file_pip_would_refuse_and_leaves_everything_untouched(
    text, line, pip_conf: Path, condarc: Path
):
    write(pip_conf, text)
    write(condarc, "channels: [defaults]\n")
    with pytest.raises(ConfigParseError) as caught:
        core.use(name="tuna")
    assert (caught.value.path, caught.value.line) == (pip_conf, line)
    assert pip_conf.read_text() == text
    assert condarc.read_text() == "channels: [defaults]\n"
    assert core.backups() == []


@pytest.mark.parametrize("environment", [
    {"LC_ALL": "C", "PYTHONUTF8": "0"}, {"LC_ALL": "C.UTF-8", "PYTHONUTF8": "0"},
    {"LC_ALL": "C", "PYTHONUTF8": "1"}, {"LC_ALL": "zh_CN.GB18030", "PYTHONUTF8": "0"},
])
def test_the_encoding_pip_reads_in_is_the_locales_preferred_one(environment):
    """fileio.locale_encoding answers what pip asks (locale.getpreferredencoding(False)) without importing locale."""
    import os
    import subprocess
    import sys

    code = ("import locale, sys; from mirrorctl.fileio import locale_encoding; "
            "print(locale_encoding(), locale.getpreferredencoding(False))")
    shown = subprocess.run([sys.executable, "-c", code], env={**os.environ, **environment},
                           capture_output=True, text=True, check=True).stdout.split()
    assert shown[0] == shown[1]


def test_a_gbk_pip_conf_under_a_gbk_locale_survives_byte_for_byte(pip_conf: Path, monkeypatch):
    from mirrorctl import fileio

    monkeypatch.setattr(fileio, "locale_encoding", lambda: "gbk")  # pip reads it as GBK
    original = "# 清华源\n[global]\ntimeout = 5\n".encode("gbk")
    write(pip_conf, original)
    core.use(name="tuna", only="pip")
    assert pip_conf.read_bytes() == original + f"index-url = {TUNA}\n".encode()


def test_a_gbk_pip_conf_under_a_utf8_locale_is_refused_as_pip_refuses_it(pip_conf: Path, monkeypatch):
    # Observed with real pip under LANG=C.UTF-8: `pip config list` exits 2 ("contains invalid UTF-8 characters").
    from mirrorctl import fileio

    monkeypatch.setattr(fileio, "locale_encoding", lambda: "UTF-8")
    original = "# 清华源\n[global]\nindex-url = https://pypi.tuna.tsinghua.edu.cn/simple\n".encode("gbk")
    write(pip_conf, original)
    with pytest.raises(ConfigParseError) as caught:
        core.use(name="ustc", only="pip")
    assert (caught.value.path, caught.value.line) == (pip_conf, 1)
    assert "byte 0xc7 at position 2 is not valid UTF-8" in caught.value.message
    assert pip_conf.read_bytes() == original
    state = core.current(only="pip")[0]
    assert state.profile is None and state.broken
    assert messages(state.findings, "error")[0].startswith("pip cannot read ~/.config/pip/pip.conf: line 1: byte")


def test_a_file_pip_refuses_leaves_no_index_claimed(pip_conf: Path):
    # Observed: pip exits 2 before any download when one of its files does not parse, so `current` must not
    # say pip fetches from pypi.org (its default) or from the URL in the broken file.
    write(pip_conf, "[global]\nindex-url = https://pypi.tuna.tsinghua.edu.cn/simple\nindex-url = x\n")
    state = core.current(only="pip")[0]
    assert state.broken and state.profile is None
    assert state.settings == ()
    assert messages(state.findings, "error") == [
        "pip cannot read ~/.config/pip/pip.conf: line 3: key 'index-url' appears twice in [global] "
        "(pip refuses the whole file)"]
