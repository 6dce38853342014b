"""The real conda (26.7.1, from ``../shared/clients``) as a judge for the tests.

conda is not on PyPI, so its source is kept next to the repository and run as ``python -m conda`` under a
Python that has its PyPI dependencies (``../shared/clients/README.md``). ``.ci/run`` creates that venv and
exports two variables; a local run falls back to the usual places:

- ``MIRRORCTL_TEST_CONDA_SRC``: conda's source folder; else ``<repo>/../shared/clients/conda-26.7.1``, else
  the same folder next to the repository this one was cloned from (``git remote get-url origin``).
- ``MIRRORCTL_TEST_CONDA_PYTHON``: that venv's python; else ``/tmp/conda-venv/bin/python``.

Where either is missing, :data:`requires_conda` / :func:`conda_client` skip with the reason and the command
that fixes it. Every call runs in a minimal environment, as ``env -i`` would (PATH, HOME, PYTHONPATH,
PYTHONDONTWRITEBYTECODE, plus what the caller adds), so nothing of the machine's or the test's environment leaks
into conda.

conda starts in about a second. :meth:`RealConda.resolve_many` answers "which channel URLs does conda use"
for many HOME folders in one process (``tests/data/conda_resolve.py``: conda's own ``reset_context`` and the
lines ``conda info --json`` uses), and ``tests/test_real_clients_harness.py`` proves it agrees with
``conda info --json``.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import json
import os
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

CONDA_VERSION = "26.7.1"
TESTS = Path(__file__).resolve().parent.parent
REPO = TESTS.parent
RESOLVE_SCRIPT = TESTS / "data" / "conda_resolve.py"
OBSERVED = TESTS / "data" / "conda_observed.json"
LOCAL_VENV = Path("/tmp/conda-venv")
#: Generous: conda starts in ~1 s here, but the machine is shared.
TIMEOUT_S = 180
#: The PATH every conda call gets (conda needs nothing from PATH for what the tests ask of it).
MINIMAL_PATH = "/usr/bin:/bin"
DEPENDENCIES = (
    "archspec 'backports.zstd>=1.3.0' boltons charset-normalizer conda-package-handling distro frozendict msgpack "
    "packaging platformdirs pluggy pycosat 'requests<3' 'ruamel.yaml<0.19' setuptools tqdm truststore"
)


@dataclass(frozen=True)
class Resolved:
    """What conda makes of one configuration: its channel URLs, or the error it stops with."""

    channels: tuple[str, ...] | None
    error: str | None
    message: str | None
    ignored: tuple[str, ...]


@dataclass(frozen=True)
class RealConda:
    python: Path
    src: Path

    def env(self, home: Path, env_extra: Mapping[str, str] | None = None) -> dict[str, str]:
        env = {
            "PATH": MINIMAL_PATH,
            "HOME": str(home),
            "PYTHONPATH": str(self.src),
            "PYTHONDONTWRITEBYTECODE": "1",
        }
        env.update(env_extra or {})
        return env

    def run(self, home: Path, *args: str, env_extra: Mapping[str, str] | None = None,
            timeout: float = TIMEOUT_S, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
        """``python -m conda ARGS`` in ``home`` with a minimal environment; the exit code is the caller's."""
        return subprocess.run(
            [str(self.python), "-m", "conda", *args],
            env=self.env(home, env_extra), cwd=str(cwd or home), capture_output=True, text=True,
            timeout=timeout, check=False,
        )

    def json(self, home: Path, *args: str, env_extra: Mapping[str, str] | None = None,
             timeout: float = TIMEOUT_S) -> dict[str, Any]:
        """``conda ARGS --json``, parsed. conda prints a JSON object on errors too (``exception_name``...)."""
        result = self.run(home, *args, "--json", env_extra=env_extra, timeout=timeout)
        try:
            data = json.loads(result.stdout)
        except json.JSONDecodeError as err:
            raise AssertionError(f"conda {' '.join(args)} printed no JSON: {describe(result)}") from err
        if not isinstance(data, dict):
            raise AssertionError(f"conda {' '.join(args)} printed {type(data).__name__}, not an object")
        data["_returncode"] = result.returncode
        data["_stderr"] = result.stderr
        return data

    def resolve_many(self, cases: Sequence[tuple[Path, Mapping[str, str] | None]]) -> list[Resolved]:
        """For each (home, env_extra): the channel URLs ``conda info --json`` would list, in one process."""
        payload = json.dumps([{"env": self.env(home, extra)} for home, extra in cases])
        result = subprocess.run(
            [str(self.python), str(RESOLVE_SCRIPT)], input=payload, env=self.env(Path("/nonexistent")),
            capture_output=True, text=True, timeout=TIMEOUT_S + 2 * len(cases), check=False,
        )
        if result.returncode != 0:
            raise AssertionError(f"conda_resolve.py failed: {describe(result)}")
        answers = json.loads(result.stdout)
        return [
            Resolved(
                channels=None if a["channels"] is None else tuple(a["channels"]),
                error=a["error"], message=a["message"], ignored=tuple(a["ignored"]),
            )
            for a in answers
        ]

    def resolve(self, home: Path, env_extra: Mapping[str, str] | None = None) -> Resolved:
        return self.resolve_many([(home, env_extra)])[0]


