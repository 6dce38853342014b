"""pipenv: mirrorctl's own ``[[source]]`` first in the Pipfile, the user's sources untouched; real pipenv judges.

What pipenv does with each layout was observed first (tests/data/observe_pipenv.py, the table in
tests/data/pipenv_observed.md): the first source is the index, a later one serves only packages keyed to it,
a Pipfile without ``[[source]]`` takes pip's index-url, PIPENV_PYPI_MIRROR replaces only PyPI's URL.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import real_clients as rc
from conftest import messages, write
from loopback_index import PROJECT, Index, TrapProxy, dead_index_url

from mirrorctl import core, profile_changes
from mirrorctl.errors import ConfigParseError, ScopeUnavailable
from mirrorctl.targets import base

TUNA = "https://pypi.tuna.tsinghua.edu.cn/simple"
ALIYUN = "https://mirrors.aliyun.com/pypi/simple"
#: What `pipenv lock` wrote into a new Pipfile here (pipenv 2026.10, no pip index configured).
DEFAULT_SOURCE = '[[source]]\nurl = "https://pypi.org/simple"\nverify_ssl = true\nname = "pypi"\n'
REST = """
# our own packages
[[source]]
url = "https://corp.example/simple"
verify_ssl = true
name = "corp"

[packages]
requests = "*"  # the usual

