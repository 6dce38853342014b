"""Real pip judges the pip files the cheat-sheets tell people to write, after every mirrorctl action (issue 7).

The files: ``~/.pip/pip.conf`` (the legacy location most cheat-sheets still name) with TUNA and
``[install] trusted-host``; the Aliyun recipe, plain ``http://`` with ``timeout = 6000`` and ``trusted-host`` in
``[install]`` (the brief's spelling) or in ``[global]`` (the spelling of tests/data/pip_observed.json); and the
same in ``~/.config/pip/pip.conf``.

After ``use tuna``, ``use ustc``, ``use aliyun``, ``use official`` and ``reset`` two real pip commands run in a
subprocess, with the isolated environment the conftest set up:

- ``pip config list``: pip's own view of every key (index-url, trusted-host, timeout);
- ``pip install --dry-run mirrorctl-demo`` with ``--proxy`` (and the proxy variables) pointing at a
  :class:`loopback_index.TrapProxy`: the first host pip really tries to fetch from ends up in the trap's log
  (``CONNECT host:443`` for https, ``GET http://host/...`` for http), answered 403. No mirror is ever contacted:
  every request pip makes goes to the trap on 127.0.0.1.

mirrorctl's ``current`` must name the same index and the same trusted hosts as pip, and the profile's name only
when pip really fetches from it.
"""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import setting, write
from loopback_index import PROJECT, TrapProxy, trap_proxy

from mirrorctl import core
from mirrorctl.results import ToolState
from mirrorctl.urls import host_port, normalize

pytestmark = [pytest.mark.real_client,
              pytest.mark.skipif(importlib.util.find_spec("pip") is None, reason="pip is not installed")]

PIP_TIMEOUT_S = 120
LEGACY = ".pip/pip.conf"
XDG = ".config/pip/pip.conf"
TUNA_SHEET = ("[global]\nindex-url = https://pypi.tuna.tsinghua.edu.cn/simple\n"
              "[install]\ntrusted-host = pypi.tuna.tsinghua.edu.cn\n")
ALIYUN_SHEET = ("[global]\nindex-url = http://mirrors.aliyun.com/pypi/simple/\ntimeout = 6000\n"
                "[install]\ntrusted-host = mirrors.aliyun.com\n")
#: tests/data/pip_observed.json case "aliyun-http", verbatim.
ALIYUN_GLOBAL = ("[global]\ntimeout = 6000\nindex-url = http://mirrors.aliyun.com/pypi/simple/\n"
                 "trusted-host = mirrors.aliyun.com\n")
FILES = {
    "legacy-tuna": (LEGACY, TUNA_SHEET),
    "legacy-aliyun": (LEGACY, ALIYUN_SHEET),
    "legacy-aliyun-global": (LEGACY, ALIYUN_GLOBAL),
    "xdg-tuna": (XDG, TUNA_SHEET),
    "xdg-aliyun": (XDG, ALIYUN_SHEET),
}
#: Where a user expects pip to fetch from after each action.
HOSTS = {"tuna": "pypi.tuna.tsinghua.edu.cn", "ustc": "mirrors.ustc.edu.cn", "aliyun": "mirrors.aliyun.com",
         "official": "pypi.org", "reset": "pypi.org"}
ACTIONS = ("tuna", "ustc", "aliyun", "official", "reset")


@pytest.fixture(scope="module")
def trap() -> Iterator[TrapProxy]:
    with trap_proxy() as proxy:
        yield proxy


def pip_env(trap: TrapProxy) -> dict[str, str]:
    env = dict(os.environ)  # the conftest's isolated HOME, XDG_*, PIP_CONFIG_FILE (absent), no PIP_* of the machine
    for name in ("NO_PROXY", "no_proxy"):
        env.pop(name, None)
    env.update(LANG="C.UTF-8", PIP_DISABLE_PIP_VERSION_CHECK="1", PIP_NO_INPUT="1",
               HTTP_PROXY=trap.url, HTTPS_PROXY=trap.url, ALL_PROXY=trap.url,
               http_proxy=trap.url, https_proxy=trap.url, all_proxy=trap.url)
    return env


def pip(trap: TrapProxy, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "pip", *args], env=pip_env(trap), capture_output=True, text=True,
                          timeout=PIP_TIMEOUT_S, check=False)


