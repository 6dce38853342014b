"""Every test runs in a fake home. A guard makes any touch of the real home fail loudly.

The autouse ``isolated_home`` fixture points HOME, XDG_*, APPDATA, PIP_CONFIG_FILE, CONDARC and mirrorctl's own
variables at a temporary directory and removes every PIP_* / CONDA_* variable the machine has. The session-wide
audit hook then refuses (raises RealHomeAccess) any open-for-write, rename, delete or mkdir under the real home,
and any open at all of the configuration locations pip, conda and mirrorctl use there.
"""

from __future__ import annotations

import os
import pwd
import sys
from pathlib import Path
from typing import ClassVar

import pytest

ROOT = Path(__file__).resolve().parents[1]
#: The shared test helpers (loopback index and mirror fleet, the real-client harnesses) live in tests/helpers/;
#: test modules import them by module name (``from loopback_index import ...``), as before they moved.
sys.path.insert(0, str(Path(__file__).resolve().parent / "helpers"))

REAL_HOMES = {
    os.path.realpath(p)
    for p in (os.path.expanduser("~"), pwd.getpwuid(os.getuid()).pw_dir)
    if p and p not in ("/", "~")
}
#: Places under a home that hold the configuration this machine depends on (or mirrorctl's own state).
SENSITIVE = (".pip", ".config", ".condarc", ".conda", ".mambarc", ".local/state", ".local/share", "Library",
             "AppData", "pip")
#: Writes under these are the Python installation and this checkout (bytecode caches), not user config.
ALLOWED_WRITE_ROOTS = tuple(
    os.path.realpath(p) for p in {sys.prefix, sys.base_prefix, sys.exec_prefix, str(Path(__file__).parent.parent)}
)


class RealHomeAccess(AssertionError):
    """A test reached the real home directory."""


class _Guard:
    active = False
    violations: ClassVar[list[str]] = []

    @classmethod
    def check(cls, event: str, args: tuple) -> None:
        if not cls.active:
            return
        if event == "open":
            path, mode = args[0], args[1]
            writing = isinstance(mode, str) and any(c in mode for c in "wax+")
            if isinstance(args[2], int) and args[2] & (os.O_WRONLY | os.O_RDWR | os.O_CREAT):
                writing = True
        elif event in ("os.remove", "os.rename", "os.replace", "os.mkdir", "os.rmdir", "os.chmod", "os.symlink"):
            path, writing = args[0], True
        elif event in ("os.listdir", "os.scandir"):
            path, writing = args[0], False
        else:
            return
        if not isinstance(path, (str, bytes, os.PathLike)):
            return
        full = os.path.realpath(os.fsdecode(path))
        for home in REAL_HOMES:
            if full != home and not full.startswith(home + os.sep):
                continue
            if writing and full.startswith(ALLOWED_WRITE_ROOTS):
                continue
            relative = full[len(home) + 1:]
            if writing or relative.startswith(SENSITIVE):
                message = f"{event} {full} reached the real home ({home})"
                cls.violations.append(message)
                raise RealHomeAccess(message)


sys.addaudithook(_Guard.check)

#: What a child process that lost the fake HOME would change in the real one (the audit hook sees only this
#: process): mirrorctl's cache, config and state, and the files this machine's pip, conda, uv and pdm read.
WATCHED = (".cache/mirrorctl", ".config/mirrorctl", ".local/state/mirrorctl", ".local/share/mirrorctl",
           ".mirrorctl", ".config/pip/pip.conf", ".pip/pip.conf", ".condarc", ".config/uv", ".config/pdm")


def _real_home_marks() -> dict[str, tuple[int, int] | None]:
    marks: dict[str, tuple[int, int] | None] = {}
    for home in REAL_HOMES:
        for relative in WATCHED:
            path = os.path.join(home, relative)
            try:
                info = os.stat(path)
            except OSError:
                marks[path] = None
            else:
                marks[path] = (info.st_mtime_ns, info.st_size)
    return marks


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """A test named test_real_* runs a real client: it must say so with the real_client marker, so that
    ``-m "not real_client"`` means what it says."""
    unmarked = [item.nodeid for item in items
                if item.name.startswith("test_real_") and item.get_closest_marker("real_client") is None]
    if unmarked:
        raise pytest.UsageError("tests named test_real_* without @pytest.mark.real_client: " + ", ".join(unmarked))


