"""Start-up cost of the everyday commands, next to a bare interpreter measured in the same run.

Run: ``python benchmarks/startup.py [--runs N] [--warmup N]``. Not a test: it prints a report and exits 0.

Every command runs as ``python -m mirrorctl ...`` (``sys.executable``; works from a checkout and when
installed) inside a temporary HOME this script creates, with HOME, XDG_*, MIRRORCTL_HOME, PIP_CONFIG_FILE,
CONDARC and MIRRORCTL_SYSTEM_ROOT pointed into it, so the real configuration of this machine is never read.
That home holds what a user who already switched to TUNA has, for every tool mirrorctl knows: a commented
``~/.config/pip/pip.conf``, ``~/.condarc``, ``~/.mambarc``, uv's, pdm's and pixi's ``config.toml``, and a
project directory (the working directory) with a poetry ``pyproject.toml`` and a ``Pipfile``, plus one user
profile, so ``list`` and ``current`` do their real work for all eight tools (TOML profiles, INI, YAML, TOML).
One more row, for information only, times ``list`` in a second such home whose ``.condarc``
changes before every run: the first run after an edit, when nothing mirrorctl may cache about that file is
still valid.

Three more rows (issue 14) run ``--help``, ``list`` and ``current`` under ``LANG=zh_CN.UTF-8`` in a third such
home, so the Chinese catalogue is loaded; they are held to the same targets. The English rows run under
``LANG=C.UTF-8``.

Targets (issues 6 and 10):

1. wall time, as a ratio to the median of ``python -c pass`` in the same run: ``mirrorctl --help`` within 4.7x,
   ``list`` and ``current`` with every tool's files present within 5x (so httpx, ruamel.yaml, tomlkit and the
   other heavy imports load only when a command needs them); ``--only conda`` and ``--only pip`` rows show what
   one tool costs next to all eight;
2. memory: peak RSS of each of those commands under 35 MiB.

Measurements are interleaved round-robin (the order rotates every round) after a few warm-up rounds, so a slow
patch of the machine hits every command alike. Peak RSS comes from ``/usr/bin/time`` (GNU ``-f %M`` or BSD
``-l``), which reports the kernel's max RSS of the command itself with no wrapper code inside it; without it,
from ``getrusage(RUSAGE_CHILDREN)`` in a fresh helper (an upper bound, see :class:`PeakRss`). The output says
which. Finally ``python -X importtime -m mirrorctl list`` shows which imports cost the most.
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

#: Wall-time limit per command, as a ratio to bare Python.
RATIO_LIMITS = {"mirrorctl --help": 4.7, "mirrorctl --help [zh]": 4.7}
RATIO_LIMIT = 5.0  # every other command
MEMORY_LIMIT_MIB = 35.0
DEFAULT_RUNS = 15
DEFAULT_WARMUP = 3
SLOWEST_IMPORTS = 8
#: Third-party packages worth knowing about when they load at start-up.
HEAVY = ("httpx", "httpcore", "anyio", "h11", "ruamel.yaml", "tomlkit", "platformdirs", "click", "ssl",
         "asyncio")

BARE = "python -c pass"
#: (label, arguments after the interpreter); each must stay within the targets.
COMMANDS = [
    (BARE, ["-c", "pass"]),
    ("mirrorctl --help", ["-m", "mirrorctl", "--help"]),
    ("mirrorctl list", ["-m", "mirrorctl", "list"]),
    ("mirrorctl current", ["-m", "mirrorctl", "current"]),
    ("mirrorctl current --only conda", ["-m", "mirrorctl", "current", "--only", "conda"]),
    ("mirrorctl current --only pip", ["-m", "mirrorctl", "current", "--only", "pip"]),
]
#: Shown for information, not held to the targets: `list` right after ~/.condarc changed, in a second home
#: whose .condarc gets a new comment line before every run, so nothing mirrorctl cached about it still holds.
EDITED = ("list, .condarc edited", ["-m", "mirrorctl", "list"])
#: The everyday commands again under LANG=zh_CN.UTF-8: the Chinese catalogue (.mo) loaded, same targets.
ZH_COMMANDS = [
    ("mirrorctl --help [zh]", ["-m", "mirrorctl", "--help"]),
    ("mirrorctl list [zh]", ["-m", "mirrorctl", "list"]),
    ("mirrorctl current [zh]", ["-m", "mirrorctl", "current"]),
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

MAMBARC = """\
# mamba 2.x: conda-forge from TUNA
mirrored_channels:
  conda-forge:
    - https://mirrors.tuna.tsinghua.edu.cn/anaconda/cloud/conda-forge
