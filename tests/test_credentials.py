"""Credentials in URLs: a file mirrorctl creates that holds one is private (0600), writing one into a file every
user may read warns once, and no output shows one (`user:password@`, or a conda token `/t/<token>/`)."""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import write

from mirrorctl import cache, paths
from mirrorctl.urls import credentials, mask_credentials

PASSWORD = "s3cret-pw"
TOKEN = "tk-1234-abcd"
PYPI = f"https://alice:{PASSWORD}@pypi.campus.example/simple"
ANACONDA = f"https://conda.campus.example/t/{TOKEN}/anaconda"
SECRETS = (PASSWORD, TOKEN)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def umask_022() -> Iterator[None]:
    old = os.umask(0o022)
    yield
    os.umask(old)


@pytest.fixture
def campus(run, umask_022: None) -> Path:
    result = run("profile", "add", "campus", "--pypi", PYPI, "--anaconda", ANACONDA)
    assert result.exit_code == 0, result.output
    return paths.user_profiles_dir() / "campus.toml"


def shows_no_secret(text: str) -> bool:
    return not any(secret in text for secret in SECRETS)


# Masking ----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "masked"), [
    (f"channel_alias: https://conda.anaconda.org/t/{TOKEN}", "channel_alias: https://conda.anaconda.org/t/***"),
    (f"  - https://conda.anaconda.org/t/{TOKEN}/conda-forge\n", "  - https://conda.anaconda.org/t/***/conda-forge\n"),
    (f'"url": "https://u:p@conda.example/t/{TOKEN}/main"', '"url": "https://***@conda.example/t/***/main"'),
    (f"'{ANACONDA}/pkgs/main'", "'https://conda.campus.example/t/***/anaconda/pkgs/main'"),
    ("~/t/notes.txt and /t/x/ outside a URL", "~/t/notes.txt and /t/x/ outside a URL"),
    ("https://example.org/t/", "https://example.org/t/"),
])
def test_conda_tokens_are_masked_like_passwords(text: str, masked: str):
    assert mask_credentials(text) == masked


def test_credentials_names_passwords_and_tokens():
    assert credentials(f"{PYPI} {ANACONDA}/pkgs/main") == {f"alice:{PASSWORD}", TOKEN}
    assert credentials("https://mirrors.ustc.edu.cn/anaconda/pkgs/main") == set()


def test_no_output_shows_a_token_or_password(run, campus: Path, isolated_home: Path, monkeypatch):
    condarc = write(isolated_home / ".condarc", f"channels:\n  - {ANACONDA}/cloud/conda-forge\n  - defaults\n")
    outputs = [run("profile", "show", "campus"), run("use", "campus", "--only", "conda", "--dry-run"),
               run("use", "campus", "--only", "conda", "--dry-run", "--json"), run("current"),
               run("current", "--json"), run("list", "--json"), run("use", "campus", "--only", "pip", "--json"),
               run("backups", "--json"), run("restore", "--json")]
    for result in outputs:
        assert result.exit_code == 0, result.output
        assert shows_no_secret(result.output), result.output
    assert "https://conda.campus.example/t/***/anaconda" in outputs[1].output
    assert TOKEN in condarc.read_text()  # the file itself keeps the real URL: conda needs it


def test_an_error_and_a_debug_traceback_mask_a_token(run, monkeypatch):
    from mirrorctl import core

    def broken(**_: object) -> None:
        raise RuntimeError(f"cannot reach {ANACONDA}/pkgs/main")

    monkeypatch.setattr(core, "current", broken)
    plain = run("current")
    assert plain.exit_code == 70 and "https://conda.campus.example/t/***/anaconda" in plain.output
    debug = run("--debug", "current")
    assert "Traceback" in debug.output and "/t/***/" in debug.output
    for result in (plain, debug):
        assert shows_no_secret(result.output), result.output
    refused = run("profile", "add", "x", "--pypi", f"ftp://conda.example/t/{TOKEN}/simple")
    assert refused.exit_code == 1 and "ftp://conda.example/t/***/simple" in refused.output
    assert shows_no_secret(refused.output)


