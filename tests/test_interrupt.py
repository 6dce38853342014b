"""Ctrl-C at any moment, start-up included: one line on stderr, exit 130, no traceback.

A real mirrorctl process gets a real SIGINT. To hit a given moment deterministically, the child runs with a
``sitecustomize`` (on PYTHONPATH, so Python imports it at start-up) that installs an import hook: when the
module named in PAUSE_AT_IMPORT is first imported, it creates the READY file and sleeps. The test waits for
that file, then sends SIGINT, so the KeyboardInterrupt is raised from inside that import, wherever it is.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import write

SHIM = '''
import os, sys, time

class _PauseAtImport:
    """Pause the first import of one module (its name in PAUSE_AT_IMPORT) until a signal arrives."""

    def find_spec(self, name, path=None, target=None):
        if name == os.environ.get("PAUSE_AT_IMPORT"):
            sys.meta_path.remove(self)
            open(os.environ["READY"], "w").close()
            time.sleep(120)
        return None

if os.environ.get("PAUSE_AT_IMPORT"):
    sys.meta_path.insert(0, _PauseAtImport())
'''

PIP_BEFORE = "[global]\nindex-url = https://mirrors.ustc.edu.cn/pypi/simple\n"


def _interrupt_at(tmp_path: Path, command: list[str], module: str) -> subprocess.CompletedProcess[str]:
    shim = tmp_path / "shim"
    write(shim / "sitecustomize.py", SHIM)
    ready = tmp_path / "ready"
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(shim), os.environ.get("PYTHONPATH", "")]),
               PAUSE_AT_IMPORT=module, READY=str(ready))
    child = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        while not ready.exists():
            if child.poll() is not None:
                out, err = child.communicate()
                pytest.fail(f"{module} was never imported by {command}: exit {child.returncode}\n{out}{err}")
            with contextlib.suppress(subprocess.TimeoutExpired):
                child.wait(timeout=0.02)
        child.send_signal(signal.SIGINT)
        out, err = child.communicate(timeout=120)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    return subprocess.CompletedProcess(command, child.returncode, out, err)


MODULE = [sys.executable, "-m", "mirrorctl"]


@pytest.mark.parametrize(("argv", "module"), [
    (["list"], "mirrorctl.views"),  # the click-free path, before anything of the command ran
    (["current"], "mirrorctl.core"),
    (["current", "--only", "conda"], "ruamel"),  # in the middle of reading a file
    (["use", "tuna", "--dry-run"], "click"),  # the click path, while click itself is being imported
    (["use", "tuna", "--only", "pip"], "mirrorctl.store"),  # inside the command, about to take the lock
    (["use", "tuna", "--only", "pip"], "mirrorctl.store.transaction"),
    (["bench", "--help"], "mirrorctl.cli"),
], ids=lambda value: " ".join(value) if isinstance(value, list) else value)
def test_ctrl_c_is_one_line_and_exit_130(tmp_path: Path, isolated_home: Path, argv: list[str], module: str):
    pip_conf = write(isolated_home / ".config" / "pip" / "pip.conf", PIP_BEFORE)
    write(isolated_home / ".condarc", "channels:\n  - defaults\n")
    result = _interrupt_at(tmp_path, [*MODULE, *argv], module)
    assert (result.returncode, result.stderr, result.stdout) == (130, "mirrorctl: interrupted\n", "")
    assert pip_conf.read_text() == PIP_BEFORE


def test_ctrl_c_through_the_console_script(tmp_path: Path):
    script = Path(sys.executable).with_name("mirrorctl")
    if not script.exists():
        pytest.skip(f"no console script next to {sys.executable} (not installed with pip install -e)")
    result = _interrupt_at(tmp_path, [str(script), "list"], "mirrorctl.views")
    assert (result.returncode, result.stderr, result.stdout) == (130, "mirrorctl: interrupted\n", "")


def test_the_shim_really_pauses_there(tmp_path: Path):
    """The hook is what makes the moments above real: without SIGINT, the same child would still be asleep."""
    shim = tmp_path / "shim"
    write(shim / "sitecustomize.py", SHIM)
    ready = tmp_path / "ready"
    env = dict(os.environ, PYTHONPATH=str(shim), PAUSE_AT_IMPORT="mirrorctl.views", READY=str(ready))
    child = subprocess.Popen([*MODULE, "list"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        while not ready.exists():
            assert child.poll() is None
            with contextlib.suppress(subprocess.TimeoutExpired):
                child.wait(timeout=0.02)
        with pytest.raises(subprocess.TimeoutExpired):
            child.wait(timeout=1)  # not a timing assertion: it sleeps 120 s, so it is still there after 1 s
    finally:
        child.kill()
        child.wait()
