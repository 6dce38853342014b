"""The judges themselves: the real conda, pip, uv, pdm, poetry and pipenv run as the harness says they do.

These tests check the harness (tests/helpers/: real_conda.py, real_clients.py, loopback_index.py) and that the
observed tables in tests/data still describe the installed clients, not mirrorctl. A client that is absent is
skipped with the reason.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import real_clients as rc
import real_conda
from loopback_index import PROJECT, Index, TrapProxy
from real_conda import RealConda, conda_client, load_observed, materialise

pytestmark = pytest.mark.real_client
PIP_OBSERVED = Path(__file__).parent / "data" / "pip_observed.json"
#: Cases run through both `conda info --json` and the one-process resolver: URLs, names, defaults, aliases,
#: env vars, #!final, an ignored file and two kinds of crash.
EQUIVALENCE_CASES = ("cheat-sheet", "tuna-help", "custom-multichannels-defaults", "channel-alias-tuna-blog",
                     "final-marker", "env-channel-alias", "tab-indent", "top-level-list", "channels-int")


def observed(name: str) -> dict[str, Any]:
    return next(c for c in load_observed() if c["name"] == name)


def comparable(info: dict[str, Any]) -> tuple[Any, ...]:
    error = info.get("exception_name")
    return (None if error else info["channels"], error, "Ignoring configuration file" in info["_stderr"])


# ---------------------------------------------------------------------------------------------------------
# conda


@real_conda.requires_conda
def test_conda_runs_in_a_minimal_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("CONDA_CHANNELS", "leaked-from-the-test")
    info = conda_client().json(tmp_path, "info")
    assert info["_returncode"] == 0, info
    assert info["conda_version"] == real_conda.CONDA_VERSION
    assert info["channels"] == []  # conda >= 26.1: no .condarc, no channels
    assert info["user_rc_path"] == str(tmp_path / ".condarc")
    assert info["env_vars"]["PATH"] == real_conda.MINIMAL_PATH
    assert "CONDA_CHANNELS" not in json.dumps(info["env_vars"])


@pytest.mark.slow
@real_conda.requires_conda
def test_one_process_resolver_agrees_with_conda_info(tmp_path: Path):
    conda = conda_client()
    cases = []
    for name in EQUIVALENCE_CASES:
        home = tmp_path / name
        home.mkdir()
        cases.append((name, home, materialise(observed(name), home)))
    batch = conda.resolve_many([(home, extra) for _, home, extra in cases])
    assert len(batch) == len(cases)
    kinds = set()
    for (name, home, extra), resolved in zip(cases, batch):
        info = conda.json(home, "info", env_extra=extra)
        via_batch = (None if resolved.error else list(resolved.channels or ()), resolved.error,
                     bool(resolved.ignored))
        assert via_batch == comparable(info), name
        if resolved.ignored:
            assert resolved.ignored == (str(home / ".condarc"),)
        kinds.add("error" if resolved.error else "ignored" if resolved.ignored else "channels")
    assert kinds == {"error", "ignored", "channels"}


@real_conda.requires_conda
def test_observed_conda_table_still_holds(tmp_path: Path):
    """Every quick case of tests/data/conda_observed.json, re-resolved by the installed conda, in one process."""
    cases = [c for c in load_observed() if not c.get("slow")]
    assert len(cases) >= 25
    homes = []
    for number, case in enumerate(cases):
        home = tmp_path / f"h{number}"
        home.mkdir()
        homes.append((home, materialise(case, home)))
    for case, resolved in zip(cases, conda_client().resolve_many(homes)):
        seen = case["conda_info"]
        assert resolved.error == seen["error"], case["name"]
        assert bool(resolved.ignored) == seen["ignoring_warning"], case["name"]
        if seen["error"] is None:
            assert list(resolved.channels or ()) == seen["channels"], case["name"]
            assert seen["exit"] == 0
        else:
            assert seen["exit"] == 1 and resolved.channels is None


def test_the_cheat_sheet_is_kept_verbatim():
    text = real_conda.content_bytes(observed("cheat-sheet")["files"][".condarc"]).decode("utf-8")
    assert text.startswith("channels:\n#  - https://mirrors.tuna.tsinghua.edu.cn/anaconda/pkgs/free/    # 有毒\n")
    assert "\n- https://mirrors.ustc.edu.cn/anaconda/pkgs/main/\n" in text
    assert text.endswith("#  - conda-forge\n")


def test_missing_conda_is_a_visible_skip_reason(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("MIRRORCTL_TEST_CONDA_SRC", str(tmp_path / "nowhere"))
    real_conda.find_conda.cache_clear()
    try:
        conda, reason = real_conda.find_conda()
        assert conda is None
        assert str(tmp_path / "nowhere") in reason and "README" in reason
        with pytest.raises(pytest.skip.Exception, match="not found"):
            conda_client()
    finally:
        real_conda.find_conda.cache_clear()


def test_conda_python_without_dependencies_is_a_visible_skip_reason(tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch):
    src = tmp_path / "conda-src"
    (src / "conda").mkdir(parents=True)
    (src / "conda" / "__init__.py").write_text("", encoding="utf-8")
    monkeypatch.setenv("MIRRORCTL_TEST_CONDA_SRC", str(src))
    monkeypatch.setenv("MIRRORCTL_TEST_CONDA_PYTHON", str(tmp_path / "no-venv" / "bin" / "python"))
    real_conda.find_conda.cache_clear()
    try:
        conda, reason = real_conda.find_conda()
        assert conda is None and "python3 -m venv" in reason and "ruamel.yaml<0.19" in reason
    finally:
        real_conda.find_conda.cache_clear()


def test_conda_client_found_by_ci_or_locally():
    conda, reason = real_conda.find_conda()
    if conda is None:
        pytest.skip(reason)
    assert isinstance(conda, RealConda)
    assert (conda.src / "conda" / "__init__.py").is_file() and conda.python.is_file()


# ---------------------------------------------------------------------------------------------------------
# pip: the observed table still describes the pip the tests run


def pip_table() -> dict[str, Any]:
    table: dict[str, Any] = json.loads(PIP_OBSERVED.read_text(encoding="utf-8"))
    return table


def pip_cases() -> list[dict[str, Any]]:
    cases: list[dict[str, Any]] = pip_table()["cases"]
    return cases


def running_pip_version() -> str:
    from importlib.metadata import version

    return version("pip")


@pytest.mark.parametrize("case", [c for c in pip_cases() if c["runs"][0]["args"] == ["config", "list"]],
                         ids=lambda c: c["name"])
def test_observed_pip_config_list_still_holds(case: dict[str, Any], tmp_path: Path, index: Index):
    """`pip config list` on each observed file, with this interpreter's pip: same exit code, same error."""
    observed_with = pip_table()["pip_version"]
    if running_pip_version().split(".")[0] != observed_with.split(".")[0]:
        pytest.skip(f"table observed with pip {observed_with}, this is pip {running_pip_version()}")
    home = tmp_path / "home"
    fill = {"{index}": index.url, "{host}": index.host, "{hostname}": "127.1",
            "{dead}": "http://127.0.0.1:9/simple"}
    for relative, spec in case["files"].items():
        text = spec["template"]
        for placeholder, value in fill.items():
            text = text.replace(placeholder, value)
        (home / relative).parent.mkdir(parents=True, exist_ok=True)
        (home / relative).write_bytes(text.encode(spec["encoding"]))
    env = {"PATH": "/usr/bin:/bin", "HOME": str(home), "LANG": "C.UTF-8", "XDG_CONFIG_DIRS": str(tmp_path),
           "PIP_DISABLE_PIP_VERSION_CHECK": "1", "PIP_NO_INPUT": "1"}
    result = subprocess.run([sys.executable, "-m", "pip", "config", "list"], env=env, capture_output=True,
                            text=True, timeout=120, check=False)
    seen = case["runs"][0]
    assert result.returncode == seen["exit"], result.stderr
    if seen["error"]:
        assert seen["error"].replace("~", str(home)) in result.stderr
    else:
        shown = result.stdout
        for placeholder, value in fill.items():
            shown = shown.replace(value, placeholder)
        for line in seen["stdout"]:
            assert line in shown.splitlines()