@dataclass(frozen=True)
class PipView:
    """What real pip did: its configuration and the hosts it tried to fetch the demo project from."""

    config: dict[str, list[str]]
    looking_in: str | None
    attempts: tuple[str, ...]
    output: str

    @property
    def hosts(self) -> set[str]:
        found = set()
        for attempt in self.attempts:
            method, target = attempt.split(" ", 1)
            found.add(target.rsplit(":", 1)[0] if method == "CONNECT" else target.split("/")[2])
        return found

    def values(self, key: str) -> list[str]:
        """Every value pip has for ``key`` in any section and file (``global.index-url`` ... )."""
        return [v for name, vs in self.config.items() if name.split(".", 1)[-1] == key for v in vs]


def observe(trap: TrapProxy, tmp_path: Path) -> PipView:
    listed = pip(trap, "config", "list")
    assert listed.returncode == 0, listed.stderr
    config: dict[str, list[str]] = {}
    for line in listed.stdout.splitlines():
        match = re.fullmatch(r"([^=]+)='(.*)'", line)
        assert match, line
        config.setdefault(match.group(1), []).append(match.group(2))
    before = len(trap.log())
    # --proxy as well as the variables: pip sends every request to the trap, whatever it makes of the environment.
    installed = pip(trap, "install", "--dry-run", "--no-deps", "--no-cache-dir", "--retries", "0", "--timeout",
                    "10", "--proxy", trap.url, "--target", str(tmp_path / "target"), PROJECT)
    output = installed.stdout + installed.stderr
    assert installed.returncode != 0, output  # nothing answers but the trap
    looking = re.search(r"^Looking in indexes: (\S+)$", installed.stdout, re.MULTILINE)
    return PipView(config, looking.group(1) if looking else None, tuple(trap.log()[before:]), output)


def assert_agrees(state: ToolState, seen: PipView) -> None:
    """mirrorctl's current names the index pip fetches from and the hosts pip trusts."""
    index = setting(state, "index-url").value
    assert seen.hosts == {host_port(index)}, (index, seen.attempts)
    if seen.looking_in is None:  # pip says "Looking in indexes" only for an index other than its default
        assert index == "https://pypi.org/simple"
    else:
        assert normalize(seen.looking_in) == normalize(index)
    assert {normalize(u) for u in seen.values("index-url")} <= {normalize(index)}
    trusted = next((s.value.split() for s in state.settings if s.key == "trusted-host"), [])
    assert sorted(trusted) == sorted(h for v in seen.values("trusted-host") for h in v.split())


@pytest.mark.parametrize("name", sorted(FILES))
def test_before_any_change_mirrorctl_reads_the_cheat_sheet_file_as_pip_does(name: str, trap: TrapProxy,
                                                                          isolated_home: Path, tmp_path: Path):
    relative, text = FILES[name]
    write(isolated_home / relative, text)
    seen = observe(trap, tmp_path)
    state = core.current(only="pip")[0]
    assert_agrees(state, seen)
    expected = "tuna" if "tuna" in name else "aliyun"
    assert state.label.name == expected and seen.hosts == {HOSTS[expected]}
    if "aliyun" in name:  # plain http, trusted (in [install] or [global]): `pip install` really asks it
        assert any(a.startswith("GET http://mirrors.aliyun.com/pypi/simple/") for a in seen.attempts), seen
        assert "not a trusted or secure host" not in seen.output


@pytest.mark.parametrize("action", ACTIONS)
@pytest.mark.parametrize("name", sorted(FILES))
def test_after_each_action_pip_fetches_where_mirrorctl_says(name: str, action: str, trap: TrapProxy,
                                                            isolated_home: Path, tmp_path: Path):
    relative, text = FILES[name]
    path = write(isolated_home / relative, text)
    result = core.reset(only="pip") if action == "reset" else core.use(name=action, only="pip")
    if result.snapshot_id is None:  # already there (TUNA's file, XDG, `use tuna`): not a byte is touched
        assert path.read_text() == text and (name, action) == ("xdg-tuna", "tuna")

    seen = observe(trap, tmp_path)
    state = core.current(only="pip")[0]
    assert_agrees(state, seen)
    assert seen.hosts == {HOSTS[action]}, (seen.attempts, path.read_text())
    assert state.label.name == ("official" if action == "reset" else action)
    assert not state.broken and "not a trusted or secure host" not in seen.output
    assert result.after[0].label == state.label  # what `use` printed ("now X") is what `current` says

    # The user's other setting is pip's still; no trust is left for a host pip no longer fetches from.
    if "timeout = 6000" in text:
        assert seen.config.get("global.timeout") == ["6000"], seen.config
    for hosts in seen.values("trusted-host"):
        assert set(hosts.split()) <= {HOSTS[action]}, (seen.config, path.read_text())
    if action in ("official", "reset"):
        assert not seen.values("index-url") and not seen.values("trusted-host"), seen.config
