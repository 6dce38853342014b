"""uv, pdm and poetry on the project layouts people really have, judged by the real clients.

Two loopback indexes stand for two mirrors: ``loopa`` (A, "the user's aliyun") and ``loopb`` (B, "tuna"), each a
user profile. After every `use`, `reset`, `restore`, the real client resolves the demo project and the index it
asked must be the one mirrorctl's `current` (and `list`) names; a trap proxy records any try to reach pypi.org.
The rules modelled come from tests/data/sources_observed.json (tests/data/observe_sources.py).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import real_clients as rc
from conftest import write
from loopback_index import PROJECT, Index, TrapProxy, serve_index, trap_proxy

from mirrorctl import core, profile_changes

HEAD = ('[project]\nname = "demo-app"\nversion = "0.1.0"\nrequires-python = ">=3.9"\n'
        f'dependencies = ["{PROJECT}"]\n\n')
POETRY = "[tool.poetry]\npackage-mode = false\n"
PDM = "[tool.pdm]\ndistribution = false\n"


class Mirrors:
    def __init__(self, a: Index, b: Index, trap: TrapProxy, home: Path, project: Path) -> None:
        self.a, self.b, self.trap, self.home, self.project = a, b, trap, home, project

    def asked(self, client: str) -> list[str]:
        """Run the real client once in the project; the names of the indexes it asked for the demo project
        ("pypi" when it tried the internet through the trap)."""
        before = {"loopa": len(self.a.log()), "loopb": len(self.b.log())}
        trapped = len(self.trap.log())
        if client == "uv":
            run = rc.run_client("uv", ["pip", "compile", "--no-header", "--python", sys.executable, "pyproject.toml"],
                                home=self.home, cwd=self.project, index=self.a, trap=self.trap)
        elif client == "pdm":
            run = rc.pdm_resolve(self.home, self.project, self.a, self.trap)
        else:
            run = rc.poetry_resolve(self.home, self.project, self.a, self.trap)
        for lock in ("pdm.lock", "poetry.lock"):
            (self.project / lock).unlink(missing_ok=True)
        asked = [name for name, index in (("loopa", self.a), ("loopb", self.b))
                 if any(r.path.startswith(f"/simple/{PROJECT}") for r in index.log()[before[name]:])]
        if len(self.trap.log()) > trapped:
            asked.append("pypi")
        assert asked, run.describe()
        return asked


@pytest.fixture
def mirrors(isolated_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Mirrors]:
    with serve_index() as a, serve_index() as b, trap_proxy() as trap:
        profile_changes.add_profile(name="loopa", pypi=a.loopback_url, anaconda=None, title="A")
        profile_changes.add_profile(name="loopb", pypi=b.loopback_url, anaconda=None, title="B")
        project = tmp_path / "project"
        project.mkdir()
        (tmp_path / "bin").mkdir(exist_ok=True)
        for client in ("uv", "pdm"):  # installed, as on the user's machine: a plain `use` configures them
            found = rc.find_client(client)
            if found is not None:
                (tmp_path / "bin" / client).symlink_to(found)
        monkeypatch.chdir(project)
        yield Mirrors(a, b, trap, isolated_home, project)


def label(tool: str) -> str | None:
    return core.current(only=tool)[0].label.name


def in_effect(run: Callable[..., object], tool: str) -> list[str]:
    listed = json.loads(run("list", "--json").output)  # type: ignore[attr-defined]
    return [p["name"] for p in listed["profiles"] if tool in p["in_effect"]]


def profile_of(asked: list[str]) -> str:
    return "official" if asked == ["pypi"] else asked[0]


@pytest.mark.real_client
@rc.requires_client("uv")
@rc.requires_client("poetry")
def test_uv_and_poetry_in_one_pyproject(mirrors: Mirrors, run):
    """The issue's layout: `[tool.uv] index-url = <aliyun>` next to `[tool.poetry]`. Both edits land in the one
    file (neither undoes the other), each client then fetches from what mirrorctl said."""
    original = HEAD + POETRY + f'\n[tool.uv]\nindex-url = "{mirrors.a.loopback_url}"\n'
    path = write(mirrors.project / "pyproject.toml", original)
    assert label("uv") == "loopa" == profile_of(mirrors.asked("uv"))

    out = run("use", "loopb", "--scope", "project")
    assert out.exit_code == 0, out.output
    assert "uv: now loopb" in out.output and "poetry: now loopb" in out.output, out.output
    text = path.read_text()
    assert "index-url" not in text and 'name = "mirrorctl"' in text and "[[tool.uv.index]]" in text
    assert mirrors.asked("uv") == ["loopb"] and mirrors.asked("poetry") == ["loopb"]
    assert in_effect(run, "uv") == ["loopb"]

    out = run("reset", "--scope", "project")
    assert out.exit_code == 0, out.output
    assert "uv: now official" in out.output and "poetry: now official" in out.output, out.output
    assert mirrors.asked("uv") == ["pypi"] and mirrors.asked("poetry") == ["pypi"]

    assert run("restore").exit_code == 0 and run("restore").exit_code == 0
    assert path.read_text() == original
    assert label("uv") == "loopa" and mirrors.asked("uv") == ["loopa"]


@pytest.mark.real_client
@rc.requires_client("uv")
def test_uv_user_default_index_beats_a_project_index_url(mirrors: Mirrors, run):
    """Observed: any default [[index]], even the user file's, beats every file's index-url."""
    write(mirrors.project / "pyproject.toml", HEAD + '[tool.uv]\nindex-url = "https://corp.example/simple"\n')
    out = run("use", "loopb", "--only", "uv")
    assert out.exit_code == 0, out.output
    assert "uv: now loopb" in out.output
    assert mirrors.asked("uv") == ["loopb"]
    assert "corp.example" in (mirrors.project / "pyproject.toml").read_text()  # the user's, untouched


@pytest.mark.real_client
@rc.requires_client("uv")
def test_uv_named_default_index_in_the_project_wins_unless_force(mirrors: Mirrors, run):
    path = write(mirrors.project / "pyproject.toml",
                 HEAD + f'[[tool.uv.index]]\nname = "mine"\nurl = "{mirrors.a.loopback_url}"\ndefault = true\n')
    original = path.read_text()
    out = run("use", "loopb", "--only", "uv")  # user scope: the project's default index still wins
    assert out.exit_code == 1, out.output
    assert "uv: not fully switched to loopb: loopa" in out.output
    assert path.read_text() == original
    assert mirrors.asked("uv") == ["loopa"] == [label("uv")]

    out = run("use", "loopb", "--only", "uv", "--scope", "project", "--force")
    assert out.exit_code == 0, out.output
    assert "uv: now loopb" in out.output
    assert 'name = "mine"' in path.read_text() and "explicit = true" in path.read_text()
    assert mirrors.asked("uv") == ["loopb"]


@pytest.mark.real_client
@rc.requires_client("uv")
def test_uv_named_index_that_is_not_default_is_asked_first_and_said(mirrors: Mirrors, run):
    write(mirrors.project / "pyproject.toml",
          HEAD + f'[[tool.uv.index]]\nname = "mine"\nurl = "{mirrors.a.loopback_url}"\n')
    out = run("use", "loopb", "--only", "uv")
    assert out.exit_code == 0, out.output
    assert (f"[[index]] {mirrors.a.loopback_url} (not default, not explicit): uv asks it before the default index, "
            "for the packages it has") in out.output
    assert mirrors.asked("uv") == ["loopa"]  # it has the demo project: uv takes it from there


@pytest.mark.real_client
@rc.requires_client("uv")
def test_uv_explicit_index_is_not_asked(mirrors: Mirrors, run):
    write(mirrors.project / "pyproject.toml",
          HEAD + f'[[tool.uv.index]]\nname = "mine"\nurl = "{mirrors.a.loopback_url}"\nexplicit = true\n')
    out = run("use", "loopb", "--only", "uv")
    assert out.exit_code == 0, out.output
    assert label("uv") == "loopb" and mirrors.asked("uv") == ["loopb"]


@pytest.mark.real_client
@rc.requires_client("uv")
def test_uv_toml_beats_tool_uv_in_a_workspace_member(mirrors: Mirrors, run, monkeypatch: pytest.MonkeyPatch):
    """A workspace member uses the root's settings; uv.toml beats [tool.uv] in the root: `--scope project`
    from the member writes the root's uv.toml, and real uv in the member then asks that index."""
    root = mirrors.project
    write(root / "pyproject.toml", HEAD + '[tool.uv.workspace]\nmembers = ["member"]\n\n[tool.uv]\n'
                                         f'index-url = "{mirrors.a.loopback_url}"\n')
    write(root / "uv.toml", f'index-url = "{mirrors.a.loopback_url}"\n')
    write(root / "member" / "pyproject.toml", HEAD.replace("demo-app", "member"))
    monkeypatch.chdir(root / "member")
    out = run("use", "loopb", "--only", "uv", "--scope", "project")
    assert out.exit_code == 0, out.output
    assert "uv.toml" in out.output and "uv: now loopb" in out.output
    assert mirrors.a.loopback_url in (root / "pyproject.toml").read_text()
    mirrors.project = root / "member"
    assert mirrors.asked("uv") == ["loopb"]


