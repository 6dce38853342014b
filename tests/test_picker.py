"""`mirrorctl use` with no NAME on a terminal: the picker, driven in a real pseudo-terminal (pexpect).

The background bench must not reach the internet: every test runs mirrorctl behind the trap proxy
(tests/helpers/loopback_index.py), which records and refuses each request, so the built-in mirrors are never contacted.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest
from loopback_index import TrapProxy

from mirrorctl.picker import Cancelled, Picker, Row

pexpect = pytest.importorskip("pexpect")

DOWN = "\x1b[B"
ESC = "\x1b"


def _spawn(trap: TrapProxy, *args: str):  # pexpect.spawn
    env = {**os.environ, "HTTP_PROXY": trap.url, "HTTPS_PROXY": trap.url, "ALL_PROXY": trap.url, "NO_PROXY": "",
           "http_proxy": trap.url, "https_proxy": trap.url, "no_proxy": "", "TERM": "xterm", "COLUMNS": "120"}
    child = pexpect.spawn(sys.executable, ["-m", "mirrorctl", *args], env=env, encoding="utf-8", timeout=60,
                          dimensions=(40, 120))
    child.expect("Switch to which mirror")
    return child


def _order(run) -> list[str]:
    return [p["name"] for p in json.loads(run("list", "--json").output)["profiles"]]


def test_down_down_enter_switches_to_the_third_profile(run, trap: TrapProxy, pip_conf: Path):
    third = _order(run)[2]
    child = _spawn(trap, "use", "--only", "pip")
    child.send(DOWN)
    child.send(DOWN)
    child.send("\r")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0, child.before
    assert f"pip: now {third} (" in child.before  # the same words as `use NAME`
    profile = json.loads(run("profile", "show", third, "--json").output)["profile"]
    assert profile["pypi"]["index_url"] in pip_conf.read_text()
    assert len(json.loads(run("backups", "--json").output)["backups"]) == 1
    assert all(not line.startswith("GET ") or "127.0.0.1" in line for line in trap.log())


def test_typing_filters_and_enter_takes_the_match(run, trap: TrapProxy, pip_conf: Path):
    child = _spawn(trap, "use", "--only", "pip")
    child.send("us")
    child.expect("filter: us")
    child.send("\r")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0, child.before
    assert "pip: now ustc (" in child.before


@pytest.mark.parametrize("key", [ESC, "\x03"])
def test_esc_or_ctrl_c_writes_nothing(run, trap: TrapProxy, pip_conf: Path, key: str):
    child = _spawn(trap, "use", "--only", "pip")
    child.send(DOWN)
    child.send(key)
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 130
    assert "cancelled; nothing was written" in child.before
    assert not pip_conf.exists()
    assert json.loads(run("backups", "--json").output)["backups"] == []


def test_off_a_terminal_it_stays_a_usage_error(run, pip_conf: Path):
    result = run("use", "--only", "pip")  # CliRunner: stdin and stdout are not terminals
    assert result.exit_code == 2
    assert result.output == "mirrorctl: error: give a profile NAME (see `mirrorctl list`) or --fastest\n"
    assert not pip_conf.exists()


# The list itself, without a terminal


def _rows() -> list[Row]:
    return [Row("official", (), "pypi", "Upstream"), Row("tuna", ("tsinghua", "thu"), "pypi", "TUNA", ("pip",)),
            Row("ustc", (), "pypi", "USTC")]


def test_filter_matches_names_and_aliases():
    picker = Picker(_rows())
    for key in "us":
        picker.key(key)
    assert [r.name for r in picker.visible()] == ["ustc"]
    picker.key("\x7f")
    picker.key("\x7f")
    for key in "tsing":
        picker.key(key)
    assert [r.name for r in picker.visible()] == ["tuna"]
    assert picker.key("\r") == "tuna"


def test_cursor_stays_in_the_list_and_figures_fill_in():
    picker = Picker(_rows())
    for _ in range(5):
        picker.key(DOWN)
    assert picker.key("\r") == "ustc"
    picker.key("\x1b[A")
    assert picker.lines(120)[1:3][1].startswith("> * tuna")
    assert "…" in picker.lines(120)[2]
    picker.report("tuna", "23 ms")
    assert "23 ms" in picker.lines(120)[2]
    with pytest.raises(Cancelled):
        picker.key(ESC)
