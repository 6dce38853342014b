"""`mirrorctl bench` and `mirrorctl use --fastest` end to end, against a loopback fleet only."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from conftest import write
from loopback_mirrors import Fleet, MirrorSpec

from mirrorctl import paths

#: quick and slow serve files at the same, throttled rate: an unthrottled 256 KB file on loopback arrives in a
#: few ms, so its "bandwidth" measures this process's scheduling (a busy machine made it vary tenfold), and
#: `use --fastest` ranks by install time.
SPECS = [
    MirrorSpec("quick", delay=0.02, rate=20e6, wheel_bytes=1024 * 1024),
    MirrorSpec("slow", delay=0.15, rate=20e6, wheel_bytes=1024 * 1024),
    MirrorSpec("stalefast", delay=0.0, behaviour="stale"),
    MirrorSpec("portal", delay=0.0, behaviour="portal"),
    MirrorSpec("broken", delay=0.0, behaviour="500"),
    MirrorSpec("dead", behaviour="closed"),
    MirrorSpec("hung", behaviour="hang"),
]
NAMES = [spec.name for spec in SPECS]


@pytest.fixture
def fleet():
    with Fleet(SPECS) as running:
        for spec in SPECS:
            base = running.base_url(spec.name)
            write(paths.user_profiles_dir() / f"{spec.name}.toml",
                  f'name = "{spec.name}"\n[pypi]\nindex = "{base}/simple"\n'
                  f'[conda]\ndefault_channels = ["{base}/pkgs/main", "{base}/pkgs/r"]\n')
        yield running


def test_bench_ranks_classifies_and_flags_stale(run, fleet):
    started = time.monotonic()
    result = run("bench", *NAMES, "--timeout", "1.5", "--no-upstream", "--json")
    elapsed = time.monotonic() - started
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    pypi = [r for r in rows if r["target"] == "pypi"]
    assert [r["profile"] for r in pypi[:3]] == ["quick", "slow", "stalefast"]  # fresh by speed, then stale
    by_name = {r["profile"]: r for r in pypi}
    assert by_name["stalefast"]["ok"] and by_name["stalefast"]["stale"]
    assert not by_name["quick"]["stale"] and by_name["quick"]["latency_ms"] < by_name["slow"]["latency_ms"]
    assert {n: by_name[n]["error"] for n in ("portal", "broken", "dead", "hung")} == {
        "portal": "invalid", "broken": "http", "dead": "refused", "hung": "timeout"}
    assert by_name["hung"]["latency_ms"] is None
    # "hung" holds on for 60 s (MAX_HANG_S): under the timeout plus 10 s shows the deadline held, on any load.
    assert elapsed < 1.5 + 10, f"bench took {elapsed:.1f} s with a 1.5 s timeout"


def test_use_fastest_skips_stale_and_broken_mirrors(run, fleet, pip_conf: Path, condarc: Path, conda_installed):
    result = run("use", "--fastest", *[f"--from={n}" for n in NAMES], "--timeout", "1.5")
    assert result.exit_code == 0, result.output
    assert result.output.startswith("fastest for pip: quick (latency ")
    assert "fastest for conda: quick (latency " in result.output
    assert f"index-url = {fleet.base_url('quick')}/simple" in pip_conf.read_text()
    assert f"{fleet.base_url('quick')}/pkgs/main" in condarc.read_text()
    assert json.loads(run("current", "--json").output)["tools"]["pip"]["profile"] == "quick"
    assert run("restore").exit_code == 0 and not pip_conf.exists()


def test_use_fastest_changes_nothing_when_no_mirror_is_healthy(run, fleet, pip_conf: Path):
    result = run("use", "--fastest", "--from", "portal", "--from", "dead", "--from", "broken",
                 "--only", "pip", "--timeout", "1")
    assert result.exit_code == 1
    assert "mirrorctl: error: no mirror answered correctly and in time; nothing was changed" in result.output
    assert not pip_conf.exists()


@pytest.mark.parametrize(("tool", "ecosystem"), [("pip", "pypi"), ("conda", "conda"), ("uv", "pypi")])
def test_bench_only_takes_a_tool_name_and_probes_that_tools_indexes(run, fleet, tool: str, ecosystem: str):
    result = run("bench", "quick", "slow", "--only", tool, "--timeout", "1.5", "--no-upstream", "--json")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert {r["target"] for r in rows} == {ecosystem}
    assert {r["profile"] for r in rows} == {"quick", "slow"}


def test_bench_only_refuses_an_index_kind_with_the_tool_names(run):
    result = run("bench", "--only", "pypi")
    assert result.exit_code == 2
    assert "unknown tool 'pypi' (choose from conda, " in result.output


def test_use_fastest_configures_the_tools_use_would_and_gives_pixi_one_profile_for_both_tables(
        run, fleet, pip_conf: Path, isolated_home: Path):
    pixi_config = write(isolated_home / ".config" / "pixi" / "config.toml", "# my pixi settings\n")
    result = run("use", "--fastest", "--from", "quick", "--from", "slow", "--from", "stalefast",
                 "--timeout", "1.5", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["wanted"] == {"pip": "quick", "pixi": "quick"}  # pixi: healthy and fresh for PyPI and conda
    assert data["fastest"]["tools"]["pixi"]["profile"] == "quick"
    assert {f["tool"] for f in data["skipped"] if f["code"] == "tool-absent"} >= {"uv", "pdm", "conda"}
    assert fleet.base_url("quick") in pixi_config.read_text()
    assert not (isolated_home / ".config" / "uv" / "uv.toml").exists()  # uv is neither installed nor configured
    assert not (isolated_home / ".condarc").exists()


def test_bench_reads_what_is_in_effect_through_the_core_and_a_broken_file_is_a_finding(
        run, fleet, pip_conf: Path, condarc: Path):
    """`bench` with ~/.condarc a directory used to probe every mirror, then fail with "is a directory": it
    now reads what is in effect as `current` does, marks what it can and says what it could not read."""
    condarc.mkdir()
    write(pip_conf, f"[global]\nindex-url = {fleet.base_url('quick')}/simple\n")
    assert run("current", "--only", "conda").exit_code == 1  # `current` reports the same file as an error
    result = run("bench", "quick", "slow", "--only", "pip", "--timeout", "1.5", "--no-upstream")
    assert result.exit_code == 0, result.output
    rows = [line.split() for line in result.stdout.splitlines()]
    assert rows[1][:3] == ["*", "pypi", "quick"] and rows[2][:2] == ["pypi", "slow"]
    assert "conda: mirrorctl does not read ~/.condarc for conda: is a directory, not a file" in result.stdout
    as_json = run("bench", "quick", "--only", "pip", "--timeout", "1.5", "--no-upstream", "--json")
    assert as_json.exit_code == 0, as_json.output
    assert [row["profile"] for row in json.loads(as_json.stdout)] == ["quick"]


def test_the_pickers_background_bench_reports_each_profiles_latency(fleet, monkeypatch: pytest.MonkeyPatch):
    """`use` with no NAME: the picker's measure() runs the real bench and reports each profile's figure. The
    built-in profiles are benched too: their requests go to the trap proxy, which refuses them."""
    from loopback_index import trap_proxy

    from mirrorctl import cli, picker

    heard: dict[str, str] = {}

    def fake_pick(rows, *, measure=None, stdin=None, stdout=None):
        assert measure is not None
        measure(lambda name, figure: heard.__setitem__(name, figure))
        return "quick"

    monkeypatch.setattr(picker, "pick", fake_pick)
    with trap_proxy() as trap:
        for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"):
            monkeypatch.setenv(name, trap.url)
        for name in ("NO_PROXY", "no_proxy"):
            monkeypatch.setenv(name, "127.0.0.1")
        assert cli._pick_profile(only=("pip",), timeout=1.5) == "quick"
    assert heard["quick"].endswith(" ms") and heard["slow"].endswith(" ms")
    assert {heard[name] for name in ("portal", "broken", "dead", "hung")} == {"failed"}
    assert heard["tuna"] == "failed"  # refused by the trap: no request left this machine


def test_bench_colours_the_winner_and_failures_only_on_a_terminal(run, fleet, monkeypatch: pytest.MonkeyPatch):
    import io

    from mirrorctl import core
    from mirrorctl.output.bench import bench_text
    from mirrorctl.output.common import COLOURS, RESET, use_colour

    measured = core.bench(names=("quick", "slow", "portal"), only="pip", timeout=1.5, upstream=False)
    lines = bench_text(measured, colour=True).splitlines()
    quick = next(line for line in lines if " quick " in line)
    portal = next(line for line in lines if " portal " in line)
    slow = next(line for line in lines if " slow " in line)
    assert quick.startswith(COLOURS["good"]) and quick.endswith(RESET)  # the winner
    assert portal.startswith(COLOURS["error"])  # a failure
    assert "\x1b[" not in slow  # neither
    plain = bench_text(measured)
    assert "\x1b[" not in plain
    assert [_strip(line) for line in lines] == plain.splitlines()  # colour never moves a column
    assert "\x1b[" not in run("bench", "quick", "portal", "--only", "pip", "--timeout", "1.5", "--no-upstream").output

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    assert use_colour(Terminal())
    assert not use_colour(Terminal(), no_color=True)
    monkeypatch.setenv("NO_COLOR", "1")
    assert not use_colour(Terminal())


def _strip(line: str) -> str:
    import re

    return re.sub(r"\x1b\[[0-9;]*m", "", line)