"""

UV_TOML = """\
# uv: TUNA as the default index
native-tls = true

[[index]]
url = "https://pypi.tuna.tsinghua.edu.cn/simple"
default = true
"""

PDM_TOML = """\
# pdm user configuration
[pypi]
url = "https://pypi.tuna.tsinghua.edu.cn/simple"

[python]
use_venv = true
"""

PIXI_TOML = """\
# pixi: conda-forge and PyPI from TUNA
[mirrors]
"https://conda.anaconda.org/conda-forge" = ["https://mirrors.tuna.tsinghua.edu.cn/anaconda/cloud/conda-forge"]
"https://pypi.org/simple" = ["https://pypi.tuna.tsinghua.edu.cn/simple"]
"""

PYPROJECT = """\
[tool.poetry]
name = "lab-tools"
version = "0.1.0"
description = ""
authors = ["A Student <student@example.edu>"]

[tool.poetry.dependencies]
python = "^3.11"

[[tool.poetry.source]]
name = "mirrorctl"
url = "https://pypi.tuna.tsinghua.edu.cn/simple"
priority = "primary"
"""

PIPFILE = """\
[[source]]
url = "https://pypi.tuna.tsinghua.edu.cn/simple"
verify_ssl = true
name = "pypi"

[packages]
requests = "*"
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


def make_environment(base: Path, lang: str = "C.UTF-8") -> dict[str, str]:
    home = base / "home"
    files = {
        home / ".config" / "pip" / "pip.conf": PIP_CONF,
        home / ".condarc": CONDARC,
        home / ".mambarc": MAMBARC,
        home / ".config" / "uv" / "uv.toml": UV_TOML,
        home / ".config" / "pdm" / "config.toml": PDM_TOML,
        home / ".config" / "pixi" / "config.toml": PIXI_TOML,
        home / "project" / "pyproject.toml": PYPROJECT,
        home / "project" / "Pipfile": PIPFILE,
        base / "mirrorctl" / "profiles" / "campus.toml": USER_PROFILE,
    }
    for path, text in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")

    env = {
        name: value for name, value in os.environ.items()
        if not name.startswith(("PIP_", "CONDA_", "MAMBA", "UV_", "PDM_", "PIXI_", "MIRRORCTL_", "PYTHON"))
        and name not in ("VIRTUAL_ENV", "NO_COLOR", "LC_ALL", "LC_MESSAGES", "LANGUAGE")
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
        "LANG": lang,  # English rows under C.UTF-8, the [zh] rows under zh_CN.UTF-8
    })
    if (ROOT / "mirrorctl" / "__init__.py").is_file():  # a checkout: import this one, not an installed copy
        env["PYTHONPATH"] = str(ROOT)
    return env


# ---------------------------------------------------------------------------------------------------------
# Measuring


class Home:
    """One temporary home and the environment that points into it."""

    def __init__(self, base: Path, *, edited_each_run: bool = False, lang: str = "C.UTF-8") -> None:
        self.env = make_environment(base, lang)
        self.cwd = base / "home" / "project"
        self.edited_each_run = edited_each_run
        self.edits = 0

    def prepare(self) -> None:
        if self.edited_each_run:
            self.edits += 1
            with open(self.cwd.parent / ".condarc", "a", encoding="utf-8") as condarc:
                condarc.write(f"# edited {self.edits}\n")


def run_once(argv: list[str], home: Home) -> float:
    home.prepare()
    start = time.perf_counter()
    result = subprocess.run(argv, env=home.env, cwd=home.cwd, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, check=False)
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        error = result.stderr.decode(errors="replace")
        raise RuntimeError(f"{' '.join(argv[1:])} exited {result.returncode}:\n{error}")
    return elapsed


def wall_times(commands: list[tuple[str, list[str], Home]], runs: int, warmup: int) -> dict[str, list[float]]:
    times: dict[str, list[float]] = {label: [] for label, _, _ in commands}
    for round_number in range(warmup + runs):
        shift = round_number % len(commands)
        for label, argv, home in commands[shift:] + commands[:shift]:
            elapsed = run_once(argv, home)
            if round_number >= warmup:
                times[label].append(elapsed)
    return times


