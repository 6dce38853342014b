"""The click-free path for `list` and `current`: the same output and exit codes as through click, click never
imported, and everything else (help, typos, unknown tools, --debug) left to click."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import write

from mirrorctl import launch

PLAIN = [
    ["list"], ["list", "--json"], ["current"], ["current", "--json"], ["current", "--only", "pip"],
    ["current", "--only=conda", "--only", "pip", "--json"], ["current", "--scope", "user"],
    ["current", "--json", "--scope=user", "--only", "uv"],
]
NOT_PLAIN = [
    [], ["--help"], ["list", "--help"], ["list", "--only", "pip"], ["current", "--only", "nosuch"],
    ["current", "--only"], ["current", "--scope", "galaxy"], ["current", "--scope", "user", "--scope", "venv"],
    ["current", "--debug"], ["--debug", "current"], ["current", "-h"], ["use", "tuna"], ["current", "extra"],
    ["current", "--jso"],
]


@pytest.mark.parametrize("argv", PLAIN, ids=" ".join)
def test_plain_forms_run_without_click(argv: list[str]):
    assert launch.plain_call(argv) is not None


@pytest.mark.parametrize("argv", NOT_PLAIN, ids=lambda a: " ".join(a) or "(none)")
def test_everything_else_goes_to_click(argv: list[str]):
    assert launch.plain_call(argv) is None


def _files(home: Path) -> None:
    write(home / ".config" / "pip" / "pip.conf", "[global]\nindex-url = https://pypi.tuna.tsinghua.edu.cn/simple\n")
    write(home / ".condarc", "channels:\n  - https://mirrors.ustc.edu.cn/anaconda/cloud/conda-forge/\n  - defaults\n")
    write(home / ".config" / "uv" / "uv.toml", 'index-url = "https://mirrors.aliyun.com/pypi/simple"\n')


def _fast(argv: list[str]) -> subprocess.CompletedProcess[str]:
    probe = ("import atexit, sys\n"
             "atexit.register(lambda: sys.stderr.write('click loaded: %s\\n' % ('click' in sys.modules)))\n"
             f"sys.argv = ['mirrorctl', *{argv!r}]\n"
             "from mirrorctl.launch import main\n"
             "main()\n")
    return subprocess.run([sys.executable, "-c", probe], env=dict(os.environ), capture_output=True, text=True,
                          timeout=60, check=False)


@pytest.mark.parametrize("broken", [False, True], ids=["healthy", "broken condarc"])
@pytest.mark.parametrize("argv", PLAIN, ids=" ".join)
def test_the_click_free_path_says_exactly_what_click_says(argv: list[str], broken: bool, run, isolated_home: Path):
    _files(isolated_home)
    if broken:
        write(isolated_home / ".condarc", "channels: [defaults\n")
    through_click = run(*argv)
    fast = _fast(argv)
    assert fast.stderr.endswith("click loaded: False\n"), fast.stderr
    assert fast.returncode == through_click.exit_code
    assert fast.stdout + fast.stderr.removesuffix("click loaded: False\n") == through_click.output
    if broken and argv[0] == "current" and "--only" not in " ".join(argv):
        assert fast.returncode == 1


def test_an_error_on_the_click_free_path_is_one_line_as_through_click(isolated_home: Path, tmp_path: Path,
                                                                      monkeypatch, run):
    gone = tmp_path / "gone"
    gone.mkdir()
    monkeypatch.chdir(gone)
    gone.rmdir()  # a working directory deleted under the shell: os.getcwd() fails
    fast = _fast(["current"])
    lines = fast.stderr.removesuffix("click loaded: False\n").splitlines()
    assert fast.returncode == 1 and len(lines) == 1, fast.stderr
    assert lines[0] == ("mirrorctl: error: the current directory no longer exists: No such file or directory; "
                        "nothing was changed")
    assert run("current").output == lines[0] + "\n"


def test_a_usage_error_is_still_clicks(isolated_home: Path):
    fast = _fast(["current", "--only", "nosuch"])
    assert fast.returncode == 2
    assert "click loaded: True" in fast.stderr
    assert "mirrorctl: error: Invalid value for '--only': unknown tool 'nosuch'" in fast.stderr