# ---------------------------------------------------------------------------------------------------------
# uv, pdm, poetry, pipenv: configured by hand they hit the loopback index; left alone they do not (and the
# trap proxy shows they tried pypi.org, which never answered)


def assert_hit(run: rc.ClientRun) -> None:
    assert run.returncode == 0, run.describe()
    assert run.hit_index, run.describe()
    assert f"/simple/{PROJECT}/" in run.index_paths, run.describe()


def assert_not_hit(run: rc.ClientRun) -> None:
    assert run.returncode != 0, run.describe()
    assert not run.index_paths, run.describe()
    assert any("pypi.org" in attempt for attempt in run.trapped), run.describe()


@rc.requires_client("uv")
def test_uv_reads_its_user_uv_toml(tmp_path: Path, index: Index, trap: TrapProxy):
    home = tmp_path / "home"
    assert_not_hit(rc.uv_resolve(home, index, trap))
    config = rc.write_uv_config(home, index.loopback_url)
    assert config == home / ".config" / "uv" / "uv.toml"
    configured = rc.uv_resolve(home, index, trap)
    assert_hit(configured)
    assert f"{PROJECT}==1.0" in configured.stdout
    assert not configured.trapped


@rc.requires_client("uv")
def test_uv_pip_install_into_a_venv(tmp_path: Path, index: Index, trap: TrapProxy):
    home = tmp_path / "home"
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    rc.write_uv_config(home, index.loopback_url)
    installed = rc.uv_install(home, venv, index, trap)
    assert_hit(installed)
    assert index.served_wheel()
    assert list(venv.glob("lib/python*/site-packages/mirrorctl_demo/__init__.py")), installed.describe()