@pytest.fixture(scope="session", autouse=True)
def home_guard():
    _Guard.active = True
    yield _Guard
    _Guard.active = False


@pytest.fixture
def expect_guard_violation():
    """For the test that proves the guard works: the violation it provokes is expected, not a failure."""
    yield _Guard
    _Guard.violations.clear()


@pytest.fixture(scope="session", autouse=True)
def compiled_catalogues():
    """A checkout's catalogues compiled from its current .po files, as the build hook does (hatch_build.py).

    An installed mirrorctl (``pip install .``, CI) already carries the .mo its build compiled: left alone.
    """
    from mirrorctl import i18n

    locale_dir = Path(i18n.LOCALE_DIR)
    if locale_dir.parent.parent != ROOT:
        return
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    for po in locale_dir.glob("*/LC_MESSAGES/*.po"):
        with po.open("rb") as source:
            catalog = read_po(source, abort_invalid=True)
        with po.with_suffix(".mo").open("wb") as target:
            write_mo(target, catalog, use_fuzzy=False)


@pytest.fixture(autouse=True)
def isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest):
    home = tmp_path / "home"
    home.mkdir()
    for name in list(os.environ):
        # MIRRORCTL_TEST_* say where the test suite's own real clients are (tests/helpers/real_conda.py), not how
        # mirrorctl behaves: they stay, so a test that looks them up first does not depend on collection order.
        if name.startswith(("PIP_", "CONDA_", "MAMBA", "UV_", "PDM_", "PIXI_", "MIRRORCTL_")) \
                and not name.startswith("MIRRORCTL_TEST_"):
            monkeypatch.delenv(name)
    settings = {
        "HOME": home,
        "USERPROFILE": home,
        "XDG_CONFIG_HOME": home / ".config",
        "XDG_DATA_HOME": home / ".local" / "share",
        "XDG_STATE_HOME": home / ".local" / "state",
        "XDG_CACHE_HOME": home / ".cache",
        "XDG_CONFIG_DIRS": tmp_path / "system" / "etc" / "xdg",
        "XDG_DATA_DIRS": tmp_path / "system" / "usr" / "share",
        "APPDATA": home / "AppData" / "Roaming",
        "LOCALAPPDATA": home / "AppData" / "Local",
        # A file that does not exist: pip ignores it, and reads the (fake) user files as usual.
        "PIP_CONFIG_FILE": tmp_path / "no-such-pip.conf",
        "CONDARC": home / ".condarc",
        "MIRRORCTL_HOME": tmp_path / "mirrorctl",
        "MIRRORCTL_SYSTEM_ROOT": tmp_path / "system",
        # The "site" pip.conf is the active environment's: point it at an empty prefix.
        "VIRTUAL_ENV": tmp_path / "venv",
    }
    for name, value in settings.items():
        monkeypatch.setenv(name, str(value))
    before = _real_home_marks()
    # Which package tools are "installed" decides what `use` configures: the machine's own (uv, pdm ... in the
    # test venv) must not leak in. Tests that want a tool present put a stub in tmp_path/bin (conda_installed).
    monkeypatch.setenv("PATH", os.pathsep.join([str(tmp_path / "bin"), "/usr/bin", "/bin"]))
    for name in ("NO_COLOR", "http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    # English unless a test asks for another language (the machine's own locale must not decide the output).
    for name in ("LC_ALL", "LC_MESSAGES", "LANGUAGE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LANG", "C.UTF-8")
    from mirrorctl import i18n

    i18n.reset()
    yield home
    i18n.reset()
    changed = [path for path, mark in _real_home_marks().items() if mark != before.get(path)]
    if changed:  # a child process ran without the fake HOME (env={...} without HOME, `env -i`, su ...)
        pytest.fail("a child process of this test reached the real home: " + ", ".join(changed)
                    + " changed (give every subprocess the test's environment)")
    if _Guard.violations and "expect_guard_violation" not in request.fixturenames:
        found = list(_Guard.violations)
        _Guard.violations.clear()
        pytest.fail("test reached the real home: " + "; ".join(found))


@pytest.fixture
def run(isolated_home: Path):
    """Invoke the CLI in process; returns click's Result. Exit code is for the caller to assert."""
    from click.testing import CliRunner

    from mirrorctl.cli import cli

    def invoke(*args: str, input: str | None = None):
        if not _CLICK_SEPARATES_STDERR:
            runner = CliRunner(mix_stderr=False)  # type: ignore[call-arg]  # click < 8.2
            return _Click82Result(runner.invoke(cli, list(args), input=input, catch_exceptions=False))
        runner = CliRunner()
        return runner.invoke(cli, list(args), input=input, catch_exceptions=False)

    return invoke


def _click_version() -> tuple[int, ...]:
    from importlib.metadata import version

    return tuple(int(part) for part in version("click").split(".")[:2])


#: click 8.2 (Python 3.10+) gives a CliRunner result ``stdout`` and ``stderr`` apart and ``output`` as both;
#: click 8.1.8, the newest for Python 3.9, mixes stderr into ``stdout`` unless told not to, and then leaves it
#: out of ``output``. The tests are written for 8.2; under 8.1 ``run`` hands out the same three.
_CLICK_SEPARATES_STDERR = _click_version() >= (8, 2)


class _Click82Result:
    """A click 8.1 result (run with mix_stderr=False) read as click 8.2 reads it; ``output`` is stdout then
    stderr (8.1 cannot interleave them as 8.2 does)."""

    def __init__(self, result: object) -> None:
        self._result = result

    @property
    def output(self) -> str:
        return str(self._result.stdout) + str(self._result.stderr)  # type: ignore[attr-defined]

    def __getattr__(self, name: str) -> object:
        return getattr(self._result, name)


@pytest.fixture
def pip_conf(isolated_home: Path) -> Path:
    """The user pip file mirrorctl writes on Linux (XDG)."""
    return isolated_home / ".config" / "pip" / "pip.conf"


@pytest.fixture
def legacy_pip_conf(isolated_home: Path) -> Path:
    return isolated_home / ".pip" / "pip.conf"


@pytest.fixture
def condarc(isolated_home: Path) -> Path:
    return isolated_home / ".condarc"


def write(path: Path, text: str | bytes, mode: int | None = None) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode("utf-8") if isinstance(text, str) else text)
    if mode is not None:
        path.chmod(mode)
    return path


