"""poetry: one ``[[tool.poetry.source]] name = "mirrorctl"`` in the project's pyproject.toml, and real poetry obeys."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import messages, write
from test_real_pip import PROJECT, VERSION, Index, dead_url  # noqa: F401 - dead_url is a fixture (index comes from conftest)

from mirrorctl import core, profile_changes
from mirrorctl.errors import ConfigParseError
from mirrorctl.targets import base

TUNA = "https://pypi.tuna.tsinghua.edu.cn/simple"
USTC = "https://mirrors.ustc.edu.cn/pypi/simple"

PYPROJECT = """\
# the demo project
[project]
name = "demo"
version = "0.1.0"
requires-python = ">=3.9"
dependencies = []

[tool.poetry]
package-mode = false  # an application, not a library

# the company index, for our own packages only
[[tool.poetry.source]]
name = "corp"
url = "https://corp.example/simple"
priority = "explicit"
"""


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "project"
    folder.mkdir()
    monkeypatch.chdir(folder)
    return folder / "pyproject.toml"


def test_use_adds_one_primary_source_and_keeps_everything_else(project: Path):
    write(project, PYPROJECT)
    result = core.use(name="tuna", only="poetry")
    text = project.read_text()
    assert text == PYPROJECT + f'\n[[tool.poetry.source]]\nname = "mirrorctl"\nurl = "{TUNA}"\npriority = "primary"\n'
    assert [(c.key, c.before, c.after) for c in result.edits[0].changes] == [
        ("[[tool.poetry.source]] mirrorctl", None, TUNA)]
    assert result.edits[0].findings == () and result.unswitched == ()
    assert result.after[0].profile == "tuna"
    assert any("poetry lock" in m for m in messages(result.hints))

    core.use(name="ustc", only="poetry")
    assert project.read_text() == text.replace(TUNA, USTC)  # the same source, switched in place
    core.reset(only="poetry")
    assert project.read_bytes() == PYPROJECT.encode()  # the implicit PyPI is back
    state = core.current(only="poetry")[0]
    assert state.profile == "official"
    assert state.setting("source PyPI (implicit)") is not None


def test_a_primary_source_of_the_user_is_kept_and_use_fails_unless_force(project: Path, run):
    """Never removed or renamed: poetry 2.5 asks every primary source in file order (observed), so theirs would
    still be asked first; `use` writes nothing, says so, exits 1. --force removes it (or, when a dependency
    names it, makes it explicit) and says which."""
    by_hand = PYPROJECT + f'\n[[tool.poetry.source]]\nname = "tuna"\nurl = "{TUNA}"\npriority = "primary"\n'
    write(project, by_hand)
    assert core.current(only="poetry")[0].profile == "tuna"
    out = run("use", "ustc", "--only", "poetry")
    assert out.exit_code == 1, out.output
    assert project.read_text() == by_hand
    assert (f"poetry: [[tool.poetry.source]] tuna = {TUNA} is yours and poetry asks it first: left as it is and "
            "nothing written (add --force to replace it)") in out.output
    assert "poetry: not fully switched to ustc: tuna" in out.output

    out = run("use", "ustc", "--only", "poetry", "--force")
    assert out.exit_code == 0, out.output
    assert f"  [[tool.poetry.source]] tuna: {TUNA} -> (unset)" in out.output
    text = project.read_text()
    assert 'name = "tuna"' not in text and 'name = "corp"' in text and 'name = "mirrorctl"' in text
    assert core.current(only="poetry")[0].profile == "ustc"

    named = by_hand + '\n[tool.poetry.dependencies]\nrequests = { version = "*", source = "tuna" }\n'
    write(project, named)
    out = run("use", "ustc", "--only", "poetry", "--force")
    assert out.exit_code == 0, out.output
    assert f'  [[tool.poetry.source]] tuna: {TUNA} -> {TUNA} (priority = "explicit")' in out.output
    assert 'name = "tuna"' in project.read_text()
    assert core.current(only="poetry")[0].profile == "ustc"


def test_invalid_files_are_refused_untouched_with_file_and_line(project: Path):
    for text, line in (
        (PYPROJECT + "\n[tool.poetry\n", 17),
        (PYPROJECT + '\n[[tool.poetry.source]]\nurl = "https://x/simple"\n', 17),
        (PYPROJECT.replace('"explicit"', '"default"'), 12),
    ):
        write(project, text)
        with pytest.raises(ConfigParseError) as caught:
            core.use(name="tuna", only="poetry")
        assert caught.value.path == project and caught.value.line == line, caught.value
        assert project.read_text() == text
        state = core.current(only="poetry")[0]
        assert state.label.name is None and state.findings[0].code == "file-refused"


def test_no_poetry_project_named_with_only_is_one_error(project: Path, run):
    assert not base.load("poetry").present()
    write(project, '[project]\nname = "x"\n')  # PEP 621 only: not a poetry project
    assert not base.load("poetry").present()
    out = run("use", "tuna", "--only", "poetry")
    assert out.exit_code == 1
    assert out.output.count("no pyproject.toml with [tool.poetry]") == 1, out.output
    assert "already in place" not in out.output and "not fully switched" not in out.output
    assert project.read_text() == '[project]\nname = "x"\n'
    out = run("use", "tuna")  # not present: left alone by default
    assert project.read_text() == '[project]\nname = "x"\n'


def test_user_scope_never_edits_the_project(project: Path, run):
    """A plain `use` switches the machine's mirror: a poetry project in the current folder is left alone."""
    write(project, PYPROJECT)
    out = run("use", "tuna")
    assert project.read_text() == PYPROJECT
    assert ("poetry: has no user-wide setting, only the files of a project: left alone (name it with --only "
            "poetry, or use --scope project, to change the project here)") in out.output
    out = run("use", "tuna", "--scope", "project")
    assert out.exit_code == 0, out.output
    assert "poetry: updated " in out.output and 'name = "mirrorctl"' in project.read_text()


