"""Start-up cost of the everyday commands, next to a bare interpreter measured in the same run.

Run: ``python benchmarks/startup.py [--runs N] [--warmup N]``. Not a test: it prints a report and exits 0.

Every command runs as ``python -m mirrorctl ...`` (``sys.executable``; works from a checkout and when installed)
inside a temporary HOME this script creates, with HOME, XDG_*, MIRRORCTL_HOME, PIP_CONFIG_FILE, CONDARC and
MIRRORCTL_SYSTEM_ROOT pointed into it, so the real configuration of this machine is never read. That home holds
what a user who already switched to TUNA has: a commented ``~/.config/pip/pip.conf``, a commented ``~/.condarc``
and one user profile, so ``list`` and ``current`` do their real work (TOML profiles, INI, YAML).

Targets:

1. wall time: the median of ``mirrorctl --help``, ``list`` and ``current`` each within 6x the median of
   ``python -c pass`` (so httpx, ruamel.yaml and the other heavy imports load only when a command needs them);
2. memory: peak RSS of each of those commands under 35 MiB.

Measurements are interleaved round-robin (the order rotates every round) after a few warm-up rounds, so a
slow patch of the machine hits every command alike. Peak RSS is measured per command in a fresh helper process
whose only child is the command: ``getrusage(RUSAGE_CHILDREN).ru_maxrss`` of that helper is then exactly the
command's own peak (no wrapper code runs inside the measured process). Finally ``python -X importtime -m mirrorctl
list`` shows which imports cost the most.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

RATIO_LIMIT = 6.0
MEMORY_LIMIT_MIB = 35.0
DEFAULT_RUNS = 15
DEFAULT_WARMUP = 3
SLOWEST_IMPORTS = 8
#: Third-party packages worth knowing about when they load at start-up.
HEAVY = ("httpx", "httpcore", "anyio", "h11", "ruamel.yaml", "tomlkit", "platformdirs", "click", "ssl", "asyncio")

BARE = ("python -c pass", [sys.executable, "-c", "pass"])
COMMANDS = [
    ("mirrorctl --help", [sys.executable, "-m", "mirrorctl", "--help"]),
    ("mirrorctl list", [sys.executable, "-m", "mirrorctl", "list"]),
    ("mirrorctl current", [sys.executable, "-m", "mirrorctl", "current"]),
]

PIP_CONF = """\
# pip configuration, switched to the TUNA mirror (Tsinghua) with mirrorctl.
# Everything else in here is my own.

[global]
index-url = https://pypi.tuna.tsinghua.edu.cn/simple
# the campus network is slow in the evening
timeout = 60
retries = 3

[install]
# never touch the system packages by accident
require-virtualenv = true
no-warn-script-location = true

[freeze]
timeout = 10
"""

CONDARC = """\
# conda configuration: TUNA mirror, as on https://mirrors.tuna.tsinghua.edu.cn/help/anaconda/
channels:
  - defaults
show_channel_urls: true
default_channels:
  - https://mirrors.tuna.tsinghua.edu.cn/anaconda/pkgs/main
  - https://mirrors.tuna.tsinghua.edu.cn/anaconda/pkgs/r
  - https://mirrors.tuna.tsinghua.edu.cn/anaconda/pkgs/msys2
custom_channels:
  conda-forge: https://mirrors.tuna.tsinghua.edu.cn/anaconda/cloud
  bioconda: https://mirrors.tuna.tsinghua.edu.cn/anaconda/cloud
  pytorch: https://mirrors.tuna.tsinghua.edu.cn/anaconda/cloud
  # the lab's own channel, not a mirror
  lab-tools: https://conda.lab.example.edu/channels

# my own settings
auto_activate_base: false
channel_priority: strict
pip_interop_enabled: true
envs_dirs:
  - ~/envs
"""

USER_PROFILE = """\
# A mirrorctl profile (added with `mirrorctl profile add`). Edit freely.
name = "campus"
title = "Campus mirror"
aliases = []

