"""uv's project scope: which settings file uv uses from a folder (workspace root first, then upwards), and that
`use --scope project` writes that very file. Real uv 0.13 (the clients extra) judges every layout: its
`--verbose` log names the settings file it loaded ("Found workspace configuration at ...")."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import write
from test_real_pip import PROJECT, Index, dead_url, describe  # noqa: F401 - dead_url is a fixture (index comes from conftest)

from mirrorctl import core
from mirrorctl.targets import uv as uv_target

TUNA = "https://pypi.tuna.tsinghua.edu.cn/simple"
PROJ = '[project]\nname = "{name}"\nversion = "1"\n'
USTC = "https://mirrors.ustc.edu.cn/pypi/simple"
#: Settings with a known mirror as the default index (mirrorctl's to replace); {name} tells the files apart.
TOOL_UV = '[tool.uv]\n# {name}\n[[tool.uv.index]]\nurl = "https://mirrors.ustc.edu.cn/pypi/simple"\ndefault = true\n'
UV_TOML = '# {name} settings\n[[index]]\nurl = "https://mirrors.ustc.edu.cn/pypi/simple"\ndefault = true\n'
WORKSPACE = '[tool.uv.workspace]\nmembers = ["{members}"]\n'

#: name -> (files, cwd, the settings file uv uses there (None: none), as observed with uv 0.13.9)
LAYOUTS = {
    "uv.toml above a project without settings": (
        {"uv.toml": UV_TOML.format(name="top"), "child/pyproject.toml": PROJ.format(name="c")},
        "child", "uv.toml"),
    "a parent project's [tool.uv] is inherited": (
        {"pyproject.toml": PROJ.format(name="p") + TOOL_UV.format(name="p"),
         "child/pyproject.toml": PROJ.format(name="c")}, "child", "pyproject.toml"),
    "a uv.toml below the project root is ignored": (
        {"pyproject.toml": PROJ.format(name="p") + TOOL_UV.format(name="p"), "child/uv.toml": UV_TOML.format(
            name="child")}, "child", "pyproject.toml"),
    "uv.toml beats [tool.uv] in the same folder": (
        {"pyproject.toml": PROJ.format(name="p") + TOOL_UV.format(name="p"), "uv.toml": UV_TOML.format(name="u")},
        ".", "uv.toml"),
    "a workspace member uses the root's settings": (
        {"pyproject.toml": PROJ.format(name="p") + WORKSPACE.format(members="child") + TOOL_UV.format(name="root"),
         "child/pyproject.toml": PROJ.format(name="c") + TOOL_UV.format(name="child")}, "child", "pyproject.toml"),
    "a pyproject without [project] is no project: settings from the folder up": (
        {"uv.toml": UV_TOML.format(name="top"), "child/pyproject.toml": TOOL_UV.format(name="child")},
        "child", "child/pyproject.toml"),
    "a uv.toml under a project without settings is not read": (
        {"pyproject.toml": PROJ.format(name="p"), "child/uv.toml": UV_TOML.format(name="child")}, "child", None),
    "a glob member, under a pyproject that is no project": (
        {"pyproject.toml": PROJ.format(name="p") + WORKSPACE.format(members="mid/*") + TOOL_UV.format(name="r"),
         "mid/pyproject.toml": "[tool.black]\nline-length = 100\n", "mid/child/pyproject.toml": PROJ.format(
             name="c")}, "mid/child", "pyproject.toml"),
    "a workspace that does not include the project still lends its settings": (
        {"pyproject.toml": PROJ.format(name="p") + WORKSPACE.format(members="pkgs/*") + TOOL_UV.format(name="r"),
         "other/pyproject.toml": PROJ.format(name="o")}, "other", "pyproject.toml"),
    "deep below a uv.toml": ({"uv.toml": UV_TOML.format(name="top")}, "a/b/c", "uv.toml"),
}


def _layout(root: Path, files: dict[str, str], cwd: str) -> Path:
    for name, text in files.items():
        write(root / name, text)
    folder = root / cwd
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.mark.parametrize("name", list(LAYOUTS))
def test_project_file_is_the_one_uv_would_use(tmp_path: Path, name: str):
    files, cwd, expected = LAYOUTS[name]
    folder = _layout(tmp_path / "p", files, cwd)
    assert uv_target.project_file(folder) == (tmp_path / "p" / expected if expected else None)


def _uv_bin() -> str:
    uv = pytest.importorskip("uv", reason="uv is not installed (pip install -e '.[clients]')")
    return str(uv.find_uv_bin())


def _uv(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    requirements = write(folder.parent / f"req-{folder.name}.in", f"{PROJECT}\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("UV_")}
    env.update(UV_HTTP_RETRIES="0", UV_PYTHON_DOWNLOADS="never", UV_NO_PROGRESS="1")
    return subprocess.run([_uv_bin(), "pip", "compile", "--no-cache", "--python", sys.executable, *args,
                           str(requirements)], env=env, cwd=folder, capture_output=True, text=True, timeout=120,
                          check=False)


def _uv_settings_file(folder: Path) -> Path | None:
    """The project settings file real uv loads in ``folder`` (its --verbose log), without any network."""
    result = _uv(folder, "--offline", "--verbose")
    found = re.findall(r"Found workspace configuration at `([^`]+)`", result.stderr)
    return Path(found[-1]) if found else None


@pytest.mark.real_client
@pytest.mark.parametrize("name", list(LAYOUTS))
def test_real_uv_loads_the_file_use_scope_project_writes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                         name: str):
    _uv_bin()
    files, cwd, expected = LAYOUTS[name]
    root = tmp_path / "p"
    folder = _layout(root, files, cwd)
    assert _uv_settings_file(folder) == (root / expected if expected else None)  # the table above is uv's
    before = {p: p.read_bytes() for p in root.rglob("*") if p.is_file()}
    monkeypatch.chdir(folder)
    state = core.current(only="uv", scope="project")[0]
    assert state.write_path == uv_target.project_write_file(folder)
    result = core.use(name="tuna", only="uv", scope="project")
    [edit] = result.edits
    assert _uv_settings_file(folder) == edit.path
    shown = _uv(folder, "--offline", "--show-settings")
    assert f'"{TUNA}"' in shown.stdout and USTC not in shown.stdout, describe(shown)
    assert result.after[0].settings[0].value == TUNA
    ignored = [folder / "uv.toml"] if (folder / "uv.toml").is_file() and edit.path != folder / "uv.toml" else []
    assert [(f.code, f.path) for f in result.after[0].findings] == [("uv.ignored-settings", p) for p in ignored]
    core.restore()
    assert {p: p.read_bytes() for p in root.rglob("*") if p.is_file()} == before


@pytest.mark.real_client
def test_real_uv_in_a_subfolder_of_a_project_uses_the_mirror_after_use_scope_project(
        run, index: Index, dead_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # noqa: F811
    _uv_bin()
    write(uv_target.user_file(), f'[[index]]\nurl = "{dead_url}"\ndefault = true\n')
    project_text = '[project]\nname = "demo"  # ours\nversion = "1"\ndependencies = []\n'
    pyproject = write(tmp_path / "proj" / "pyproject.toml", project_text)
    folder = tmp_path / "proj" / "src" / "demo"
    folder.mkdir(parents=True)
    monkeypatch.chdir(folder)
    assert run("profile", "add", "loop", "--pypi", f"http://127.0.0.1:{index.port}/simple").exit_code == 0
    before = _uv(folder)
    assert before.returncode != 0 and dead_url.split("//")[1].split("/")[0] in before.stderr, describe(before)

    used = run("use", "loop", "--only", "uv", "--scope", "project")
    assert used.exit_code == 0, used.output
    assert f"uv: updated {pyproject}" in used.output and "uv: now loop" in used.output, used.output
    assert pyproject.read_text().startswith(project_text)
    resolved = _uv(folder)
    assert resolved.returncode == 0, describe(resolved)
    assert f"{PROJECT}==1.0" in resolved.stdout
    assert f"/simple/{PROJECT}/" in index.paths()

    assert run("restore").exit_code == 0
    assert pyproject.read_text() == project_text
    seen = len(index.paths())
    after = _uv(folder)
    assert after.returncode != 0, describe(after)
    assert len(index.paths()) == seen, "uv still asked the loopback index after restore"


def test_a_dry_run_in_a_pyproject_without_tool_uv_shows_the_project_file_in_effect(run, tmp_path: Path,
                                                                                  monkeypatch: pytest.MonkeyPatch):
    text = '[project]\nname = "demo"\nversion = "1"\n'
    pyproject = write(tmp_path / "proj" / "pyproject.toml", text)
    monkeypatch.chdir(pyproject.parent)
    result = core.use(name="tuna", only="uv", scope="project", dry_run=True)
    assert pyproject.read_text() == text
    [after] = result.after
    assert after.settings[0].value == TUNA and after.settings[0].source.path == pyproject
    assert after.label.name == "tuna" and pyproject in after.files_read
    assert ("project", (pyproject,)) in after.scopes
    shown = run("use", "tuna", "--only", "uv", "--scope", "project", "--dry-run")
    assert shown.exit_code == 0, shown.output
    assert shown.output.endswith("(dry run: nothing was written)\nuv: would be tuna\n"), shown.output
    assert pyproject.read_text() == text and core.backups() == []

    core.use(name="tuna", only="uv", scope="project")  # and the other way: a dry reset drops it again
    [after] = core.reset(only="uv", scope="project", dry_run=True).after
    assert after.settings[0].value == "https://pypi.org/simple" and after.settings[0].source.path is None
    assert pyproject not in after.files_read


@pytest.mark.parametrize("name", ["a uv.toml below the project root is ignored",
                                  "a uv.toml under a project without settings is not read"])
def test_current_warns_about_a_uv_toml_that_uv_ignores(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str):
    files, cwd, expected = LAYOUTS[name]
    folder = _layout(tmp_path, files, cwd)
    monkeypatch.chdir(folder)
    state = core.current(only="uv")[0]
    warned = [f for f in state.findings if f.code == "uv.ignored-settings"]
    assert [f.path for f in warned] == [folder / "uv.toml"]
    used = tmp_path / expected if expected else "no project settings"
    from mirrorctl.output.common import message

    assert message(warned[0]) == (f"{folder / 'uv.toml'} is below the project root {tmp_path}: uv ignores it "
                                  f"(it reads {used})")


def test_no_warning_for_a_uv_toml_uv_reads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    files, cwd, _ = LAYOUTS["uv.toml beats [tool.uv] in the same folder"]
    monkeypatch.chdir(_layout(tmp_path, files, cwd))
    assert not [f for f in core.current(only="uv")[0].findings if f.code == "uv.ignored-settings"]
