"""--scope user|venv|env|system|project: the right file per tool and scope, comments kept, byte-exact restore,
what shadows what, and one-line errors (no active virtualenv or conda env, no permission, a tool without it).

System files live under MIRRORCTL_SYSTEM_ROOT (tmp_path/system, set by the conftest): nothing here touches /etc.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import messages, write

from mirrorctl import core
from mirrorctl.errors import ScopeUnavailable, UsageError

TUNA = "https://pypi.tuna.tsinghua.edu.cn/simple"
TUNA_CLOUD = "https://mirrors.tuna.tsinghua.edu.cn/anaconda/cloud"
PIP_TEXT = "# lab settings, by hand\n[global]\n# keep it slow and steady\ntimeout = 60\n\n[install]\nno-compile = yes\n"
CONDA_TEXT = "# this env's own settings\nchannels:\n  - conda-forge   # the one we need\nshow_channel_urls: false\n"


@pytest.fixture
def venv(tmp_path: Path) -> Path:
    """An active virtualenv: the conftest already points VIRTUAL_ENV at tmp_path/venv; make it one."""
    folder = tmp_path / "venv"
    write(folder / "pyvenv.cfg", "home = /usr/bin\ninclude-system-site-packages = false\n")
    return folder


@pytest.fixture
def conda_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    prefix = tmp_path / "envs" / "lab"
    (prefix / "conda-meta").mkdir(parents=True)
    monkeypatch.setenv("CONDA_PREFIX", str(prefix))
    return prefix


@pytest.fixture
def system(tmp_path: Path) -> Path:
    return tmp_path / "system"


def snapshot(*paths: Path) -> dict[Path, bytes | None]:
    return {p: p.read_bytes() if p.exists() else None for p in paths}


# ---------------------------------------------------------------------------------------------------------
# pip


def test_pip_venv_scope_writes_the_venvs_pip_conf_keeps_comments_and_restores(run, venv: Path, pip_conf: Path):
    conf = write(venv / "pip.conf", PIP_TEXT)
    before = snapshot(conf, pip_conf)
    used = run("use", "tuna", "--only", "pip", "--scope", "venv")
    assert used.exit_code == 0, used.output
    assert f"pip: updated {conf}" in used.output
    assert "pip: now tuna" in used.output
    assert conf.read_text() == PIP_TEXT.replace("timeout = 60\n", f"timeout = 60\nindex-url = {TUNA}\n")
    assert not pip_conf.exists(), "the user file was written too"

    shown = run("current", "--only", "pip")
    assert f"from        {conf} [global] (venv scope)" in shown.output, shown.output
    state = json.loads(run("current", "--only", "pip", "--scope", "venv", "--json").output)["tools"]["pip"]
    assert (state["scope"], state["write_path"]) == ("venv", str(conf))
    assert [s["scope"] for s in state["scopes"]] == ["system", "user", "venv"]

    restored = run("restore")
    assert restored.exit_code == 0, restored.output
    assert snapshot(conf, pip_conf) == before


def test_pip_venv_scope_creates_the_file_and_restore_removes_it(venv: Path):
    core.use(name="tuna", only="pip", scope="venv")
    assert (venv / "pip.conf").read_text() == f"[global]\nindex-url = {TUNA}\n"
    core.restore()
    assert not (venv / "pip.conf").exists()


def test_no_active_virtualenv_is_a_one_line_error(run, monkeypatch: pytest.MonkeyPatch, pip_conf: Path):
    write(pip_conf, PIP_TEXT)
    monkeypatch.delenv("VIRTUAL_ENV")
    named = run("use", "tuna", "--only", "pip", "--scope", "venv")
    assert (named.exit_code, named.output) == (
        1, "mirrorctl: error: no virtualenv is active (VIRTUAL_ENV is not set): activate one first\n")
    unnamed = run("use", "tuna", "--scope", "venv")  # pip is configured (it has a file), so it is a candidate
    assert unnamed.exit_code == 1
    assert unnamed.output == ("mirrorctl: error: --scope venv: no tool to configure (pip: no virtualenv is active "
                              "(VIRTUAL_ENV is not set): activate one first; skipped)\n")
    assert pip_conf.read_text() == PIP_TEXT
    assert core.backups() == []
    fastest = run("use", "--fastest", "--scope", "venv")  # the same tools, the same reason, before any probe
    assert (fastest.exit_code, fastest.output) == (1, unnamed.output)


def test_a_folder_that_is_not_a_virtualenv_is_refused(tmp_path: Path):
    with pytest.raises(ScopeUnavailable, match=r"venv is not a virtualenv \(it has no pyvenv.cfg\)"):
        core.use(name="tuna", only="pip", scope="venv")
    assert not (tmp_path / "venv").exists()


def test_user_scope_warns_that_the_venvs_pip_conf_shadows_it(venv: Path, pip_conf: Path):
    write(venv / "pip.conf", "[global]\nindex-url = https://venv.example/simple\n")
    result = core.use(name="tuna", only="pip")
    assert TUNA in pip_conf.read_text()
    state = result.after[0]
    assert state.label.name == "custom"
    assert any("venv/pip.conf (the virtualenv's own pip config) sets index-url and beats ~/.config/pip/pip.conf"
               in m for m in messages(state.findings, "warning"))


def test_pip_system_scope_writes_etc_pip_conf_keeps_mode_and_restores(run, system: Path, pip_conf: Path):
    conf = write(system / "etc" / "pip.conf", PIP_TEXT, mode=0o640)
    before = snapshot(conf, pip_conf)
    used = run("use", "tuna", "--only", "pip", "--scope", "system")
    assert used.exit_code == 0, used.output
    assert conf.read_text() == PIP_TEXT.replace("timeout = 60\n", f"timeout = 60\nindex-url = {TUNA}\n")
    assert stat.S_IMODE(conf.stat().st_mode) == 0o640
    assert not pip_conf.exists()
    assert "system scope" in run("current", "--only", "pip").output
    assert run("restore").exit_code == 0
    assert snapshot(conf, pip_conf) == before and stat.S_IMODE(conf.stat().st_mode) == 0o640


def test_pip_system_scope_keeps_per_command_index_urls_of_the_xdg_system_file_in_step(system: Path):
    xdg = write(system / "etc" / "xdg" / "pip" / "pip.conf", "[install]\nindex-url = https://pypi.org/simple\n")
    core.use(name="tuna", only="pip", scope="system")
    assert xdg.read_text() == f"[install]\nindex-url = {TUNA}\n"
    assert (system / "etc" / "pip.conf").read_text() == f"[global]\nindex-url = {TUNA}\n"


def test_system_scope_warns_that_the_user_file_shadows_it(system: Path, pip_conf: Path):
    write(pip_conf, "[global]\nindex-url = https://user.example/simple\n")
    state = core.use(name="tuna", only="pip", scope="system").after[0]
    assert state.label.name == "custom"
    assert messages(state.findings, "warning") == [
        "~/.config/pip/pip.conf (user scope) sets [global] index-url = https://user.example/simple and beats "
        f"{system}/etc/pip.conf (system scope), so pip uses that value"]


def test_pip_config_file_shadows_the_venv_scope(venv: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    env_file = write(tmp_path / "ci.conf", "[global]\nindex-url = https://ci.example/simple\n")
    monkeypatch.setenv("PIP_CONFIG_FILE", str(env_file))
    state = core.use(name="tuna", only="pip", scope="venv").after[0]
    assert any(m.startswith(f"{env_file} (PIP_CONFIG_FILE scope) sets [global] index-url") for m in
               messages(state.findings, "warning")), state.findings


def test_pip_env_scope_writes_the_conda_envs_pip_conf_and_restores(run, conda_env: Path, pip_conf: Path,
                                                                   monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("VIRTUAL_ENV")  # pip of the conda env itself: its sys.prefix is $CONDA_PREFIX
    conf = write(conda_env / "pip.conf", PIP_TEXT)
    before = snapshot(conf, pip_conf)
    used = run("use", "tuna", "--only", "pip", "--scope", "env")
    assert used.exit_code == 0, used.output
    assert f"pip: updated {conf}" in used.output and "pip: now tuna" in used.output
    assert conf.read_text() == PIP_TEXT.replace("timeout = 60\n", f"timeout = 60\nindex-url = {TUNA}\n")
    assert not pip_conf.exists()
    shown = run("current", "--only", "pip").output
    assert f"from        {conf} [global] (env scope)" in shown, shown
    state = json.loads(run("current", "--only", "pip", "--scope", "env", "--json").output)["tools"]["pip"]
    assert (state["scope"], state["write_path"], state["findings"]) == ("env", str(conf), [])
    assert [s["scope"] for s in state["scopes"]] == ["system", "user", "env"]
    assert run("restore").exit_code == 0
    assert snapshot(conf, pip_conf) == before


def test_pip_user_scope_is_shadowed_by_the_conda_envs_pip_conf(conda_env: Path, pip_conf: Path,
                                                               monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("VIRTUAL_ENV")
    write(conda_env / "pip.conf", "[global]\nindex-url = https://env.example/simple\n")
    state = core.use(name="tuna", only="pip").after[0]
    assert TUNA in pip_conf.read_text()
    assert state.label.name == "custom"
    assert messages(state.findings, "warning") == [
        f"{conda_env}/pip.conf (env scope) sets [global] index-url = https://env.example/simple and beats "
        "~/.config/pip/pip.conf (user scope), so pip uses that value"]


def test_pip_env_scope_with_a_virtualenv_active_says_the_file_is_not_read(conda_env: Path, venv: Path):
    state = core.use(name="tuna", only="pip", scope="env").after[0]
    assert (conda_env / "pip.conf").read_text() == f"[global]\nindex-url = {TUNA}\n"
    assert state.label.name == "official"  # pip of the virtualenv reads venv/pip.conf, not the env's
    assert messages(state.findings, "warning") == [
        f"{conda_env}/pip.conf is not read while the virtualenv {venv} is active: pip there reads "
        f"{venv}/pip.conf instead (deactivate it, or use --scope venv)"]


def test_pip_env_scope_without_a_conda_env_is_a_one_line_error(run, monkeypatch: pytest.MonkeyPatch):
    result = run("use", "tuna", "--only", "pip", "--scope", "env")
    assert (result.exit_code, result.output) == (
        1, "mirrorctl: error: no conda environment is active (CONDA_PREFIX is not set): `conda activate` one "
           "first\n")
    assert core.backups() == []


# ---------------------------------------------------------------------------------------------------------
# conda and mamba


def test_conda_env_scope_writes_the_envs_condarc_and_restores(run, conda_env: Path, condarc: Path):
    rc = write(conda_env / ".condarc", CONDA_TEXT)
    before = snapshot(rc, condarc)
    used = run("use", "tuna", "--only", "conda", "--scope", "env")
    assert used.exit_code == 0, used.output
    text = rc.read_text()
    assert text.startswith("# this env's own settings\nchannels:\n  - conda-forge   # the one we need\n"), text
    assert f"conda-forge: {TUNA_CLOUD}" in text and "show_channel_urls: false" in text
    assert not condarc.exists()
    shown = run("current", "--only", "conda").output
    assert f"channel conda-forge  (listed in {rc} (env scope))" in shown, shown
    assert f"via custom_channels in {rc} (env scope)" in shown, shown
    assert run("restore").exit_code == 0
    assert snapshot(rc, condarc) == before


def test_no_active_conda_env_is_a_one_line_error(run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    result = run("use", "tuna", "--only", "conda", "--scope", "env")
    assert result.exit_code == 1
    assert result.output == ("mirrorctl: error: no conda environment is active (CONDA_PREFIX is not set): "
                             "`conda activate` one first\n")
    monkeypatch.setenv("CONDA_PREFIX", str(tmp_path))
    result = run("use", "tuna", "--only", "conda", "--scope", "env")
    assert result.output == f"mirrorctl: error: CONDA_PREFIX={tmp_path} is not a conda environment (it has no " \
                            "conda-meta folder)\n"
    assert not (tmp_path / ".condarc").exists()


def test_conda_user_scope_is_shadowed_per_key_by_the_env_but_lists_merge(conda_env: Path, condarc: Path):
    write(conda_env / ".condarc", "channels:\n  - bioconda\ncustom_channels:\n  conda-forge: https://own.example\n")
    write(condarc, "channels:\n  - conda-forge\n")
    state = core.use(name="tuna", only="conda").after[0]
    warnings = messages(state.findings, "warning")
    assert f"{conda_env}/.condarc (env scope) sets custom_channels.conda-forge = https://own.example and beats " \
           "~/.condarc (user scope), so conda uses that value" in warnings
    by_name = {s.value: s for s in state.settings if s.key == "channel"}
    assert by_name["conda-forge"].resolved == ("https://own.example/conda-forge",)
    # channels merge: the env's bioconda comes first, the user's conda-forge is still used
    assert list(by_name) == ["bioconda", "conda-forge"]
    assert by_name["bioconda"].resolved == (f"{TUNA_CLOUD}/bioconda",)
    assert state.label.name == "mixed"


def test_conda_system_scope_writes_etc_conda_condarc(run, system: Path, condarc: Path):
    used = run("use", "tuna", "--only", "conda", "--scope", "system")
    assert used.exit_code == 0, used.output
    rc = system / "etc" / "conda" / ".condarc"
    assert f"conda-forge: {TUNA_CLOUD}" in rc.read_text()
    assert not condarc.exists()
    assert run("restore").exit_code == 0
    assert not rc.exists()


def test_mamba_env_and_system_scopes_write_mambarc_never_condarc(conda_env: Path, system: Path):
    write(conda_env / ".condarc", "channels:\n  - conda-forge\n")
    edits = core.use(name="tuna", only="mamba", scope="env").edits
    assert [e.path for e in edits] == [conda_env / ".mambarc"]
    assert (conda_env / ".mambarc").read_text() == (
        f"mirrored_channels:\n  conda-forge:\n    - {TUNA_CLOUD}/conda-forge\n")
    assert (conda_env / ".condarc").read_text() == "channels:\n  - conda-forge\n"
    edits = core.use(name="tuna", only="mamba", scope="system").edits
    assert [e.path for e in edits] == [system / "etc" / "conda" / ".mambarc"]


# ---------------------------------------------------------------------------------------------------------
# uv, pdm, pixi


def test_uv_project_scope_prefers_uv_toml_over_pyproject(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    project = tmp_path / "proj"
    pyproject = write(project / "pyproject.toml", '[project]\nname = "demo"  # the name\nversion = "1"\n')
    monkeypatch.chdir(project)
    core.use(name="tuna", only="uv", scope="project")
    assert pyproject.read_text() == ('[project]\nname = "demo"  # the name\nversion = "1"\n\n'
                                     f'[[tool.uv.index]]\nurl = "{TUNA}"\ndefault = true\n')
    core.reset(only="uv", scope="project")
    assert pyproject.read_text() == '[project]\nname = "demo"  # the name\nversion = "1"\n'

    uv_toml = write(project / "uv.toml", "# project uv settings\nnative-tls = true\n")
    result = core.use(name="tuna", only="uv", scope="project")
    assert [e.path for e in result.edits] == [uv_toml]
    assert uv_toml.read_text().startswith("# project uv settings\nnative-tls = true\n")
    assert f'url = "{TUNA}"' in uv_toml.read_text()
    assert "tool.uv" not in pyproject.read_text()
    assert result.after[0].scope == "project" and result.after[0].findings == ()
    core.restore()
    assert uv_toml.read_text() == "# project uv settings\nnative-tls = true\n"


def test_uv_user_scope_is_shadowed_by_the_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    write(tmp_path / "proj" / "uv.toml", '[[index]]\nurl = "https://proj.example/simple"\ndefault = true\n')
    monkeypatch.chdir(tmp_path / "proj")
    state = core.use(name="tuna", only="uv").after[0]
    assert state.label.name == "custom"
    assert any("uv.toml (this project's uv settings) sets the default index" in m for m in messages(state.findings))


def test_uv_has_no_venv_scope_and_naming_it_is_a_usage_error(run):
    result = run("use", "tuna", "--only", "uv", "--scope", "venv")
    assert (result.exit_code, result.output) == (
        2, "mirrorctl: error: uv has no venv scope (it has system, user, project)\n")


def test_uv_system_scope_from_the_cli(run, system: Path):
    assert run("use", "tuna", "--only", "uv", "--scope", "system").exit_code == 0
    assert f'url = "{TUNA}"' in (system / "etc" / "uv" / "uv.toml").read_text()


def test_no_project_is_a_one_line_error(run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(tmp_path)
    result = run("use", "tuna", "--only", "uv", "--scope", "project")
    assert result.output == (f"mirrorctl: error: no uv.toml or pyproject.toml in {tmp_path} or above: run "
                             "mirrorctl in the project's directory\n")


def test_pdm_project_scope_writes_pdm_toml(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, isolated_home: Path):
    write(tmp_path / "proj" / "pyproject.toml", '[project]\nname = "demo"\n')
    monkeypatch.chdir(tmp_path / "proj")
    result = core.use(name="tuna", only="pdm", scope="project")
    assert (tmp_path / "proj" / "pdm.toml").read_text() == f'[pypi]\nurl = "{TUNA}"\n'
    assert not (isolated_home / ".config" / "pdm" / "config.toml").exists()
    assert result.after[0].label.name == "tuna" and result.after[0].findings == ()
    core.restore()
    assert not (tmp_path / "proj" / "pdm.toml").exists()


def test_pixi_project_scope_writes_the_workspace_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    write(tmp_path / "ws" / "pixi.toml", '[workspace]\nname = "ws"\nchannels = ["conda-forge"]\n')
    monkeypatch.chdir(tmp_path / "ws")
    result = core.use(name="tuna", only="pixi", scope="project")
    config = tmp_path / "ws" / ".pixi" / "config.toml"
    assert [e.path for e in result.edits] == [config]
    assert "[mirrors]" in config.read_text()
    assert (tmp_path / "ws" / "pixi.toml").read_text() == '[workspace]\nname = "ws"\nchannels = ["conda-forge"]\n'
    assert result.after[0].label.name == "tuna"


# ---------------------------------------------------------------------------------------------------------
# Tools without the scope; the default is unchanged


def test_tools_without_the_scope_are_skipped_with_a_note(run, venv: Path, pip_conf: Path, condarc: Path):
    write(pip_conf, PIP_TEXT)
    write(condarc, CONDA_TEXT)
    result = run("use", "tuna", "--scope", "venv")
    assert result.exit_code == 0, result.output
    assert "conda: has no venv scope (it has system, user, env); skipped" in result.output
    assert condarc.read_text() == CONDA_TEXT and pip_conf.read_text() == PIP_TEXT
    assert TUNA in (venv / "pip.conf").read_text()


def test_project_only_tools_named_with_a_scope_they_lack(run):
    result = run("use", "tuna", "--only", "poetry", "--scope", "user")
    assert (result.exit_code, result.output) == (
        2, "mirrorctl: error: poetry has no user scope (it has project)\n")
    with pytest.raises(UsageError):
        core.current(only="pipenv", scope="system")


# ---------------------------------------------------------------------------------------------------------
# System files: owner, mode, permission


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="giving a file to another user "
                    "needs root")
def test_system_write_keeps_the_files_owner(system: Path):
    conf = write(system / "etc" / "pip.conf", PIP_TEXT, mode=0o644)
    os.chown(conf, 65534, 65534)
    core.use(name="tuna", only="pip", scope="system")
    info = conf.stat()
    assert (info.st_uid, info.st_gid, stat.S_IMODE(info.st_mode)) == (65534, 65534, 0o644)
    assert TUNA in conf.read_text()
    core.restore()
    info = conf.stat()
    assert (info.st_uid, info.st_gid, conf.read_text()) == (65534, 65534, PIP_TEXT)


def _as_unprivileged(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """mirrorctl as a user without write access to the system folder: nobody when we are root (root may write
    anywhere), with a system Python nobody can run and our dependencies on PYTHONPATH; else ourselves."""
    import click

    root = hasattr(os, "geteuid") and os.geteuid() == 0
    python = sys.executable
    if root:
        python = next((p for p in (f"/usr/bin/python{sys.version_info[0]}.{sys.version_info[1]}",)
                       if os.access(p, os.X_OK)), "")
        if not python:
            pytest.skip("no system Python of this version for an unprivileged user")
        env = {**env, "PYTHONPATH": os.pathsep.join([env["PYTHONPATH"], str(Path(click.__file__).parent.parent)])}
        reachable = subprocess.run([python, "-c", "import click"], env=env, cwd=str(cwd), capture_output=True,
                                   timeout=60, check=False, user=65534, group=65534, extra_groups=[])
        if reachable.returncode != 0:  # e.g. a virtualenv inside a 0700 folder
            pytest.skip("the unprivileged user cannot read this test's Python packages")
    return subprocess.run([python, "-m", "mirrorctl", *args], env=env, cwd=str(cwd), capture_output=True,
                          text=True, timeout=120, check=False, user=65534 if root else None,
                          group=65534 if root else None, extra_groups=[] if root else None)


@pytest.fixture
def reachable_dir():
    """A folder an unprivileged user can reach (pytest's own tmp folders are root-only when we run as root)."""
    import shutil
    import tempfile

    folder = Path(tempfile.mkdtemp(prefix="mirrorctl-scopes-"))
    folder.chmod(0o755)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def test_permission_denied_on_a_system_file_is_one_line_and_changes_nothing(reachable_dir: Path):
    base = reachable_dir
    root = base / "system"
    conf = write(root / "etc" / "pip.conf", PIP_TEXT, mode=0o644)
    (root / "etc").chmod(0o555)
    home = base / "home"
    home.mkdir()
    home.chmod(0o777)
    env = {"PATH": "/usr/bin:/bin", "HOME": str(home), "XDG_CONFIG_HOME": str(home / ".config"),
           "XDG_CONFIG_DIRS": str(root / "etc" / "xdg"), "MIRRORCTL_HOME": str(home / "mirrorctl"),
           "MIRRORCTL_SYSTEM_ROOT": str(root), "PIP_CONFIG_FILE": str(base / "none.conf"),
           "PYTHONPATH": str(Path(__file__).resolve().parent.parent), "PYTHONDONTWRITEBYTECODE": "1"}
    try:
        result = _as_unprivileged(["use", "tuna", "--only", "pip", "--scope", "system"], env, base)
    finally:
        (root / "etc").chmod(0o755)
    assert result.returncode == 1, result
    assert result.stdout == ""
    assert result.stderr == f"mirrorctl: error: {conf}: cannot write: Permission denied; nothing was changed\n"
    assert conf.read_text() == PIP_TEXT
    assert sorted(p.name for p in (root / "etc").iterdir()) == ["pip.conf"]  # no temp file left behind


# ---------------------------------------------------------------------------------------------------------
# Real pip in a real virtualenv, through a loopback index (tests/test_real_pip.py)


def _pip_in(python: str, pip_path: Path, dest: Path) -> subprocess.CompletedProcess[str]:
    """``python -m pip download`` with the isolated environment; pip is imported from ``pip_path``."""
    from loopback_index import PROJECT

    env = dict(os.environ)
    env.update(PIP_DISABLE_PIP_VERSION_CHECK="1", PIP_NO_INPUT="1", PYTHONPATH=str(pip_path))
    return subprocess.run([python, "-m", "pip", "download", "--no-deps", "--no-cache-dir", "--retries", "0",
                           "--timeout", "30", "-d", str(dest), PROJECT], env=env, capture_output=True, text=True,
                          timeout=120, check=False)


@pytest.mark.slow
@pytest.mark.real_client
def test_real_pip_in_a_virtualenv_uses_the_mirror_after_use_scope_venv(run, tmp_path: Path, pip_conf: Path):
    pip_module = pytest.importorskip("pip")
    from loopback_index import PROJECT, WHEEL_NAME, dead_index_url, serve_index

    folder = tmp_path / "venv"  # where the conftest's VIRTUAL_ENV points
    made = subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(folder)], capture_output=True,
                          text=True, timeout=120, check=False)
    assert made.returncode == 0, made.stderr
    venv_python = str(folder / "bin" / "python")
    pip_path = tmp_path / "pip-only"  # the test interpreter's pip, and nothing else of its site-packages
    pip_path.mkdir()
    (pip_path / "pip").symlink_to(Path(pip_module.__file__).parent)
    dead = dead_index_url()
    write(pip_conf, f"# the user's own, broken on purpose\n[global]\nindex-url = {dead}\n")
    with serve_index() as index:
        assert run("profile", "add", "loop", "--pypi", index.url).exit_code == 0
        before = _pip_in(venv_python, pip_path, tmp_path / "d0")
        assert before.returncode != 0 and f"Looking in indexes: {dead}" in before.stdout, before

        used = run("use", "loop", "--only", "pip", "--scope", "venv")
        assert used.exit_code == 0, used.output
        assert "pip: now loop" in used.output
        fetched = _pip_in(venv_python, pip_path, tmp_path / "d1")
        assert fetched.returncode == 0, fetched.stdout + fetched.stderr
        assert (tmp_path / "d1" / WHEEL_NAME).read_bytes() == index.wheel
        assert f"/simple/{PROJECT}/" in index.paths()
        # only the venv: a pip outside it still has the user's (dead) index
        outside = _pip_in(sys.executable, pip_path, tmp_path / "d2")
        assert outside.returncode != 0 and f"Looking in indexes: {dead}" in outside.stdout, outside
        assert pip_conf.read_text() == f"# the user's own, broken on purpose\n[global]\nindex-url = {dead}\n"

        assert run("restore").exit_code == 0
        assert not (folder / "pip.conf").exists()
        seen = len(index.paths())
        after = _pip_in(venv_python, pip_path, tmp_path / "d3")
        assert after.returncode != 0 and f"Looking in indexes: {dead}" in after.stdout, after
        assert len(index.paths()) == seen


