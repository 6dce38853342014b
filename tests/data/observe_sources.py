"""Where uv, pdm and poetry really fetch from when several places name an index; prints JSON.

    python tests/data/observe_sources.py > tests/data/sources_observed.json

Three loopback indexes (A, B, C) all serve the demo project; each case writes its files (``{A}`` ... stand for
the indexes' URLs), runs the real client once (harness: tests/helpers/real_clients.py, isolated HOME, trap proxy for
the internet) and records which indexes were asked for the project and whether the client tried the internet
(pypi.org through the trap). The table is what tests/test_sources_truth.py models; rerun it after a client
upgrade.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "helpers"))

import real_clients as rc
from loopback_index import PROJECT, serve_index, trap_proxy

HEAD = ('[project]\nname = "demo-app"\nversion = "0.1.0"\nrequires-python = ">=3.9"\n'
        f'dependencies = ["{PROJECT}"]\n\n')
POETRY = "[tool.poetry]\npackage-mode = false\n"
PDM = "[tool.pdm]\ndistribution = false\n"


def poetry_source(name: str, url: str, priority: str) -> str:
    return f'\n[[tool.poetry.source]]\nname = "{name}"\nurl = "{url}"\npriority = "{priority}"\n'


def pdm_source(name: str, url: str) -> str:
    return f'\n[[tool.pdm.source]]\nname = "{name}"\nurl = "{url}"\nverify_ssl = false\n'


def uv_user(url: str) -> str:
    return f'[[index]]\nurl = "{url}"\ndefault = true\n'


#: name -> (client, {file: text}, extra environment)
CASES: dict[str, tuple[str, dict[str, str], dict[str, str]]] = {
    "uv: [tool.uv] index-url beats the user uv.toml default": (
        "uv", {"~uv": uv_user("{A}"), "pyproject.toml": HEAD + POETRY + '\n[tool.uv]\nindex-url = "{B}"\n'}, {}),
    "uv: [tool.uv] default [[index]] beats index-url in the same table": (
        "uv", {"pyproject.toml": HEAD + '[tool.uv]\nindex-url = "{B}"\n\n[[tool.uv.index]]\nurl = "{C}"\n'
                                        'default = true\n'}, {}),
    "uv: a named non-default [[tool.uv.index]] is asked before the default": (
        "uv", {"~uv": uv_user("{A}"), "pyproject.toml": HEAD + '[[tool.uv.index]]\nname = "mine"\n'
                                                                 'url = "{B}"\n'}, {}),
    "uv: an explicit [[tool.uv.index]] is not asked": (
        "uv", {"~uv": uv_user("{A}"), "pyproject.toml": HEAD + '[[tool.uv.index]]\nname = "mine"\nurl = "{B}"\n'
                                                                 'explicit = true\n'}, {}),
    "uv: a named default [[tool.uv.index]] beats the user file": (
        "uv", {"~uv": uv_user("{A}"), "pyproject.toml": HEAD + '[[tool.uv.index]]\nname = "mine"\nurl = "{B}"\n'
                                                                 'default = true\n'}, {}),
    "uv: uv.toml beats [tool.uv] in the same folder": (
        "uv", {"uv.toml": 'index-url = "{A}"\n', "pyproject.toml": HEAD + '[tool.uv]\nindex-url = "{B}"\n'}, {}),
    "uv: UV_INDEX_URL beats [tool.uv]": (
        "uv", {"pyproject.toml": HEAD + '[tool.uv]\nindex-url = "{B}"\n'}, {"UV_INDEX_URL": "{C}"}),
    "uv: UV_DEFAULT_INDEX beats UV_INDEX_URL": (
        "uv", {"pyproject.toml": HEAD}, {"UV_INDEX_URL": "{A}", "UV_DEFAULT_INDEX": "{C}"}),
    "uv: UV_INDEX is asked before the project's default": (
        "uv", {"pyproject.toml": HEAD + '[[tool.uv.index]]\nurl = "{B}"\ndefault = true\n'}, {"UV_INDEX": "{C}"}),
    "uv: UV_INDEX_URL beats a default [[index]] in a file": (
        "uv", {"pyproject.toml": HEAD + '[[tool.uv.index]]\nurl = "{B}"\ndefault = true\n'}, {"UV_INDEX_URL": "{C}"}),
    "uv: [tool.uv] index-url beats the user file's index-url": (
        "uv", {"~uv": 'index-url = "{A}"\n', "pyproject.toml": HEAD + '[tool.uv]\nindex-url = "{B}"\n'}, {}),
    "uv: a project default [[index]] beats the user file's": (
        "uv", {"~uv": uv_user("{A}"), "pyproject.toml": HEAD + '[[tool.uv.index]]\nurl = "{B}"\ndefault = true\n'},
        {}),
    "pdm: source named pypi beats pdm.toml and the user config": (
        "pdm", {"~pdm": '[pypi]\nurl = "{A}"\nverify_ssl = false\n', "pdm.toml": '[pypi]\nurl = "{B}"\n'
                'verify_ssl = false\n', "pyproject.toml": HEAD + PDM + pdm_source("pypi", "{C}")}, {}),
    "pdm: source named pypi against PDM_PYPI_URL": (
        "pdm", {"pyproject.toml": HEAD + PDM + pdm_source("pypi", "{C}")},
        {"PDM_PYPI_URL": "{A}", "PDM_PYPI_VERIFY_SSL": "false"}),
    "pdm: a source with another name is asked besides pypi.url": (
        "pdm", {"~pdm": '[pypi]\nurl = "{A}"\nverify_ssl = false\n', "pyproject.toml": HEAD + PDM
                + pdm_source("mine", "{C}")}, {}),
    "pdm: pdm.toml beats the user config": (
        "pdm", {"~pdm": '[pypi]\nurl = "{A}"\nverify_ssl = false\n', "pdm.toml": '[pypi]\nurl = "{B}"\n'
                'verify_ssl = false\n', "pyproject.toml": HEAD + PDM}, {}),
    "poetry: two primary sources: the first is asked first": (
        "poetry", {"pyproject.toml": HEAD + POETRY + poetry_source("aliyun", "{A}", "primary")
                   + poetry_source("mirrorctl", "{B}", "primary")}, {}),
    "poetry: a primary source beats a supplemental one": (
        "poetry", {"pyproject.toml": HEAD + POETRY + poetry_source("aliyun", "{A}", "supplemental")
                   + poetry_source("mirrorctl", "{B}", "primary")}, {}),
    "poetry: only an explicit source: PyPI is implicit": (
        "poetry", {"pyproject.toml": HEAD + POETRY + poetry_source("aliyun", "{A}", "explicit")}, {}),
    "poetry: only a supplemental source: PyPI is implicit and primary": (
        "poetry", {"pyproject.toml": HEAD + POETRY + poetry_source("aliyun", "{A}", "supplemental")}, {}),
    "poetry: no source at all": ("poetry", {"pyproject.toml": HEAD + POETRY}, {}),
}


def run_case(root: Path, name: str, indexes: dict[str, object], trap: object) -> dict[str, object]:
    client, files, extra = CASES[name]
    home = root / f"h{abs(hash(name))}"
    project = home / "project"
    project.mkdir(parents=True)
    urls = {k: i.loopback_url for k, i in indexes.items()}  # type: ignore[attr-defined]
    for file, text in files.items():
        text = text.format(**urls)
        path = {"~uv": rc.uv_user_config(home), "~pdm": rc.pdm_user_config(home)}.get(file, project / file)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    env = {k: v.format(**urls) for k, v in extra.items()}
    before = {k: len(i.log()) for k, i in indexes.items()}  # type: ignore[attr-defined]
    trapped = len(trap.log())  # type: ignore[attr-defined]
    if client == "uv":
        args = ["pip", "compile", "--no-header", "--python", sys.executable, "pyproject.toml"]
    else:
        args = ["lock"]
    env.update({"PDM_PYTHON": sys.executable} if client == "pdm" else {})
    executable = rc.client_or_skip(client)
    result = subprocess.run([str(executable), *args], env=rc.client_env(client, home, trap, env),  # type: ignore
                            cwd=str(project), capture_output=True, text=True, timeout=300, check=False)
    asked = [k for k, i in indexes.items()  # type: ignore[attr-defined]
             if any(r.path.startswith(f"/simple/{PROJECT}") for r in i.log()[before[k]:])]
    return {"name": name, "client": client, "exit": result.returncode, "asked": asked,
            "internet": len(trap.log()) > trapped,  # type: ignore[attr-defined]
            "stderr_tail": result.stderr.strip().splitlines()[-1:] if result.returncode else []}


def main() -> int:
    out = []
    with tempfile.TemporaryDirectory(prefix="observe-sources-") as tmp, serve_index() as a, serve_index() as b, \
            serve_index() as c, trap_proxy() as trap:
        for name in CASES:
            out.append(run_case(Path(tmp), name, {"A": a, "B": b, "C": c}, trap))
            print(json.dumps(out[-1]), file=sys.stderr)
    versions = {n: " ".join(subprocess.run([str(rc.find_client(n)), "--version"], capture_output=True, text=True,
                                           check=False).stdout.split()) for n in ("uv", "pdm", "poetry")}
    print(json.dumps({"versions": versions, "cases": out}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
