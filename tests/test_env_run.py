"""`mirrorctl run` and `eval "$(mirrorctl env ...)"` with the real clients, and the process rules of `run`.

mirrorctl runs as a subprocess (``python -m mirrorctl``) so that exit codes, signals and stdio are the real
thing. The package clients install the demo wheel from the loopback index (tests/helpers/loopback_index.py),
reached as ``http://127.1:PORT`` so that pip (and the pip inside pipenv) use it only when told to trust it;
``NO_PROXY`` lists 127.1 so the trap proxy of tests/helpers/real_clients.py stays out of the way. Real conda
(tests/helpers/real_conda.py) searches a loopback conda channel served here.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import real_clients as rc
from conftest import write
from loopback_index import PROJECT, Index, TrapProxy
from real_conda import conda_missing_reason, find_conda

MIRRORCTL = [sys.executable, "-m", "mirrorctl"]
NO_PROXY = "127.0.0.1,localhost,127.1"
TIMEOUT_S = 300


def lab(run, pypi: str = "https://lab.example/simple", anaconda: str | None = "https://lab.example/anaconda") -> None:
    args = ["profile", "add", "lab", "--pypi", pypi] + (["--anaconda", anaconda] if anaconda else [])
    added = run(*args)
    assert added.exit_code == 0, added.output


def mirrorctl(*args: str, env: dict[str, str] | None = None, input: bytes | None = None,
              cwd: Path | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([*MIRRORCTL, *args], env=env or dict(os.environ), input=input, capture_output=True,
                          timeout=TIMEOUT_S, check=False, cwd=cwd)


# ---------------------------------------------------------------------------------------------------------
# The process: exit status, stdio, nothing of mirrorctl's own, command not found


def test_the_exit_status_is_the_commands_and_mirrorctl_says_nothing(run, tmp_path: Path):
    lab(run)
    (tmp_path / "tmp").mkdir()
    done = mirrorctl("run", "lab", "--", "sh", "-c", 'test -f "$CONDARC" && exit 7',
                     env={**os.environ, "TMPDIR": str(tmp_path / "tmp")})
    assert (done.returncode, done.stdout, done.stderr) == (7, b"", b"")
    assert list((tmp_path / "tmp").iterdir()) == []


def test_stdin_stdout_and_stderr_are_the_commands(run):
    lab(run)
    done = mirrorctl("run", "lab", "--", "sh", "-c", 'cat; printf "%s" "$PIP_INDEX_URL" >&2', input=b"in\xff\n")
    assert done.returncode == 0
    assert done.stdout == b"in\xff\n"
    assert done.stderr == b"https://lab.example/simple"


def test_the_command_gets_every_variable_and_a_private_condarc(run, tmp_path: Path):
    lab(run)
    script = ('printf "%s\\n" "$PIP_INDEX_URL" "$UV_DEFAULT_INDEX" "$PDM_PYPI_URL" "$PIPENV_PYPI_MIRROR"; '
              'stat -c "%a" "$CONDARC" "$(dirname "$CONDARC")" "$MAMBARC"; cat "$CONDARC"')
    done = mirrorctl("run", "lab", "--", "sh", "-c", script)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.decode().splitlines()
    assert lines[:4] == ["https://lab.example/simple"] * 4
    assert lines[4:7] == ["600", "700", "600"]
    assert "\n".join(lines[7:]) == (
        "channels:\n  - defaults\ndefault_channels:\n  - https://lab.example/anaconda/pkgs/main\n"
        "  - https://lab.example/anaconda/pkgs/r\n  - https://lab.example/anaconda/pkgs/msys2\ncustom_channels:\n"
        "  conda-forge: https://lab.example/anaconda/cloud\n  bioconda: https://lab.example/anaconda/cloud\n"
        "  pytorch: https://lab.example/anaconda/cloud\nshow_channel_urls: true")


def test_verbose_says_what_is_set_with_credentials_masked(run):
    lab(run, pypi="https://user:s3cret@lab.example/simple", anaconda=None)
    done = mirrorctl("run", "--verbose", "lab", "--", "true")
    assert done.returncode == 0 and done.stdout == b""
    text = done.stderr.decode()
    assert "mirrorctl: pip: PIP_INDEX_URL=https://***@lab.example/simple\n" in text
    assert "s3cret" not in text


def test_a_command_that_is_not_found_is_one_line_and_127(run, tmp_path: Path):
    lab(run)
    (tmp_path / "tmp").mkdir()
    done = mirrorctl("run", "lab", "--", "no-such-command-here", "x",
                     env={**os.environ, "TMPDIR": str(tmp_path / "tmp")})
    assert (done.returncode, done.stdout) == (127, b"")
    assert done.stderr == b"mirrorctl: no-such-command-here: command not found\n"
    assert list((tmp_path / "tmp").iterdir()) == []  # the private condarc was made, then removed


def test_a_file_that_is_not_executable_is_126(run, tmp_path: Path):
    lab(run)
    script = write(tmp_path / "script.sh", "echo hi\n", mode=0o644)
    done = mirrorctl("run", "lab", "--", str(script))
    assert done.returncode == 126
    assert done.stderr == f"mirrorctl: {script}: Permission denied\n".encode()


def test_a_death_by_signal_is_128_plus_the_signal(run):
    lab(run)
    assert mirrorctl("run", "lab", "--", "sh", "-c", "kill -TERM $$").returncode == 128 + signal.SIGTERM


def test_usage_errors(run):
    lab(run)
    assert mirrorctl("run", "lab").returncode == 2
    assert mirrorctl("run").returncode == 2
    missing = mirrorctl("run", "nosuch", "--", "true")
    assert missing.returncode == 1
    assert missing.stderr == (b"mirrorctl: error: no profile named 'nosuch' (known: official, aliyun, bfsu, huawei, "
                              b"lab, nju, sjtu, tencent, tuna, ustc)\n")


CHILD = r'''
import os, signal, sys, time
from pathlib import Path

def stop(signo, frame):
    Path(sys.argv[2]).write_text(signal.Signals(signo).name)
    sys.exit(42)

signal.signal(signal.SIGINT, stop)
signal.signal(signal.SIGTERM, stop)
Path(sys.argv[1]).write_text(os.environ["CONDARC"])
for _ in range(600):
    time.sleep(0.1)
'''


@pytest.mark.parametrize("signo", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_to_mirrorctl_reaches_the_command_and_the_condarc_goes(signo: int, run, tmp_path: Path):
    lab(run)
    ready, got = tmp_path / "ready", tmp_path / "got"
    env = {**os.environ, "TMPDIR": str(tmp_path / "tmp")}
    (tmp_path / "tmp").mkdir()
    proc = subprocess.Popen([*MIRRORCTL, "run", "lab", "--", sys.executable, "-c", CHILD, str(ready), str(got)],
                            env=env, start_new_session=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        for _ in range(600):  # until the command runs (not a timing assertion: the loop only waits)
            if ready.exists() and ready.read_text():
                break
            time.sleep(0.1)
        condarc = Path(ready.read_text())
        assert condarc.is_file() and condarc.parent.parent == tmp_path / "tmp"
        proc.send_signal(signo)
        out, err = proc.communicate(timeout=TIMEOUT_S)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 42, err
    assert got.read_text() == signal.Signals(signo).name
    assert (out, err) == (b"", b"")
    assert list((tmp_path / "tmp").iterdir()) == []


# ---------------------------------------------------------------------------------------------------------
# Real pip, uv, pdm and pipenv install through the loopback index, under `run` and under `eval "$(env)"`


def client_env(client: str, index: Index, trap: TrapProxy, home: Path, extra: dict[str, str] | None = None
               ) -> dict[str, str]:
    env = rc.client_env(client, home, trap, {"NO_PROXY": NO_PROXY, "no_proxy": NO_PROXY, **(extra or {})})
    env["MIRRORCTL_HOME"] = os.environ["MIRRORCTL_HOME"]
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env["PATH"]])
    return env


def install_command(client: str, work: Path) -> tuple[list[str], dict[str, str], Path, Path]:
    """The install, the variables it needs besides the mirror's, its working folder, and what it installs."""
    if client == "pip":
        return ([sys.executable, "-m", "pip", "install", "--no-deps", "--target", str(work / "t"), PROJECT], {},
                work, work / "t" / "mirrorctl_demo")
    if client == "uv":
        return ([str(rc.client_or_skip("uv")), "pip", "install", "--target", str(work / "t"), "--python",
                 sys.executable, PROJECT], {}, work, work / "t" / "mirrorctl_demo")
    if client == "pdm":
        subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(work / "venv")], check=True)
        project = work / "project"
        rc.project_pyproject(project)
        site = next((work / "venv" / "lib").glob("python*")) / "site-packages"
        return ([str(rc.client_or_skip("pdm")), "install", "--no-self"],
                {"PDM_PYTHON": str(work / "venv" / "bin" / "python")}, project, site / "mirrorctl_demo")
    project = work / "project"
    rc.project_pipfile(project, None)  # the Pipfile names pypi.org: PIPENV_PYPI_MIRROR replaces it
    return ([str(rc.client_or_skip("pipenv")), "install", "--python", sys.executable], {}, project,
            project / ".venv")


