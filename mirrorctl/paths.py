"""Every location mirrorctl reads or writes, resolved in one order:

mirrorctl's own override variable -> the tool's own variables (PIP_CONFIG_FILE, CONDARC, XDG_*) -> platform
defaults. Tool-specific file lists live in each ``targets/<tool>.py`` and are built from the helpers here, so
adding a tool never touches this module.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

#: Where mirrorctl keeps its own profiles and backups instead of the platform directories.
MIRRORCTL_HOME = "MIRRORCTL_HOME"
#: Prefix for system-wide locations (/etc, /var/lib, C:\ProgramData, /Library). Lets the test suite and
#: chroot users keep the real system files out of the picture.
MIRRORCTL_SYSTEM_ROOT = "MIRRORCTL_SYSTEM_ROOT"


def platform() -> str:
    """'linux', 'darwin' or 'win32' (every other Unix is treated like Linux, as pip does)."""
    if sys.platform.startswith("win"):
        return "win32"
    if sys.platform == "darwin":
        return "darwin"
    return "linux"


def env_path(name: str) -> Path | None:
    """A path from the environment; unset and empty both mean 'not given'."""
    value = os.environ.get(name)
    return Path(value) if value else None


def home() -> Path:
    return Path(os.path.expanduser("~"))


def system_path(*parts: str) -> Path:
    """A system-wide location such as ('/etc', 'pip.conf'), under MIRRORCTL_SYSTEM_ROOT when it is set."""
    root = env_path(MIRRORCTL_SYSTEM_ROOT)
    path = Path(*parts)
    if root is None:
        return path
    text = re.sub(r"^[A-Za-z]:", "", path.as_posix()).lstrip("/")  # C:/ProgramData -> ProgramData
    return root / text


def xdg_config_home() -> Path:
    return env_path("XDG_CONFIG_HOME") or home() / ".config"


def xdg_config_dirs() -> list[Path]:
    value = os.environ.get("XDG_CONFIG_DIRS")
    if not value:
        return [system_path("/etc/xdg")]
    return [Path(p) for p in value.split(os.pathsep) if p]


def appdata() -> Path:
    return env_path("APPDATA") or home() / "AppData" / "Roaming"


def mirrorctl_config_dir() -> Path:
    """User profiles live here (``<dir>/profiles/*.toml``)."""
    return _own_dir("", "XDG_CONFIG_HOME", ".config", "user_config_dir")


def mirrorctl_state_dir() -> Path:
    """Backups and the lock file live here."""
    return _own_dir("state", "XDG_STATE_HOME", ".local/state", "user_state_dir")


def mirrorctl_cache_dir() -> Path:
    """Parse results that only save time (safe to delete)."""
    return _own_dir("cache", "XDG_CACHE_HOME", ".cache", "user_cache_dir")


def _own_dir(under_override: str, variable: str, default: str, platformdirs_function: str) -> Path:
    """One of mirrorctl's own folders: ``$MIRRORCTL_HOME/<under_override>``, else the platform's."""
    override = env_path(MIRRORCTL_HOME)
    if override is not None:
        return override / under_override if under_override else override
    if platform() == "linux":  # what platformdirs answers on Linux, without its import on every start-up
        return _xdg(variable, default) / "mirrorctl"
    import platformdirs

    return Path(getattr(platformdirs, platformdirs_function)("mirrorctl", appauthor=False))


def _xdg(variable: str, default: str) -> Path:
    value = os.environ.get(variable, "").strip()
    return Path(value) if value else home() / default


def user_profiles_dir() -> Path:
    return mirrorctl_config_dir() / "profiles"


def backups_dir() -> Path:
    return mirrorctl_state_dir() / "backups"


def lock_file() -> Path:
    return mirrorctl_state_dir() / "lock"


def builtin_profiles_dir() -> Path:
    """Inside an installed wheel the profiles sit in the package; in a source checkout, beside it."""
    packaged = Path(__file__).resolve().parent / "profiles"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parent.parent / "profiles"


# ---------------------------------------------------------------------------------------------------------
# Environments that are scopes of several tools (a virtualenv; a conda environment, whose files several tools
# read): resolved here once, so no tool module imports another for them.


def virtualenv_dir() -> Path:
    """The active virtualenv (``$VIRTUAL_ENV``). Raises ScopeUnavailable when none is active."""
    from mirrorctl.errors import ScopeUnavailable
    from mirrorctl.i18n import N_

    value = os.environ.get("VIRTUAL_ENV")
    if not value:
        raise ScopeUnavailable(N_("no virtualenv is active (VIRTUAL_ENV is not set): activate one first"))
    folder = Path(value)
    if not (folder / "pyvenv.cfg").is_file():
        raise ScopeUnavailable(N_("VIRTUAL_ENV={value} is not a virtualenv (it has no pyvenv.cfg)"), value=value)
    return folder


def conda_env_prefix() -> Path:
    """The active conda environment (``$CONDA_PREFIX``), whose own config files beat the user's. Raises
    ScopeUnavailable when none is active."""
    from mirrorctl.errors import ScopeUnavailable
    from mirrorctl.i18n import N_

    value = os.environ.get("CONDA_PREFIX")
    if not value:
        raise ScopeUnavailable(N_("no conda environment is active (CONDA_PREFIX is not set): `conda activate` one "
                                  "first"))
    prefix = Path(value)
    if not (prefix / "conda-meta").is_dir():
        raise ScopeUnavailable(N_("CONDA_PREFIX={value} is not a conda environment (it has no conda-meta folder)"),
                               value=value)
    return prefix
