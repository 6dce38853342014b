"""pipenv: mirrorctl's [[source]] in the project's Pipfile, and real pipenv locks through it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import messages, write
from test_real_pip import PROJECT, VERSION, Index, dead_url, index  # noqa: F401 (fixtures)

from mirrorctl import core
from mirrorctl.errors import ConfigParseError
from mirrorctl.targets import base

TUNA = "https://pypi.tuna.tsinghua.edu.cn/simple"
#: What `pipenv lock` wrote into a new Pipfile here (pipenv 2026.10, no pip index configured).
DEFAULT_SOURCE = '[[source]]\nurl = "https://pypi.org/simple"\nverify_ssl = true\nname = "pypi"\n'
PIPFILE = DEFAULT_SOURCE + """
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


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "project"
    folder.mkdir()
    monkeypatch.chdir(folder)
    monkeypatch.delenv("PIPENV_PIPFILE", raising=False)
    monkeypatch.delenv("PIPENV_PYPI_MIRROR", raising=False)
    return folder / "Pipfile"


def test_use_replaces_the_pypi_source_in_place_and_reset_gives_pipenvs_default_back(project: Path):
    write(project, PIPFILE)
    result = core.use(name="tuna", only="pipenv")
    assert project.read_text() == PIPFILE.replace("https://pypi.org/simple", TUNA, 1)
    assert [(c.before, c.after) for c in result.edits[0].changes] == [("https://pypi.org/simple", TUNA)]
    assert result.after[0].profile == "tuna"
    core.reset(only="pipenv")
    assert project.read_text() == PIPFILE


def test_a_pipfile_without_a_pypi_source_gets_mirrorctls_first(project: Path):
    text = PIPFILE[len(DEFAULT_SOURCE) + 1:]
    write(project, text)
    assert core.current(only="pipenv")[0].profile == "custom"  # the first source is the one pipenv installs from
    core.use(name="tuna", only="pipenv")
    import tomlkit

    used = project.read_text()
    assert [(s["name"], s["url"]) for s in tomlkit.parse(used)["source"]] == [
        ("mirrorctl", TUNA), ("corp", "https://corp.example/simple")]
    assert used.startswith("# our own packages\n") and 'requests = "*"  # the usual' in used
    assert core.current(only="pipenv")[0].profile == "tuna"
    core.reset(only="pipenv")
    assert project.read_text() == used.replace(TUNA, "https://pypi.org/simple").replace('"mirrorctl"', '"pypi"')


def test_invalid_pipfile_refused_untouched_and_env_mirror_reported(project: Path, monkeypatch):
    bad = PIPFILE.replace('name = "corp"\n', "")
    write(project, bad)
    with pytest.raises(ConfigParseError) as caught:
        core.use(name="tuna", only="pipenv")
    assert caught.value.path == project and caught.value.line == 7
    assert project.read_text() == bad
    write(project, PIPFILE)
    monkeypatch.setenv("PIPENV_PYPI_MIRROR", TUNA)
    state = core.current(only="pipenv")[0]
    assert state.profile == "tuna" and state.findings[0].code == "env-overrides"


def test_no_pipfile_nothing_to_do_and_dry_run_then_restore(project: Path, run):
    assert not base.load("pipenv").present()
    result = core.use(name="tuna", only="pipenv")
    assert not project.exists() and "copies pip's index-url" in messages(result.edits[0].findings)[0]
    crlf = PIPFILE.replace("\n", "\r\n").encode()
    write(project, crlf)
    dry = run("use", "tuna", "--only", "pipenv", "--dry-run")
    assert f'+url = "{TUNA}"' in dry.output and project.read_bytes() == crlf
    assert run("use", "tuna", "--only", "pipenv").exit_code == 0
    assert TUNA.encode() + b'"\r\n' in project.read_bytes()
    assert run("restore").exit_code == 0
    assert project.read_bytes() == crlf


def _pipenv_lock(tmp_path: Path) -> tuple[subprocess.CompletedProcess[str], float]:
    executable = shutil.which("pipenv") or str(Path(sys.executable).parent / "pipenv")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIPENV_")}
    env.update(PIPENV_VENV_IN_PROJECT="1", PIPENV_CACHE_DIR=str(tmp_path / "pipenv-cache"),
               WORKON_HOME=str(tmp_path / "venvs"), PIPENV_YES="1", PIPENV_NOSPIN="1",
               PIPENV_IGNORE_VIRTUALENVS="1", PIP_NO_INPUT="1", PIP_DISABLE_PIP_VERSION_CHECK="1", NO_PROXY="*")
    started = time.perf_counter()
    result = subprocess.run([executable, "lock"], env=env, capture_output=True, text=True, timeout=300,
                            check=False)
    return result, time.perf_counter() - started


@pytest.mark.slow
@pytest.mark.real_client
def test_real_pipenv_locks_through_the_mirror_after_use_and_not_after_restore(
        project: Path, index: Index, dead_url: str, tmp_path: Path):  # noqa: F811
    if not (shutil.which("pipenv") or (Path(sys.executable).parent / "pipenv").exists()):
        pytest.skip("pipenv is not installed (pip install -e '.[clients]')")
    live = f"http://127.0.0.1:{index.port}/simple"
    core.add_profile(name="loop", pypi=live, anaconda=None, title=None)
    # a Pipfile whose first source is a mirror that is gone now
    write(project, f'[[source]]\nurl = "{dead_url}"\nverify_ssl = false\nname = "pypi"\n\n'
                   f'[packages]\n{PROJECT} = "=={VERSION}"\n')
    lock = project.parent / "Pipfile.lock"
    failed, seconds = _pipenv_lock(tmp_path)
    print(f"pipenv lock against the dead mirror: {seconds:.1f} s")
    assert failed.returncode != 0 and not lock.exists(), failed.stdout + failed.stderr

    core.use(name="loop", only="pipenv")
    locked, seconds = _pipenv_lock(tmp_path)
    print(f"pipenv lock through the loopback index: {seconds:.1f} s")
    assert locked.returncode == 0, locked.stdout + locked.stderr
    assert PROJECT in lock.read_text() and f"/simple/{PROJECT}/" in index.paths()

    lock.unlink()
    core.restore()
    assert dead_url in project.read_text()
    seen = len(index.paths())
    again, _ = _pipenv_lock(tmp_path)
    assert again.returncode != 0 and not lock.exists(), again.stdout + again.stderr
    assert len(index.paths()) == seen, "pipenv still used the loopback index after restore"
