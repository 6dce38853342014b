"""Profiles that travel (`profile export`, `profile import`, `profile edit`), errors as JSON under --json, and
the small kindnesses of issue 19: 'did you mean', --only in any case and micromamba."""

from __future__ import annotations

import contextlib
import json
import os
import stat
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from loopback_index import PROJECT, WHEEL_NAME, build_wheel

DATA = Path(__file__).parent / "data"


def _user_profile(home: Path, name: str) -> Path:
    return home.parent / "mirrorctl" / "profiles" / f"{name}.toml"


def test_export_then_import_round_trips_one_profile(run, isolated_home: Path):
    exported = run("profile", "export", "tuna")
    assert exported.exit_code == 0, exported.output
    builtin = json.loads(run("profile", "show", "tuna", "--json").output)["profile"]
    imported = run("profile", "import", "-", "--replace", input=exported.output)
    assert imported.exit_code == 0, imported.output
    assert imported.output.startswith("replaced profile tuna (")
    mine = json.loads(run("profile", "show", "tuna", "--json").output)["profile"]
    assert mine["kind"] == "user" and builtin["kind"] == "built-in"
    assert {**mine, "kind": None, "path": None} == {**builtin, "kind": None, "path": None}
    # the file is the exported text itself, comments and all
    assert Path(mine["path"]).read_text() == exported.output


def test_a_catalogue_of_several_imports_each(run, tmp_path: Path):
    catalogue = tmp_path / "lab.toml"
    assert run("profile", "export", "bfsu", "nju", "--output", str(catalogue)).exit_code == 0
    text = catalogue.read_text().replace('name = "bfsu"', 'name = "lab-a"').replace('name = "nju"', 'name = "lab-b"')
    catalogue.write_text(text.replace('aliases = ["beiwai"]', "aliases = []"))
    result = run("profile", "import", str(catalogue), "--json")
    assert result.exit_code == 0, result.output
    document = json.loads(result.output)
    assert (document["kind"], [p["name"] for p in document["profiles"]]) == ("profile-import", ["lab-a", "lab-b"])
    listed = {p["name"]: p for p in json.loads(run("list", "--json").output)["profiles"]}
    assert listed["lab-a"]["kind"] == listed["lab-b"]["kind"] == "user"
    assert json.loads(run("backups", "--json").output)["backups"][0]["reason"].startswith("profile import ")


def test_a_taken_name_is_not_replaced_without_asking(run, tmp_path: Path):
    source = tmp_path / "tuna.toml"
    source.write_text(run("profile", "export", "tuna").output)
    result = run("profile", "import", str(source))  # no terminal to ask on (CliRunner's stdin is not a TTY)
    assert result.exit_code == 1
    assert "profile 'tuna' already exists; add --replace to replace it (nothing was imported)" in result.output
    assert json.loads(run("backups", "--json").output)["backups"] == []


def test_import_errors_name_the_file_and_the_key(run, tmp_path: Path):
    bad = tmp_path / "from-a-wiki.toml"
    bad.write_text('[[profiles]]\nname = "ok"\n[profiles.pypi]\nindex = "https://ok.example/simple"\n'
                   '[[profiles]]\nname = "broken"\n[profiles.pypi]\nindex = "ftp://broken.example/simple"\n')
    result = run("profile", "import", str(bad))
    assert result.exit_code == 1
    assert result.output.startswith(f"mirrorctl: error: {bad}: key 'profiles[2].pypi.index'")
    assert not list((tmp_path / "mirrorctl" / "profiles").glob("*.toml")) if (tmp_path / "mirrorctl").exists() else True
    listed = [p["name"] for p in json.loads(run("list", "--json").output)["profiles"]]
    assert "ok" not in listed  # all or nothing


def test_import_refuses_plain_http_to_another_machine(run):
    result = run("profile", "import", "http://mirror.example.org/profiles.toml")
    assert result.exit_code == 1
    assert "profiles are fetched over https only" in result.output


# ---------------------------------------------------------------------------------------------------------
# mirrorz: a real site's description (USTC's, trimmed to four repositories) pointed at a loopback copy


class _Site:
    def __init__(self) -> None:
        self.wheel = build_wheel()
        self.log: list[tuple[str, str]] = []