[requires]
python_version = "3.11"
"""
PIPFILE = DEFAULT_SOURCE + REST
OURS = f'[[source]]\nurl = "{TUNA}"\nverify_ssl = true\nname = "mirrorctl"\n\n'


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "project"
    folder.mkdir()
    monkeypatch.chdir(folder)
    return folder / "Pipfile"


def sources(path: Path) -> list[tuple[str, str]]:
    import tomlkit

    return [(s["name"], s["url"]) for s in tomlkit.parse(path.read_text(encoding="utf-8")).get("source", [])]


def test_use_puts_mirrorctls_source_first_and_keeps_every_source_of_the_user(project: Path, run):
    write(project, PIPFILE)
    result = core.use(name="tuna", only="pipenv")
    assert project.read_text() == OURS + PIPFILE  # pypi and corp: not renamed, not re-pointed, same order
    assert [(c.before, c.after) for c in result.edits[0].changes] == [("https://pypi.org/simple", TUNA)]
    assert result.after[0].profile == "tuna"
    assert [f.code for f in result.hints] == ["pipenv.lock"]
    shown = run("current", "--only", "pipenv").output
    assert f"  source mirrorctl {TUNA}" in shown and "  source pypi   https://pypi.org/simple" in shown
    assert "pipenv: tuna" in shown
    listed = json.loads(run("list", "--json").output)
    assert "pipenv" in next(p["in_effect"] for p in listed["profiles"] if p["name"] == "tuna")
    core.reset(only="pipenv")
    assert project.read_text() == PIPFILE  # mirrorctl's source gone: the file as it was
    assert core.current(only="pipenv")[0].profile == "official"
    core.use(name="tuna", only="pipenv")
    core.use(name="aliyun", only="pipenv")
    assert sources(project)[0] == ("mirrorctl", ALIYUN) and len(sources(project)) == 3
    assert run("restore").exit_code == 0
    assert project.read_text() == OURS + PIPFILE


def test_a_users_mirror_first_is_kept_behind_mirrorctls(project: Path):
    text = f'[[source]]\nurl = "{ALIYUN}"\nverify_ssl = true\nname = "aliyun"\n' + REST
    write(project, text)
    assert core.current(only="pipenv")[0].profile == "aliyun"  # the first source is the one pipenv uses
    core.use(name="tuna", only="pipenv")
    assert sources(project) == [("mirrorctl", TUNA), ("aliyun", ALIYUN), ("corp", "https://corp.example/simple")]
    assert core.current(only="pipenv")[0].profile == "tuna"
    core.reset(only="pipenv")
    assert project.read_text() == text


def test_mirrorctls_source_moved_first_and_a_lone_one_reset_to_pipenvs_default(project: Path):
    write(project, PIPFILE + "\n" + OURS)
    core.use(name="aliyun", only="pipenv")
    assert sources(project) == [("mirrorctl", ALIYUN), ("pypi", "https://pypi.org/simple"),
                                ("corp", "https://corp.example/simple")]
    write(project, OURS + '[packages]\nrequests = "*"\n')
    core.reset(only="pipenv")
    assert project.read_text() == DEFAULT_SOURCE + '\n[packages]\nrequests = "*"\n'


def test_keyed_packages_reported_and_env_mirror_replaces_only_pypi(project: Path, monkeypatch):
    write(project, PIPFILE + '\n[dev-packages]\ninternal = {version = "*", index = "corp"}\n')
    state = core.current(only="pipenv")[0]
    assert "packages internal name the source 'corp' (https://corp.example/simple): they still come from it" \
        in messages(state.findings)
    monkeypatch.setenv("PIPENV_PYPI_MIRROR", TUNA)
    assert core.current(only="pipenv")[0].profile == "tuna"
    write(project, PIPFILE.replace("https://pypi.org/simple", "https://pypi.org/simple/", 1))
    assert core.current(only="pipenv")[0].profile == "tuna"  # observed: the slash form is replaced too
    write(project, f'[[source]]\nurl = "{ALIYUN}"\nverify_ssl = true\nname = "aliyun"\n')
    state = core.current(only="pipenv")[0]
    assert state.profile == "aliyun" and not state.findings  # observed: a mirror's URL is not replaced


def test_no_source_means_pips_index_url(project: Path, pip_conf: Path, monkeypatch):
    write(pip_conf, f"[global]\nindex-url = {ALIYUN}\n")
    write(project, '# deps\n[packages]\nrequests = "*"\n')
    state = core.current(only="pipenv")[0]
    assert state.profile == "aliyun" and state.settings[0].key == "source pip_conf_index_global"
    monkeypatch.setenv("PIPENV_PYPI_MIRROR", TUNA)
    assert core.current(only="pipenv")[0].profile == "tuna"  # observed: replaces the default whatever it is
    monkeypatch.delenv("PIPENV_PYPI_MIRROR")
    core.use(name="tuna", only="pipenv")
    assert project.read_text() == OURS + '# deps\n[packages]\nrequests = "*"\n'
    assert core.current(only="pipenv")[0].profile == "tuna"
    project.unlink()
    state = core.current(only="pipenv")[0]
    assert state.profile == "aliyun" and "copies" not in " ".join(messages(state.findings))
    assert "takes its source from pip's index-url" in messages(state.findings)[0]


def test_pipenv_on_path_is_installed_even_without_a_pipfile(project: Path, tmp_path: Path, run):
    assert run("current", "--only", "pipenv").output == "not installed and not configured: pipenv\n"
    stub = tmp_path / "bin" / "pipenv"
    write(stub, "#!/bin/sh\n")
    stub.chmod(0o755)
    shown = run("current", "--only", "pipenv").output
    assert "not installed" not in shown and "no Pipfile at" in shown
    assert "pipenv" not in run("list").output.split("not installed and not configured:")[-1].split("\n")[0]


def test_invalid_pipfile_refused_untouched(project: Path):
    bad = PIPFILE.replace('name = "corp"\n', "")
    write(project, bad)
    with pytest.raises(ConfigParseError) as caught:
        core.use(name="tuna", only="pipenv")
    assert caught.value.path == project and caught.value.line == 7
    assert project.read_text() == bad


def test_no_pipfile_no_scope_and_dry_run_then_restore_crlf(project: Path, run):
    with pytest.raises(ScopeUnavailable, match=r"no Pipfile in .*`mirrorctl use NAME --only pip` covers it"):
        base.load("pipenv").locations("project")
    skipped = run("use", "tuna", "--only", "pipenv", "--scope", "project")
    assert skipped.exit_code != 0 and "no Pipfile in" in skipped.output and not project.exists()
    crlf = PIPFILE.replace("\n", "\r\n").encode()
    write(project, crlf)
    dry = run("use", "tuna", "--only", "pipenv", "--dry-run")
    assert f'+url = "{TUNA}"' in dry.output and project.read_bytes() == crlf
    assert run("use", "tuna", "--only", "pipenv").exit_code == 0
    assert project.read_bytes() == OURS.replace("\n", "\r\n").encode() + crlf
    assert run("restore").exit_code == 0
    assert project.read_bytes() == crlf


# ---------------------------------------------------------------------------------------------------------
# Real pipenv as the judge


def lock(project: Path, index: Index, trap: TrapProxy, **env: str) -> rc.ClientRun:
    (project.parent / "Pipfile.lock").unlink(missing_ok=True)
    return rc.run_client("pipenv", ["lock", "--python", rc.sys.executable], home=project.parent / "client-home",
                         cwd=project.parent, index=index, trap=trap, extra_env=env)


@pytest.mark.slow
@pytest.mark.real_client
@rc.requires_client("pipenv")
@pytest.mark.parametrize("layout", ["pypi-first", "users-mirror-first", "no-source"])
def test_real_pipenv_locks_where_mirrorctl_says(layout: str, project: Path, index: Index, trap: TrapProxy,
                                                pip_conf: Path, monkeypatch):
    dead = dead_index_url()
    profile_changes.add_profile(name="loop", pypi=index.loopback_url, anaconda=None, title=None)
    packages = f'[packages]\n{PROJECT} = "*"\n'
    env: dict[str, str] = {}
    if layout == "pypi-first":  # pypi.org, which the trap refuses: nothing is fetched before `use`
        text = DEFAULT_SOURCE + "\n" + packages
    elif layout == "users-mirror-first":  # the user's own (dead) mirror first, kept after `use`
        text = f'[[source]]\nurl = "{dead}"\nverify_ssl = false\nname = "corp"\n\n' + packages
    else:  # no [[source]]: pip's index-url, here a dead one, in a pip.conf both pipenv and mirrorctl read
        write(pip_conf, f"[global]\nindex-url = {dead}\n")
        monkeypatch.setenv("PIP_CONFIG_FILE", str(pip_conf))
        env["PIP_CONFIG_FILE"] = str(pip_conf)
        text = packages
    write(project, text)
    assert core.current(only="pipenv")[0].profile != "loop"
    before = lock(project, index, trap, **env)
    assert before.returncode != 0 and not before.hit_index, before.describe()

    core.use(name="loop", only="pipenv")
    assert core.current(only="pipenv")[0].profile == "loop"
    after = lock(project, index, trap, **env)
    assert after.returncode == 0 and after.hit_index, after.describe()
    meta = json.loads((project.parent / "Pipfile.lock").read_text())["_meta"]["sources"]
    assert meta[0] == {"name": "mirrorctl", "url": index.loopback_url, "verify_ssl": False}

    core.reset(only="pipenv")
    assert core.current(only="pipenv")[0].profile != "loop"
    reset = lock(project, index, trap, **env)
    assert reset.returncode != 0 and not reset.hit_index, reset.describe()
    assert project in core.restore().restored
    assert core.current(only="pipenv")[0].profile == "loop"
    restored = lock(project, index, trap, **env)
    assert restored.returncode == 0 and restored.hit_index, restored.describe()
