"""Run the real conda on a table of .condarc files and write what it did to ``conda_observed.json``.

    python tests/data/observe_conda.py          # needs the real conda (see tests/helpers/real_conda.py)

For each case: a fresh HOME holding the case's files, then ``conda info --json`` in a minimal environment
(``env -i`` style, plus the case's variables). Recorded: the exit code, ``channels`` (every URL conda fetches
from) or the error conda stopped with (exception name and the first line of its message), and whether it
printed "Ignoring configuration file". The HOME path is written as ``~`` in messages. The same cases also go
through ``tests/data/conda_resolve.py`` (one process for all); the script stops if the two ever disagree.

The tests read the JSON; they never decide what conda does. Re-run this after changing the table or conda.
"""

from __future__ import annotations

import base64
import hashlib
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "helpers"))

from real_conda import CONDA_VERSION, OBSERVED, content_bytes, find_conda, materialise

TUNA = "https://mirrors.tuna.tsinghua.edu.cn/anaconda"
USTC = "https://mirrors.ustc.edu.cn/anaconda"

#: issue 7 §1, verbatim: the .condarc the popular Chinese cheat-sheets tell people to write.
CHEAT_SHEET = """\
channels:
#  - https://mirrors.tuna.tsinghua.edu.cn/anaconda/pkgs/free/    # 有毒
- https://mirrors.tuna.tsinghua.edu.cn/anaconda/cloud/conda-forge
- https://mirrors.tuna.tsinghua.edu.cn/anaconda/cloud/pytorch/
- https://mirrors.tuna.tsinghua.edu.cn/anaconda/cloud/msys2/
- https://mirrors.ustc.edu.cn/anaconda/pkgs/main/
- https://mirrors.ustc.edu.cn/anaconda/pkgs/free/
- https://repo.anaconda.com/pkgs/main
- https://repo.anaconda.com/pkgs/r
#  - base
#  - defaults
#  - conda-forge
"""

#: The TUNA help page's recipe (default_channels + custom_channels).
TUNA_HELP = f"""\
channels:
  - defaults
show_channel_urls: true
default_channels:
  - {TUNA}/pkgs/main
  - {TUNA}/pkgs/r
  - {TUNA}/pkgs/msys2
custom_channels:
  conda-forge: {TUNA}/cloud
  pytorch: {TUNA}/cloud
"""

#: The 2 MB comment line takes conda minutes (ruamel's comment scanner is quadratic); 3 minutes is not enough.
SLOW_TIMEOUT_S = 1200

