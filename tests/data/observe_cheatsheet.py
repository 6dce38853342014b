"""Where the real conda and the real pip fetch from after each action on the cheat-sheet files, next to what
mirrorctl says: the table of the issue-7 closing note, produced by the clients themselves.

    MIRRORCTL_TEST_CONDA_PYTHON=... MIRRORCTL_TEST_CONDA_SRC=... python tests/data/observe_cheatsheet.py

For each action (`use tuna`, `use ustc`, `use aliyun`, `use official`, `reset`) a fresh temporary HOME gets
the cheat-sheet ``~/.condarc`` (tests/data/cheatsheet.condarc) and a cheat-sheet ``~/.pip/pip.conf`` (TUNA with
``[install] trusted-host``, or Aliyun's ``http://`` with ``timeout = 6000``); ``python -m mirrorctl <action>
--only pip --only conda`` runs in it; then conda's ``channels`` (``conda info --json`` semantics, through
tests/helpers/real_conda.py) are counted by host, and pip's first fetch is caught by the loopback trap proxy of
tests/helpers/loopback_index.py (no mirror is ever contacted). Prints a Markdown table. Not a test: the tests
(test_real_conda.py, test_real_pip_cheatsheet.py) assert the same facts.
"""

from __future__ import annotations

import collections
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]
ROOT = TESTS.parent
sys.path[:0] = [str(TESTS / "helpers"), str(ROOT)]

from loopback_index import PROJECT, TrapProxy, trap_proxy  # noqa: E402
from real_conda import conda_client  # noqa: E402

CONDARC = (TESTS / "data" / "cheatsheet.condarc").read_text(encoding="utf-8")
PIP_FILES = {
    "tuna + [install] trusted-host": "[global]\nindex-url = https://pypi.tuna.tsinghua.edu.cn/simple\n"
                                     "[install]\ntrusted-host = pypi.tuna.tsinghua.edu.cn\n",
    "aliyun http + timeout 6000": "[global]\nindex-url = http://mirrors.aliyun.com/pypi/simple/\ntimeout = 6000\n"
                                  "[install]\ntrusted-host = mirrors.aliyun.com\n",
}
ACTIONS = (("use", "tuna"), ("use", "ustc"), ("use", "aliyun"), ("use", "official"), ("reset",))


def environment(base: Path) -> dict[str, str]:
    home = base / "home"
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("PIP_", "CONDA", "MAMBA", "UV_", "PDM_", "PIXI_", "MIRRORCTL_", "XDG_"))
           and k not in ("VIRTUAL_ENV", "PYTHONPATH")}
    env.update(HOME=str(home), XDG_CONFIG_HOME=str(home / ".config"), MIRRORCTL_HOME=str(base / "mirrorctl"),
               MIRRORCTL_SYSTEM_ROOT=str(base / "system"), PIP_CONFIG_FILE=str(base / "absent.conf"),
               CONDARC=str(home / ".condarc"), XDG_CONFIG_DIRS=str(base / "system" / "xdg"), LANG="C.UTF-8",
               PYTHONPATH=str(ROOT), PIP_DISABLE_PIP_VERSION_CHECK="1", PIP_NO_INPUT="1")
    return env


def mirrorctl(env: dict[str, str], *args: str) -> str:
    done = subprocess.run([sys.executable, "-m", "mirrorctl", *args], env=env, capture_output=True, text=True,
                          check=False)
    return done.stdout + done.stderr


def conda_hosts(home: Path, env: dict[str, str]) -> str:
    seen = conda_client().resolve(home, {"CONDARC": env["CONDARC"]})
    if seen.error:
        return f"error: {seen.error}"
    channels = {url.rstrip("/").rsplit("/", 1)[0] for url in seen.channels or ()}
    counts = collections.Counter(url.split("/")[2] for url in channels)
    return ", ".join(f"{host} {n}" for host, n in counts.most_common())


def pip_host(env: dict[str, str], trap: TrapProxy, base: Path) -> str:
    trap_url = trap.url
    env = dict(env, HTTP_PROXY=trap_url, HTTPS_PROXY=trap_url, http_proxy=trap_url, https_proxy=trap_url)
    before = len(trap.log())
    subprocess.run([sys.executable, "-m", "pip", "install", "--dry-run", "--no-deps", "--no-cache-dir",
                    "--retries", "0", "--timeout", "10", "--proxy", trap_url, "--target", str(base / "t"), PROJECT],
                   env=env, capture_output=True, text=True, check=False)
    attempts = trap.log()[before:]
    if not attempts:
        return "nothing (pip did not try)"
    method, target = attempts[0].split(" ", 1)
    return target.rsplit(":", 1)[0] if method == "CONNECT" else target.split("/")[2] + " (http)"


def said(output: str, tool: str) -> str:
    lines = [line for line in output.splitlines() if line.startswith(f"{tool}: ")]
    return "; ".join(line.split(": ", 1)[1] for line in lines) or "(nothing)"


def main() -> int:
    rows = []
    with trap_proxy() as trap:
        for pip_name, pip_text in PIP_FILES.items():
            for action in ACTIONS:
                with tempfile.TemporaryDirectory(prefix="mirrorctl-observe-") as tmp:
                    base = Path(tmp)
                    env = environment(base)
                    home = Path(env["HOME"])
                    (home / ".pip").mkdir(parents=True)
                    (home / ".pip" / "pip.conf").write_text(pip_text, encoding="utf-8")
                    (home / ".condarc").write_text(CONDARC, encoding="utf-8")
                    out = mirrorctl(env, *action, "--only", "pip", "--only", "conda")
                    current = mirrorctl(env, "current", "--only", "pip", "--only", "conda")
                    rows.append((pip_name, " ".join(action), conda_hosts(home, env), said(out, "conda"),
                                 said(current, "conda"), pip_host(env, trap, base),
                                 said(out, "pip"), said(current, "pip")))
    print("| pip file | action | conda fetches from (channels per host) | mirrorctl `use` says (conda) "
          "| `current` (conda) | pip fetches from | mirrorctl `use` says (pip) | `current` (pip) |")
    print("|---|---|---|---|---|---|---|---|")
    for row in rows:
        print("| " + " | ".join(re.sub(r"\s+", " ", cell).replace("|", "\\|") for cell in row) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