# ---------------------------------------------------------------------------------------------------------
# The real conda (26.7.1, ../shared/clients) with an active environment


@pytest.mark.slow
@pytest.mark.real_client
def test_real_conda_reads_what_use_scope_env_wrote_only_in_that_env(conda_env: Path, condarc: Path,
                                                                   isolated_home: Path):
    from real_conda import conda_client

    conda = conda_client()
    write(condarc, "channels:\n  - conda-forge\n")
    rc = write(conda_env / ".condarc", "# the lab env\nshow_channel_urls: false\n")
    before = rc.read_bytes()
    core.use(name="tuna", only="conda", scope="env")
    assert condarc.read_text() == "channels:\n  - conda-forge\n"
    active, inactive = conda.resolve_many([(isolated_home, {"CONDARC": str(condarc), "CONDA_PREFIX": str(conda_env)}),
                                           (isolated_home, {"CONDARC": str(condarc)})])
    assert active.error is None and active.channels, active
    assert {u.rsplit("/", 1)[0] for u in active.channels} == {f"{TUNA_CLOUD}/conda-forge"}, active
    assert {u.rsplit("/", 1)[0] for u in inactive.channels or ()} == {"https://conda.anaconda.org/conda-forge"}
    state = core.current(only="conda")[0]
    assert {u for s in state.settings if s.key == "channel" for u in s.resolved} == {f"{TUNA_CLOUD}/conda-forge"}
    assert state.label.name == "tuna"

    core.restore()
    assert rc.read_bytes() == before
    again = conda.resolve(isolated_home, {"CONDARC": str(condarc), "CONDA_PREFIX": str(conda_env)})
    assert {u.rsplit("/", 1)[0] for u in again.channels or ()} == {"https://conda.anaconda.org/conda-forge"}, again