@pytest.mark.real_client
@rc.requires_client("pdm")
def test_pdm_source_named_pypi_beats_every_config(mirrors: Mirrors, run):
    path = write(mirrors.project / "pyproject.toml", HEAD + PDM + '\n[[tool.pdm.source]]\nname = "pypi"\n'
                                                                  f'url = "{mirrors.a.loopback_url}"\n'
                                                                  'verify_ssl = false\n')
    original = path.read_text()
    assert label("pdm") == "loopa" == profile_of(mirrors.asked("pdm"))
    out = run("use", "loopb", "--only", "pdm")
    assert out.exit_code == 1, out.output
    assert "pdm: now loopb" not in out.output and "pdm: not fully switched to loopb: loopa" in out.output
    assert path.read_text() == original  # user scope: the project is not touched
    assert mirrors.asked("pdm") == ["loopa"] and in_effect(run, "pdm") == ["loopa"]

    out = run("use", "loopb", "--only", "pdm", "--scope", "project", "--force")
    assert out.exit_code == 0, out.output
    assert "[[tool.pdm.source]] pypi" in out.output and "pdm: now loopb" in out.output
    assert mirrors.asked("pdm") == ["loopb"]
    assert run("restore").exit_code == 0
    assert path.read_text() == original and mirrors.asked("pdm") == ["loopa"]


