"""Real pip as the client: what mirrorctl writes is what pip obeys, and `restore` gives pip its old view back.

A loopback PEP 503 index (``tests/helpers/loopback_index.py``: a ``ThreadingHTTPServer`` on 127.0.0.1, port 0) serves
one small wheel built with ``zipfile``. mirrorctl points pip at it through a user profile, then a real
``pip download --no-deps`` runs in a subprocess with the isolated environment the conftest set up (fake HOME,
XDG_*, a PIP_CONFIG_FILE that does not exist). Nothing here leaves the loopback interface.

The index is plain http, and the tests reach it as ``http://127.1:PORT`` rather than
``http://127.0.0.1:PORT``. pip counts ``localhost``, ``127.0.0.0/8`` and ``::1`` as secure origins, so plain
http to 127.0.0.1 works with no ``trusted-host`` at all and a download through it would prove nothing about
that key. ``127.1`` is the same address to the resolver (inet_aton's short form, so the server still listens
on 127.0.0.1 only), but ``ipaddress`` rejects it, so pip's origin check treats it as a host name that is not
``localhost`` and ignores the index unless ``trusted-host = 127.1:PORT`` is set. A successful download
therefore proves mirrorctl wrote both ``index-url`` and a ``trusted-host`` pip accepts; the control test at
the end shows pip refusing it otherwise.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import write
from loopback_index import PROJECT, VERSION, WHEEL_NAME, Index, dead_index_url, serve_index  # noqa: F401 - re-exported for the tool tests

pytestmark = [pytest.mark.real_client,
              pytest.mark.skipif(importlib.util.find_spec("pip") is None, reason="pip is not installed")]

PIP_TIMEOUT_S = 120


# ---------------------------------------------------------------------------------------------------------
# The index (tests/helpers/loopback_index.py)


@pytest.fixture
def dead_url() -> str:
    """An index URL on a 127.0.0.1 port that was bound, then closed: connecting is refused."""
    return dead_index_url()


# ---------------------------------------------------------------------------------------------------------
# Real pip


def pip(*args: str) -> subprocess.CompletedProcess[str]:
    """``python -m pip`` in a subprocess, with the isolated environment the conftest set up."""
    env = dict(os.environ)
    env.update(PIP_DISABLE_PIP_VERSION_CHECK="1", PIP_NO_INPUT="1")
    return subprocess.run(
        [sys.executable, "-m", "pip", *args],
        env=env, capture_output=True, text=True, timeout=PIP_TIMEOUT_S, check=False,
    )


def pip_download(dest: Path) -> subprocess.CompletedProcess[str]:
    # --retries 0: a refused connection fails at once instead of after pip's back-off (seconds).
    return pip("download", "--no-deps", "--no-cache-dir", "--retries", "0", "--timeout", "30",
               "-d", str(dest), PROJECT)


def pip_config() -> str:
    result = pip("config", "list")
    assert result.returncode == 0, result.stderr
    return result.stdout


def describe(result: subprocess.CompletedProcess[str]) -> str:
    return f"exit {result.returncode}\n--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}"


def snapshot(*paths: Path) -> dict[Path, bytes | None]:
    return {p: p.read_bytes() if p.exists() else None for p in paths}


# ---------------------------------------------------------------------------------------------------------
# Tests


@pytest.mark.slow
def test_use_then_restore_with_real_pip(run, index: Index, dead_url: str, legacy_pip_conf: Path,
                                        pip_conf: Path, tmp_path: Path):
    added = run("profile", "add", "loop", "--pypi", index.url)
    assert added.exit_code == 0, added.output

    # A user who set up pip long ago, by hand, in the legacy file: a mirror that is gone now.
    legacy_text = (
        "# pip settings, written by hand years ago\n"
        "[global]\n"
        "# the campus mirror (decommissioned)\n"
        f"index-url = {dead_url}\n"
        "timeout = 60\n"
        "\n"
        "[download]\n"
        "# keep downloads quiet\n"
        "progress-bar = off\n"
    )
    write(legacy_pip_conf, legacy_text)
    legacy_before = legacy_pip_conf.read_bytes()
    before = snapshot(legacy_pip_conf, pip_conf)
    assert before[pip_conf] is None
    assert dead_url in pip_config(), "pip does not read the legacy file this test relies on"

    failed = pip_download(tmp_path / "before")
    assert failed.returncode != 0, describe(failed)
    assert f"Looking in indexes: {dead_url}" in failed.stdout, describe(failed)
    assert index.paths() == []

    used = run("use", "loop", "--only", "pip")
    assert used.exit_code == 0, used.output
    assert pip_conf.is_file(), "mirrorctl did not write the XDG user file"

    # pip's own view of the configuration: the loopback index, trusted, and nothing of the dead one.
    config = pip_config()
    assert f"global.index-url='{index.url}'" in config, config
    assert f"global.trusted-host='{index.host}'" in config, config
    assert dead_url not in config, config
    assert "download.progress-bar='off'" in config, config  # the user's other settings are still there

    dest = tmp_path / "downloads"
    fetched = pip_download(dest)
    assert fetched.returncode == 0, describe(fetched)
    assert (dest / WHEEL_NAME).read_bytes() == index.wheel
    assert f"/simple/{PROJECT}/" in index.paths()
    assert f"/packages/{WHEEL_NAME}" in index.paths()
    # An http index without a trusted host is ignored with this warning (and the download fails).
    assert "not a trusted or secure host" not in fetched.stdout + fetched.stderr

    restored = run("restore")
    assert restored.exit_code == 0, restored.output
    assert snapshot(legacy_pip_conf, pip_conf) == before
    assert legacy_pip_conf.read_bytes() == legacy_before
    assert not pip_conf.exists()

    # And in pip's eyes: the dead index is back, the loopback one is gone.
    config = pip_config()
    assert f"global.index-url='{dead_url}'" in config, config
    assert index.url not in config and index.host not in config, config
    requests_before = len(index.paths())
    again = pip_download(tmp_path / "after")
    assert again.returncode != 0, describe(again)
    assert f"Looking in indexes: {dead_url}" in again.stdout, describe(again)
    assert not (tmp_path / "after" / WHEEL_NAME).exists()
    assert len(index.paths()) == requests_before, "pip still talked to the loopback index after restore"


def test_use_then_reset_with_real_pip(run, index: Index, legacy_pip_conf: Path, pip_conf: Path,
                                      tmp_path: Path):
    assert run("profile", "add", "loop", "--pypi", index.url).exit_code == 0
    assert not legacy_pip_conf.exists() and not pip_conf.exists()

    used = run("use", "loop")
    assert used.exit_code == 0, used.output
    assert not legacy_pip_conf.exists(), "mirrorctl created the legacy file"

    dest = tmp_path / "downloads"
    fetched = pip_download(dest)
    assert fetched.returncode == 0, describe(fetched)
    assert (dest / WHEEL_NAME).read_bytes() == index.wheel
    assert f"/simple/{PROJECT}/" in index.paths()

    reset = run("reset", "--only", "pip")
    assert reset.exit_code == 0, reset.output
    config = pip_config()
    assert index.url not in config and index.host not in config, config
    assert "index-url" not in config and "trusted-host" not in config, config


def test_pip_ignores_the_index_without_trusted_host(index: Index, pip_conf: Path, tmp_path: Path):
    """The control: the downloads above prove trusted-host because pip refuses this http index without it."""
    write(pip_conf, f"[global]\nindex-url = {index.url}\n")
    failed = pip_download(tmp_path / "downloads")
    assert failed.returncode != 0, describe(failed)
    assert "not a trusted or secure host" in failed.stdout + failed.stderr, describe(failed)
    assert f"/simple/{PROJECT}/" not in index.paths()

    write(pip_conf, f"[global]\nindex-url = {index.url}\ntrusted-host = {index.host}\n")
    fetched = pip_download(tmp_path / "downloads")
    assert fetched.returncode == 0, describe(fetched)


def test_pip_trusts_127_0_0_1_on_its_own(index: Index, pip_conf: Path, tmp_path: Path):
    """Why the tests say 127.1: 127.0.0.1 needs no trusted-host in pip, so a download there proves nothing."""
    write(pip_conf, f"[global]\nindex-url = http://127.0.0.1:{index.port}/simple\n")
    fetched = pip_download(tmp_path / "downloads")
    assert fetched.returncode == 0, describe(fetched)