@pytest.mark.slow
@pytest.mark.real_client
def test_real_pip_in_a_conda_env_uses_the_mirror_after_use_scope_env(run, tmp_path: Path, pip_conf: Path,
                                                                     conda_env: Path,
                                                                     monkeypatch: pytest.MonkeyPatch):
    """pip's site file is ``sys.prefix/pip.conf``; a conda env's pip has the env as its prefix. A virtualenv
    stands in for the env's Python here (pip only looks at sys.prefix), and one made inside it shows that a
    pip running in an active virtualenv reads the virtualenv's file, not the env's."""
    pip_module = pytest.importorskip("pip")
    from loopback_index import PROJECT, WHEEL_NAME, dead_index_url, serve_index

    monkeypatch.delenv("VIRTUAL_ENV")
    for folder in (conda_env, tmp_path / "inner"):
        made = subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(folder)], capture_output=True,
                              text=True, timeout=120, check=False)
        assert made.returncode == 0, made.stderr
    env_python, inner_python = str(conda_env / "bin" / "python"), str(tmp_path / "inner" / "bin" / "python")
    pip_path = tmp_path / "pip-only"
    pip_path.mkdir()
    (pip_path / "pip").symlink_to(Path(pip_module.__file__).parent)
    dead = dead_index_url()
    write(pip_conf, f"[global]\nindex-url = {dead}\n")
    with serve_index() as index:
        assert run("profile", "add", "loop", "--pypi", index.url).exit_code == 0
        before = _pip_in(env_python, pip_path, tmp_path / "d0")
        assert before.returncode != 0 and f"Looking in indexes: {dead}" in before.stdout, before

        used = run("use", "loop", "--only", "pip", "--scope", "env")
        assert used.exit_code == 0, used.output
        assert f"pip: created {conda_env / 'pip.conf'}" in used.output and "pip: now loop" in used.output
        fetched = _pip_in(env_python, pip_path, tmp_path / "d1")
        assert fetched.returncode == 0, fetched.stdout + fetched.stderr
        assert (tmp_path / "d1" / WHEEL_NAME).read_bytes() == index.wheel
        assert f"/simple/{PROJECT}/" in index.paths()
        # a virtualenv made from the env's Python: its pip reads inner/pip.conf, never the env's
        inner = _pip_in(inner_python, pip_path, tmp_path / "d2")
        assert inner.returncode != 0 and f"Looking in indexes: {dead}" in inner.stdout, inner
        monkeypatch.setenv("VIRTUAL_ENV", str(tmp_path / "inner"))
        state = core.current(only="pip", scope="env")[0]
        assert state.setting("index-url").value == dead  # type: ignore[union-attr]
        assert "pip.env-file-unread" in [f.code for f in state.findings]
        monkeypatch.delenv("VIRTUAL_ENV")

        assert run("restore").exit_code == 0
        assert not (conda_env / "pip.conf").exists()
        seen = len(index.paths())
        after = _pip_in(env_python, pip_path, tmp_path / "d3")
        assert after.returncode != 0 and f"Looking in indexes: {dead}" in after.stdout, after
        assert len(index.paths()) == seen


