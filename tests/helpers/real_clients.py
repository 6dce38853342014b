"""uv, pdm, poetry and pipenv as judges: run the real client in an isolated HOME against the loopback index.

The clients come from PyPI as the ``clients`` extra (``pip install '.[clients]'``; ``.ci/run`` does it). Each is
found next to the running Python first (``<venv>/bin``), then on PATH; :func:`client_or_skip` skips a test with the
reason where one is absent.

Every call runs in a minimal environment built here (nothing of the machine's or the test's environment leaks
in): PATH (the client's folder, the running Python's, /usr/bin, /bin), HOME and XDG folders under the given
home, ``XDG_CONFIG_DIRS`` pointing at an empty folder (so ``/etc/xdg`` files are not read), ``LANG=C.UTF-8``, the
client's "no update check / no prompts / no interpreter downloads" switches, and the proxy variables pointing
at a :class:`loopback_index.TrapProxy` with ``NO_PROXY`` for 127.0.0.1. So a client left to its defaults tries
pypi.org through the trap (logged, refused) and never reaches the internet, while the same client configured
for the loopback index reaches it directly. The configuration under test stays the client's own files; nothing
here sets an index through the environment.

Each ``*_resolve`` helper writes nothing but a project (where the tool needs one) and returns a
:class:`ClientRun`: the command, exit code, output, seconds, and whether the loopback index served the demo
project (page or wheel) during that call.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest
from loopback_index import PROJECT, Index, TrapProxy

CLIENTS = ("uv", "pdm", "poetry", "pipenv")
TIMEOUT_S = 300


@dataclass(frozen=True)
class ClientRun:
    client: str
    args: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str
    seconds: float
    hit_index: bool
    index_paths: tuple[str, ...]
    trapped: tuple[str, ...]

    def describe(self) -> str:
        return (f"{self.client} {' '.join(self.args)}: exit {self.returncode} in {self.seconds:.1f}s; index "
                f"{list(self.index_paths)}; trapped {list(self.trapped)}\n--- stdout\n{self.stdout[-3000:]}\n"
                f"--- stderr\n{self.stderr[-3000:]}")


def find_client(name: str) -> Path | None:
    here = Path(sys.executable).parent / name
    if here.is_file() and os.access(here, os.X_OK):
        return here
    found = shutil.which(name)
    return Path(found) if found else None


def client_or_skip(name: str) -> Path:
    path = find_client(name)
    if path is None:
        pytest.skip(f"{name} is not installed (pip install '.[clients]'; .ci/run does)")
    return path


def requires_client(name: str) -> pytest.MarkDecorator:
    return pytest.mark.skipif(find_client(name) is None,
                              reason=f"{name} is not installed (pip install '.[clients]'; .ci/run does)")


def client_env(name: str, home: Path, trap: TrapProxy, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The whole environment a client call gets (see the module docstring)."""
    executable = find_client(name)
    folders = [str(executable.parent)] if executable else []
    folders += [str(Path(sys.executable).parent), "/usr/bin", "/bin"]
    empty = home / ".no-system-config"
    empty.mkdir(parents=True, exist_ok=True)
    env = {
        "PATH": os.pathsep.join(dict.fromkeys(folders)),
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_CACHE_HOME": str(home / ".cache"),
        "XDG_DATA_HOME": str(home / ".local" / "share"),
        "XDG_STATE_HOME": str(home / ".local" / "state"),
        "XDG_CONFIG_DIRS": str(empty),
        "LANG": "C.UTF-8",
        "HTTP_PROXY": trap.url, "HTTPS_PROXY": trap.url, "ALL_PROXY": trap.url,
        "http_proxy": trap.url, "https_proxy": trap.url, "all_proxy": trap.url,
        "NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost",
        # A pip.conf that does not exist: pip (and pipenv's pip) read only the files under this HOME.
        "PIP_CONFIG_FILE": str(home / ".no-such-pip.conf"),
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
        "PIP_NO_INPUT": "1",
        "PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring",
        "UV_PYTHON_DOWNLOADS": "never",
        "UV_NO_PROGRESS": "1",
        "UV_HTTP_RETRIES": "0",
        "PDM_CHECK_UPDATE": "false",
        "PDM_NON_INTERACTIVE": "1",
        "POETRY_NO_INTERACTION": "1",
        "POETRY_VIRTUALENVS_IN_PROJECT": "true",
        "POETRY_REQUESTS_MAX_RETRIES": "0",
        "PIPENV_YES": "1",
        "PIPENV_NOSPIN": "1",
        "PIPENV_VENV_IN_PROJECT": "1",
        "PIPENV_IGNORE_VIRTUALENVS": "1",
        "PIPENV_DONT_LOAD_ENV": "1",
        "PIP_RETRIES": "0",
    }
    env.update(extra or {})
    return env