def messages(findings, level: str | None = None) -> list[str]:
    """The sentences the user sees for ``findings`` (optionally of one level)."""
    from mirrorctl.output.common import message

    return [message(f) for f in findings if level is None or f.level == level]


def setting(state, key: str, value: str | None = None):
    """The first setting of ``state`` with ``key`` (and ``value``); fails the test when there is none."""
    for candidate in state.settings:
        if candidate.key == key and (value is None or candidate.value == value):
            return candidate
    raise AssertionError(f"{state.tool} has no setting {key}={value}: {state.settings}")


@pytest.fixture
def conda_installed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A `conda` executable on PATH (a stub: only its presence matters), so `use` configures conda."""
    stub = write(tmp_path / "bin" / "conda", "#!/bin/sh\nexit 0\n", mode=0o755)
    monkeypatch.setenv("PATH", f"{stub.parent}{os.pathsep}{os.environ.get('PATH', '')}")
    return stub


@pytest.fixture
def index():
    """A loopback PEP 503 index serving one small wheel (tests/helpers/loopback_index.py), stopped afterwards."""
    from loopback_index import serve_index

    with serve_index() as served:
        yield served


@pytest.fixture
def trap():
    """A proxy on 127.0.0.1 that records and refuses every request: what a client tries to reach elsewhere."""
    from loopback_index import trap_proxy

    with trap_proxy() as proxy:
        yield proxy
