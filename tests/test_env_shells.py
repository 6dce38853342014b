"""`mirrorctl env`: every format's quoting, judged by the real readers where they exist here.

dash, bash, zsh and fish (``.ci/run`` installs zsh and fish from Debian when missing) evaluate the lines, then
``env -0`` in the same process prints the environment it hands to a child, and the test compares the exact bytes
of each variable. python-dotenv (a pipenv dependency) reads the dotenv lines. PowerShell, cmd.exe, Docker and the
GitHub runner do not exist here: their lines are checked against the rules in mirrorctl/output/env.py, each of
which names the parser it follows.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import write

from mirrorctl.errors import MirrorctlError, UsageError
from mirrorctl.output import env as env_output

#: Values a shell would mangle if quoted wrongly (newlines are refused, see below).
HOSTILE = {
    "MIRRORCTL_T_SPACE": "a  b\tc",
    "MIRRORCTL_T_SQUOTE": "it's 'quoted' ''",
    "MIRRORCTL_T_DQUOTE": 'say "hi" ""',
    "MIRRORCTL_T_DOLLAR": "$HOME ${HOME} $(id) $1 $$",
    "MIRRORCTL_T_BACKTICK": "`id` `",
    "MIRRORCTL_T_PERCENT": "%PATH% %% 100%",
    "MIRRORCTL_T_BANG": "!! !$ !x hi!",
    "MIRRORCTL_T_UNICODE": "naïve 中文 ü — ‘curly’ “quotes”",
    "MIRRORCTL_T_CREDS": "https://user:p@ss@mirror.example/simple",
    "MIRRORCTL_T_BACKSLASH": "a\\b \\' \\\\ end\\",
    "MIRRORCTL_T_GLOB": "* ? [a] ~ {a,b} #x ;|&<>()",
    "MIRRORCTL_T_EMPTY": "",
}

#: A user profile URL as hostile as a profile allows (profiles refuse whitespace, so no spaces or line breaks).
HOSTILE_URL = "https://us'er:p@ss@mirror.example/simple/$HOME/`id`/\"d\"/%PATH%/!!/naïve/back\\slash"

SHELLS = {
    "dash": ["dash", "-c", 'eval "$(cat "$1")"; exec env -0', "dash"],
    "bash": ["bash", "-c", 'eval "$(cat "$1")"; exec env -0', "bash"],
    "zsh": ["zsh", "-f", "-c", 'eval "$(cat "$1")"; exec env -0', "zsh"],
    "fish": ["fish", "--no-config", "-c", 'cat $argv[1] | source; exec env -0'],
}
FORMAT_OF = {"dash": "sh", "bash": "sh", "zsh": "sh", "fish": "fish"}


def shell_or_skip(shell: str) -> str:
    path = shutil.which(shell, path="/usr/bin:/bin:/usr/local/bin")
    if path is None:
        pytest.skip(f"{shell} is not installed (.ci/run installs zsh and fish: apt-get install zsh fish)")
    return path


def environment_after(shell: str, script: Path, base: dict[str, str]) -> dict[bytes, bytes]:
    """The environment a child of ``shell`` gets after the shell evaluated ``script``, as exact bytes."""
    argv = SHELLS[shell]
    argv = [shell_or_skip(shell), *argv[1:], str(script)]
    done = subprocess.run(argv, env=base, capture_output=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr.decode(errors="replace")
    variables = {}
    for entry in done.stdout.split(b"\0"):
        if entry:
            name, _, value = entry.partition(b"=")
            variables[name] = value
    return variables


def base_env(tmp_path: Path) -> dict[str, str]:
    return {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path / "home"), "LANG": "C.UTF-8"}


@pytest.mark.parametrize("shell", list(SHELLS))
def test_hostile_values_reach_the_child_byte_for_byte(shell: str, tmp_path: Path):
    fmt = FORMAT_OF[shell]
    script = write(tmp_path / "lines", "".join(env_output.set_line(fmt, k, v) + "\n" for k, v in HOSTILE.items()))
    seen = environment_after(shell, script, base_env(tmp_path))
    for name, value in HOSTILE.items():
        assert seen.get(name.encode()) == value.encode("utf-8"), (shell, name, script.read_text())


@pytest.mark.parametrize("shell", list(SHELLS))
def test_unset_lines_remove_the_variables(shell: str, tmp_path: Path):
    fmt = FORMAT_OF[shell]
    script = write(tmp_path / "lines", "".join(env_output.unset_line(fmt, k) + "\n" for k in HOSTILE))
    env = {**base_env(tmp_path), **{k: "set before" for k in HOSTILE}}
    seen = environment_after(shell, script, env)
    assert not [k for k in HOSTILE if k.encode() in seen]


def _hostile_profile(home: Path) -> None:
    write(home.parent / "mirrorctl" / "profiles" / "lab.toml",
          'name = "lab"\ntitle = "Lab"\n\n[pypi]\nindex = ' + json.dumps(HOSTILE_URL) + "\nverified = false\n"
          '\n[conda]\nverified = false\ndefault_channels = ["https://u:p@ss@lab.example/pkgs/main"]\n'
          '[conda.custom_channels]\nconda-forge = "https://lab.example/cloud"\nbioconda = "https://other.example/cloud"\n')


@pytest.mark.parametrize("shell", list(SHELLS))
def test_eval_of_mirrorctl_env_sets_every_variable_exactly(shell: str, run, isolated_home: Path, tmp_path: Path):
    """The whole command, as users run it: `eval "$(mirrorctl env lab)"` / `mirrorctl env lab --shell fish |
    source`, with a profile URL full of quotes, $, backticks, %, !, non-ASCII and user:p@ss@ (unmasked)."""
    _hostile_profile(isolated_home)
    fmt = FORMAT_OF[shell]
    printed = run("env", "lab", "--shell", fmt)
    assert printed.exit_code == 0, printed.output
    lines = printed.stdout
    assert "user:p@ss@" not in HOSTILE_URL or "***" not in lines
    seen = environment_after(shell, write(tmp_path / "lines", lines), base_env(tmp_path))
    expected = json.loads(run("env", "lab", "--json").stdout)["variables"]
    assert expected["PIP_INDEX_URL"] == HOSTILE_URL
    for name, value in expected.items():
        assert seen.get(name.encode()) == value.encode("utf-8"), (shell, name, lines)


def test_what_cannot_be_expressed_is_a_comment_and_on_stderr(run, isolated_home: Path):
    _hostile_profile(isolated_home)
    printed = run("env", "lab", "--only", "conda", "--only", "poetry")
    assert printed.exit_code == 0, printed.output
    conda_note = ("conda: lab's channels bioconda, conda-forge live on different bases: custom_channels is "
                  "a map, which conda reads only from a file, so they stay upstream here (`mirrorctl run` and "
                  "`mirrorctl use` can set them)")
    assert printed.stdout.splitlines() == [
        f"# mirrorctl: not set: {conda_note}",
        "# mirrorctl: not set: poetry: poetry reads its package sources only from pyproject.toml, never from the "
        "environment: run `mirrorctl use lab --only poetry --scope project` in the project instead",
        "export CONDA_CHANNELS='defaults'",
        "export CONDA_DEFAULT_CHANNELS='https://u:p@ss@lab.example/pkgs/main'",
    ]
    assert f"mirrorctl: not set: {conda_note}" in printed.stderr.splitlines()
    data = json.loads(run("env", "lab", "--only", "conda", "--json").stdout)
    assert data["kind"] == "env"
    assert data["tools"]["conda"]["unexpressed"][0]["code"] == "conda.env-custom-channels"
    assert data["tools"]["conda"]["unexpressed"][0]["params"]["channels"] == ["bioconda", "conda-forge"]


def test_github_lines_have_no_comment_the_runner_would_refuse(run, isolated_home: Path):
    _hostile_profile(isolated_home)
    printed = run("env", "lab", "--only", "pip", "--only", "poetry", "--shell", "github")
    assert printed.exit_code == 0, printed.output
    assert printed.stdout == f"PIP_INDEX_URL={HOSTILE_URL}\n"
    assert "mirrorctl: not set: poetry:" in printed.stderr


def test_tools_with_nothing_to_express_make_no_comment(run):
    printed = run("env", "tuna", "--only", "pip", "--only", "uv", "--only", "pdm", "--only", "pipenv")
    assert printed.exit_code == 0, printed.output
    assert printed.stdout == (
        "export PIP_INDEX_URL='https://pypi.tuna.tsinghua.edu.cn/simple'\n"
        "export UV_DEFAULT_INDEX='https://pypi.tuna.tsinghua.edu.cn/simple'\n"
        "export PDM_PYPI_URL='https://pypi.tuna.tsinghua.edu.cn/simple'\n"
        "export PIPENV_PYPI_MIRROR='https://pypi.tuna.tsinghua.edu.cn/simple'\n")
    assert printed.stderr == ""


def test_plain_http_adds_the_trust_variables_pip_and_pdm_need(run, isolated_home: Path):
    assert run("profile", "add", "lab", "--pypi", "http://10.0.0.5:8080/simple").exit_code == 0
    printed = run("env", "lab", "--only", "pip", "--only", "pdm", "--only", "uv")
    assert printed.stdout == ("export PIP_INDEX_URL='http://10.0.0.5:8080/simple'\n"
                              "export PIP_TRUSTED_HOST='10.0.0.5:8080'\n"
                              "export UV_DEFAULT_INDEX='http://10.0.0.5:8080/simple'\n"
                              "export PDM_PYPI_URL='http://10.0.0.5:8080/simple'\n"
                              "export PDM_PYPI_VERIFY_SSL='false'\n")


@pytest.mark.parametrize("fmt", env_output.FORMATS)
@pytest.mark.parametrize("bad", ["a\nb", "a\rb", "a\0b"])
def test_line_breaks_are_refused_with_a_clear_error(fmt: str, bad: str):
    with pytest.raises(MirrorctlError, match=r"the value of PIP_INDEX_URL contains a (line break|carriage return|"
                                             r"NUL byte), which \w+ lines cannot carry safely"):
        env_output.set_line(fmt, "PIP_INDEX_URL", bad)


def test_each_format_line_for_one_value():
    value = "https://u:p@ss@m.example/simple?a='1'&b=\"2\"&c=%3$x`!"
    assert {fmt: env_output.set_line(fmt, "PIP_INDEX_URL", value) for fmt in env_output.FORMATS} == {
        "sh": "export PIP_INDEX_URL='https://u:p@ss@m.example/simple?a='\\''1'\\''&b=\"2\"&c=%3$x`!'",
        "fish": "set -gx PIP_INDEX_URL 'https://u:p@ss@m.example/simple?a=\\'1\\'&b=\"2\"&c=%3$x`!'",
        "powershell": "$env:PIP_INDEX_URL = 'https://u:p@ss@m.example/simple?a=''1''&b=\"2\"&c=%3$x`!'",
        "cmd": 'set "PIP_INDEX_URL=https://u:p@ss@m.example/simple?a=\'1\'&b="2"&c=%%3$x`!"',
        "dotenv": "PIP_INDEX_URL='https://u:p@ss@m.example/simple?a=\\'1\\'&b=\"2\"&c=%3$x`!'",
        "dockerfile": "ENV PIP_INDEX_URL='https://u:p@ss@m.example/simple?a='\\''1'\\''&b=\"2\"&c=%3$x`!'",
        "github": "PIP_INDEX_URL=https://u:p@ss@m.example/simple?a='1'&b=\"2\"&c=%3$x`!",
    }


def test_powershell_doubles_the_typographic_single_quotes_too():
    # PowerShell's tokenizer takes U+2018..U+201B as single quotes (CharExtensions.IsSingleQuote).
    assert env_output.set_line("powershell", "X", "a\u2019b") == "$env:X = 'a\u2019\u2019b'"


def test_cmd_escapes_specials_only_where_a_value_quote_closed_the_quotes():
    assert env_output.set_line("cmd", "X", 'a&b"c&d"e&f') == 'set "X=a&b"c^&d"e&f"'
    assert env_output.unset_line("cmd", "X") == 'set "X="'


def test_dotenv_lines_read_back_exactly_with_python_dotenv(tmp_path: Path):
    dotenv = pytest.importorskip("dotenv")
    values = {k: v.replace("${", "$ {") for k, v in HOSTILE.items()}
    path = write(tmp_path / ".env", "".join(env_output.set_line("dotenv", k, v) + "\n" for k, v in values.items()))
    assert dotenv.dotenv_values(path) == values
    with pytest.raises(MirrorctlError, match=r"expand even in quotes"):
        env_output.set_line("dotenv", "X", "${HOME}")


@pytest.mark.parametrize("fmt", ["dotenv", "dockerfile", "github"])
def test_unset_is_refused_for_formats_that_only_set(fmt: str):
    with pytest.raises(UsageError, match=f"--unset: a {fmt} file can only set variables"):
        env_output.unset_line(fmt, "PIP_INDEX_URL")


def test_env_unset_without_a_name_undoes_every_profile(run):
    printed = run("env", "--unset", "--only", "pip", "--only", "conda")
    assert printed.exit_code == 0, printed.output
    assert printed.stdout == ("unset PIP_INDEX_URL\nunset CONDA_CHANNELS\nunset CONDA_DEFAULT_CHANNELS\n"
                              "unset CONDA_CHANNEL_ALIAS\n")


def test_env_usage_errors(run):
    assert run("env").exit_code == 2
    assert run("env", "tuna", "--fastest").exit_code == 2
    bad = run("env", "nosuch")
    assert bad.exit_code == 1 and "no profile named 'nosuch'" in bad.output


def test_env_help_says_credentials_are_unmasked(run):
    assert "UNMASKED" in run("env", "--help").output


def test_credentials_stay_masked_everywhere_else(run, isolated_home: Path):
    _hostile_profile(isolated_home)
    shown = run("profile", "show", "lab")
    assert shown.exit_code == 0, shown.output
    assert "p@ss" not in shown.output and "us'er" not in shown.output
    assert "https://***@mirror.example/simple/$HOME" in shown.output
    assert "https://***@lab.example/pkgs/main" in shown.output


def test_env_prints_nothing_when_a_value_is_refused(run, monkeypatch: pytest.MonkeyPatch):
    from mirrorctl.results import EnvPlan
    from mirrorctl.targets import pip

    monkeypatch.setattr(type(pip.TARGET), "env", lambda self, profile: EnvPlan("pip", profile.name,
                                                                               {"PIP_INDEX_URL": "a\nb"}))
    printed = run("env", "tuna", "--only", "pip", "--only", "uv")
    assert printed.exit_code == 1
    assert printed.stdout == ""
    assert printed.stderr == ("mirrorctl: error: the value of PIP_INDEX_URL contains a line break, which sh lines "
                              "cannot carry safely; fix the profile's URL\n")

