"""The shape: a tool is one module behind a checked contract; errors end as one line; the cache is only a cache."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from cache_files import cache_text, write_cache_text
from conftest import write

import mirrorctl.targets
from mirrorctl.errors import UsageError
from mirrorctl.targets import base

#: A whole tool, written the way a real target module is, living outside the checkout. Its config file is
#: ``~/.faketool.ini`` with one line ``index = URL``; it serves the PyPI ecosystem.
FAKE_TOOL = '''
from __future__ import annotations

from pathlib import Path

from mirrorctl import paths
from mirrorctl.errors import ConfigParseError
from mirrorctl.results import CUSTOM, Change, EnvFile, EnvPlan, FileEdit, Finding, Label, Setting, Source, ToolState
from mirrorctl.targets import decode, encode, read_bytes
from mirrorctl.targets.base import RenderContext, Rendered, Target

NAME = "faketool"
MESSAGES = {"faketool.hello": "faketool says {word}",
            "faketool.upstream": "faketool still downloads from {url}",
            "faketool.no-timeout": "{profile}: faketool has no timeout variable"}


def _path():
    return paths.home() / ".faketool.ini"


class Fake:
    name = NAME
    ecosystems = frozenset({"pypi"})
    scopes: tuple[str, ...] = ("user",)
    order = 99

    def locations(self, scope):
        return [_path()]

    def present(self):
        return _path().exists()

    def render(self, text, profile, context):
        if text and not text.startswith("index = "):
            raise ConfigParseError("expected 'index = URL'", path=context.path, line=1)
        return Rendered("" if profile is None else f"index = {profile.pypi.index_url}\\n")

    def plan(self, profile, profiles, scope="user"):
        path = _path()
        old = read_bytes(path)
        new = self.render(decode(old), profile, RenderContext(path, tuple(profiles))).text
        before = decode(old)[len("index = "):].strip() or None
        return [FileEdit(NAME, path, old, encode(new) if new else None,
                         (Change(NAME, path, "index", before, new[len("index = "):].strip() or None),))]

    def read(self, profiles, overrides=None):
        path = _path()
        data = overrides[path] if overrides and path in overrides else read_bytes(path)
        url = decode(data)[len("index = "):].strip() or "https://pypi.org/simple"
        owner = next((p.name for p in profiles if p.pypi and p.pypi.matches(url)), CUSTOM)
        return ToolState(NAME, Label(owner), (Setting(NAME, "index", url, Source(path=path), owner=owner),),
                         (path,) if data else (), (Finding("faketool.hello", "note", NAME, params={"word": "hi"}),),
                         path)

    def env(self, profile):
        return EnvPlan(NAME, profile.name, {"FAKETOOL_INDEX": profile.pypi.index_url},
                       unexpressed=(Finding("faketool.no-timeout", "warning", NAME, params={"profile": profile.name}),))

    def run_env(self, profile, profiles):
        return EnvPlan(NAME, profile.name, {"FAKETOOL_INDEX": profile.pypi.index_url},
                       files=(EnvFile("FAKETOOL_CONFIG", "fake.ini", f"index = {profile.pypi.index_url}\\n"),))

    def checks(self, state):
        index = state.settings[0]
        if index.owner != "official":
            return []
        return [Finding("faketool.upstream", "warning", NAME, index.source.path, 1,
                        {"url": index.value, "fix": "mirrorctl use tuna --only faketool"})]

    def hints(self):
        return []


TARGET: Target = Fake()
'''


@pytest.fixture
def fake_tool(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Register the throw-away tool exactly as a real one is: a module file on the targets package path."""
    folder = tmp_path / "extra-targets"
    write(folder / "faketool.py", FAKE_TOOL)
    monkeypatch.setattr(mirrorctl.targets, "__path__", [*mirrorctl.targets.__path__, str(folder)])
    yield tmp_path / "home" / ".faketool.ini"
    sys.modules.pop("mirrorctl.targets.faketool", None)


