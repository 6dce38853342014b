"""The contract every tool module implements, and the registry that finds them.

A tool is one module ``mirrorctl/targets/<name>.py`` that defines ``TARGET: Target = <instance>``; the
annotation makes mypy check the instance against :class:`Target`. Modules are found by file name (the name is
what ``--only`` accepts) and imported only when needed: ``--only uv`` imports one module.

Everything a target returns is data (:mod:`mirrorctl.results`); it never words a message for the user.

A tool that reads several files reads them through the shared path in :mod:`mirrorctl.targets` (``iter_layers``
/ ``load_layers``, ``in_scope``, ``shadows``) and keeps only its merge rule. Core picks and checks the scope
(``default_scope``, :func:`mirrorctl.core.resolve_scope`). A tool module never imports another: what two tools
share lives in a helper module whose name starts with ``_`` (``_channels``, ``_pipconf``) or in :mod:`mirrorctl.paths`.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol

from mirrorctl.errors import UsageError
from mirrorctl.i18n import N_
from mirrorctl.results import EnvPlan, FileEdit, Finding, ToolState

if TYPE_CHECKING:
    from mirrorctl.profiles import Profile

#: Where a change is written. "user" is the default; the others are for virtualenvs, conda environments,
#: lab servers and projects.
SCOPES = ("user", "venv", "env", "system", "project")

#: Bytes some files are about to get (a dry run, or the state right after a change), by path; None: absent.
Overrides = Mapping[Path, "bytes | None"]


class RenderContext(NamedTuple):
    """What a pure render needs besides the old text and the profile."""

    path: Path
    profiles: tuple[Profile, ...]
    #: The file the tool's own `config set` would write (pip: the XDG user file, not the legacy one).
    primary: bool = True
    #: Keys that another file the tool reads already sets (so this one need not).
    inherited: frozenset[str] = frozenset()
    #: `use --force`: replace a source the user wrote that would otherwise still win (and say which).
    force: bool = False
    #: Channel names that the other files the tool reads list (mamba writes mirrored_channels only for channels
    #: in use), by name.
    inherited_channels: tuple[str, ...] = ()


class Rendered(NamedTuple):
    text: str
    findings: tuple[Finding, ...] = ()


class Target(Protocol):
    """One tool whose configuration mirrorctl edits."""

    #: What ``--only`` accepts; also the module's file name.
    name: str
    #: Profile tables it reads ("pypi", "conda"): pixi serves both.
    ecosystems: frozenset[str]
    #: The scopes ``plan`` can write, in the tool's precedence order (lowest first).
    scopes: tuple[str, ...]
    #: The scope a change writes when none is asked for (one of ``scopes``). Core picks and checks the scope
    #: (:func:`mirrorctl.core.resolve_scope`): ``plan`` and ``locations`` are called with one of ``scopes`` only.
    default_scope: str
    #: Position in tables and in the order of edits.
    order: int

    def locations(self, scope: str) -> Sequence[Path]:
        """Files this tool reads in ``scope``, lowest precedence first (the last is the one written).

        Raises ScopeUnavailable when the scope does not exist here (no active virtualenv, no project).
        """
        ...

    def present(self) -> bool:
        """Whether the tool is installed (on PATH) or configured (a file exists): cheap, no parsing."""
        ...

    def read(self, profiles: Sequence[Profile], overrides: Overrides | None = None,
             scope: str | None = None) -> ToolState:
        """What is really in effect, from every file and variable the tool reads.

        ``scope`` (None: the default) is the one being written: ``write_path`` is its file, and findings say what
        beats it (a higher-precedence scope, a variable).
        """
        ...

    def render(self, text: str, profile: Profile | None, context: RenderContext) -> Rendered:
        """Pure: old text + profile (None: back to upstream) -> new text. Raises ConfigParseError."""
        ...

    def plan(self, profile: Profile | None, profiles: Sequence[Profile], scope: str = "user",
             force: bool = False) -> list[FileEdit]:
        """Read the files of ``scope``, validate them as the tool does, and render each (profile None: reset).

        A source the user wrote is never removed or renamed unless ``force``; where it would still win, the
        edit carries a finding that says so (and ``read`` afterwards shows the tool not switched).
        """
        ...

    def env(self, profile: Profile) -> EnvPlan:
        """Environment variables alone that point this tool at ``profile`` (``mirrorctl env``), and, as findings
        in ``unexpressed``, what of the profile they cannot carry. Pure: reads no file, so the lines work on
        another machine (a CI job, a Docker image).

        Only variables the tool really reads (its source, or the real tool, says so).
        """
        ...

    def run_env(self, profile: Profile, profiles: Sequence[Profile]) -> EnvPlan:
        """The same for one command on this machine (``mirrorctl run``): may add private temporary files
        (``EnvPlan.files``, named by a variable the tool reads) and read the user's files to fill them, but
        never writes one. Most tools return :meth:`env`."""
        ...

    def checks(self, state: ToolState) -> list[Finding]:
        """Findings for `doctor` beyond those ``read`` already reports."""
        ...

    def hints(self) -> list[Finding]:
        """Steps for the user after this tool's configuration changed."""
        ...