@rc.requires_client("pdm")
def test_pdm_reads_its_user_config_toml(tmp_path: Path, index: Index, trap: TrapProxy):
    home = tmp_path / "home"
    project = tmp_path / "project"
    rc.project_pyproject(project)
    assert_not_hit(rc.pdm_resolve(home, project, index, trap))
    assert rc.write_pdm_config(home, index.loopback_url) == home / ".config" / "pdm" / "config.toml"
    locked = rc.pdm_resolve(home, project, index, trap)
    assert_hit(locked)
    assert f'name = "{PROJECT}"' in (project / "pdm.lock").read_text(encoding="utf-8")


@pytest.mark.slow
@rc.requires_client("poetry")
def test_poetry_reads_the_project_source(tmp_path: Path, index: Index, trap: TrapProxy):
    home = tmp_path / "home"
    plain = tmp_path / "plain"
    rc.project_pyproject(plain)
    assert_not_hit(rc.poetry_resolve(home, plain, index, trap))
    project = tmp_path / "project"
    rc.project_pyproject(project, poetry_source=index.loopback_url)
    locked = rc.poetry_resolve(home, project, index, trap)
    assert_hit(locked)
    assert f'name = "{PROJECT}"' in (project / "poetry.lock").read_text(encoding="utf-8")


@pytest.mark.slow
@rc.requires_client("pipenv")
def test_pipenv_reads_the_pipfile_source(tmp_path: Path, index: Index, trap: TrapProxy):
    home = tmp_path / "home"
    plain = tmp_path / "plain"
    rc.project_pipfile(plain, None)
    assert_not_hit(rc.pipenv_resolve(home, plain, index, trap))
    project = tmp_path / "project"
    rc.project_pipfile(project, index.loopback_url)
    locked = rc.pipenv_resolve(home, project, index, trap)
    assert_hit(locked)
    lock = json.loads((project / "Pipfile.lock").read_text(encoding="utf-8"))
    assert PROJECT in lock["default"]
    assert lock["_meta"]["sources"][0]["url"] == index.loopback_url