def test_the_read_cache_keeps_no_token(campus: Path, isolated_home: Path, run):
    write(isolated_home / ".condarc", f"channel_alias: https://conda.anaconda.org/t/{TOKEN}\n")
    cache._loaded.clear()
    assert run("current").exit_code == 0
    files = [f for f in paths.mirrorctl_cache_dir().rglob("*") if f.is_file()]
    assert files, "nothing was cached: the test would prove nothing"
    for file in files:
        assert shows_no_secret(file.read_text(errors="replace")), file


# Private files ----------------------------------------------------------------------------------------------

def test_a_profile_holding_a_credential_is_created_private(campus: Path):
    assert mode(campus) == 0o600
    assert PASSWORD in campus.read_text() and TOKEN in campus.read_text()


def test_a_profile_without_one_keeps_the_umask(run, umask_022: None):
    assert run("profile", "add", "plain", "--pypi", "https://pypi.plain.example/simple").exit_code == 0
    assert mode(paths.user_profiles_dir() / "plain.toml") == 0o644


def test_config_files_created_with_a_credential_are_private(run, campus: Path, isolated_home: Path):
    result = run("use", "campus", "--only", "pip", "--only", "conda")
    assert result.exit_code == 0, result.output
    pip_conf, condarc = isolated_home / ".config" / "pip" / "pip.conf", isolated_home / ".condarc"
    assert PASSWORD in pip_conf.read_text() and TOKEN in condarc.read_text()
    assert mode(pip_conf) == 0o600 and mode(condarc) == 0o600
    assert "warning" not in result.output


def test_config_files_created_without_a_credential_keep_the_umask(run, isolated_home: Path, umask_022: None):
    assert run("use", "tuna", "--only", "pip").exit_code == 0
    assert mode(isolated_home / ".config" / "pip" / "pip.conf") == 0o644


def test_writing_a_credential_into_a_world_readable_file_warns_once(run, campus: Path, isolated_home: Path):
    pip_conf = write(isolated_home / ".config" / "pip" / "pip.conf", "[global]\ntimeout = 9\n", mode=0o644)
    condarc = write(isolated_home / ".condarc", "channels:\n  - defaults\n", mode=0o600)
    result = run("use", "campus", "--only", "pip", "--only", "conda")
    assert result.exit_code == 0, result.output
    warning = ("pip: ~/.config/pip/pip.conf now holds a password or token and every user on this machine may read "
               "it (mode 0644); `chmod 600 ~/.config/pip/pip.conf` makes it private")
    assert result.output.count("every user on this machine") == 1 and warning in result.output.splitlines()
    assert mode(pip_conf) == 0o644 and mode(condarc) == 0o600  # the user's modes are theirs to change
    as_json = run("use", "campus", "--only", "pip", "--json")  # nothing new to write: no warning again
    assert "credential-world-readable" not in as_json.output


def test_the_warning_is_in_the_json_and_the_dry_run(run, campus: Path, isolated_home: Path):
    write(isolated_home / ".config" / "pip" / "pip.conf", "[global]\ntimeout = 9\n", mode=0o644)
    result = run("use", "campus", "--only", "pip", "--dry-run", "--json")
    assert result.exit_code == 0, result.output
    (edit,) = json.loads(result.output)["files"]
    assert [f["code"] for f in edit["findings"]] == ["credential-world-readable"]
    assert edit["findings"][0]["params"] == {"mode": "0644"}


def test_replacing_a_world_readable_profile_with_a_credential_warns(run, umask_022: None):
    assert run("profile", "add", "campus", "--pypi", "https://pypi.campus.example/simple").exit_code == 0
    result = run("profile", "add", "campus", "--pypi", PYPI, "--replace")
    assert result.exit_code == 0, result.output
    assert "campus.toml now holds a password or token" in result.output
    assert shows_no_secret(result.output)