def default_scope(target: Target) -> str:
    """``target.default_scope``; for a module written before it existed, "user", else its first scope."""
    declared: str | None = getattr(target, "default_scope", None)
    if declared:
        return declared
    return "user" if "user" in target.scopes else target.scopes[0]


def covers(target: Target, profile: Profile) -> bool:
    return bool(target.ecosystems & profile.ecosystems)


def env_plan(target: Target, profile: Profile, profiles: Sequence[Profile] | None = None) -> EnvPlan:
    """``target.env`` (``profiles`` None) or ``target.run_env``, as an :class:`EnvPlan`.

    A tool module written before the plan existed (``env`` returning a dict, no ``run_env``) keeps working.
    """
    if profiles is not None and hasattr(target, "run_env"):
        planned: object = target.run_env(profile, profiles)
    else:
        planned = target.env(profile)
    if isinstance(planned, EnvPlan):
        return planned
    if isinstance(planned, Mapping):
        return EnvPlan(target.name, profile.name, {str(k): str(v) for k, v in planned.items()})
    raise TypeError(f"{target.name}: env() returned {type(planned).__name__}, not an EnvPlan")


def on_path(*executables: str) -> bool:
    """Whether any of ``executables`` is on PATH, as ``shutil.which`` answers on POSIX.

    Written out because importing shutil (and the archive modules it pulls in) costs more than the whole
    look-up; Windows, with PATHEXT and the current directory rules, still asks shutil.
    """
    if os.name == "nt":
        import shutil

        return any(shutil.which(name) for name in executables)
    for directory in os.environ.get("PATH", os.defpath).split(os.pathsep):
        for name in executables:
            candidate = os.path.join(directory or ".", name)
            if os.access(candidate, os.X_OK) and not os.path.isdir(candidate):
                return True
    return False


# ---------------------------------------------------------------------------------------------------------
# Registry


def _package() -> object:
    return importlib.import_module("mirrorctl.targets")


def tool_names() -> list[str]:
    """Every tool, from the file names alone, without importing any.

    A directory listing rather than pkgutil, whose import alone costs a few ms on every start-up. Every folder
    on the package's ``__path__`` counts, so a tool module can also live outside the checkout.
    """
    names: set[str] = set()
    for directory in getattr(_package(), "__path__", []):
        for entry in os.listdir(directory):
            stem, _, suffix = entry.partition(".")
            if suffix in ("py", "pyc") and not stem.startswith("_") and stem != "base":
                names.add(stem)
    return sorted(names)


def load(name: str) -> Target:
    module = importlib.import_module(f"mirrorctl.targets.{name}")
    target: Target = module.TARGET
    if target.name != name:
        raise TypeError(f"mirrorctl.targets.{name} declares the tool name {target.name!r}")
    return target


def all_targets() -> list[Target]:
    return sorted((load(name) for name in tool_names()), key=lambda t: (t.order, t.name))


def canonical_tool(name: str) -> str:
    """The tool ``name`` means: any case (``PIP``), or another name a target answers to (its optional ``aliases``
    attribute: mamba's ``micromamba``, which reads the same files). Raises UsageError, with a guess, otherwise.

    Modules are imported only when the name is not a module's own, so ``--only pip`` still imports one.
    """
    known = tool_names()
    wanted = name.strip().lower()
    if wanted in known:
        return wanted
    for target in all_targets():
        if wanted in getattr(target, "aliases", ()):
            return target.name
    import difflib

    close = difflib.get_close_matches(wanted, known, n=1, cutoff=0.75)  # not npm -> pdm
    if close:
        raise UsageError(N_("unknown tool {name!r}; did you mean {guess!r}? (choose from {names})"), name=name,
                         guess=close[0], names=", ".join(known))
    raise UsageError(N_("unknown tool {name!r} (choose from {names})"), name=name, names=", ".join(known))


def selected(only: Sequence[str] | str | None) -> list[Target]:
    """The tools named by ``--only`` (all when None); only those modules are imported."""
    if only is None:
        return all_targets()
    wanted = [canonical_tool(name) for name in ([only] if isinstance(only, str) else only)]
    return sorted((load(name) for name in dict.fromkeys(wanted)), key=lambda t: (t.order, t.name))


def hooks(attribute: str) -> list[tuple[str, Any]]:
    """The module-level function ``attribute`` of every tool module that defines one, in the tools' order.

    Optional extras live beside the tool they name: `mirrorctl torch` asks each module for ``torch_commands``
    (the install command in that tool's syntax), so no module outside ``targets/`` spells a tool's command.
    """
    found = []
    for target in all_targets():
        module = importlib.import_module(f"mirrorctl.targets.{target.name}")
        function = getattr(module, attribute, None)
        if callable(function):
            found.append((target.name, function))
    return found