def run_client(name: str, args: list[str], *, home: Path, cwd: Path, index: Index, trap: TrapProxy,
               extra_env: Mapping[str, str] | None = None, input: str | None = None,
               timeout: float = TIMEOUT_S) -> ClientRun:
    executable = client_or_skip(name)
    before_index, before_trap = len(index.log()), len(trap.log())
    started = time.perf_counter()
    result = subprocess.run([str(executable), *args], env=client_env(name, home, trap, extra_env), cwd=str(cwd),
                            input=input, capture_output=True, text=True, timeout=timeout, check=False)
    seconds = time.perf_counter() - started
    paths = tuple(r.path for r in index.log()[before_index:])
    return ClientRun(
        client=name, args=tuple(args), returncode=result.returncode, stdout=result.stdout, stderr=result.stderr,
        seconds=seconds, hit_index=any(p.startswith((f"/simple/{PROJECT}", "/packages/")) for p in paths),
        index_paths=paths, trapped=tuple(trap.log()[before_trap:]),
    )


# ---------------------------------------------------------------------------------------------------------
# The config files each client reads (what mirrorctl will write), for configuring a client by hand


def uv_user_config(home: Path) -> Path:
    return home / ".config" / "uv" / "uv.toml"


def pdm_user_config(home: Path) -> Path:
    return home / ".config" / "pdm" / "config.toml"


def write_uv_config(home: Path, url: str) -> Path:
    path = uv_user_config(home)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f'[[index]]\nurl = "{url}"\ndefault = true\n', encoding="utf-8")
    return path


def write_pdm_config(home: Path, url: str) -> Path:
    path = pdm_user_config(home)
    path.parent.mkdir(parents=True, exist_ok=True)
    verify = "\nverify_ssl = false" if url.startswith("http://") else ""
    path.write_text(f'[pypi]\nurl = "{url}"{verify}\n', encoding="utf-8")
    return path


def project_pyproject(project: Path, *, poetry_source: str | None = None) -> Path:
    """A minimal non-package project depending on the demo wheel (for pdm and poetry)."""
    project.mkdir(parents=True, exist_ok=True)
    text = (
        '[project]\nname = "demo-app"\nversion = "0.1.0"\nrequires-python = ">=3.9"\n'
        f'dependencies = ["{PROJECT}"]\n\n[tool.pdm]\ndistribution = false\n\n[tool.poetry]\npackage-mode = false\n'
    )
    if poetry_source is not None:
        text += f'\n[[tool.poetry.source]]\nname = "mirror"\nurl = "{poetry_source}"\npriority = "primary"\n'
    path = project / "pyproject.toml"
    path.write_text(text, encoding="utf-8")
    return path


def project_pipfile(project: Path, url: str | None) -> Path:
    project.mkdir(parents=True, exist_ok=True)
    source = url or "https://pypi.org/simple"
    text = (f'[[source]]\nurl = "{source}"\nverify_ssl = {"false" if source.startswith("http://") else "true"}\n'
            f'name = "{"mirror" if url else "pypi"}"\n\n[packages]\n{PROJECT} = "*"\n\n[dev-packages]\n')
    path = project / "Pipfile"
    path.write_text(text, encoding="utf-8")
    return path


# ---------------------------------------------------------------------------------------------------------
# One resolve per client


def uv_resolve(home: Path, index: Index, trap: TrapProxy) -> ClientRun:
    """``uv pip compile`` of the demo project (no venv needed); reads ~/.config/uv/uv.toml."""
    work = home / "uv-work"
    work.mkdir(parents=True, exist_ok=True)
    (work / "requirements.in").write_text(f"{PROJECT}\n", encoding="utf-8")
    return run_client("uv", ["pip", "compile", "--no-header", "--python", sys.executable, "requirements.in"],
                      home=home, cwd=work, index=index, trap=trap)


def uv_install(home: Path, venv: Path, index: Index, trap: TrapProxy) -> ClientRun:
    """``uv pip install --python VENV`` of the demo project into an existing venv."""
    return run_client("uv", ["pip", "install", "--python", str(venv / "bin" / "python"), PROJECT],
                      home=home, cwd=home, index=index, trap=trap)


def pdm_resolve(home: Path, project: Path, index: Index, trap: TrapProxy) -> ClientRun:
    """``pdm lock`` of a project depending on the demo; reads ~/.config/pdm/config.toml ``[pypi] url``."""
    return run_client("pdm", ["lock"], home=home, cwd=project, index=index, trap=trap,
                      extra_env={"PDM_PYTHON": sys.executable})


def poetry_resolve(home: Path, project: Path, index: Index, trap: TrapProxy) -> ClientRun:
    """``poetry lock``; the index is the project's ``[[tool.poetry.source]]`` (poetry has no global one)."""
    return run_client("poetry", ["lock"], home=home, cwd=project, index=index, trap=trap)


def pipenv_resolve(home: Path, project: Path, index: Index, trap: TrapProxy) -> ClientRun:
    """``pipenv lock``; the index is the Pipfile's ``[[source]]``."""
    return run_client("pipenv", ["lock", "--python", sys.executable], home=home, cwd=project, index=index,
                      trap=trap)