CASES: list[dict[str, Any]] = [
    {"name": "no-file", "files": {}, "note": "conda >= 26.1 configures no channels by default"},
    {"name": "empty-file", "files": {".condarc": ""}},
    {"name": "cheat-sheet", "files": {".condarc": CHEAT_SHEET}, "note": "issue 7 §1 verbatim"},
    {"name": "urls-slash-http", "files": {".condarc": (
        "channels:\n"
        f"  - {TUNA}/cloud/conda-forge/\n"
        f"  - {TUNA}/cloud/pytorch\n"
        "  - http://mirrors.aliyun.com/anaconda/pkgs/main\n"
        "  - http://mirrors.aliyun.com/anaconda/pkgs/r/\n"
        "  - https://conda.anaconda.org/nvidia/\n"
    )}},
    {"name": "names", "files": {".condarc": "channels:\n  - conda-forge\n  - pytorch\n  - bioconda/label/dev\n"}},
    {"name": "defaults-plain", "files": {".condarc": "channels:\n  - defaults\n"}},
    {"name": "defaults-and-names", "files": {".condarc": "channels:\n  - conda-forge\n  - defaults\n"}},
    {"name": "default-channels", "files": {".condarc": (
        f"channels:\n  - defaults\ndefault_channels:\n  - {USTC}/pkgs/main/\n  - {USTC}/pkgs/r\n")}},
    {"name": "tuna-help", "files": {".condarc": TUNA_HELP}, "note": "the TUNA help page recipe"},
    {"name": "custom-channels", "files": {".condarc": (
        f"channels:\n  - conda-forge\n  - pytorch\n  - nvidia\ncustom_channels:\n  conda-forge: {TUNA}/cloud\n"
        "  pytorch: https://mirrors.bfsu.edu.cn/anaconda/cloud/\n")}},
    {"name": "custom-multichannels-defaults", "files": {".condarc": (
        "channels:\n  - defaults\ncustom_multichannels:\n  defaults:\n"
        f"    - {TUNA}/pkgs/main\n    - {TUNA}/pkgs/free\n")}},
    {"name": "multichannels-and-default-channels", "files": {".condarc": (
        "channels:\n  - defaults\ndefault_channels:\n"
        f"  - {USTC}/pkgs/main\ncustom_multichannels:\n  defaults:\n    - {TUNA}/pkgs/main\n")}},
    {"name": "channel-alias-tuna-blog", "files": {".condarc": (
        f"channel_alias: {TUNA}/cloud\nchannels:\n  - conda-forge\n  - defaults\n")},
     "note": "blog recipe: channel_alias alone moves every named channel"},
    {"name": "channel-alias-slash-and-urls", "files": {".condarc": (
        "channel_alias: https://mirrors.ustc.edu.cn/anaconda/cloud/\nchannels:\n  - conda-forge\n"
        f"  - {TUNA}/cloud/pytorch\n")}},
    {"name": "final-marker", "files": {
        ".config/conda/.condarc": "channels:  #!final\n  - conda-forge\n",
        ".condarc": "channels:\n  - bioconda\n"},
     "note": "#!final in the earlier file (~/.config/conda/.condarc) stops later files overriding that key"},
    {"name": "final-whole-file", "files": {
        ".config/conda/.condarc": "#!final\nchannels:\n  - conda-forge\n",
        ".condarc": "channels:\n  - bioconda\n"}},
    {"name": "condarc-env-var", "files": {"elsewhere/rc.yml": "channels:\n  - pytorch\n",
                                           ".condarc": "channels:\n  - conda-forge\n"},
     "env": {"CONDARC": "{home}/elsewhere/rc.yml"}},
    {"name": "env-channels", "files": {".condarc": "channels:\n  - conda-forge\n"},
     "env": {"CONDA_CHANNELS": "defaults,bioconda"}},
    {"name": "env-channel-alias", "files": {".condarc": "channels:\n  - conda-forge\n  - defaults\n"},
     "env": {"CONDA_CHANNEL_ALIAS": f"{TUNA}/cloud"}},
    {"name": "env-default-channels", "files": {".condarc": "channels:\n  - defaults\n"},
     "env": {"CONDA_DEFAULT_CHANNELS": f"{TUNA}/pkgs/main,{TUNA}/pkgs/r"}},
    # Broken files.
    {"name": "tab-indent", "files": {".condarc": "channels:\n\t- conda-forge\n"}},
    {"name": "control-character", "files": {".condarc": "channels:\n  - conda-forge\x07\n"}},
    {"name": "top-level-list", "files": {".condarc": "- defaults\n- conda-forge\n"}},
    {"name": "duplicate-key", "files": {".condarc": "channels:\n  - conda-forge\nchannels:\n  - defaults\n"}},
    {"name": "non-utf8", "files": {".condarc": "# 清华镜像\nchannels:\n  - conda-forge\n".encode("gbk")},
     "note": "a GBK comment"},
    {"name": "channels-int", "files": {".condarc": "channels: 5\n"}},
    {"name": "channels-scalar", "files": {".condarc": "channels: defaults\n"}},
    {"name": "nested-250", "files": {".condarc": "channels:\n" + "- " * 250 + "conda-forge\n"}},
    {"name": "brackets-1000", "files": {".condarc": "channels: " + "[" * 1000 + "\n"}},
    {"name": "long-line-200kb", "files": {".condarc": ("channels:\n  - conda-forge\n# ", "x", 200_000, "\n")},
     "note": "a valid file with a 200 kB comment line"},
    {"name": "long-line-2mb", "files": {".condarc": ("channels:\n  - conda-forge\n# ", "x", 2_000_000, "\n")},
     "note": "a valid file with a 2 MB comment line; ruamel scans comments in quadratic time: minutes",
     "slow": True},
    {"name": "duplicate-anchor", "files": {".condarc": (
        f"default_channels:\n  - &m {TUNA}/pkgs/main\n  - &m {USTC}/pkgs/r\nchannels:\n  - *m\n  - defaults\n")}},
]


def spec(content: str | bytes | tuple[str, str, int, str]) -> dict[str, Any]:
    if isinstance(content, tuple):
        prefix, repeat, count, suffix = content
        data = (prefix + repeat * count + suffix).encode("utf-8")
        out: dict[str, Any] = {"prefix": prefix, "repeat": repeat, "count": count, "suffix": suffix}
    elif isinstance(content, bytes):
        data, out = content, {"base64": base64.b64encode(content).decode("ascii")}
    else:
        data, out = content.encode("utf-8"), {"text": content}
    out["sha256"] = hashlib.sha256(data).hexdigest()
    out["size"] = len(data)
    return out