def _origin_parent() -> Path | None:
    """The folder holding the repository this checkout was cloned from, if it is a local path."""
    try:
        url = subprocess.run(["git", "-C", str(REPO), "remote", "get-url", "origin"], capture_output=True,
                             text=True, timeout=10, check=False).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    if not url or "://" in url or ":" in url.split("/", 1)[0]:
        return None
    return Path(url).resolve().parent


def _candidates() -> list[Path]:
    found = [REPO.parent / "shared" / "clients" / f"conda-{CONDA_VERSION}"]
    origin = _origin_parent()
    if origin is not None:
        found.append(origin / "shared" / "clients" / f"conda-{CONDA_VERSION}")
    return found


@functools.cache
def find_conda() -> tuple[RealConda | None, str]:
    """The real conda, or None and why not (the skip reason)."""
    given = os.environ.get("MIRRORCTL_TEST_CONDA_SRC")
    candidates = [Path(given)] if given else _candidates()
    src = next((c for c in candidates if (c / "conda" / "__init__.py").is_file()), None)
    if src is None:
        where = " or ".join(str(c) for c in candidates)
        return None, f"real conda {CONDA_VERSION} not found ({where}); see ../shared/clients/README.md"
    given_python = os.environ.get("MIRRORCTL_TEST_CONDA_PYTHON")
    python = Path(given_python) if given_python else LOCAL_VENV / "bin" / "python"
    if not python.is_file():
        return None, (f"no Python with conda's dependencies at {python}: python3 -m venv {LOCAL_VENV} && "
                      f"{LOCAL_VENV}/bin/pip install {DEPENDENCIES}  (or run .ci/run)")
    return RealConda(python=python, src=src.resolve()), ""


def conda_missing_reason() -> str | None:
    conda, reason = find_conda()
    return None if conda is not None else reason


requires_conda = pytest.mark.skipif(conda_missing_reason() is not None, reason=conda_missing_reason() or "")


def conda_client() -> RealConda:
    """The real conda; skips the calling test (with the reason) where it is absent."""
    conda, reason = find_conda()
    if conda is None:
        pytest.skip(reason)
    return conda


@pytest.fixture
def real_conda() -> RealConda:
    return conda_client()


def conda_run(home: Path, *args: str, env_extra: Mapping[str, str] | None = None,
              timeout: float = TIMEOUT_S) -> subprocess.CompletedProcess[str]:
    return conda_client().run(home, *args, env_extra=env_extra, timeout=timeout)


def conda_json(home: Path, *args: str, env_extra: Mapping[str, str] | None = None) -> dict[str, Any]:
    return conda_client().json(home, *args, env_extra=env_extra)


def describe(result: subprocess.CompletedProcess[str]) -> str:
    return f"exit {result.returncode}\n--- stdout\n{result.stdout[-4000:]}\n--- stderr\n{result.stderr[-4000:]}"


# ---------------------------------------------------------------------------------------------------------
# The observed table (tests/data/conda_observed.json, written by tests/data/observe_conda.py)


def content_bytes(spec: Mapping[str, Any]) -> bytes:
    """A file's bytes from its spec in the table: ``text``, ``base64``, or ``prefix + repeat * count + suffix``."""
    if "text" in spec:
        data = str(spec["text"]).encode("utf-8")
    elif "base64" in spec:
        data = base64.b64decode(spec["base64"])
    else:
        data = (spec["prefix"] + spec["repeat"] * spec["count"] + spec["suffix"]).encode("utf-8")
    if hashlib.sha256(data).hexdigest() != spec["sha256"]:
        raise AssertionError(f"content spec does not rebuild the observed file: {spec.get('sha256')}")
    return data


def materialise(case: Mapping[str, Any], home: Path) -> dict[str, str]:
    """Write a case's files under ``home``; return its extra environment with ``{home}`` filled in."""
    for relative, spec in case["files"].items():
        path = home / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content_bytes(spec))
    return {k: v.replace("{home}", str(home)) for k, v in case.get("env", {}).items()}


def load_observed() -> list[dict[str, Any]]:
    data = json.loads(OBSERVED.read_text(encoding="utf-8"))
    cases: list[dict[str, Any]] = data["cases"]
    return cases