@pytest.mark.real_client
@pytest.mark.parametrize("mode", ["run", "eval"])
@pytest.mark.parametrize("client", ["pip", "uv", "pdm", "pipenv"])
def test_real_client_installs_through_the_mirror(client: str, mode: str, run, index: Index, trap: TrapProxy,
                                                 isolated_home: Path, tmp_path: Path):
    if client != "pip":
        rc.client_or_skip(client)
    lab(run, pypi=index.url, anaconda=None)
    pip_conf = write(isolated_home / ".config" / "pip" / "pip.conf", "[global]\ntimeout = 30\n# mine\n")
    before = pip_conf.read_bytes()
    work = tmp_path / "work"
    work.mkdir()
    command, extra, cwd, installed = install_command(client, work)
    env = client_env(client, index, trap, isolated_home, extra)
    if mode == "run":
        argv = [*MIRRORCTL, "run", "lab", "--", *command]
    else:
        argv = ["sh", "-c", 'eval "$("$PY" -m mirrorctl env lab --only "$TOOL")" && exec "$@"', "sh", *command]
        env.update(PY=sys.executable, TOOL=client)
    done = subprocess.run(argv, env=env, cwd=str(cwd), capture_output=True, text=True, timeout=TIMEOUT_S,
                          check=False)
    assert done.returncode == 0, f"{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    assert f"/simple/{PROJECT}/" in index.paths(), index.paths()
    assert "/packages/mirrorctl_demo-1.0-py3-none-any.whl" in index.paths()
    assert trap.log() == []
    if client == "pipenv":
        installed = next(installed.glob("lib/python*/site-packages")) / "mirrorctl_demo"
    assert installed.is_dir()
    assert pip_conf.read_bytes() == before