def test_a_new_tool_is_one_module_and_every_command_works_for_it(run, fake_tool: Path):
    assert "faketool" in base.tool_names()
    write(fake_tool, "index = https://pypi.org/simple\n")

    listed = run("list")
    assert listed.exit_code == 0, listed.output
    assert listed.output.splitlines()[0].split()[:4] == ["NAME", "PIP", "FAKETOOL", "KIND"]

    used = run("use", "tuna", "--only", "faketool")
    assert used.exit_code == 0, used.output
    assert fake_tool.read_text() == "index = https://pypi.tuna.tsinghua.edu.cn/simple\n"
    assert "faketool: updated ~/.faketool.ini" in used.output
    assert "faketool: now tuna" in used.output

    current = json.loads(run("current", "--only", "faketool", "--json").output)
    assert current["schema"] == 2 and list(current["tools"]) == ["faketool"]
    state = current["tools"]["faketool"]
    assert state["profile"] == "tuna" and state["write_path"] == str(fake_tool)
    assert state["findings"][0]["message"] == "faketool says hi"
    assert "faketool: tuna" in run("current").output

    reset = run("reset", "--only", "faketool", "--json")
    assert reset.exit_code == 0, reset.output
    assert json.loads(reset.output)["files"][0]["changes"][0]["after"] is None
    assert not fake_tool.exists()

    assert run("restore").exit_code == 0
    assert fake_tool.read_text() == "index = https://pypi.tuna.tsinghua.edu.cn/simple\n"
    assert run("restore").exit_code == 0

    # doctor: the tool's own checks() with their fix, worded from its MESSAGES; the fix really fixes it
    doctor = run("doctor", "--offline", "--only", "faketool", "--json")
    assert doctor.exit_code == 0, doctor.output
    found = [f for f in json.loads(doctor.stdout)["findings"] if f["code"] == "faketool.upstream"]
    assert [(f["path"], f["line"], f["message"], f["fix"]) for f in found] == [
        (str(fake_tool), 1, "faketool still downloads from https://pypi.org/simple",
         "mirrorctl use tuna --only faketool")]
    assert run(*found[0]["fix"].split()[1:]).exit_code == 0
    after = json.loads(run("doctor", "--offline", "--only", "faketool", "--json").stdout)
    assert [f["code"] for f in after["findings"] if f["tool"] == "faketool"] == ["faketool.hello"]
    assert run("restore").exit_code == 0  # back to upstream for what follows
    assert fake_tool.read_text() == "index = https://pypi.org/simple\n"

    env = run("env", "tuna", "--only", "faketool", "--shell", "fish")
    assert env.exit_code == 0, env.output
    assert env.stdout == ("# mirrorctl: not set: faketool: tuna: faketool has no timeout variable\n"
                          "set -gx FAKETOOL_INDEX 'https://pypi.tuna.tsinghua.edu.cn/simple'\n")
    assert env.stderr == "mirrorctl: not set: faketool: tuna: faketool has no timeout variable\n"
    assert json.loads(run("env", "tuna", "--only", "faketool", "--json").stdout)["variables"] == {
        "FAKETOOL_INDEX": "https://pypi.tuna.tsinghua.edu.cn/simple"}
    assert "FAKETOOL_INDEX" in run("env", "tuna").stdout  # every tool counts for env, installed or not


def test_a_new_tool_runs_one_command_with_its_variables_and_files(fake_tool: Path, tmp_path: Path):
    """`run` reaches the tool only through the contract: its variables and its private file."""
    from mirrorctl import core, runner

    plans = core.run_plans(name="tuna", only="faketool")
    out = tmp_path / "seen"
    code = runner.run(plans, ["sh", "-c", f'printf "%s|" "$FAKETOOL_INDEX" > {out}; cat "$FAKETOOL_CONFIG" >> {out}'])
    assert code == 0
    assert out.read_text() == "https://pypi.tuna.tsinghua.edu.cn/simple|index = https://pypi.tuna.tsinghua.edu.cn/simple\n"


