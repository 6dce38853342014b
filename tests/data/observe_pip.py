"""Run real pip on a table of pip.conf files and write what it did to ``pip_observed.json``.

    python tests/data/observe_pip.py [PYTHON]     # PYTHON: a venv's python with a current pip
                                                  # (default /tmp/pip-obs-venv/bin/python, created if absent)

Each case gets a fresh HOME holding its file(s) and runs pip in a minimal environment: ``env -i`` style with
PATH, HOME, ``LANG=C.UTF-8``, ``XDG_CONFIG_DIRS`` pointing at an empty folder, ``PIP_DISABLE_PIP_VERSION_CHECK``
and ``PIP_NO_INPUT``. pip always reads ``/etc/pip.conf`` too: the lines that file contributes to
``pip config list`` on an empty HOME (the baseline) are removed from what is recorded, and only their keys are
kept (``baseline_keys``).

Network: only the loopback index of ``tests/helpers/loopback_index.py`` (``{index}`` / ``{host}`` in the recorded files
and outputs) and a closed local port (``{dead}``). Files that name a real mirror (the cheat-sheet spellings) are
only given to ``pip config list``, never to a command that downloads. ``https://pypi.example:abc/simple`` and
``http://[::1`` are given to ``pip download``: pip rejects both before any connection (see the JSON).

The tests read the JSON; they never decide what pip does. Re-run after changing the table or pip.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "helpers"))

from loopback_index import PROJECT, dead_index_url, serve_index

OUT = Path(__file__).resolve().parent / "pip_observed.json"
DEFAULT_PYTHON = Path("/tmp/pip-obs-venv/bin/python")
XDG = ".config/pip/pip.conf"
LEGACY = ".pip/pip.conf"
DOWNLOAD = ("download", "--no-deps", "--no-cache-dir", "--retries", "0", "--timeout", "10", "-d", "{dest}", PROJECT)
INSTALL = ("install", "--no-deps", "--no-cache-dir", "--retries", "0", "--timeout", "10", "--target", "{dest}",
           PROJECT)
CONFIG = ("config", "list")

CASES: list[dict[str, Any]] = [
    {"name": "gbk-comment", "note": "a GBK pip.conf with a Chinese comment, under LANG=C.UTF-8",
     "files": {XDG: "# 清华大学镜像\n[global]\nindex-url = {index}\ntrusted-host = {host}\n"}, "encoding": "gbk",
     "commands": [CONFIG, DOWNLOAD]},
    {"name": "gbk-comment-tuna", "note": "the same with the real TUNA URL (config list only)",
     "files": {XDG: "[global]\n# 清华大学镜像\nindex-url = https://pypi.tuna.tsinghua.edu.cn/simple\n"},
     "encoding": "gbk", "commands": [CONFIG]},
    {"name": "port-not-a-number", "files": {XDG: "[global]\nindex-url = https://pypi.example:abc/simple\n"},
     "commands": [CONFIG, DOWNLOAD]},
    {"name": "ipv6-unclosed", "files": {XDG: "[global]\nindex-url = http://[::1\n"},
     "commands": [CONFIG, DOWNLOAD]},
    {"name": "install-trusted-host-legacy",
     "note": "~/.pip/pip.conf, trusted-host only in [install]: pip install honours it, pip download does not",
     "files": {LEGACY: "[global]\nindex-url = {index}\n\n[install]\ntrusted-host = {host}\n"},
     "commands": [CONFIG, DOWNLOAD, INSTALL]},
    {"name": "install-trusted-host-legacy-tuna", "note": "the cheat-sheet spelling (config list only)",
     "files": {LEGACY: "[global]\nindex-url = https://pypi.tuna.tsinghua.edu.cn/simple\n\n[install]\n"
                       "trusted-host = pypi.tuna.tsinghua.edu.cn\n"},
     "commands": [CONFIG]},
    {"name": "aliyun-http", "note": "the Aliyun cheat-sheet file, verbatim (config list only)",
     "files": {LEGACY: "[global]\ntimeout = 6000\nindex-url = http://mirrors.aliyun.com/pypi/simple/\n"
                       "trusted-host = mirrors.aliyun.com\n"},
     "commands": [CONFIG]},
    {"name": "aliyun-http-loopback", "note": "the Aliyun file's shape, pointed at the loopback index",
     "files": {LEGACY: "[global]\ntimeout = 6000\nindex-url = {index}/\ntrusted-host = {hostname}\n"},
     "commands": [CONFIG, DOWNLOAD]},
    {"name": "duplicate-key", "files": {XDG: "[global]\nindex-url = {index}\nindex-url = {dead}\n"},
     "commands": [CONFIG, DOWNLOAD]},
    {"name": "duplicate-section",
     "files": {XDG: "[global]\nindex-url = {index}\n[global]\ntrusted-host = {host}\n"},
     "commands": [CONFIG, DOWNLOAD]},
    {"name": "inline-comment", "note": "configparser keeps '# tuna' as part of the value",
     "files": {XDG: "[global]\nindex-url = {index} # tuna\ntrusted-host = {host}\n"},
     "commands": [CONFIG, DOWNLOAD]},
    {"name": "inline-semicolon-comment",
     "files": {XDG: "[global]\nindex-url = {index} ; tuna\ntrusted-host = {host}\n"},
     "commands": [CONFIG, DOWNLOAD]},
    {"name": "both-user-files", "note": "the XDG file wins over ~/.pip/pip.conf where both set a key",
     "files": {LEGACY: "[global]\nindex-url = {dead}\ntimeout = 60\n",
               XDG: "[global]\nindex-url = {index}\ntrusted-host = {host}\n"},
     "commands": [CONFIG, DOWNLOAD]},
]


def ensure_python(python: Path) -> Path:
    if not python.is_file():
        venv = python.parent.parent
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", "--upgrade", "pip"], check=True)
    return python


def environment(home: Path, empty: Path) -> dict[str, str]:
    return {"PATH": "/usr/bin:/bin", "HOME": str(home), "LANG": "C.UTF-8", "XDG_CONFIG_DIRS": str(empty),
            "PIP_DISABLE_PIP_VERSION_CHECK": "1", "PIP_NO_INPUT": "1"}


def first_error(text: str) -> str | None:
    """The line that says what went wrong: a crash's final exception line, else pip's first ERROR/WARNING."""
    if "Traceback (most recent call last)" in text:
        raised = [line for line in text.splitlines() if re.match(r"^\w+(\.\w+)*(Error|Exception)\b.*:", line)]
        if raised:
            return raised[-1].strip()
    for line in text.splitlines():
        if line.startswith(("ERROR:", "WARNING:")) or re.match(r"^\w+(\.\w+)*(Error|Exception):", line):
            return line.strip()
    lines = [line for line in text.splitlines() if line.strip()]
    return lines[-1].strip() if lines else None


def observe(python: Path) -> dict[str, Any]:
    version = subprocess.run([str(python), "-m", "pip", "--version"], capture_output=True, text=True,
                             check=True).stdout.split()[1]
    cases = []
    with tempfile.TemporaryDirectory(prefix="observe-pip-") as tmp, serve_index() as index:
        empty = Path(tmp) / "empty-xdg"
        empty.mkdir()
        dead = dead_index_url()
        fill = {"{index}": index.url, "{host}": index.host, "{hostname}": "127.1", "{dead}": dead}

        def unfill(text: str, home: Path) -> str:
            for placeholder, value in sorted(fill.items(), key=lambda kv: -len(kv[1])):
                text = text.replace(value, placeholder)
            return text.replace(str(home), "~")

        base_home = Path(tmp) / "baseline"
        base_home.mkdir()
        baseline = subprocess.run([str(python), "-m", "pip", *CONFIG], env=environment(base_home, empty),
                                  capture_output=True, text=True, check=True).stdout.splitlines()
        for number, case in enumerate(CASES):
            home = Path(tmp) / f"home{number}"
            home.mkdir()
            files = {}
            for relative, template in case["files"].items():
                text = template
                for placeholder, value in fill.items():
                    text = text.replace(placeholder, value)
                data = text.encode(case.get("encoding", "utf-8"))
                (home / relative).parent.mkdir(parents=True, exist_ok=True)
                (home / relative).write_bytes(data)
                files[relative] = {"template": template, "encoding": case.get("encoding", "utf-8"),
                                   "example_base64": base64.b64encode(data).decode("ascii"),
                                   "example_sha256": hashlib.sha256(data).hexdigest()}
            runs = []
            for command in case["commands"]:
                dest = home / "dest"
                args = [a.replace("{dest}", str(dest)) for a in command]
                before = len(index.log())
                started = time.perf_counter()
                result = subprocess.run([str(python), "-m", "pip", *args], env=environment(home, empty), cwd=home,
                                        capture_output=True, text=True, timeout=120, check=False)
                seconds = time.perf_counter() - started
                hits = [r.path for r in index.log()[before:]]
                stdout = [line for line in result.stdout.splitlines() if line not in baseline]
                record: dict[str, Any] = {
                    "args": [unfill(a, home) for a in command],
                    "exit": result.returncode,
                    "stdout": [unfill(line, home) for line in stdout][:20],
                    "error": unfill(first_error(result.stderr) or "", home) or None,
                    "traceback": "Traceback (most recent call last)" in result.stderr,
                    "index_requests": hits,
                    "seconds": round(seconds, 1),
                }
                looking = [line for line in result.stdout.splitlines() if line.startswith("Looking in indexes:")]
                if looking:
                    record["looking_in"] = unfill(looking[0], home)
                if command is not CONFIG:
                    record["got_wheel"] = any(p.name.endswith(".whl") for p in dest.glob("**/*.whl")) or (
                        dest / "mirrorctl_demo").is_dir()
                runs.append(record)
                print(f"{case['name']:<34} {command[0]:<9} exit {result.returncode} {seconds:4.1f}s "
                      f"{record['error'] or ''}", file=sys.stderr)
            entry = {"name": case["name"], "files": files, "runs": runs}
            if "note" in case:
                entry["note"] = case["note"]
            cases.append(entry)
    return {
        "generated_by": "tests/data/observe_pip.py",
        "pip_version": version,
        "environment": "env -i PATH=/usr/bin:/bin HOME=<fresh> LANG=C.UTF-8 XDG_CONFIG_DIRS=<empty> "
                       "PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1",
        "placeholders": {"{index}": "http://127.1:PORT/simple (the loopback index)", "{host}": "127.1:PORT",
                         "{hostname}": "127.1", "{dead}": "http://127.0.0.1:CLOSED/simple", "~": "the HOME"},
        "baseline_keys": sorted({line.split("=", 1)[0] for line in baseline}),
        "cases": cases,
    }


def main() -> int:
    python = ensure_python(Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_PYTHON)
    data = observe(python)
    OUT.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {OUT}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
