"""pip's configuration files as pip finds and parses them, shared by the tools that read them (pip; pipenv, which
takes its default source from pip's files).

pypa/pip ``src/pip/_internal/configuration.py``: ``iter_config_files`` (where, in which order) and
``Configuration._load_config_files`` (parsed with ``RawConfigParser`` in the locale's preferred encoding).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from mirrorctl import paths
from mirrorctl.errors import ConfigParseError
from mirrorctl.formats import ini
from mirrorctl.i18n import N_
from mirrorctl.results import Finding
from mirrorctl.targets import decode

NAME = "pip"


def _file_name() -> str:
    return "pip.ini" if paths.platform() == "win32" else "pip.conf"


def user_files() -> list[Path]:
    """The user variant, in pip's load order; the last one is the file pip (and mirrorctl) writes."""
    home, name = paths.home(), _file_name()
    system = paths.platform()
    if system == "win32":
        return [home / "pip" / name, paths.appdata() / "pip" / name]
    legacy = home / ".pip" / name
    if system == "darwin":
        app_support = home / "Library" / "Application Support" / "pip"
        return [legacy, (app_support if app_support.is_dir() else home / ".config" / "pip") / name]
    return [legacy, paths.xdg_config_home() / "pip" / name]


def global_files() -> list[Path]:
    system = paths.platform()
    if system == "win32":
        return [paths.system_path("C:/ProgramData", "pip", "pip.ini")]
    if system == "darwin":
        return [paths.system_path("/Library/Application Support/pip/pip.conf")]
    return [d / "pip" / "pip.conf" for d in paths.xdg_config_dirs()] + [paths.system_path("/etc/pip.conf")]


def site_files() -> list[Path]:
    """The environment the user's pip most likely runs in: an active virtualenv or conda env, else ours."""
    prefix = os.environ.get("VIRTUAL_ENV") or os.environ.get("CONDA_PREFIX") or sys.prefix
    return [Path(prefix) / _file_name()]


def load_order() -> tuple[list[tuple[str, Path]], list[Finding]]:
    """(variant, path) pairs pip reads, in order, plus findings about PIP_CONFIG_FILE."""
    findings: list[Finding] = []
    env_file = os.environ.get("PIP_CONFIG_FILE")
    if env_file and env_file == os.devnull:
        return [], [Finding("config-env-disables-files", "warning", NAME,
                            params={"variable": "PIP_CONFIG_FILE", "value": env_file})]
    env_exists = bool(env_file) and Path(str(env_file)).is_file()
    files = [("global", p) for p in global_files()]
    if env_exists:
        findings.append(Finding("config-env-skips-user-files", "warning", NAME,
                                params={"variable": "PIP_CONFIG_FILE", "value": env_file, "paths": user_files()}))
    else:
        files += [("user", p) for p in user_files()]
    files += [("site", p) for p in site_files()]
    if env_exists:
        files.append(("env", Path(str(env_file))))
    return files, findings


def check_encoding(data: bytes | None, path: Path) -> None:
    """pip reads its files in the locale's preferred encoding and refuses to run when one does not decode."""
    if not data:
        return
    from mirrorctl.fileio import locale_encoding

    encoding = locale_encoding()
    try:
        data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise ConfigParseError(
            N_("byte 0x{byte:02x} at position {position} is not valid {encoding}, the encoding pip reads "
               "config files in here (pip refuses to run); save the file as {encoding}"),
            byte=data[exc.start], position=exc.start, encoding=encoding,
            path=path, line=data.count(b"\n", 0, exc.start) + 1,
        ) from None
    except LookupError:  # an encoding Python does not know: pip would fail the same way; let it decide
        return


def values(data: bytes, path: Path) -> dict[str, dict[str, str]]:
    """{section: {key: value}} as pip's parser reads ``data`` (names normalised, empty values dropped, as pip
    does), or remembered from an earlier parse of these very bytes. Raises ConfigParseError as pip refuses."""
    from mirrorctl import cache

    check_encoding(data, path)  # never cached: it depends on the locale

    def parse() -> dict[str, dict[str, str]]:
        parser = ini.parse(decode(data), path, reader=NAME)
        return {section: {ini.normalize_key(k): v for k, v in parser.items(section) if v}
                for section in parser.sections()}

    values: dict[str, dict[str, str]] = cache.parsed("pipconf", path, data, parse, valid=_valid_values)
    return values


def _valid_values(value: object) -> bool:
    """A cached parse is input too: sections of string options, nothing else."""
    return isinstance(value, dict) and all(
        isinstance(section, str) and isinstance(options, dict)
        and all(isinstance(k, str) and isinstance(v, str) for k, v in options.items())
        for section, options in value.items())
