"""`mirrorctl completion SHELL`: the scripts, judged by the real shells that exist here (bash always; zsh and fish
where installed), and what each argument completes to."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest


@pytest.fixture
def on_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A `mirrorctl` on PATH that runs this checkout's code, as the completion scripts call it back by name."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    wrapper = bin_dir / "mirrorctl"
    wrapper.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m mirrorctl "$@"\n')
    wrapper.chmod(wrapper.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}/usr/bin{os.pathsep}/bin")
    return wrapper


def _bash_complete(*words: str) -> list[str]:
    """What real bash offers at <TAB> after ``words`` (the last one is the word being completed)."""
    program = (
        'source <(mirrorctl completion bash)\n'
        'COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMPREPLY=()\n'
        'complete -p mirrorctl >/dev/null || exit 3\n'  # the script registered itself for the command
        '_mirrorctl_completion mirrorctl\n'
        'printf "%s\\n" "${COMPREPLY[@]}"\n'
    )
    done = subprocess.run(["bash", "-c", program, "bash", "mirrorctl", *words], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout.split()


def test_bash_completes_profile_names_without_listing_every_alias(on_path: Path):
    assert _bash_complete("use", "t") == ["tencent", "tuna"]
    assert _bash_complete("use", "tsi") == ["tsinghua"]  # an alias, once no name matches
    assert _bash_complete("bench", "tuna", "u") == ["ustc"]


def test_bash_completes_commands_tools_and_scopes(on_path: Path):
    assert _bash_complete("re") == ["reset", "restore"]
    assert _bash_complete("com") == ["completion"]
    assert _bash_complete("use", "--only", "pi") == ["pip", "pipenv", "pixi"]
    assert _bash_complete("current", "--scope", "") == ["user", "venv", "env", "system", "project"]


def test_bash_completes_backup_ids_for_restore(run, on_path: Path):
    assert run("use", "tuna", "--only", "pip").exit_code == 0
    assert run("use", "ustc", "--only", "pip").exit_code == 0
    ids = [b["id"] for b in json.loads(run("backups", "--json").output)["backups"]]
    assert len(ids) == 2
    assert _bash_complete("restore", "") == ids
    assert _bash_complete("restore", "1999") == []  # only IDs that start with what is typed


def test_user_profiles_complete_too(run, on_path: Path):
    assert run("profile", "add", "campus", "--pypi", "https://pypi.campus.example/simple").exit_code == 0
    assert _bash_complete("use", "ca") == ["campus"]


def test_powershell_answers_in_its_format(run, on_path: Path, monkeypatch: pytest.MonkeyPatch):
    # No pwsh here: the script is checked for the pieces PowerShell needs, and the callback it makes is run as
    # PowerShell would run it (the words so far in COMP_WORDS, the word under the cursor in COMP_CWORD).
    script = run("completion", "powershell").output
    assert "Register-ArgumentCompleter -Native -CommandName mirrorctl" in script
    assert '$env:_MIRRORCTL_COMPLETE = "powershell_complete"' in script
    env = {**os.environ, "_MIRRORCTL_COMPLETE": "powershell_complete", "COMP_WORDS": "mirrorctl use tu",
           "COMP_CWORD": "tu"}
    done = subprocess.run(["mirrorctl"], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["plain\ttuna\tTsinghua University TUNA (tsinghua, thu)"]


@pytest.mark.parametrize("shell, check", [("zsh", ["zsh", "-n"]), ("fish", ["fish", "--no-execute"])])
def test_zsh_and_fish_scripts_parse(run, shell: str, check: list[str], tmp_path: Path):
    if shutil.which(check[0]) is None:
        pytest.skip(f"{check[0]} is not installed here (.ci/run installs it from Debian's packages)")
    script = tmp_path / f"mirrorctl.{shell}"
    script.write_text(run("completion", shell).output)
    done = subprocess.run([*check, str(script)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr


def test_completion_refuses_an_unknown_shell(run):
    result = run("completion", "tcsh")
    assert result.exit_code == 2
    assert "'tcsh' is not one of 'bash', 'zsh', 'fish', 'powershell'" in result.output