_RSS_HELPER = (
    "import resource, subprocess, sys\n"
    "code = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode\n"
    "peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss\n"
    "print(code, peak * (1 if sys.platform == 'darwin' else 1024))\n"  # bytes on macOS, KiB elsewhere
)
_GNU_TIME = re.compile(r"^__peak_rss_kib__ (\d+)$", re.MULTILINE)
_BSD_TIME = re.compile(r"^\s*(\d+)\s+maximum resident set size", re.MULTILINE)


class PeakRss:
    """Peak RSS of one command, measured the most honest way this machine offers.

    1. GNU time (``/usr/bin/time -f %M``): the kernel's max RSS of the command itself, nothing added to it;
    2. BSD time (``/usr/bin/time -l``, macOS): the same, in bytes;
    3. otherwise ``getrusage(RUSAGE_CHILDREN)`` in a fresh Python helper whose only child is the command. On
       Linux a child's ru_maxrss also counts the pages it shared with its parent before ``exec``, so this
       reading has the helper's own RSS (about 11 MiB) as a floor: an upper bound, exact above that.
    """

    def __init__(self, home: Home) -> None:
        self.home = home
        self.time_program = "/usr/bin/time" if os.path.exists("/usr/bin/time") else None
        self.method = "none"
        probe = [sys.executable, "-c", "pass"]
        for method in ("gnu-time", "bsd-time", "rusage-helper"):
            try:
                self.method = method
                if self._read(probe) > 0:
                    return
            except (OSError, ValueError, RuntimeError, ImportError):
                continue
        self.method = "none"

    def describe(self) -> str:
        return {
            "gnu-time": "GNU /usr/bin/time -f %M (the command's own max RSS; max of 3 runs)",
            "bsd-time": "/usr/bin/time -l (the command's own max RSS; max of 3 runs)",
            "rusage-helper": "RUSAGE_CHILDREN of a fresh helper whose only child is the command (upper "
                             "bound: includes the helper's ~11 MiB shared before exec; max of 3 runs)",
            "none": "not measured (no /usr/bin/time and no resource module on this platform)",
        }[self.method]

    def _read(self, argv: list[str], home: Home | None = None) -> float:
        """One reading in MiB; raises if the method does not work here or the command fails."""
        home = home or self.home
        home.prepare()
        if self.method == "gnu-time":
            if not self.time_program:
                raise OSError("no /usr/bin/time")
            result = subprocess.run([self.time_program, "-f", "__peak_rss_kib__ %M", *argv], env=home.env,
                                    cwd=home.cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                    text=True)
            match = _GNU_TIME.search(result.stderr)
            if result.returncode != 0 or not match:
                raise RuntimeError(result.stderr)
            return int(match.group(1)) / 1024
        if self.method == "bsd-time":
            if not self.time_program or sys.platform != "darwin":
                raise OSError("not BSD time")
            result = subprocess.run([self.time_program, "-l", *argv], env=home.env, cwd=home.cwd,
                                    stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
            match = _BSD_TIME.search(result.stderr)
            if result.returncode != 0 or not match:
                raise RuntimeError(result.stderr)
            return int(match.group(1)) / 2**20
        if self.method == "rusage-helper":
            import resource  # noqa: F401 - ImportError on Windows: no reading at all

            out = subprocess.run([sys.executable, "-c", _RSS_HELPER, *argv], env=home.env, cwd=home.cwd,
                                 capture_output=True, text=True, check=True).stdout.split()
            if out[0] != "0":
                raise RuntimeError(f"{' '.join(argv[1:])} exited {out[0]} while measuring memory")
            return int(out[1]) / 2**20
        raise OSError("no method")

    def __call__(self, argv: list[str], home: Home, repeats: int = 3) -> float | None:
        if self.method == "none":
            return None
        return max(self._read(argv, home) for _ in range(repeats))


def _catalogue_state(home: Home) -> str:
    """Whether the [zh] rows really load the Chinese catalogue (a checkout needs `pip install -e .` first)."""
    probe = "from mirrorctl import i18n; print(i18n.has_catalogue('zh'), i18n.language(), i18n._('Usage:'))"
    out = subprocess.run([sys.executable, "-c", probe], env=home.env, cwd=home.cwd, capture_output=True,
                         text=True, check=True).stdout.split()
    if out[:2] != ["True", "zh"] or out[2] == "Usage:":
        return "WARNING: the compiled zh catalogue is missing, so [zh] rows print English"
    return "compiled .mo present and loaded"


def import_times(home: Home) -> list[tuple[int, int, int, str]]:
    """(cumulative us, self us, depth, module) for every import of ``mirrorctl list``."""
    result = subprocess.run([sys.executable, "-X", "importtime", "-m", "mirrorctl", "list"], env=home.env,
                            cwd=home.cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                            check=True)
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
    parser.add_argument("--runs", type=int, default=DEFAULT_RUNS,
                        help=f"timed rounds (default {DEFAULT_RUNS})")
    parser.add_argument("--warmup", type=int, default=DEFAULT_WARMUP,
                        help=f"untimed rounds first (default {DEFAULT_WARMUP})")
    args = parser.parse_args()
    runs, warmup = max(1, args.runs), max(0, args.warmup)

    base = Path(tempfile.mkdtemp(prefix="mirrorctl-startup-"))
    try:
        home, edited = Home(base / "steady"), Home(base / "edited", edited_each_run=True)
        chinese = Home(base / "steady-zh", lang="zh_CN.UTF-8")
        commands = [(label, [sys.executable, *argv], home) for label, argv in COMMANDS]
        commands += [(label, [sys.executable, *argv], chinese) for label, argv in ZH_COMMANDS]
        commands.append((EDITED[0], [sys.executable, *EDITED[1]], edited))
        catalogue = _catalogue_state(chinese)
        times = wall_times(commands, runs, warmup)
        peak_rss = PeakRss(home)
        memory = {label: peak_rss(argv, where) for label, argv, where in commands}
        imports = import_times(home)
    finally:
        shutil.rmtree(base, ignore_errors=True)

    import platform

    bare = statistics.median(times[BARE])
    print(f"mirrorctl start-up: Python {platform.python_version()} ({sys.executable}), {platform.system()} "
          f"{platform.machine()}")
    print(f"{runs} timed rounds after {warmup} warm-up, round-robin; temporary HOME with TUNA configured for all "
          "eight tools (pip, conda, mamba, uv, pdm, pixi; poetry and pipenv in the project) and one user profile")
    print(f"targets: median within {RATIO_LIMIT:g}x of bare python ("
          + ", ".join(f"{k} {v:g}x" for k, v in RATIO_LIMITS.items()) + f"); peak RSS under {MEMORY_LIMIT_MIB:g} MiB")
    print(f"peak RSS: {peak_rss.describe()}")
    print(f"languages: English rows under LANG=C.UTF-8; [zh] rows under LANG=zh_CN.UTF-8 ({catalogue})")
    print()
    width = max(len(label) for label, _, _ in commands)
    header = (f"{'command':<{width}} {'median ms':>10} {'min ms':>8} {'ratio':>7} {'peak RSS MiB':>13}"
              "  verdict")
    print(header)
    print("-" * len(header))
    failures = []
    for label, _argv, _home in commands:
        median = statistics.median(times[label])
        ratio = median / bare
        limit = RATIO_LIMITS.get(label, RATIO_LIMIT)
        rss = memory[label]
        rss_text = f"{rss:.1f}" if rss is not None else "n/a"
        problems = []
        if ratio > limit:
            problems.append(f"time {ratio:.2f}x > {limit:g}x")
        if rss is not None and rss >= MEMORY_LIMIT_MIB:
            problems.append(f"RSS {rss:.1f} >= {MEMORY_LIMIT_MIB:g} MiB")
        if label == BARE:
            verdict = "(baseline)"
        elif label == EDITED[0]:
            within = "over: " + ", ".join(problems) if problems else "within targets"
            verdict = f"(info, no target) {within}"
        else:
            verdict = "FAIL: " + ", ".join(problems) if problems else "PASS"
            failures += [f"{label}: {p}" for p in problems]
        print(f"{label:<{width}} {median * 1000:>10.1f} {min(times[label]) * 1000:>8.1f} {ratio:>6.2f}x "
              f"{rss_text:>13}  {verdict}")

    print()
    print(f"{SLOWEST_IMPORTS} slowest imports of `mirrorctl list` (python -X importtime, cumulative, one "
          "run, after the timed runs):")
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
