"""pdm: config.toml `[pypi] url` (+ verify_ssl = false for http only); real pdm judges."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import write
from test_real_pip import PROJECT, Index, dead_url, describe  # noqa: F401 - dead_url is a fixture (index comes from conftest)

from mirrorctl import core, profile_changes
from mirrorctl.errors import ConfigParseError

TUNA = "https://pypi.tuna.tsinghua.edu.cn/simple"
REALISTIC = """\
# pdm settings
[python]
use_venv = true   # always

[pypi]
# the index
url = "https://pypi.org/simple"
json_api = false
"""


@pytest.fixture
def pdm_toml(isolated_home: Path) -> Path:
    return isolated_home / ".config" / "pdm" / "config.toml"


def test_use_keeps_comments_and_other_keys_and_restore_is_byte_exact(pdm_toml: Path, tmp_path: Path, monkeypatch):
    write(pdm_toml, REALISTIC)
    original = pdm_toml.read_bytes()
    lock = write(tmp_path / "proj" / "pdm.lock", "# lock\n")
    monkeypatch.chdir(lock.parent)
    result = core.use(name="tuna", only="pdm")
    assert pdm_toml.read_text() == REALISTIC.replace("https://pypi.org/simple", TUNA)
    assert [(c.key, c.before, c.after) for c in result.edits[0].changes] == [
        ("pypi.url", "https://pypi.org/simple", TUNA)]
    assert [h.code for h in result.hints] == ["pdm.lock-refresh"]
    assert core.current(only="pdm")[0].profile == "tuna"
    core.reset(only="pdm")
    assert "url" not in pdm_toml.read_text() and "json_api = false" in pdm_toml.read_text()
    core.restore()
    core.restore()
    assert pdm_toml.read_bytes() == original


def test_http_index_gets_verify_ssl_false_and_loses_it_again(pdm_toml: Path):
    assert profile_changes.add_profile(name="plain", pypi="http://10.0.0.1/simple", anaconda=None, title=None)
    core.use(name="plain", only="pdm")
    assert pdm_toml.read_text() == '[pypi]\nurl = "http://10.0.0.1/simple"\nverify_ssl = false\n'
    core.use(name="tuna", only="pdm")
    assert pdm_toml.read_text() == f'[pypi]\nurl = "{TUNA}"\n'
    assert core.reset(only="pdm").edits[0].new is None and not pdm_toml.exists()


def test_dry_run_diff_and_refused_file(run, pdm_toml: Path):
    write(pdm_toml, REALISTIC)
    dry = run("use", "tuna", "--only", "pdm", "--dry-run")
    assert dry.exit_code == 0 and f'+url = "{TUNA}"' in dry.output, dry.output
    assert pdm_toml.read_text() == REALISTIC and core.backups() == []
    bad = "[pypi]\nurl = 5\n"
    write(pdm_toml, bad)
    with pytest.raises(ConfigParseError) as caught:
        core.use(name="tuna", only="pdm")
    assert (caught.value.path, caught.value.line) == (pdm_toml, 2)
    assert pdm_toml.read_text() == bad
    assert core.current(only="pdm")[0].profile is None


def test_env_and_project_overrides_are_reported(pdm_toml: Path, tmp_path: Path, monkeypatch):
    core.use(name="tuna", only="pdm")
    project = tmp_path / "proj"
    write(project / "pdm.toml", '[pypi]\nurl = "https://mirrors.ustc.edu.cn/pypi/simple"\n')
    monkeypatch.chdir(project)
    state = core.current(only="pdm")[0]
    assert state.profile == "ustc" and [f.code for f in state.findings] == ["pdm.project-wins"]
    monkeypatch.setenv("PDM_PYPI_URL", "https://corp.example/simple")
    state = core.current(only="pdm")[0]
    assert state.profile == "custom" and "env-overrides" in {f.code for f in state.findings}
    other = tmp_path / "elsewhere.toml"
    monkeypatch.setenv("PDM_CONFIG_FILE", str(other))
    monkeypatch.delenv("PDM_PYPI_URL")
    core.use(name="tuna", only="pdm")
    assert other.read_text() == f'[pypi]\nurl = "{TUNA}"\n'


def _pdm() -> list[str]:
    pytest.importorskip("pdm", reason="pdm is not installed (pip install -e '.[clients]')")
    return [sys.executable, "-m", "pdm"]


def pdm_lock(project: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PDM_")}
    env.update(PDM_CHECK_UPDATE="false", PDM_NON_INTERACTIVE="1", PDM_USE_UV="false")
    return subprocess.run([*_pdm(), "lock", "-v"], cwd=project, env=env,
                          capture_output=True, text=True, timeout=180, check=False)


@pytest.mark.real_client
def test_real_pdm_locks_through_the_mirror_after_use_and_not_after_restore(
        run, index: Index, dead_url: str, pdm_toml: Path, tmp_path: Path):  # noqa: F811 - fixtures
    _pdm()
    assert run("profile", "add", "dead", "--pypi", dead_url).exit_code == 0
    assert run("profile", "add", "loop", "--pypi", f"http://127.0.0.1:{index.port}/simple").exit_code == 0
    project = tmp_path / "proj"
    write(project / "pyproject.toml", f'[project]\nname = "demo"\nversion = "0"\nrequires-python = ">=3.9"\n'
                                      f'dependencies = ["{PROJECT}"]\n')
    assert run("use", "dead", "--only", "pdm").exit_code == 0
    assert run("use", "loop", "--only", "pdm").exit_code == 0
    locked = pdm_lock(project)
    assert locked.returncode == 0, describe(locked)
    assert f"/simple/{PROJECT}/" in index.paths()
    assert f'name = "{PROJECT}"' in (project / "pdm.lock").read_text()

    assert run("restore").exit_code == 0
    (project / "pdm.lock").unlink()
    shutil.rmtree(tmp_path / "home" / ".cache", ignore_errors=True)
    seen = len(index.paths())
    again = pdm_lock(project)
    assert again.returncode != 0, describe(again)
    assert len(index.paths()) == seen, "pdm still asked the loopback index after restore"
