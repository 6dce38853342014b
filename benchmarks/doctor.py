"""Figures for `mirrorctl doctor` (not a test: it prints; it never touches the internet).

Run: ``python benchmarks/doctor.py [--runs N] [--timeout S]``. Each run is a fresh ``python -m mirrorctl``
process in a throw-away HOME (never the real one), wall time including interpreter start-up:

* ``doctor --offline`` after ``use tuna`` (pip and conda configured): the issue asks for "well under a second";
* ``doctor --timeout S`` online with the mirror in effect dead: its PyPI index and its Anaconda channels on a
  loopback server that accepts connections and never answers, and upstream behind a proxy that refuses every
  connection (so nothing leaves the machine). The issue asks for at most S + 1 s. Both the probe of the mirror
  and the channel requests of the coverage check run then, at the same time.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests" / "helpers")]

from loopback_mirrors import Fleet, MirrorSpec  # noqa: E402


def isolated_env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "CONDA", "MIRRORCTL_", "XDG_"))}
    env.update(HOME=str(home), MIRRORCTL_HOME=str(home / ".mirrorctl"), PIP_CONFIG_FILE=str(home / "none.conf"),
               CONDARC=str(home / ".condarc"), PYTHONPATH=str(ROOT), LANG="C.UTF-8",
               MIRRORCTL_SYSTEM_ROOT=str(home / "system"))
    return env


def mirrorctl(env: dict[str, str], *args: str) -> tuple[float, subprocess.CompletedProcess[str]]:
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "mirrorctl", *args], env=env, capture_output=True, text=True,
                          timeout=120, check=False)
    return time.perf_counter() - started, done


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--timeout", type=float, default=2.0)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        home = Path(folder)
        env = isolated_env(home)
        (home / ".condarc").write_text("channels:\n  - defaults\n  - conda-forge\n")
        assert mirrorctl(env, "use", "tuna", "--only", "pip", "--only", "conda")[1].returncode == 0
        offline = []
        for _ in range(options.runs):
            seconds, done = mirrorctl(env, "doctor", "--offline")
            assert done.returncode == 0, done.stdout + done.stderr
            offline.append(seconds)
        print(f"doctor --offline (pip + conda on tuna): median {statistics.median(offline):.3f} s, "
              f"max {max(offline):.3f} s over {options.runs} runs")

        with Fleet([MirrorSpec("dead", behaviour="hang")]) as fleet:
            base = fleet.base_url("dead")
            profile = (f'name = "dead"\n[pypi]\nindex = "{base}/simple"\n[conda]\n'
                       f'default_channels = ["{base}/pkgs/main"]\n[conda.custom_channels]\n'
                       f'conda-forge = "{base}/cloud"\n')
            (home / ".mirrorctl" / "profiles").mkdir(parents=True, exist_ok=True)
            (home / ".mirrorctl" / "profiles" / "dead.toml").write_text(profile)
            online_env = dict(env, HTTPS_PROXY=f"http://127.0.0.1:{closed_port()}",
                              HTTP_PROXY=f"http://127.0.0.1:{closed_port()}", NO_PROXY="127.0.0.1")
            done = mirrorctl(online_env, "use", "dead", "--only", "pip", "--only", "conda")[1]
            assert done.returncode == 0, done.stdout + done.stderr
            online = []
            for _ in range(max(1, options.runs // 2)):
                seconds, done = mirrorctl(online_env, "doctor", "--timeout", f"{options.timeout:g}")
                assert done.returncode == 1, done.stdout + done.stderr  # the dead mirror is an error
                online.append(seconds)
        print(f"doctor --timeout {options.timeout:g} with the mirror in effect dead (hanging): median "
              f"{statistics.median(online):.3f} s, max {max(online):.3f} s (budget {options.timeout + 1:g} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