# ---------------------------------------------------------------------------------------------------------
# The real pdm (2.29, the clients extra) in a project


@pytest.mark.slow
@pytest.mark.real_client
def test_real_pdm_in_the_project_uses_the_mirror_after_use_scope_project(run, tmp_path: Path,
                                                                         monkeypatch: pytest.MonkeyPatch):
    import shutil

    from loopback_index import PROJECT, dead_index_url, serve_index
    from test_pdm_target import _pdm, pdm_lock
    from test_real_pip import describe

    _pdm()
    project = tmp_path / "proj"
    write(project / "pyproject.toml", f'[project]\nname = "demo"\nversion = "0"\nrequires-python = ">=3.9"\n'
                                      f'dependencies = ["{PROJECT}"]\n')
    local = write(project / "pdm.toml", "# this project's pdm settings\n[python]\nuse_venv = false\n")
    before = local.read_bytes()
    monkeypatch.chdir(project)
    with serve_index() as index:
        dead = dead_index_url()
        assert run("profile", "add", "dead", "--pypi", dead).exit_code == 0
        assert run("profile", "add", "loop", "--pypi", f"http://127.0.0.1:{index.port}/simple").exit_code == 0
        assert run("use", "dead", "--only", "pdm").exit_code == 0  # the user file: an index that never answers
        failed = pdm_lock(project)
        assert failed.returncode != 0 and index.paths() == [], describe(failed)

        used = run("use", "loop", "--only", "pdm", "--scope", "project")
        assert used.exit_code == 0, used.output
        assert f"pdm: updated {local}" in used.output and "pdm: now loop" in used.output, used.output
        assert local.read_text().startswith("# this project's pdm settings\n[python]\nuse_venv = false\n")
        locked = pdm_lock(project)
        assert locked.returncode == 0, describe(locked)
        assert f"/simple/{PROJECT}/" in index.paths()
        assert f'name = "{PROJECT}"' in (project / "pdm.lock").read_text()

        assert run("restore").exit_code == 0  # undoes the project change, not the user one
        assert local.read_bytes() == before
        (project / "pdm.lock").unlink()
        for cache in (tmp_path / "home" / ".cache", project / ".venv"):
            shutil.rmtree(cache, ignore_errors=True)
        seen = len(index.paths())
        again = pdm_lock(project)
        assert again.returncode != 0, describe(again)
        assert len(index.paths()) == seen, "pdm still asked the loopback index after restore"


