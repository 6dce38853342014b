"""20 real `mirrorctl use` processes at once, each with its own profile, in an isolated home."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from conftest import write

from mirrorctl import core

RUNS = 20
PIP_BEFORE = b"# mine\n[global]\ntimeout = 9\nindex-url = https://old.example/simple\n"
CONDA_BEFORE = b"# mine\nchannels:\n  - defaults\nssl_verify: true\n"


def profile_toml(index: int) -> str:
    base = f"https://mirror{index:02d}.example.org"
    return (
        f'name = "m{index:02d}"\n'
        f'title = "Mirror {index}"\n'
        "[pypi]\n"
        f'index = "{base}/pypi/simple"\n'
        "[conda]\n"
        f'default_channels = ["{base}/anaconda/pkgs/main", "{base}/anaconda/pkgs/r"]\n'
        "[conda.custom_channels]\n"
        f'conda-forge = "{base}/anaconda/cloud"\n'
    )


def isolated_env() -> dict[str, str]:
    names = ("HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME", "XDG_CONFIG_DIRS",
             "XDG_DATA_DIRS", "PIP_CONFIG_FILE", "CONDARC", "MIRRORCTL_HOME", "MIRRORCTL_SYSTEM_ROOT", "VIRTUAL_ENV")
    env = {name: os.environ[name] for name in names}
    env["PATH"] = os.environ.get("PATH", "/usr/bin:/bin")
    env["PYTHONPATH"] = str(Path(__file__).resolve().parent.parent)
    return env


def test_twenty_concurrent_use_runs_serialize_cleanly(tmp_path: Path, pip_conf: Path, condarc: Path):
    for index in range(RUNS):
        write(tmp_path / "mirrorctl" / "profiles" / f"m{index:02d}.toml", profile_toml(index))
    write(pip_conf, PIP_BEFORE)
    write(condarc, CONDA_BEFORE)
    files = (pip_conf, condarc)
    initial = tuple(f.read_bytes() for f in files)
    # What each run would write alone, from the initial files (and, below, from any other run's result).
    alone = {}
    for index in range(RUNS):
        edits = {e.path: e.new for e in core.use(name=f"m{index:02d}", dry_run=True).edits}
        alone[f"use m{index:02d}"] = tuple(edits.get(f, f.read_bytes()) for f in files)
    assert len(set(alone.values())) == RUNS

    env = isolated_env()
    children = []
    for index in range(RUNS):
        command = [sys.executable, "-m", "mirrorctl", "use", f"m{index:02d}"]
        children.append((time.monotonic(), subprocess.Popen(command, env=env, stdout=subprocess.PIPE,
                                                            stderr=subprocess.PIPE)))
    took = []
    for started, child in children:
        _out, err = child.communicate(timeout=120)
        took.append(time.monotonic() - started)
        assert child.returncode == 0, err.decode()
        assert err == b""
    print(f"20 runs: slowest {max(took):.2f} s, median {sorted(took)[RUNS // 2]:.2f} s")
    # A run that waited longer than LOCK_WAIT_S for the lock would have failed above (no timed assertion here:
    # figures belong in benchmarks/, and a loaded machine must not fail the test).

    final = tuple(f.read_bytes() for f in files)
    assert final in alone.values()
    snapshots = sorted(core.backups(), key=lambda s: (s.created, s.id))
    assert len(snapshots) == RUNS and sorted(s.reason for s in snapshots) == sorted(alone)
    # The history is one chain: each backup holds what the run before it wrote (the first, the originals),
    # and the last run's result is what is on disk.
    expected_before = initial
    for snapshot in snapshots:
        saved = {Path(f.path): (snapshot.directory / str(f.blob)).read_bytes() for f in snapshot.files}
        assert tuple(saved[f] for f in files) == expected_before, snapshot.reason
        expected_before = alone[snapshot.reason]
    assert final == expected_before
    # Every backup restores to that real earlier state.
    for snapshot in reversed(snapshots):
        core.restore(snapshot_id=snapshot.id)
        saved = {Path(f.path): (snapshot.directory / str(f.blob)).read_bytes() for f in snapshot.files}
        assert tuple(f.read_bytes() for f in files) == tuple(saved[f] for f in files)
    assert tuple(f.read_bytes() for f in files) == initial