def test_a_tool_module_whose_env_returns_a_dict_still_works():
    """Tool modules written before EnvPlan (``env`` returned a dict, no ``run_env``) keep working."""
    from mirrorctl.profiles import load_profiles
    from mirrorctl.results import EnvPlan

    class Old:
        name = "old"

        def env(self, profile):
            return {"OLD_INDEX": profile.pypi.index_url}

    tuna = load_profiles().get("tuna")
    expected = EnvPlan("old", "tuna", {"OLD_INDEX": "https://pypi.tuna.tsinghua.edu.cn/simple"})
    assert base.env_plan(Old(), tuna) == expected  # type: ignore[arg-type]
    assert base.env_plan(Old(), tuna, [tuna]) == expected  # type: ignore[arg-type]


def test_bench_and_use_fastest_handle_the_new_tool(run, fake_tool: Path):
    """bench marks the mirror the new tool uses and probes only the index kind it serves; --fastest switches it."""
    from loopback_mirrors import Fleet, MirrorSpec

    from mirrorctl import paths

    specs = [MirrorSpec("quick", delay=0.0), MirrorSpec("slow", delay=0.3)]
    with Fleet(specs) as fleet:
        for spec in specs:  # a conda table too: bench --only faketool must probe only the PyPI index
            write(paths.user_profiles_dir() / f"{spec.name}.toml",
                  f'name = "{spec.name}"\n[pypi]\nindex = "{fleet.base_url(spec.name)}/simple"\n'
                  f'[conda]\ndefault_channels = ["{fleet.base_url(spec.name)}/pkgs/main"]\n')
        slow_index = f"index = {fleet.base_url('slow')}/simple\n"
        write(fake_tool, slow_index)

        table = run("bench", "quick", "slow", "--only", "faketool", "--timeout", "1.5", "--no-upstream")
        assert table.exit_code == 0, table.output
        rows = [line.split() for line in table.output.splitlines() if "127.0.0.1" in line]
        # The new tool's file points at slow: that row is marked in effect ("*", TARGET, PROFILE, ...).
        marks = {fields[fields.index("pypi") + 1]: fields[0] == "*" for fields in rows}
        assert marks == {"slow": True, "quick": False}, table.output
        measured = json.loads(run("bench", "quick", "slow", "--only", "faketool", "--timeout", "1.5",
                                  "--no-upstream", "--json").output)
        assert {(r["target"], r["profile"]) for r in measured} == {("pypi", "quick"), ("pypi", "slow")}

        fastest = run("use", "--fastest", "--from", "quick", "--from", "slow", "--only", "faketool",
                      "--timeout", "1.5")
        assert fastest.exit_code == 0, fastest.output
        assert fake_tool.read_text() == f"index = {fleet.base_url('quick')}/simple\n"
    assert run("restore").exit_code == 0
    assert fake_tool.read_text() == slow_index