# ---------------------------------------------------------------------------------------------------------
# Real conda finds a package through `run`, the user's .condarc untouched, no temporary condarc left


class _Channel(BaseHTTPRequestHandler):
    """A conda mirror on loopback: every repodata.json is served (the demo package only in pkgs/main/noarch);
    the sharded and zstd forms conda asks for first are 404, which conda accepts."""

    log: list[str]

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: requests are kept in ``log``."""

    def do_GET(self) -> None:
        type(self).log.append(self.path)
        if not self.path.endswith("/repodata.json"):
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        subdir = self.path.rsplit("/", 2)[-2]
        packages = {}
        if self.path.endswith("/pkgs/main/noarch/repodata.json"):
            packages = {"mirrorctl-demo-1.0-0.tar.bz2": {
                "name": "mirrorctl-demo", "version": "1.0", "build": "0", "build_number": 0, "depends": [],
                "subdir": "noarch", "md5": "0" * 32, "size": 1}}
        body = json.dumps({"info": {"subdir": subdir}, "packages": packages, "packages.conda": {}}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def conda_channel() -> Iterator[tuple[str, list[str]]]:
    log: list[str] = []
    handler = type("Channel", (_Channel,), {"log": log})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/anaconda", log
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.real_client
@pytest.mark.skipif(conda_missing_reason() is not None, reason=str(conda_missing_reason()))
@pytest.mark.parametrize("mode", ["run", "eval"])
def test_real_conda_finds_a_package_through_run(mode: str, run, isolated_home: Path, tmp_path: Path,
                                                conda_channel: tuple[str, list[str]]):
    """`run` (a private CONDARC) and `eval "$(mirrorctl env lab --only conda)"` (CONDA_CHANNELS,
    CONDA_DEFAULT_CHANNELS): conda 26.7.1 searches the loopback mirror."""
    base_url, log = conda_channel
    lab(run, anaconda=base_url)
    conda, _ = find_conda()
    assert conda is not None
    condarc = write(isolated_home / ".condarc", "# mine\nshow_channel_urls: false\nauto_update_conda: false\n")
    before = condarc.read_bytes()
    temp = tmp_path / "tmp"
    temp.mkdir()
    env = {**conda.env(isolated_home), "MIRRORCTL_HOME": os.environ["MIRRORCTL_HOME"], "TMPDIR": str(temp)}
    command = [str(conda.python), "-m", "conda", "search", "mirrorctl-demo", "--json"]
    if mode == "run":
        argv = [*MIRRORCTL, "run", "lab", "--", *command]
    else:
        argv = ["sh", "-c", 'eval "$("$PY" -m mirrorctl env lab --only conda)" && exec "$@"', "sh", *command]
        env["PY"] = sys.executable
    done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=TIMEOUT_S, check=False)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    found = json.loads(done.stdout)["mirrorctl-demo"]
    assert [p["version"] for p in found] == ["1.0"]
    assert found[0]["channel"].startswith(base_url + "/pkgs/main")
    assert "/anaconda/pkgs/main/noarch/repodata.json" in log
    assert condarc.read_bytes() == before
    assert list(temp.iterdir()) == []


# ---------------------------------------------------------------------------------------------------------
# --fastest: benches first, as `use --fastest` does (a loopback fleet, tests/helpers/loopback_mirrors.py)


@pytest.fixture
def fleet():
    from loopback_mirrors import Fleet, MirrorSpec

    from mirrorctl import paths

    # quick and slow serve files at the same throttled rate (as in test_fastest.py): --fastest ranks by install
    # time, and an unthrottled loopback file times this process's scheduling, not bandwidth.
    specs = [MirrorSpec("quick", delay=0.02, rate=20e6, wheel_bytes=1024 * 1024),
             MirrorSpec("slow", delay=0.15, rate=20e6, wheel_bytes=1024 * 1024),
             MirrorSpec("broken", delay=0.0, behaviour="500")]
    with Fleet(specs) as running:
        for spec in specs:
            base = running.base_url(spec.name)
            write(paths.user_profiles_dir() / f"{spec.name}.toml",
                  f'name = "{spec.name}"\n[pypi]\nindex = "{base}/simple"\n'
                  f'[conda]\ndefault_channels = ["{base}/pkgs/main", "{base}/pkgs/r"]\n')
        yield running


def test_env_fastest_gives_each_tool_the_fastest_healthy_mirror(run, fleet):
    printed = run("env", "--fastest", "--from", "quick", "--from", "slow", "--from", "broken", "--only", "pip",
                  "--only", "conda", "--timeout", "1.5")
    assert printed.exit_code == 0, printed.output
    base = fleet.base_url("quick")
    assert printed.stdout == (f"export PIP_INDEX_URL='{base}/simple'\n"
                              f"export PIP_TRUSTED_HOST='{base.split('//')[1]}'\n"
                              "export CONDA_CHANNELS='defaults'\n"
                              f"export CONDA_DEFAULT_CHANNELS='{base}/pkgs/main,{base}/pkgs/r'\n")
    assert "fastest for pip: quick" in printed.stderr


def test_run_fastest_benches_first_and_says_nothing(run, fleet):
    done = mirrorctl("run", "--fastest", "--from", "quick", "--from", "slow", "--timeout", "1.5", "--", "sh", "-c",
                     'printf "%s" "$PIP_INDEX_URL"')
    assert done.returncode == 0, done.stderr
    assert (done.stdout, done.stderr) == (f"{fleet.base_url('quick')}/simple".encode(), b"")


def test_run_verbose_warns_when_the_users_default_channels_stay_in_effect(run, isolated_home: Path):
    """conda merges lists from every file (measured with conda 26.7.1: a CONDARC file's default_channels come
    first, the user's follow), so a user's own default_channels still count during `run`."""
    lab(run)
    write(isolated_home / ".condarc", "default_channels:\n  - https://elsewhere.example/pkgs/main\n")
    done = mirrorctl("run", "--verbose", "lab", "--", "true")
    assert done.returncode == 0
    assert (f"mirrorctl: conda: conda merges lists from every file: the default_channels in "
            f"{isolated_home}/.condarc stay in effect after lab's\n").encode() in done.stderr
    quiet = mirrorctl("run", "lab", "--", "true")
    assert (quiet.returncode, quiet.stdout, quiet.stderr) == (0, b"", b"")