def test_dry_run_diff_and_byte_exact_restore(project: Path, run):
    crlf = PYPROJECT.replace("\n", "\r\n").encode()
    write(project, crlf)
    assert base.load("poetry").present()
    dry = run("use", "tuna", "--only", "poetry", "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert f'+url = "{TUNA}"' in dry.output and "(dry run: nothing was written)" in dry.output
    assert "poetry: would be tuna" in dry.output
    assert project.read_bytes() == crlf
    assert run("use", "tuna", "--only", "poetry").exit_code == 0
    assert b'\r\nname = "mirrorctl"\r\n' in project.read_bytes()
    assert run("restore").exit_code == 0
    assert project.read_bytes() == crlf


# ---------------------------------------------------------------------------------------------------------
# Real poetry


def _poetry_env(tmp_path: Path) -> dict[str, str]:
    env = dict(os.environ)  # the conftest's fake HOME and XDG_* already
    for name in list(env):
        if name.startswith("POETRY_"):
            del env[name]
    env.update(POETRY_CONFIG_DIR=str(tmp_path / "poetry-config"), POETRY_CACHE_DIR=str(tmp_path / "poetry-cache"),
               POETRY_DATA_DIR=str(tmp_path / "poetry-data"), POETRY_VIRTUALENVS_IN_PROJECT="true",
               POETRY_NO_INTERACTION="1", PYTHON_KEYRING_BACKEND="keyring.backends.null.Keyring",
               NO_PROXY="*")
    return env


def _poetry_lock(tmp_path: Path) -> tuple[subprocess.CompletedProcess[str], float]:
    executable = shutil.which("poetry") or str(Path(sys.executable).parent / "poetry")
    started = time.perf_counter()
    result = subprocess.run([executable, "lock"], env=_poetry_env(tmp_path), capture_output=True, text=True,
                            timeout=180, check=False)
    return result, time.perf_counter() - started


@pytest.mark.slow
@pytest.mark.real_client
def test_real_poetry_locks_through_the_mirror_after_use_and_not_after_restore(
        project: Path, index: Index, dead_url: str, tmp_path: Path):  # noqa: F811
    if not (shutil.which("poetry") or (Path(sys.executable).parent / "poetry").exists()):
        pytest.skip("poetry is not installed (pip install -e '.[clients]')")
    live = f"http://127.0.0.1:{index.port}/simple"
    profile_changes.add_profile(name="campus", pypi=dead_url, anaconda=None, title=None)  # a mirror that is gone now
    profile_changes.add_profile(name="loop", pypi=live, anaconda=None, title=None)
    write(project, PYPROJECT.replace("dependencies = []", f'dependencies = ["{PROJECT}=={VERSION}"]'))
    core.use(name="campus", only="poetry")
    lock = project.parent / "poetry.lock"

    failed, seconds = _poetry_lock(tmp_path)
    dead_host = dead_url.split("/")[2]
    print(f"poetry lock against the dead mirror: {seconds:.1f} s")
    assert failed.returncode != 0 and not lock.exists(), failed.stdout + failed.stderr
    assert dead_host in failed.stdout + failed.stderr, failed.stdout + failed.stderr

    core.use(name="loop", only="poetry")
    locked, seconds = _poetry_lock(tmp_path)
    assert locked.returncode == 0, locked.stdout + locked.stderr
    print(f"poetry lock through the loopback index: {seconds:.1f} s")
    assert f'name = "{PROJECT}"' in lock.read_text() and f"/simple/{PROJECT}/" in index.paths()

    lock.unlink()
    core.restore()
    assert dead_url in project.read_text() and live not in project.read_text()
    seen = len(index.paths())
    again, _ = _poetry_lock(tmp_path)
    assert again.returncode != 0 and not lock.exists(), again.stdout + again.stderr
    assert dead_host in again.stdout + again.stderr, again.stdout + again.stderr
    assert len(index.paths()) == seen, "poetry still used the loopback index after restore"