def first_line(text: str) -> str:
    text = text.strip()
    return text.splitlines()[0] if text else ""


def crash_line(traceback: str, name: str) -> str:
    """The exception line a crash ends with (``module.Name: text`` and its continuation), on one line."""
    lines = traceback.rstrip().splitlines()
    start = max((i for i, line in enumerate(lines) if line.split(":", 1)[0].endswith(name)), default=len(lines) - 1)
    return " ".join(" ".join(lines[start:]).split())[:400]


def crash_message(crash: str) -> str:
    """The text of a crash line without the exception's name (its repr holds object addresses)."""
    return crash.split(": ", 1)[-1]


def observe() -> dict[str, Any]:
    conda, reason = find_conda()
    if conda is None:
        raise SystemExit(reason)
    cases = []
    with tempfile.TemporaryDirectory(prefix="observe-conda-") as tmp:
        homes = []
        for number, case in enumerate(CASES):
            entry = {"name": case["name"], "files": {k: spec(v) for k, v in case["files"].items()},
                     "env": case.get("env", {})}
            if "note" in case:
                entry["note"] = case["note"]
            home = Path(tmp) / f"home{number}"
            home.mkdir()
            extra = materialise(entry, home)
            for relative, file_spec in entry["files"].items():
                assert (home / relative).read_bytes() == content_bytes(file_spec)
            started = time.perf_counter()
            info = conda.json(home, "info", env_extra=extra, timeout=SLOW_TIMEOUT_S if case.get("slow") else 180)
            seconds = time.perf_counter() - started
            stderr = info["_stderr"]
            observed: dict[str, Any] = {
                "exit": info["_returncode"],
                "channels": info.get("channels"),
                "error": info.get("exception_name"),
                "message": first_line(str(info.get("message") or info.get("error") or "")) or None,
                "ignoring_warning": "Ignoring configuration file" in stderr,
            }
            if observed["error"] is None:
                observed["message"] = None
            elif "traceback" in info:  # a crash, not one of conda's own errors: the exception as printed last
                observed["crash"] = crash_line(str(info["traceback"]), str(observed["error"]))
                observed["message"] = crash_message(observed["crash"])
            if observed["ignoring_warning"]:
                observed["warning"] = first_line(stderr.split("due to error:", 1)[-1].split("reason:", 1)[-1])
            observed["seconds"] = round(seconds, 1)
            for key in ("message", "warning", "crash"):
                if observed.get(key):
                    observed[key] = observed[key].replace(str(home), "~")
            entry["conda_info"] = observed
            if case.get("slow"):
                entry["slow"] = True
            print(f"{case['name']:<36} exit {observed['exit']}  {seconds:4.1f}s  "
                  f"{observed['error'] or ''} {'(ignored)' if observed['ignoring_warning'] else ''}"
                  f" {len(observed['channels'] or [])} urls", file=sys.stderr)
            cases.append(entry)
            homes.append((home, extra))
        quick = [(entry, home) for entry, home in zip(cases, homes) if not entry.get("slow")]
        started = time.perf_counter()
        batch = conda.resolve_many([home for _, home in quick])
        batch_seconds = time.perf_counter() - started
        for (entry, (home, _)), resolved in zip(quick, batch):
            seen = entry["conda_info"]
            same = (list(resolved.channels) if resolved.channels is not None else None) == (
                seen["channels"] if seen["error"] is None else None
            ) and resolved.error == seen["error"] and bool(resolved.ignored) == seen["ignoring_warning"]
            if not same:
                raise SystemExit(f"{entry['name']}: conda_resolve.py disagrees with conda info --json: "
                                 f"{resolved} vs {seen} (home {home})")
        print(f"conda_resolve.py agreed on all {len(quick)} quick cases in {batch_seconds:.1f}s", file=sys.stderr)
    return {
        "generated_by": "tests/data/observe_conda.py",
        "conda_version": CONDA_VERSION,
        "command": "env -i PATH=/usr/bin:/bin HOME=<fresh> PYTHONPATH=<conda src> PYTHONDONTWRITEBYTECODE=1 "
                   "[case env] python -m conda info --json",
        "cases": cases,
    }


def main() -> int:
    data = observe()
    OBSERVED.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {OBSERVED}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