class _SiteHandler(BaseHTTPRequestHandler):
    """Serves what USTC serves for the parts the import and pip need: the simple index at /pypi/simple (not
    /pypi/web/simple), no pkgs/main (USTC has none), conda-forge under /anaconda/cloud."""

    server: ThreadingHTTPServer

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_HEAD(self) -> None:
        self._answer(head=True)

    def do_GET(self) -> None:
        self._answer(head=False)

    def _answer(self, *, head: bool) -> None:
        site: _Site = self.server.site  # type: ignore[attr-defined]
        site.log.append((self.command, self.path))
        pages = {
            "/pypi/simple/pip/": b'<a href="/pypi/packages/pip-25.0-py3-none-any.whl">pip-25.0-py3-none-any.whl</a>',
            f"/pypi/simple/{PROJECT}/": f'<a href="/pypi/packages/{WHEEL_NAME}">{WHEEL_NAME}</a>'.encode(),
            f"/pypi/packages/{WHEEL_NAME}": site.wheel,
            "/anaconda/cloud/conda-forge/noarch/repodata.json": b'{"packages": {}}',
        }
        body = pages.get(self.path)
        self.send_response(200 if body is not None else 404)
        body = body if body is not None else b"not here"
        if self.path.startswith("/pypi/simple/") and not self.server.untyped:  # type: ignore[attr-defined]
            self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if not head:
            self.wfile.write(body)


@contextlib.contextmanager
def _serve_site(*, untyped: bool = False) -> Iterator[tuple[str, _Site]]:
    """``untyped``: index pages without a Content-Type, which pip skips."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _SiteHandler)
    server.daemon_threads = True
    server.untyped = untyped  # type: ignore[attr-defined]
    site = _Site()
    server.site = site  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", site
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def test_a_mirrorz_description_becomes_a_profile_real_pip_uses(run, tmp_path: Path):
    with _serve_site() as (base, site):
        document = json.loads((DATA / "mirrorz_ustc.json").read_text(encoding="utf-8"))
        document["site"]["url"] = base
        saved = tmp_path / "mirrorz.json"
        saved.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
        result = run("profile", "import", str(saved), "--name", "ustc-site", "--json")
        assert result.exit_code == 0, result.output
        profile = json.loads(result.output)["profiles"][0]
        assert profile["name"] == "ustc-site"
        assert profile["title"] == "USTC (中国科学技术大学开源软件镜像)"
        assert profile["pypi"]["index_url"] == f"{base}/pypi/simple"  # /pypi/web/simple answered 404
        assert profile["pypi"]["verified"] is False and str(saved) in profile["pypi"]["source"]
        assert profile["conda"]["default_channels"] == []  # no pkgs/main, pkgs/r, pkgs/msys2 here
        assert profile["conda"]["custom_channels"] == {"conda-forge": f"{base}/anaconda/cloud"}

        assert run("use", "ustc-site", "--only", "pip").exit_code == 0
        site.log.clear()
        done = subprocess.run(
            [sys.executable, "-m", "pip", "download", "--no-deps", "--no-cache-dir", "--retries", "0",
             "-d", str(tmp_path / "dl"), PROJECT], capture_output=True, text=True, timeout=180, env=dict(os.environ))
        assert done.returncode == 0, done.stderr
        assert ("GET", f"/pypi/simple/{PROJECT}/") in site.log
        assert ("GET", f"/pypi/packages/{WHEEL_NAME}") in site.log
        assert (tmp_path / "dl" / WHEEL_NAME).is_file()


@pytest.mark.parametrize("untyped, under", [(False, "/nothing-here"), (True, "")])
def test_a_mirrorz_site_without_a_working_index_is_refused(run, tmp_path: Path, untyped: bool, under: str):
    # nothing at either path; or pages pip would skip (no Content-Type: real pip 26 said "Skipping page")
    with _serve_site(untyped=untyped) as (base, _site):
        base += under
        document = json.loads((DATA / "mirrorz_ustc.json").read_text(encoding="utf-8"))
        document["site"]["url"] = base
        saved = tmp_path / "mirrorz.json"
        saved.write_text(json.dumps(document), encoding="utf-8")
        result = run("profile", "import", str(saved))
    assert result.exit_code == 1
    assert f"no PyPI simple index answered at {base}/pypi/web/simple or {base}/pypi/simple" in result.output


# ---------------------------------------------------------------------------------------------------------
# profile edit


def _editor(tmp_path: Path, script: str) -> str:
    path = tmp_path / "editor.py"
    path.write_text(f"import sys, pathlib\nfile = pathlib.Path(sys.argv[1])\ntext = file.read_text()\n{script}\n")
    wrapper = tmp_path / "editor"
    wrapper.write_text(f'#!/bin/sh\nexec "{sys.executable}" "{path}" "$@"\n')
    wrapper.chmod(wrapper.stat().st_mode | stat.S_IXUSR)
    return str(wrapper)


def test_edit_reopens_with_the_error_until_the_profile_is_valid(run, tmp_path: Path, monkeypatch):
    seen = tmp_path / "seen.txt"
    monkeypatch.setenv("VISUAL", _editor(tmp_path, f"""