def test_only_imports_the_named_tool():
    code = textwrap.dedent("""
        import sys
        from mirrorctl.targets import base
        base.selected(["pip"])
        names = (m.split(".")[-1] for m in sys.modules if m.startswith("mirrorctl.targets."))
        print(sorted(n for n in names if not n.startswith("_")))  # shared helpers (_pipconf) are no tool
        print("ruamel.yaml" in sys.modules, "httpx" in sys.modules)
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.splitlines() == ["['base', 'pip']", "False False"]


def test_every_target_satisfies_the_contract():
    for name in base.tool_names():
        target = base.load(name)
        assert target.name == name
        assert target.ecosystems and target.ecosystems <= {"pypi", "conda"}
        assert target.scopes and set(target.scopes) <= set(base.SCOPES)  # poetry, pipenv: "project" only
        assert target.default_scope in target.scopes


def test_core_alone_checks_a_scope_against_a_tool(run):
    """No tool module words "has no ... scope": core resolves and checks the scope once, for every tool."""
    from mirrorctl import core

    for path in Path(mirrorctl.targets.__file__).parent.glob("*.py"):
        assert "has no {scope} scope" not in path.read_text(encoding="utf-8"), path.name
    assert [core.resolve_scope(base.load(name), None) for name in ("pip", "poetry")] == ["user", "project"]
    with pytest.raises(UsageError, match=r"^pdm has no venv scope \(it has system, user, project\)$"):
        core.resolve_scope(base.load("pdm"), "venv")


def test_an_os_error_outside_the_known_paths_is_one_line(run, tmp_path: Path, monkeypatch):
    blocker = write(tmp_path / "not-a-dir", "x")
    monkeypatch.setenv("MIRRORCTL_HOME", str(blocker))
    for args in (("use", "tuna"), ("profile", "add", "campus", "--pypi", "https://p.example/simple")):
        result = run(*args)
        assert result.exit_code == 1, result.output
        lines = result.output.splitlines()
        assert len(lines) == 1 and lines[0].startswith("mirrorctl: error: "), result.output
        assert "Traceback" not in result.output and "not-a-dir" in lines[0]
    assert not (tmp_path / "home" / ".config" / "pip" / "pip.conf").exists()


def test_an_unexpected_exception_is_a_short_report_with_its_own_exit_code(run, monkeypatch):
    from mirrorctl import core

    def broken(**kwargs):
        raise ZeroDivisionError("boom")

    monkeypatch.setattr(core, "current", broken)
    result = run("current")
    assert result.exit_code == 70
    assert result.output == ("mirrorctl: internal error: ZeroDivisionError: boom\n"
                             "this is a bug in mirrorctl; run the same command with --debug for the traceback\n")
    debug = run("current", "--debug")  # --debug is accepted after the subcommand too
    assert debug.exit_code == 70
    assert debug.output.startswith("Traceback (most recent call last):\n")
    assert "ZeroDivisionError: boom\n" in debug.output and debug.output.endswith(result.output)


def test_usage_errors_have_the_same_one_line_format(run):
    result = run("use", "tuna", "--only", "npm")
    assert result.exit_code == 2
    assert result.output == ("mirrorctl: error: Invalid value for '--only': unknown tool 'npm' (choose from "
                             f"{', '.join(base.tool_names())}) (see `mirrorctl use --help`)\n")
    nothing = run("use")
    assert nothing.exit_code == 2
    assert nothing.output == "mirrorctl: error: give a profile NAME (see `mirrorctl list`) or --fastest\n"
    bare = run()
    assert bare.exit_code == 0 and bare.output.startswith("Usage: mirrorctl")


def test_a_tampered_cache_entry_is_parsed_again_and_use_never_reads_the_cache(condarc: Path, pip_conf: Path,
                                                                              tmp_path: Path):
    from mirrorctl import cache, core, paths

    write(condarc, "channels: [conda-forge]\ncustom_channels: {conda-forge: https://mirrors.ustc.edu.cn/anaconda/cloud}\n")
    assert core.current(only="conda")[0].profile == "ustc"
    cache_file = paths.mirrorctl_cache_dir() / "condarc.bin"
    assert cache_file.exists()
    # Edit the cached value but keep its key: the shape check must reject it (a string is not a list).
    text = cache_text(cache_file)
    tampered = text.replace("'channels': ['conda-forge']", "'channels': 'conda-forge'")
    assert tampered != text
    write_cache_text(cache_file, tampered)
    cache._loaded.clear()
    assert core.current(only="conda")[0].profile == "ustc"
    # A cached profile edited to point elsewhere must not change what `use` writes.
    core.current(only="pip")
    profiles_cache = paths.mirrorctl_cache_dir() / "profiles.bin"
    text = cache_text(profiles_cache)
    assert "https://pypi.tuna.tsinghua.edu.cn/simple" in text
    write_cache_text(profiles_cache, text.replace("https://pypi.tuna.tsinghua.edu.cn/simple",
                                                  "https://evil.example/simple"))
    cache._loaded.clear()
    core.use(name="tuna", only="pip")
    assert pip_conf.read_text() == "[global]\nindex-url = https://pypi.tuna.tsinghua.edu.cn/simple\n"


def test_a_stale_cache_from_another_version_is_ignored(condarc: Path, monkeypatch):
    from mirrorctl import cache, core

    write(condarc, "channels: [conda-forge]\n")
    core.current(only="conda")
    calls = []
    monkeypatch.setattr(cache, "__version__", "9.9.9")
    original = cache.parsed

    def counting(kind, path, data, parse, valid=lambda v: True):
        return original(kind, path, data, lambda: calls.append(kind) or parse(), valid)

    monkeypatch.setattr(cache, "parsed", counting)
    core.current(only="conda")
    assert "condarc" in calls


def test_a_read_only_command_works_when_its_cache_cannot_be_written(condarc: Path, tmp_path: Path, monkeypatch):
    from mirrorctl import cache, core

    write(tmp_path / "mirrorctl" / "cache", "a file where the cache directory should be")
    cache._loaded.clear()
    write(condarc, "channels: [conda-forge]\n")
    assert core.current(only="conda")[0].profile == "official"


@pytest.mark.parametrize("data", [b"", b"abc", bytes(range(256)) * 300])
def test_the_cache_key_hash_is_sha256(data: bytes):
    import hashlib

    from mirrorctl import cache

    assert cache._sha256(data) == hashlib.sha256(data).hexdigest()


def test_on_path_finds_executables_only(tmp_path: Path, monkeypatch):
    import os

    bin_dir = tmp_path / "somebin"
    (bin_dir / "adir").mkdir(parents=True)
    write(bin_dir / "plain", "not executable")
    write(bin_dir / "tool", "#!/bin/sh\n")
    os.chmod(bin_dir / "tool", 0o755)
    os.chmod(bin_dir / "adir", 0o755)
    monkeypatch.setenv("PATH", f"/nonexistent{os.pathsep}{bin_dir}")
    assert base.on_path("missing", "tool")
    assert not base.on_path("plain")
    assert not base.on_path("adir")
    assert not base.on_path("missing")


#: Words that name a tool. "conda" is left out: outside targets/ it names the ecosystem (a profile's [conda]
#: table, Anaconda channels, repodata), which the profile model and the probe must name.
TOOL_WORDS = {"pip", "pip3", "uv", "pdm", "pixi", "mamba", "micromamba", "poetry", "pipenv"}
#: (module, text) pairs that use such a word for something that is not the tool.
NOT_A_TOOL = {
    ("probe/checks.py", "pip"),  # the PyPI *project* whose simple page the probe samples
}


def _code_words(path: Path) -> list[tuple[int, str]]:
    """Identifiers and string literals (docstrings excluded: prose may cite a tool's behaviour)."""
    import ast

    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {
        id(node.body[0].value) for node in ast.walk(tree)
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body
        and isinstance(node.body[0], ast.Expr) and isinstance(node.body[0].value, ast.Constant)
    }
    found = []
    for node in ast.walk(tree):
        text = None
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
            text = node.value
        elif isinstance(node, ast.Name):
            text = node.id
        elif isinstance(node, ast.Attribute):
            text = node.attr
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            text = node.name
        elif isinstance(node, ast.arg):
            text = node.arg
        elif isinstance(node, ast.alias):
            text = node.name
        if text is not None:
            found.append((getattr(node, "lineno", 0), text))
    return found


def test_no_module_outside_targets_names_a_tool():
    import re

    package = Path(mirrorctl.targets.__file__).parent.parent
    offenders = []
    for path in sorted(package.rglob("*.py")):
        relative = path.relative_to(package).as_posix()
        if relative.startswith("targets/"):
            continue
        for line, text in _code_words(path):
            words = {w for w in re.split(r"[^a-z0-9]+", text.lower()) if w in TOOL_WORDS}
            if words and (relative, text) not in NOT_A_TOOL:
                offenders.append(f"{relative}:{line}: {text!r}")
    assert offenders == []


def test_the_tool_name_check_catches_a_tool_name(tmp_path: Path):
    sample = tmp_path / "sample.py"
    sample.write_text('"""pip is fine in prose."""\nCOLUMNS = ("pip", "conda")\ndef uv_in_effect(): pass\n')
    assert {text for _, text in _code_words(sample)} >= {"pip", "uv_in_effect"}
    assert "pip is fine in prose." not in {text for _, text in _code_words(sample)}


def test_the_cache_keeps_no_copy_of_credentials(condarc: Path):
    from mirrorctl import cache, core, paths

    write(condarc, "channels:\n  - https://alice:hunter2@conda.corp.example/channel\n")
    core.current(only="conda")
    cache_dir = paths.mirrorctl_cache_dir()
    cached = "".join(p.read_bytes().decode("utf-8", "replace") for p in cache_dir.glob("*.bin")) \
        if cache_dir.is_dir() else ""
    assert "hunter2" not in cached and "alice" not in cached
    cache._loaded.clear()
    write(condarc, "channels:\n  - https://conda.corp.example/channel\n")
    core.current(only="conda")
    assert "conda.corp.example" in cache_text(cache_dir / "condarc.bin")  # without a token: cached


def test_the_cache_hands_out_copies_and_keeps_only_plain_literals(tmp_path: Path):
    import datetime

    from mirrorctl import cache

    path = write(tmp_path / "some.toml", "x = 1\n")
    first = cache.parsed("sample", path, b"x = 1\n", lambda: {"x": [1]})
    first["x"].append("edited by a caller")
    cache._loaded.clear()
    again = cache.parsed("sample", path, b"x = 1\n", lambda: {"x": ["parsed again"]})
    assert again == {"x": [1]}  # from the cache, unchanged by the caller's edit
    again["x"].append(2)
    assert cache.parsed("sample", path, b"x = 1\n", lambda: {"x": ["parsed again"]}) == {"x": [1]}
    # A value repr() cannot round-trip (a TOML date) is not cached; every other entry still is.
    dated = write(tmp_path / "dated.toml", "d = 2026-12-01\n")
    calls = []
    for _ in range(2):
        cache.parsed("sample", dated, b"d", lambda: calls.append(1) or {"d": datetime.date(2026, 12, 1)})
    assert len(calls) == 2
    assert "some.toml" in cache_text(tmp_path / "mirrorctl" / "cache" / "sample.bin")


def test_a_tampered_pip_cache_entry_is_parsed_again(pip_conf: Path):
    from mirrorctl import cache, core, paths

    write(pip_conf, "[global]\nindex-url = https://mirrors.ustc.edu.cn/pypi/simple\n")
    assert core.current(only="pip")[0].profile == "ustc"
    cache_file = paths.mirrorctl_cache_dir() / "pipconf.bin"
    text = cache_text(cache_file)
    tampered = text.replace("'index-url': 'https://mirrors.ustc.edu.cn/pypi/simple'", "'index-url': 7")
    assert tampered != text
    write_cache_text(cache_file, tampered)
    cache._loaded.clear()
    assert core.current(only="pip")[0].profile == "ustc"


def _import_graph(package: Path) -> dict[str, set[str]]:
    """Module -> the package modules it imports at run time, function-level imports included (imports under
    ``if TYPE_CHECKING:`` are for mypy only and do not count)."""
    import ast

    modules = {}
    for path in package.rglob("*.py"):
        parts = path.relative_to(package.parent).with_suffix("").parts
        modules[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        typing_only = {id(sub) for node in ast.walk(tree) if isinstance(node, ast.If)
                       and getattr(node.test, "id", None) == "TYPE_CHECKING" for sub in ast.walk(node)}
        here = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in ast.walk(tree):
            if id(node) in typing_only:
                continue
            if isinstance(node, ast.Import):
                found = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    parent = here.split(".")[: len(here.split(".")) - node.level + 1]
                    base = ".".join([*parent, base] if base else parent)
                found = [base, *(f"{base}.{alias.name}" for alias in node.names)]
            else:
                continue
            graph[name] |= {m for m in found if m in modules and m != name and not name.startswith(m + ".")}
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The groups of modules that import each other, directly or through others (strongly connected)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    groups = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for following in sorted(graph[node]):
            if following not in index:
                visit(following)
                low[node] = min(low[node], low[following])
            elif following in stack:
                low[node] = min(low[node], index[following])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for start in sorted(graph):
        if start not in index:
            visit(start)
    return groups


def test_no_import_cycle_not_even_through_function_level_imports():
    package = Path(mirrorctl.targets.__file__).parent.parent
    assert _cycles(_import_graph(package)) == []


def test_the_cycle_check_finds_a_function_level_cycle(tmp_path: Path):
    package = tmp_path / "pkg"
    write(package / "__init__.py", "")
    write(package / "a.py", "from pkg import b\n")
    write(package / "b.py", "def later():\n    from pkg.a import x\n")
    write(package / "c.py", "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from pkg import a\n")
    assert _cycles(_import_graph(package)) == [["pkg.a", "pkg.b"]]


def _modules_importing(package: Path, names: set[str]) -> list[str]:
    """The modules (relative paths) of ``package`` that import any of ``names``, anywhere in the module."""
    import ast

    found = []
    for path in sorted(package.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            imported = ([alias.name for alias in node.names] if isinstance(node, ast.Import)
                        else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            if names & {name.split(".")[0] for name in imported}:
                found.append(path.relative_to(package).as_posix())
                break
    return found


def test_one_module_imports_the_plain_toml_parser():
    """tomllib exists from Python 3.11 only: one guarded import (tomli before 3.11), which every reader uses."""
    from mirrorctl.formats import toml

    package = Path(mirrorctl.targets.__file__).parent.parent
    assert _modules_importing(package, {"tomllib", "tomli"}) == ["formats/toml.py"]
    assert toml.plain_parser().__name__ == ("tomllib" if sys.version_info >= (3, 11) else "tomli")


def test_the_toml_import_check_sees_a_function_level_import(tmp_path: Path):
    write(tmp_path / "pkg" / "a.py", "def later():\n    import tomllib\n")
    write(tmp_path / "pkg" / "b.py", "from tomli import loads\n")
    write(tmp_path / "pkg" / "c.py", "import tomlkit\n")
    assert _modules_importing(tmp_path / "pkg", {"tomllib", "tomli"}) == ["a.py", "b.py"]


def _cross_target_imports(targets: Path, package: str = "mirrorctl.targets") -> list[tuple[str, str]]:
    """(tool module, tool module it imports) for every import of one tool's module by another, anywhere in the
    module (function-level and type-checking imports too). Shared helpers (``_name.py``), ``base`` and the
    package itself are not tools."""
    import ast

    tools = {p.stem for p in targets.glob("*.py") if not p.stem.startswith("_") and p.stem != "base"}
    found = []
    for path in sorted(targets.glob("*.py")):
        if path.stem not in tools:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                names = [node.module or "", *(f"{node.module}.{alias.name}" for alias in node.names)]
            elif isinstance(node, ast.ImportFrom):  # relative: from . import conda / from .conda import x
                module = f"{package}.{node.module}" if node.module else package
                names = [module, *(f"{module}.{alias.name}" for alias in node.names)]
            else:
                continue
            for name in names:
                head, _, tail = name.partition(f"{package}.")
                tool = tail.split(".")[0] if not head and tail else ""
                if tool in tools and tool != path.stem:
                    found.append((path.stem, tool))
    return sorted(set(found))


def test_no_tool_module_imports_another():
    """What two tools share (conda's channel model, pip's files) lives in a shared ``_`` module or in paths."""
    assert _cross_target_imports(Path(mirrorctl.targets.__file__).parent) == []


def test_the_cross_tool_import_check_finds_every_form(tmp_path: Path):
    targets = tmp_path / "targets"
    write(targets / "__init__.py", "")
    write(targets / "base.py", "from mirrorctl.targets import one\n")
    write(targets / "_shared.py", "from mirrorctl.targets import one\n")
    write(targets / "one.py", "from mirrorctl.targets import _shared, base\n")
    write(targets / "two.py", "def later():\n    from mirrorctl.targets import one\n")
    write(targets / "three.py", "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
                                "    from mirrorctl.targets.two import x\n")
    write(targets / "four.py", "import mirrorctl.targets.one\nfrom .three import y\n")
    assert _cross_target_imports(targets) == [("four", "one"), ("four", "three"), ("three", "two"), ("two", "one")]
