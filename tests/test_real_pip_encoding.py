"""A pip.conf with a Chinese comment, in GBK or UTF-8, under a UTF-8 and a GBK locale: real pip decides (issue 7).

pip reads its files in ``locale.getpreferredencoding()`` and stops (exit 2, "Configuration file contains invalid
<ENCODING> characters in <path>.") when one does not decode; tests/data/pip_observed.json has the GBK file under
``LANG=C.UTF-8``. Here real pip and mirrorctl both run in subprocesses under the same locale, and mirrorctl must
agree with pip: where pip refuses the file, ``current`` exits 1 naming the file, line and byte position, and
``use`` refuses in one line and leaves the file and the backups untouched; where pip reads it, ``use`` switches
it and pip then reads the new index with the comment's bytes intact.

The machine has no GBK locale installed (``locale -a``: C, C.utf8, POSIX); the ``gbk_locale`` fixture compiles
``zh_CN.GBK`` with ``localedef`` into a temporary folder and points ``LOCPATH`` at it (skipped, with the reason,
where localedef or glibc's locale sources are missing).
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import write

pytestmark = [pytest.mark.real_client,
              pytest.mark.skipif(importlib.util.find_spec("pip") is None, reason="pip is not installed")]

TIMEOUT_S = 120
COMMENT = "# 清华大学镜像\n"
TUNA = "https://pypi.tuna.tsinghua.edu.cn/simple"
USTC = "https://mirrors.ustc.edu.cn/pypi/simple"
TEXT = f"{COMMENT}[global]\nindex-url = {TUNA}\ntimeout = 6000\n"


@pytest.fixture(scope="session")
def gbk_locale(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """LANG and LOCPATH of a zh_CN.GBK locale compiled for the tests."""
    localedef = shutil.which("localedef")
    sources = Path("/usr/share/i18n/locales/zh_CN"), Path("/usr/share/i18n/charmaps/GBK.gz")
    if localedef is None or not all(p.exists() for p in sources):
        pytest.skip("no GBK locale: localedef or glibc's zh_CN / GBK sources are missing")
    folder = tmp_path_factory.mktemp("locales")
    subprocess.run([localedef, "-f", "GBK", "-i", "zh_CN", str(folder / "zh_CN.GBK")], capture_output=True,
                   timeout=TIMEOUT_S, check=False)
    env = {"LANG": "zh_CN.GBK", "LOCPATH": str(folder)}
    probe = subprocess.run([sys.executable, "-c", "import locale; print(locale.getpreferredencoding(False))"],
                           env={**_base_env(), **env}, capture_output=True, text=True, timeout=TIMEOUT_S)
    if probe.stdout.strip().upper() != "GBK":
        pytest.skip(f"localedef did not give a usable zh_CN.GBK locale (Python sees {probe.stdout.strip()!r})")
    return env


def _base_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LC_") and k not in ("LANG", "LANGUAGE")}
    # A zh_CN locale makes mirrorctl answer in Chinese (tests/test_i18n.py); here the encoding is what is tested,
    # so the English messages are compared.
    env.update(PIP_DISABLE_PIP_VERSION_CHECK="1", PIP_NO_INPUT="1", PYTHONUTF8="0", MIRRORCTL_LANG="en")
    return env


def run(module: str, locale_env: dict[str, str], *args: str) -> subprocess.CompletedProcess[bytes]:
    """``python -m MODULE ARGS`` under the isolated environment the conftest set up, in the given locale."""
    return subprocess.run([sys.executable, "-m", module, *args], env={**_base_env(), **locale_env},
                          capture_output=True, timeout=TIMEOUT_S, check=False)


def utf8_locale() -> dict[str, str]:
    return {"LANG": "C.UTF-8"}


@pytest.mark.parametrize("file_encoding", ["gbk", "utf-8"])
@pytest.mark.parametrize("locale_name", ["C.UTF-8", "zh_CN.GBK"])
def test_mirrorctl_reads_and_refuses_exactly_what_pip_does(file_encoding: str, locale_name: str, pip_conf: Path,
                                                            request: pytest.FixtureRequest):
    locale_env = utf8_locale() if locale_name == "C.UTF-8" else request.getfixturevalue("gbk_locale")
    locale_encoding = "utf-8" if locale_name == "C.UTF-8" else "gbk"
    original = TEXT.encode(file_encoding)
    write(pip_conf, original)

    seen = run("pip", locale_env, "config", "list")
    pip_reads_it = seen.returncode == 0
    # The judge's verdict, as observed (pip_observed.json "gbk-comment"): only a mismatch is fatal.
    assert pip_reads_it == (file_encoding == locale_encoding), seen.stderr
    current = run("mirrorctl", locale_env, "current", "--only", "pip")
    used = run("mirrorctl", locale_env, "use", "ustc", "--only", "pip")
    out = current.stdout.decode("utf-8", "replace")

    if not pip_reads_it:
        assert seen.returncode == 2
        assert f"invalid {locale_encoding.upper()} characters in {pip_conf}".encode() in seen.stderr
        with pytest.raises(UnicodeDecodeError) as bad:
            original.decode(locale_encoding)
        first_bad = bad.value.start
        assert current.returncode == 1, out
        assert out.splitlines()[0] == (
            f"pip: pip cannot read ~/.config/pip/pip.conf: line 1: byte 0x{original[first_bad]:02x} at position "
            f"{first_bad} is not valid {locale_encoding.upper()}, the encoding pip reads config files in here (pip "
            f"refuses to run); save the file as {locale_encoding.upper()}")
        err = used.stderr.decode("utf-8", "replace")
        assert used.returncode == 1 and used.stdout == b"", (used.stdout, err)
        assert len(err.splitlines()) == 1 and "Traceback" not in err, err
        assert err.startswith("mirrorctl: error: ~/.config/pip/pip.conf line 1: byte "), err
        assert pip_conf.read_bytes() == original
        assert run("mirrorctl", locale_env, "backups").stdout == b"no backups yet\n"
        assert run("pip", locale_env, "config", "list").returncode == 2  # still broken, as it was: not by us
    else:
        assert f"global.index-url='{TUNA}'".encode() in seen.stdout
        assert current.returncode == 0 and out.startswith("pip: tuna\n"), out
        assert used.returncode == 0, used.stderr
        assert pip_conf.read_bytes() == TEXT.replace(TUNA, USTC).encode(file_encoding)  # the comment's bytes too
        after = run("pip", locale_env, "config", "list")
        assert after.returncode == 0, after.stderr
        assert f"global.index-url='{USTC}'".encode() in after.stdout
        assert b"global.timeout='6000'" in after.stdout
        assert run("mirrorctl", locale_env, "current", "--only", "pip").stdout.startswith(b"pip: ustc\n")