[pypi]
index = "https://pypi.campus.example.edu/simple"
verified = false
source = "added by the user"
"""


# ---------------------------------------------------------------------------------------------------------
# The temporary home


def make_environment(base: Path) -> dict[str, str]:
    home = base / "home"
    files = {
        home / ".config" / "pip" / "pip.conf": PIP_CONF,
        home / ".condarc": CONDARC,
        base / "mirrorctl" / "profiles" / "campus.toml": USER_PROFILE,
    }
    for path, text in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")

    env = {
        name: value for name, value in os.environ.items()
        if not name.startswith(("PIP_", "CONDA_", "MAMBA", "UV_", "PDM_", "PIXI_", "MIRRORCTL_", "PYTHON"))
        and name not in ("VIRTUAL_ENV", "NO_COLOR")
    }
    env.update({
        "HOME": str(home),
        "USERPROFILE": str(home),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_DATA_HOME": str(home / ".local" / "share"),
        "XDG_STATE_HOME": str(home / ".local" / "state"),
        "XDG_CACHE_HOME": str(home / ".cache"),
        "XDG_CONFIG_DIRS": str(base / "system" / "etc" / "xdg"),
        "XDG_DATA_DIRS": str(base / "system" / "usr" / "share"),
        "APPDATA": str(home / "AppData" / "Roaming"),
        "LOCALAPPDATA": str(home / "AppData" / "Local"),
        # A file that does not exist: pip (and so mirrorctl) reads the user files as usual.
        "PIP_CONFIG_FILE": str(base / "no-such-pip.conf"),
        "CONDARC": str(home / ".condarc"),
        "MIRRORCTL_HOME": str(base / "mirrorctl"),
        "MIRRORCTL_SYSTEM_ROOT": str(base / "system"),
        "VIRTUAL_ENV": str(base / "venv"),
    })
    if (ROOT / "mirrorctl" / "__init__.py").is_file():  # a checkout: import this one, not an installed copy
        env["PYTHONPATH"] = str(ROOT)
    return env


# ---------------------------------------------------------------------------------------------------------
# Measuring


def run_once(argv: list[str], env: dict[str, str], cwd: Path) -> float:
    start = time.perf_counter()
    result = subprocess.run(argv, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False)
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(argv[1:])} exited {result.returncode}:\n{result.stderr.decode(errors='replace')}")
    return elapsed


def wall_times(commands: list[tuple[str, list[str]]], env: dict[str, str], cwd: Path, runs: int,
               warmup: int) -> dict[str, list[float]]:
    times: dict[str, list[float]] = {label: [] for label, _ in commands}
    for round_number in range(warmup + runs):
        shift = round_number % len(commands)
        for label, argv in commands[shift:] + commands[:shift]:
            elapsed = run_once(argv, env, cwd)
            if round_number >= warmup:
                times[label].append(elapsed)
    return times


_RSS_HELPER = (
    "import resource, subprocess, sys\n"
    "code = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode\n"
    "peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss\n"
    "print(code, peak * (1 if sys.platform == 'darwin' else 1024))\n"  # bytes on macOS, KiB elsewhere
)


def peak_rss_mib(argv: list[str], env: dict[str, str], cwd: Path, repeats: int = 3) -> float | None:
    """The largest of a few peak-RSS readings (MiB), or None where ``resource`` does not exist (Windows)."""
    try:
        import resource  # noqa: F401
    except ImportError:
        return None
    readings = []
    for _ in range(repeats):
        out = subprocess.run([sys.executable, "-c", _RSS_HELPER, *argv], env=env, cwd=cwd, capture_output=True,
                             text=True, check=True).stdout.split()
        if out[0] != "0":
            raise RuntimeError(f"{' '.join(argv[1:])} exited {out[0]} while measuring memory")
        readings.append(int(out[1]) / 2**20)
    return max(readings)


def import_times(env: dict[str, str], cwd: Path) -> list[tuple[int, int, int, str]]:
    """(cumulative us, self us, depth, module) for every import of ``mirrorctl list``."""
    result = subprocess.run([sys.executable, "-X", "importtime", "-m", "mirrorctl", "list"], env=env, cwd=cwd,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, check=True)
    rows = []
    for line in result.stderr.splitlines():
        match = re.match(r"import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)", line)
        if match:
            self_us, cumulative_us, indent, name = match.groups()
            rows.append((int(cumulative_us), int(self_us), (len(indent) - 1) // 2, name))
    return rows


# ---------------------------------------------------------------------------------------------------------
# Report


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=DEFAULT_RUNS, help=f"timed rounds (default {DEFAULT_RUNS})")
    parser.add_argument("--warmup", type=int, default=DEFAULT_WARMUP,
                        help=f"untimed rounds first (default {DEFAULT_WARMUP})")
    args = parser.parse_args()
    runs, warmup = max(1, args.runs), max(0, args.warmup)

    base = Path(tempfile.mkdtemp(prefix="mirrorctl-startup-"))
    try:
        env = make_environment(base)
        cwd = base / "home"
        commands = [BARE, *COMMANDS]
        times = wall_times(commands, env, cwd, runs, warmup)
        memory = {label: peak_rss_mib(argv, env, cwd) for label, argv in commands}
        imports = import_times(env, cwd)
    finally:
        shutil.rmtree(base, ignore_errors=True)

    import platform

    bare = statistics.median(times[BARE[0]])
    print(f"mirrorctl start-up: Python {platform.python_version()} ({sys.executable}), {platform.system()} "
          f"{platform.machine()}")
    print(f"{runs} timed rounds after {warmup} warm-up, round-robin; temporary HOME with a TUNA pip.conf, "
          ".condarc and one user profile")
    print(f"targets: median within {RATIO_LIMIT:g}x of bare python; peak RSS under {MEMORY_LIMIT_MIB:g} MiB")
    print("peak RSS: ru_maxrss of RUSAGE_CHILDREN in a fresh helper whose only child is the command "
          "(max of 3 runs)")
    print()
    header = f"{'command':<20} {'median ms':>10} {'min ms':>8} {'ratio':>7} {'peak RSS MiB':>13}  verdict"
    print(header)
    print("-" * len(header))
    failures = []
    for label, _argv in commands:
        median = statistics.median(times[label])
        ratio = median / bare
        rss = memory[label]
        rss_text = f"{rss:.1f}" if rss is not None else "n/a"
        if label == BARE[0]:
            verdict = "(baseline)"
        else:
            problems = []
            if ratio > RATIO_LIMIT:
                problems.append(f"time {ratio:.1f}x > {RATIO_LIMIT:g}x")
            if rss is not None and rss >= MEMORY_LIMIT_MIB:
                problems.append(f"RSS {rss:.1f} >= {MEMORY_LIMIT_MIB:g} MiB")
            verdict = "FAIL: " + ", ".join(problems) if problems else "PASS"
            failures += [f"{label}: {p}" for p in problems]
        print(f"{label:<20} {median * 1000:>10.1f} {min(times[label]) * 1000:>8.1f} {ratio:>6.2f}x "
              f"{rss_text:>13}  {verdict}")

    print()
    print(f"{SLOWEST_IMPORTS} slowest imports of `mirrorctl list` (python -X importtime, cumulative, one run):")
    print(f"  {'cumulative ms':>13} {'self ms':>8}  module")
    for cumulative, self_us, depth, name in sorted(imports, reverse=True)[:SLOWEST_IMPORTS]:
        print(f"  {cumulative / 1000:>13.1f} {self_us / 1000:>8.1f}  {'  ' * depth}{name}")
    loaded = {name: cumulative for cumulative, _s, _d, name in imports}
    heavy = [f"{name} {loaded[name] / 1000:.1f} ms" for name in HEAVY if name in loaded]
    absent = [name for name in HEAVY if name not in loaded]
    print(f"  heavy modules `list` loads: {', '.join(heavy) or 'none'}")
    print(f"  not loaded: {', '.join(absent) or 'none'}")
    total = sum(self_us for _c, self_us, _d, _n in imports) / 1000
    print(f"  all imports together: {total:.1f} ms")

    print()
    if failures:
        print(f"VERDICT: FAIL ({len(failures)} target(s) missed: {'; '.join(failures)})")
    else:
        print("VERDICT: PASS (every command within its time and memory targets)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