pathlib.Path({str(seen)!r}).open("a").write(text.splitlines()[0] + "\\n")
if "mirrorctl: error" in text:
    file.write_text(text.replace("ftp://", "https://"))
else:
    file.write_text(text.replace("https://pypi.tuna.tsinghua.edu.cn/simple", "ftp://pypi.lab.example/simple"))
"""))
    result = run("profile", "edit", "tuna")
    assert result.exit_code == 0, result.output
    assert result.output.startswith("saved profile tuna (")
    first_lines = seen.read_text().splitlines()
    assert len(first_lines) == 2 and first_lines[1].startswith("# mirrorctl: error: ")
    assert "pypi.index" in first_lines[1]
    shown = json.loads(run("profile", "show", "tuna", "--json").output)["profile"]
    assert shown["kind"] == "user" and shown["pypi"]["index_url"] == "https://pypi.lab.example/simple"
    assert "mirrorctl: error" not in Path(shown["path"]).read_text()
    assert run("restore").exit_code == 0  # backed up like any change: the built-in one is back
    assert json.loads(run("profile", "show", "tuna", "--json").output)["profile"]["kind"] == "built-in"


def test_edit_saved_unchanged_writes_nothing(run, tmp_path: Path, monkeypatch):
    monkeypatch.setenv("VISUAL", _editor(tmp_path, "pass"))
    result = run("profile", "edit", "ustc")
    assert (result.exit_code, result.output) == (0, "ustc: no change; nothing was written\n")
    assert json.loads(run("backups", "--json").output)["backups"] == []


# ---------------------------------------------------------------------------------------------------------
# JSON errors, names


def test_errors_under_json_are_json_on_stdout_with_the_same_exit_code(run):
    result = run("use", "tnua", "--json")
    assert result.exit_code == 1
    document = json.loads(result.stdout)
    assert (document["schema"], document["kind"]) == (2, "error")
    assert document["error"]["type"] == "user" and document["error"]["exit_code"] == 1
    assert document["error"]["message"].startswith("no profile named 'tnua'; did you mean 'tuna'? (known: ")
    usage = run("current", "--scope", "nowhere", "--json")
    assert usage.exit_code == 2
    assert json.loads(usage.stdout)["error"]["type"] == "usage"


def test_only_takes_any_case_and_micromamba(run):
    upper = json.loads(run("current", "--only", "PIP", "--json").output)
    assert list(upper["tools"]) == ["pip"]
    micromamba = json.loads(run("current", "--only", "micromamba", "--json").output)
    assert list(micromamba["tools"]) == ["mamba"]
    typo = run("current", "--only", "pipp")
    assert typo.exit_code == 2
    assert "unknown tool 'pipp'; did you mean 'pip'?" in typo.output


@pytest.mark.parametrize("argv", [["current", "--json"], ["list", "--json"]])
def test_the_click_free_path_reports_errors_as_json_too(argv: list[str], tmp_path: Path, isolated_home: Path):
    # MIRRORCTL_HOME a file: the store cannot be used; list and current run without click (mirrorctl.launch)
    (isolated_home / ".condarc").mkdir()
    done = subprocess.run([sys.executable, "-m", "mirrorctl", *argv], capture_output=True, text=True, timeout=60,
                          env=dict(os.environ))
    document = json.loads(done.stdout)
    assert document["schema"] == 2


def test_every_command_that_writes_says_so_when_run_twice(run, pip_conf: Path, tmp_path: Path, monkeypatch):
    # use, reset, profile import and profile edit are idempotent: the second run changes nothing, says so, and
    # takes no backup.
    def backups() -> int:
        return len(json.loads(run("backups", "--json").output)["backups"])

    assert run("use", "tuna", "--only", "pip").exit_code == 0
    again = run("use", "tuna", "--only", "pip")
    assert again.exit_code == 0 and again.output.startswith("already in place: nothing to change\n")
    assert backups() == 1
    assert run("reset", "--only", "pip").exit_code == 0
    again = run("reset", "--only", "pip")
    assert again.exit_code == 0 and again.output.startswith("already in place: nothing to change\n")
    assert backups() == 2
    exported = run("profile", "export", "tuna").output
    assert run("profile", "import", "-", "--name", "lab", input=exported).exit_code == 0
    again = run("profile", "import", "-", "--name", "lab", "--yes", input=exported)
    assert (again.exit_code, again.output) == (0, "profile lab is already in place: nothing to change\n")
    assert backups() == 3
    monkeypatch.setenv("VISUAL", _editor(tmp_path, "pass"))
    assert run("profile", "edit", "lab").output == "lab: no change; nothing was written\n"
    assert backups() == 3
