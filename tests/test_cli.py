"""The CLI in process, with the exact text a user sees."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import write

TUNA = "https://pypi.tuna.tsinghua.edu.cn/simple"


def test_list_marks_what_is_in_effect(run, pip_conf: Path, condarc: Path, tmp_path: Path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))  # only the tools configured here count
    write(pip_conf, f"[global]\nindex-url = {TUNA}\n")
    write(condarc, "channels: [defaults]\n")
    result = run("list")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split() == ["NAME", "PIP", "CONDA", "KIND", "COVERS", "TITLE"]
    rows = {line.split()[0]: line for line in lines[1:10]}
    assert rows["tuna"].split()[:3] == ["tuna", "*", "built-in"]
    assert rows["official"].split()[:3] == ["official", "*", "built-in"]  # conda's defaults are upstream's
    assert "pypi, conda(defaults+8 channels)" in rows["tuna"]
    assert "pypi?" in rows["huawei"]
    assert lines[-1] == "* in effect.  ? some URLs are UNVERIFIED (from third-party usage, not the mirror's own docs)."


def test_list_json(run):
    result = run("list", "--json")
    assert result.exit_code == 0, result.output
    document = json.loads(result.output)
    assert (document["schema"], document["kind"]) == (2, "list")
    data = {p["name"]: p for p in document["profiles"]}
    assert data["official"]["in_effect"] == ["pip"]  # conda: not installed, not configured here
    assert document["tools"]["conda"]["present"] is False
    assert data["tuna"]["aliases"] == ["tsinghua", "thu"]


def test_use_then_current_then_restore(run, pip_conf: Path, condarc: Path):
    # --only: which other tools (uv, pdm ...) are installed on the machine running the tests varies.
    result = run("use", "tuna", "--only", "pip", "--only", "conda")
    assert result.exit_code == 0, result.output
    snapshot = json.loads(run("backups", "--json").output)["backups"][0]["id"]
    assert result.output.splitlines()[:3] == [
        "pip: created ~/.config/pip/pip.conf",
        f"  [global] index-url: (unset) -> {TUNA}",
        "conda: created ~/.condarc",
    ]
    assert f"backup {snapshot} saved; undo with `mirrorctl restore`" in result.output
    assert result.output.endswith(
        "pip: now tuna (https://pypi.tuna.tsinghua.edu.cn/simple)\n"
        "conda: now tuna\n"
        "next: run `conda clean -i` so conda forgets the index it cached from the previous mirror\n"
    )
    current = json.loads(run("current", "--json").output)["tools"]
    assert current["pip"]["profile"] == "tuna" and current["conda"]["profile"] == "tuna"
    assert current["pip"]["settings"][0]["source"] == {"path": str(pip_conf), "section": "global", "env": None,
                                                       "line": None}

    result = run("restore")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[:5] == [
        f"restored backup {snapshot} (taken before `use tuna`):",
        "  ~/.config/pip/pip.conf: removed (it did not exist)",
        "  ~/.condarc: removed (it did not exist)",
        "  ~/.config/pip/: removed (empty; mirrorctl had created it)",
        "  ~/.config/: removed (empty; mirrorctl had created it)",  # this fake home had no ~/.config either
    ]
    assert lines[5].startswith("the replaced files are in backup ") and len(lines) == 6
    assert not pip_conf.exists() and not condarc.exists() and not pip_conf.parent.exists()


def test_dry_run_prints_a_diff_and_writes_nothing(run, pip_conf: Path):
    write(pip_conf, "# keep me\n[global]\ntimeout = 5\n")
    result = run("use", "ustc", "--only", "pip", "--dry-run")
    assert result.exit_code == 0, result.output
    assert result.output == (
        "--- ~/.config/pip/pip.conf\n"
        "+++ ~/.config/pip/pip.conf\n"
        "@@ -1,3 +1,4 @@\n"
        " # keep me\n"
        " [global]\n"
        " timeout = 5\n"
        "+index-url = https://mirrors.ustc.edu.cn/pypi/simple\n"
        "(dry run: nothing was written)\n"
        "pip: would be ustc (https://mirrors.ustc.edu.cn/pypi/simple)\n"
    )
    assert pip_conf.read_text() == "# keep me\n[global]\ntimeout = 5\n"


def test_user_errors_are_one_line_with_exit_1(run, pip_conf: Path):
    write(pip_conf, "[global]\nindex-url = a\nindex-url = b\n")
    result = run("use", "tuna")
    assert result.exit_code == 1
    assert result.output == (
        "mirrorctl: error: ~/.config/pip/pip.conf line 3: key 'index-url' appears twice in [global] "
        "(pip refuses the whole file)\n"
    )


def test_usage_errors_exit_2(run):
    assert run("use").exit_code == 2
    assert run("use", "tuna", "--only", "npm").exit_code == 2
    assert run("use", "tuna", "--fastest").exit_code == 2


def test_unknown_profile(run):
    result = run("use", "nosuch")
    assert result.exit_code == 1
    assert result.output.startswith("mirrorctl: error: no profile named 'nosuch' (known: official, aliyun, bfsu, ")


def test_debug_shows_the_traceback_then_the_same_one_line_error_and_exit_code(run):
    plain, debug = run("use", "nosuch"), run("use", "nosuch", "--debug")
    assert debug.exit_code == plain.exit_code == 1
    assert debug.output.startswith("Traceback (most recent call last):\n")
    assert "mirrorctl.errors.MirrorctlError: no profile named 'nosuch'" in debug.output
    assert debug.output.endswith(plain.output)


def test_debug_tracebacks_mask_credentials(run, monkeypatch):
    from mirrorctl import core

    def broken(**_kwargs):
        raise RuntimeError("cannot reach https://alice:hunter2@pypi.corp.example/simple")

    monkeypatch.setattr(core, "current", broken)
    result = run("--debug", "current")
    assert result.exit_code == 70
    assert "Traceback (most recent call last):" in result.output
    assert "RuntimeError: cannot reach https://***@pypi.corp.example/simple" in result.output
    assert "hunter2" not in result.output and "alice" not in result.output


def test_credentials_never_appear_in_any_output(run, pip_conf: Path):
    write(pip_conf, "[global]\nindex-url = https://alice:hunter2@pypi.corp.example/simple\n")
    for args in (("current",), ("current", "--json"), ("use", "tuna", "--dry-run"), ("use", "tuna"), ("restore",)):
        result = run(*args)
        assert result.exit_code == 0, result.output
        assert "hunter2" not in result.output and "alice" not in result.output
    assert "https://***@pypi.corp.example/simple" in run("current").output


def test_profile_add_use_show_remove(run, conda_installed: Path):
    result = run("profile", "add", "campus", "--pypi", "http://pypi.campus.example:8080/simple",
                 "--anaconda", "https://m.campus.example/anaconda", "--title", "Campus")
    assert result.exit_code == 0, result.output
    shown = run("profile", "show", "campus").output
    assert "  pypi       http://pypi.campus.example:8080/simple  [UNVERIFIED: added by the user]" in shown
    assert "    defaults -> https://m.campus.example/anaconda/pkgs/main, " in shown
    assert "    conda-forge -> https://m.campus.example/anaconda/cloud/conda-forge" in shown
    assert run("use", "campus").exit_code == 0
    current = json.loads(run("current", "--json").output)["tools"]
    assert current["pip"]["profile"] == "campus"
    assert {"key": "trusted-host", "value": "pypi.campus.example:8080"}.items() <= current["pip"]["settings"][1].items()
    assert current["conda"]["profile"] == "campus"
    duplicate = run("profile", "add", "campus", "--pypi", "https://x.example/simple")
    assert duplicate.exit_code == 1 and "already exists" in duplicate.output
    assert run("profile", "remove", "campus").exit_code == 0
    assert run("profile", "show", "campus").exit_code == 1
    builtin = run("profile", "remove", "tuna")
    assert builtin.output == "mirrorctl: error: 'tuna' is a built-in profile and cannot be removed\n"


def test_reset_keeps_everything_else(run, pip_conf: Path, condarc: Path):
    write(pip_conf, f"# mine\n[global]\ntimeout = 5\nindex-url = {TUNA}\n")
    write(condarc, "# mine\nchannels:\n  - defaults\nthreads: 2\n")
    assert run("use", "tuna").exit_code == 0
    result = run("reset")
    assert result.exit_code == 0, result.output
    assert pip_conf.read_text() == "# mine\n[global]\ntimeout = 5\n"
    assert condarc.read_text() == "# mine\nchannels:\n  - defaults\nthreads: 2\nshow_channel_urls: true\n"
    states = json.loads(run("current", "--json").output)["tools"]
    assert states["pip"]["profile"] == "official" and states["conda"]["profile"] == "official"


def test_warning_when_the_environment_overrides(run, monkeypatch):
    monkeypatch.setenv("PIP_INDEX_URL", "https://env.example/simple")
    result = run("use", "tuna", "--only", "pip")
    assert result.exit_code == 1  # not fully switched: the user's variable still wins
    assert "pip: not fully switched to tuna: custom" in result.output
    assert ("  warning: PIP_INDEX_URL=https://env.example/simple is set in your environment and beats every "
            "pip.conf") in result.output.splitlines()


def test_help_has_an_example_per_command(run):
    for command in ("list", "use", "current", "reset", "restore", "backups"):
        text = run(command, "--help").output
        assert "Example" in text and f"mirrorctl {command}" in text, command
    assert run("--version").output == "mirrorctl, version 0.1.0\n"


def test_tools_that_are_neither_installed_nor_configured_are_named_on_one_line(run, pip_conf: Path):
    write(pip_conf, "[global]\ntimeout = 60\n")
    result = run("use", "tuna")
    assert result.exit_code == 0, result.output
    skipped = [line for line in result.output.splitlines() if line.startswith("skipped ")]
    assert skipped == ["skipped conda, uv, mamba, pdm, pixi, poetry, pipenv: neither installed nor configured "
                       "(name one with --only to configure it anyway)"]
    assert "neither installed nor configured; skipped" not in result.output


def test_a_command_in_its_own_module_is_listed_without_importing_it_and_runs_when_named():
    """env, run, torch and profile live in their own modules (mirrorctl/cli_env.py ...): `mirrorctl --help` lists
    them, in either language and at any width, with the row the loaded command gives, without importing them;
    naming one loads it."""
    import subprocess
    import sys
    import textwrap

    code = textwrap.dedent("""
        import sys
        from click.testing import CliRunner
        from mirrorctl.cli import LAZY, cli
        rows = {}
        for lang in ("en", "zh"):
            for width in ("80", "50"):
                listed = CliRunner().invoke(cli, ["--lang", lang, "--help"], env={"COLUMNS": width}).output
                rows[lang, width] = listed
        print(sorted(m for m in sys.modules if m.startswith("mirrorctl.cli_")))
        for name in LAZY:
            cli.get_command(None, name)
        loaded = sorted(m for m in sys.modules if m.startswith("mirrorctl.cli_"))
        print(loaded, sorted(cli.commands["profile"].commands))
        for lang in ("en", "zh"):
            for width in ("80", "50"):
                again = CliRunner().invoke(cli, ["--lang", lang, "--help"], env={"COLUMNS": width}).output
                print(lang, width, again == rows[lang, width])
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.splitlines() == [
        "[]",
        "['mirrorctl.cli_env', 'mirrorctl.cli_profile', 'mirrorctl.cli_torch'] "
        "['add', 'edit', 'export', 'import', 'remove', 'show']",
        "en 80 True", "en 50 True", "zh 80 True", "zh 50 True"]
