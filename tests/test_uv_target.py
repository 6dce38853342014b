"""uv: uv.toml `[[index]] default = true`, python-install-mirror, and what beats the user file; real uv judges."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import messages, setting, write
from test_real_pip import PROJECT, Index, dead_url, describe  # noqa: F401 - dead_url is a fixture (index comes from conftest)

from mirrorctl import core
from mirrorctl.errors import ConfigParseError
from mirrorctl.profiles import load_profiles
from mirrorctl.targets import base
from mirrorctl.targets.base import RenderContext

TUNA = "https://pypi.tuna.tsinghua.edu.cn/simple"
USTC = "https://mirrors.ustc.edu.cn/pypi/simple"
USTC_PYTHON = "https://mirrors.ustc.edu.cn/github-release/astral-sh/python-build-standalone/"

REALISTIC = """\
# my uv settings
cache-dir = "/tmp/uv-cache"   # keep the cache off the home disk

# the company index, for internal packages
[[index]]
name = "corp"
url = "https://corp.example/simple"
explicit = true

# a mirror set up long ago
[[index]]
url = "https://pypi.org/simple/"
default = true

[pip]
compile-bytecode = true
"""


@pytest.fixture
def uv_toml(isolated_home: Path) -> Path:
    return isolated_home / ".config" / "uv" / "uv.toml"


def render(text: str, name: str | None) -> str:
    profiles = load_profiles()
    target = base.load("uv")
    profile = profiles.get(name) if name else None
    return target.render(text, profile, RenderContext(Path("uv.toml"), profiles.profiles)).text


def test_use_replaces_only_the_owned_default_index_and_keeps_comments_and_the_users_index():
    out = render(REALISTIC, "tuna")
    assert out == REALISTIC.replace('url = "https://pypi.org/simple/"', f'url = "{TUNA}"')


def test_a_new_default_index_has_no_trailing_slash_and_is_not_the_deprecated_index_url(tmp_path: Path):
    out = render("", "tuna")
    assert out == f'[[index]]\nurl = "{TUNA}"\ndefault = true\n'
    assert "index-url" not in out


def test_an_owned_deprecated_index_url_goes_and_a_custom_one_stays():
    out = render(f'index-url = "{USTC}"\n', "tuna")
    assert out == f'[[index]]\nurl = "{TUNA}"\ndefault = true\n'
    assert render('index-url = "https://corp.example/simple"\n', None) == 'index-url = "https://corp.example/simple"\n'


def test_ustc_writes_python_install_mirror_and_switching_away_removes_it():
    out = render("# keep me\n", "ustc")
    assert out == (f'# keep me\npython-install-mirror = "{USTC_PYTHON}"\n\n'
                   f'[[index]]\nurl = "{USTC}"\ndefault = true\n')
    assert render(out, "tuna") == f'# keep me\n\n[[index]]\nurl = "{TUNA}"\ndefault = true\n'
    own = 'python-install-mirror = "https://corp.example/pbs/"\n'
    assert render(own, None) == own  # the user's own Python mirror is theirs


def test_reset_removes_mirrorctls_entry_and_keeps_the_rest():
    out = render(REALISTIC, None)
    assert "default = true" not in out and "pypi.org" not in out
    assert 'name = "corp"' in out and "# my uv settings" in out and "compile-bytecode = true" in out


def test_crlf_file_stays_crlf():
    text = '# windows\r\ncache-dir = "C:/uv"\r\n'
    out = render(text, "tuna")
    assert "\n" not in out.replace("\r\n", "")
    assert out.startswith(text)


def test_use_reset_restore_byte_exact(uv_toml: Path, tmp_path: Path, monkeypatch):
    write(uv_toml, REALISTIC)
    lock = write(tmp_path / "proj" / "uv.lock", "version = 1\n")
    monkeypatch.chdir(lock.parent)
    original = uv_toml.read_bytes()
    result = core.use(name="ustc", only="uv")
    assert [(c.key, c.before, c.after) for c in result.edits[0].changes] == [
        ("[[index]] default", "https://pypi.org/simple/", USTC),
        ("python-install-mirror", None, USTC_PYTHON),
    ]
    state = core.current(only="uv")[0]
    assert state.profile == "ustc"
    assert setting(state, "index").source.path == uv_toml
    assert messages(result.hints) == [f"{lock} records the old index URL of every package: run `uv lock` to "
                                      "refresh it"]
    core.reset(only="uv")
    assert core.current(only="uv")[0].profile == "official"
    core.restore()
    core.restore()
    assert uv_toml.read_bytes() == original


def test_a_file_that_would_be_empty_and_did_not_exist_is_removed(uv_toml: Path):
    core.use(name="tuna", only="uv")
    assert uv_toml.is_file()
    edit = core.reset(only="uv").edits[0]
    assert edit.new is None and not uv_toml.exists()


def test_dry_run_shows_a_diff_and_writes_nothing(run, uv_toml: Path):
    write(uv_toml, REALISTIC)
    result = run("use", "tuna", "--only", "uv", "--dry-run")
    assert result.exit_code == 0, result.output
    assert f'+url = "{TUNA}"' in result.output and '-url = "https://pypi.org/simple/"' in result.output
    assert uv_toml.read_text() == REALISTIC
    assert core.backups() == []


@pytest.mark.parametrize(("text", "line"), [
    ('[[index]]\nurl = "https://a.example/simple"\ndefault = tru\n', 3),
    ('cache-dir = "x"\nindex = "https://a.example/simple"\n', 2),
    ('\n[[index]]\nname = "no-url"\n', 2),
])
def test_a_file_uv_would_refuse_is_refused_untouched_with_its_line(run, uv_toml: Path, text: str, line: int):
    write(uv_toml, text)
    with pytest.raises(ConfigParseError) as caught:
        core.use(name="tuna", only="uv")
    assert (caught.value.path, caught.value.line) == (uv_toml, line)
    assert uv_toml.read_text() == text and core.backups() == []
    state = core.current(only="uv")[0]
    assert state.profile is None and [f.code for f in state.findings] == ["file-refused"]
    cli = run("use", "tuna", "--only", "uv")
    assert cli.exit_code == 1 and len(cli.output.splitlines()) == 1 and "Traceback" not in cli.output
    assert f"uv.toml line {line}:" in cli.output


def test_environment_and_project_overrides_are_reported(uv_toml: Path, tmp_path: Path, monkeypatch):
    core.use(name="tuna", only="uv")
    project = tmp_path / "proj"
    write(project / "pyproject.toml", f'[project]\nname = "x"\n\n[[tool.uv.index]]\nurl = "{USTC}"\ndefault = true\n')
    monkeypatch.chdir(project)
    state = core.current(only="uv")[0]
    assert state.profile == "ustc" and setting(state, "index").source.path == project / "pyproject.toml"
    assert [f.code for f in state.findings] == ["uv.project-wins"]

    monkeypatch.setenv("UV_DEFAULT_INDEX", "https://corp.example/simple")
    monkeypatch.setenv("UV_INDEX", "extra=https://extra.example/simple")
    state = core.current(only="uv")[0]
    assert state.profile == "custom" and setting(state, "index").source.env == "UV_DEFAULT_INDEX"
    assert {f.code for f in state.findings} == {"uv.project-wins", "env-overrides", "uv.env-index"}

    monkeypatch.setenv("UV_NO_CONFIG", "1")
    monkeypatch.delenv("UV_DEFAULT_INDEX")
    state = core.current(only="uv")[0]
    assert state.profile == "official" and state.files_read == ()
    assert "config-env-disables-files" in {f.code for f in state.findings}

    monkeypatch.delenv("UV_NO_CONFIG")
    other = write(tmp_path / "other.toml", f'[[index]]\nurl = "{USTC}"\ndefault = true\n')
    monkeypatch.setenv("UV_CONFIG_FILE", str(other))
    state = core.current(only="uv")[0]
    assert state.files_read == (other,) and state.profile == "ustc"


def test_a_users_own_default_before_mirrorctls_is_reported(uv_toml: Path):
    write(uv_toml, '[[index]]\nurl = "https://corp.example/simple"\ndefault = true\n')
    core.use(name="tuna", only="uv")
    assert 'url = "https://corp.example/simple"' in uv_toml.read_text()
    state = core.current(only="uv")[0]
    assert state.profile == "custom" and "uv.own-default-wins" in {f.code for f in state.findings}


def test_system_scope_writes_under_the_system_root(tmp_path: Path):
    target = base.load("uv")
    profiles = load_profiles()
    edit = target.plan(profiles.get("tuna"), profiles.profiles, scope="system")[0]
    assert edit.path == tmp_path / "system" / "etc" / "uv" / "uv.toml"
    assert edit.old is None and edit.new == f'[[index]]\nurl = "{TUNA}"\ndefault = true\n'.encode()


def test_env_for_one_command():
    profiles = load_profiles()
    assert base.load("uv").env(profiles.get("ustc")).variables == {"UV_DEFAULT_INDEX": USTC,
                                                                   "UV_PYTHON_INSTALL_MIRROR": USTC_PYTHON}


# ---------------------------------------------------------------------------------------------------------
# Real uv


def _uv_bin() -> str:
    uv = pytest.importorskip("uv", reason="uv is not installed (pip install -e '.[clients]')")
    return str(uv.find_uv_bin())


def uv_compile(tmp_path: Path, name: str) -> subprocess.CompletedProcess[str]:
    requirements = write(tmp_path / f"{name}.in", f"{PROJECT}\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("UV_")}
    env.update(UV_HTTP_RETRIES="0", UV_PYTHON_DOWNLOADS="never", UV_NO_PROGRESS="1")
    return subprocess.run([_uv_bin(), "pip", "compile", "--no-cache", "--python", sys.executable, str(requirements)],
                          env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False)


@pytest.mark.real_client
def test_real_uv_resolves_through_the_mirror_after_use_and_not_after_restore(
        run, index: Index, dead_url: str, uv_toml: Path, tmp_path: Path):  # noqa: F811 - fixtures
    _uv_bin()
    loop = f"http://127.0.0.1:{index.port}/simple"
    assert run("profile", "add", "dead", "--pypi", dead_url).exit_code == 0
    assert run("profile", "add", "loop", "--pypi", loop).exit_code == 0
    write(uv_toml, "# my settings\n[pip]\ngenerate-hashes = false\n")
    assert run("use", "dead", "--only", "uv").exit_code == 0
    before = uv_compile(tmp_path, "before")
    assert before.returncode != 0 and dead_url.split("//")[1].split("/")[0] in before.stderr, describe(before)

    used = run("use", "loop", "--only", "uv")
    assert used.exit_code == 0, used.output
    resolved = uv_compile(tmp_path, "used")
    assert resolved.returncode == 0, describe(resolved)
    assert f"{PROJECT}==1.0" in resolved.stdout
    assert f"/simple/{PROJECT}/" in index.paths()

    assert run("restore").exit_code == 0
    seen = len(index.paths())
    after = uv_compile(tmp_path, "after")
    assert after.returncode != 0, describe(after)
    assert len(index.paths()) == seen, "uv still asked the loopback index after restore"
    assert run("restore").exit_code == 0
    assert uv_toml.read_text() == "# my settings\n[pip]\ngenerate-hashes = false\n"