# ---------------------------------------------------------------------------------------------------------
# The owner survives restore (root only: only root can give a file to someone else)

root_only = pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0,
                               reason="giving a file to another user needs root")


@root_only
def test_restore_recreates_a_removed_system_file_with_its_owner(system: Path):
    text = f"[global]\nindex-url = {TUNA}\n"
    conf = write(system / "etc" / "pip.conf", text, mode=0o640)
    os.chown(conf, 65534, 65534)
    result = core.reset(only="pip", scope="system")  # nothing but mirror settings: the file goes
    assert not conf.exists() and result.snapshot_id
    manifest = json.loads((core.backups()[0].directory / "manifest.json").read_text())
    assert [(f["uid"], f["gid"]) for f in manifest["files"]] == [(65534, 65534)]
    core.restore()
    info = conf.stat()
    assert (info.st_uid, info.st_gid, stat.S_IMODE(info.st_mode), conf.read_text()) == (65534, 65534, 0o640, text)


@root_only
def test_restore_puts_back_an_owner_changed_since_the_backup(system: Path):
    conf = write(system / "etc" / "pip.conf", PIP_TEXT, mode=0o644)
    os.chown(conf, 65534, 65534)
    core.use(name="tuna", only="pip", scope="system")
    os.chown(conf, 0, 0)  # someone took the file over after the change
    core.restore()
    info = conf.stat()
    assert (info.st_uid, info.st_gid, conf.read_text()) == (65534, 65534, PIP_TEXT)


def test_a_manifest_without_owners_still_restores(system: Path):
    conf = write(system / "etc" / "pip.conf", PIP_TEXT, mode=0o640)
    core.use(name="tuna", only="pip", scope="system")
    manifest = core.backups()[0].directory / "manifest.json"
    data = json.loads(manifest.read_text())
    for entry in data["files"]:  # as versions before owners were recorded wrote it
        del entry["uid"], entry["gid"]
    manifest.write_text(json.dumps(data))
    owner = (conf.stat().st_uid, conf.stat().st_gid)
    core.restore()
    info = conf.stat()
    assert (conf.read_text(), stat.S_IMODE(info.st_mode), (info.st_uid, info.st_gid)) == (PIP_TEXT, 0o640, owner)