@pytest.mark.real_client
@rc.requires_client("pdm")
def test_pdm_source_with_another_name_is_asked_besides(mirrors: Mirrors, run):
    write(mirrors.project / "pyproject.toml", HEAD + PDM + '\n[[tool.pdm.source]]\nname = "mine"\n'
                                                           f'url = "{mirrors.a.loopback_url}"\nverify_ssl = false\n')
    out = run("use", "loopb", "--only", "pdm")
    assert out.exit_code == 0, out.output
    assert "pdm: now loopb" in out.output and "pdm asks it besides pypi.url" in out.output
    assert sorted(mirrors.asked("pdm")) == ["loopa", "loopb"]


@pytest.mark.real_client
@rc.requires_client("poetry")
def test_poetry_primary_source_of_the_user_wins_unless_force(mirrors: Mirrors, run):
    source = f'\n[[tool.poetry.source]]\nname = "aliyun"\nurl = "{mirrors.a.loopback_url}"\npriority = "primary"\n'
    path = write(mirrors.project / "pyproject.toml", HEAD + POETRY + source)
    original = path.read_text()
    out = run("current", "--only", "poetry")
    assert "poetry asks it for every package" in out.output and label("poetry") == "loopa"
    out = run("use", "loopb", "--only", "poetry")
    assert out.exit_code == 1, out.output
    assert path.read_text() == original
    assert mirrors.asked("poetry") == ["loopa"]

    out = run("use", "loopb", "--only", "poetry", "--force")
    assert out.exit_code == 0, out.output
    assert f"[[tool.poetry.source]] aliyun: {mirrors.a.loopback_url} -> (unset)" in out.output
    assert mirrors.asked("poetry") == ["loopb"] and label("poetry") == "loopb"
    out = run("reset", "--only", "poetry")
    assert out.exit_code == 0 and "poetry: now official" in out.output, out.output
    assert mirrors.asked("poetry") == ["pypi"]
    assert run("restore").exit_code == 0 and run("restore").exit_code == 0
    assert path.read_text() == original


@pytest.mark.real_client
@rc.requires_client("poetry")
@pytest.mark.parametrize("priority", ["supplemental", "explicit"])
def test_poetry_supplemental_and_explicit_sources_do_not_win(mirrors: Mirrors, run, priority: str):
    source = f'\n[[tool.poetry.source]]\nname = "corp"\nurl = "{mirrors.a.loopback_url}"\npriority = "{priority}"\n'
    path = write(mirrors.project / "pyproject.toml", HEAD + POETRY + source)
    assert label("poetry") == "official" and mirrors.asked("poetry") == ["pypi"]  # PyPI implicit (observed)
    out = run("use", "loopb", "--only", "poetry")
    assert out.exit_code == 0, out.output
    assert "poetry: now loopb" in out.output and 'name = "corp"' in path.read_text()
    assert mirrors.asked("poetry") == ["loopb"]


def test_two_tools_in_one_pyproject_both_edits_land_and_read_well(isolated_home: Path, tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch, run):
    """No client needed: the bytes. uv's table and poetry's source both land; a blank line separates them."""
    project = tmp_path / "p"
    path = write(project / "pyproject.toml", HEAD + POETRY + '\n[tool.uv]\nindex-url = '
                 '"https://mirrors.aliyun.com/pypi/simple/"\n\n[[tool.poetry.source]]\nname = "corp"\n'
                 'url = "https://corp.example/simple"\npriority = "supplemental"\n')
    monkeypatch.chdir(project)
    out = run("use", "tuna", "--scope", "project", "--only", "uv", "--only", "poetry")
    assert out.exit_code == 0, out.output
    tuna = "https://pypi.tuna.tsinghua.edu.cn/simple"
    assert path.read_text() == (HEAD + POETRY + f'\n[tool.uv]\n\n[[tool.uv.index]]\nurl = "{tuna}"\ndefault = true\n'
                                '\n[[tool.poetry.source]]\nname = "corp"\nurl = "https://corp.example/simple"\n'
                                f'priority = "supplemental"\n\n[[tool.poetry.source]]\nname = "mirrorctl"\n'
                                f'url = "{tuna}"\npriority = "primary"\n')
    assert "uv: now tuna" in out.output and "poetry: now tuna" in out.output
    out = run("reset", "--scope", "project", "--only", "uv", "--only", "poetry")
    assert out.exit_code == 0, out.output
    assert "uv: now official" in out.output and "poetry: now official" in out.output
    assert "tuna" not in path.read_text() and 'name = "corp"' in path.read_text()
