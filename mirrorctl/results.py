"""Results as data: what the core returns and ``output`` renders, once, for text and for ``--json``.

Nothing here is worded for a user. A target reports a :class:`Finding` (a code and its parameters); the output
layer turns the code into a sentence, so a translation catalogue can be added without touching a target.
Paths stay :class:`~pathlib.Path` objects until they are rendered (``~/...`` in text, absolute in JSON).

The types are NamedTuples, not frozen dataclasses: just as immutable, and defining a dozen frozen dataclasses
costs several milliseconds of start-up (dataclass exec()s each method), which `mirrorctl list` cannot afford.
For the same reason this module has no ``from __future__ import annotations``: typing.NamedTuple compiles a
string annotation into a ForwardRef for every field (Lib/typing.py ``_type_check``), and real objects halve the
cost of defining these classes. So the annotations must evaluate on Python 3.9: ``Optional[X]``, not ``X | None``.
"""

from collections.abc import Mapping
from pathlib import Path
from typing import Any, NamedTuple, Optional

#: Version of every ``--json`` document. Bump it when a key changes meaning or disappears.
JSON_SCHEMA = 2

UPSTREAM = "upstream"
CUSTOM = "custom"
MIXED = "mixed"


class Source(NamedTuple):
    """Where a value comes from: a file (with its INI section), an environment variable, or a built-in default."""

    path: Optional[Path] = None
    section: Optional[str] = None
    env: Optional[str] = None
    line: Optional[int] = None


class Setting(NamedTuple):
    """One value a tool really uses, and what it means.

    ``owner`` is the profile the value belongs to ("upstream" for the tool's own default, "custom" for a URL no
    profile has). ``resolved`` is what the tool turns the value into (a conda channel name -> its URLs).
    """

    tool: str
    key: str
    value: str
    source: Source = Source()
    resolved: tuple[str, ...] = ()
    owner: Optional[str] = None
    #: How ``value`` became ``resolved`` ("custom_channels", "channel_alias", "default_channels", "URL" ...).
    via: Optional[str] = None
    via_source: Optional[Source] = None


class Change(NamedTuple):
    """One key of one file that a command changes (``before``/``after`` None: unset)."""

    tool: str
    path: Path
    key: str
    before: Optional[str]
    after: Optional[str]


class Finding(NamedTuple):
    """Something to tell the user, as data: ``output`` words it from ``code`` and ``params``."""

    code: str
    #: Most severe first: "error" (the tool cannot use this file or value), "warning" (the tool works, but not as
    #: the user probably expects), "note" (worth knowing), "hint" (a step to take next).
    level: str
    tool: str
    path: Optional[Path] = None
    line: Optional[int] = None
    params: Mapping[str, Any] = {}


class FileEdit(NamedTuple):
    """One file a command will change: its bytes before and after (None: the file does not exist)."""

    tool: str
    path: Path
    old: Optional[bytes]
    new: Optional[bytes]
    changes: tuple[Change, ...] = ()
    findings: tuple[Finding, ...] = ()

    @property
    def changed(self) -> bool:
        return self.old != self.new


class Label(NamedTuple):
    """Which profile a tool's configuration belongs to, said only when true.

    ``name`` is a profile name, "upstream", "custom", "mixed", or None when the tool cannot use its files at all
    (then ``findings`` of the state say why). ``parts`` counts values per owner for a mixed configuration.
    """

    name: Optional[str]
    parts: tuple[tuple[str, int], ...] = ()


class ScopeFiles(NamedTuple):
    """The files of one scope of a tool ("system", "user", "venv", "env", "project", or a variable such as
    "PIP_CONFIG_FILE"), lowest precedence first. A tool's scopes are listed lowest precedence first too."""

    scope: str
    paths: tuple[Path, ...]


class ToolState(NamedTuple):
    """What one tool really uses, for `current`, `list` and the end of `use`."""

    tool: str
    label: Label
    settings: tuple[Setting, ...] = ()
    files_read: tuple[Path, ...] = ()
    findings: tuple[Finding, ...] = ()
    write_path: Optional[Path] = None
    #: False when the tool is neither installed nor configured (nothing was read).
    present: bool = True
    #: Every scope the tool reads here, lowest precedence first: which scope a value's file belongs to.
    scopes: tuple[ScopeFiles, ...] = ()
    #: The scope ``write_path`` belongs to (what `use --scope` would write).
    scope: Optional[str] = None

    @property
    def profile(self) -> Optional[str]:
        return self.label.name

    @property
    def broken(self) -> bool:
        return any(f.level == "error" for f in self.findings)

    def setting(self, key: str) -> Optional[Setting]:
        return next((s for s in self.settings if s.key == key), None)

    def scope_of(self, path: Optional[Path]) -> Optional[str]:
        """The scope whose files include ``path`` (None: not one of the tool's scope files)."""
        if path is None:
            return None
        return next((s.scope for s in self.scopes if path in s.paths), None)


class ChangeResult(NamedTuple):
    """What `use` or `reset` did (or, with dry_run, would do)."""

    action: str
    profile: Optional[str]
    edits: tuple[FileEdit, ...]
    dry_run: bool
    snapshot_id: Optional[str]
    #: Per tool: what is in effect afterwards (its findings say what still overrides the change).
    after: tuple[ToolState, ...]
    #: Per tool: the profile it was asked to switch to (None for reset).
    wanted: Mapping[str, Optional[str]] = {}
    #: Tools left alone, each with the reason as a finding.
    skipped: tuple[Finding, ...] = ()
    #: Steps for the user once a tool's configuration changed.
    hints: tuple[Finding, ...] = ()

    @property
    def unswitched(self) -> tuple[str, ...]:
        """The tools that do not use the profile they were asked to switch to (something of the user's, a file
        or a variable, still wins): `use` exits 1 for them."""
        return tuple(s.tool for s in self.after
                     if self.wanted.get(s.tool) is not None and s.label.name != self.wanted[s.tool])


class ListResult(NamedTuple):
    profiles: tuple[Any, ...]
    states: tuple[ToolState, ...]
    findings: tuple[Finding, ...] = ()


class RestoreResult(NamedTuple):
    snapshot: Any
    restored: tuple[Path, ...]
    safety_snapshot_id: Optional[str]
    #: Directories the undone change had created, removed again because they are empty.
    removed_dirs: tuple[Path, ...] = ()


class ProfileChange(NamedTuple):
    """`profile add` / `profile remove`: the profile and the backup taken before the file changed."""

    action: str
    profile: Any
    path: Path
    snapshot_id: Optional[str]
    findings: tuple[Finding, ...] = ()


class BenchResult(NamedTuple):
    """`bench`: every mirror's probe result (``mirrorctl.probe.model.ProbeResult``), ranked ``by``."""

    results: list[Any]
    #: (profile, "pypi"|"conda") pairs currently configured, marked in the table.
    in_effect: frozenset[tuple[str, str]]
    by: str = "latency"
    #: What could not be read while finding what is in effect (a tool's file refused): why a mark is missing.
    findings: tuple[Finding, ...] = ()


class FastestChoice(NamedTuple):
    """`use --fastest`: the profile each tool goes to, and the probe result that won it."""

    #: tool ("pip", "conda") -> profile name to switch it to.
    profiles: dict[str, str]
    #: tool -> the result (``ProbeResult``) that won it.
    winners: dict[str, Any]
    #: tools with no healthy, fresh mirror: left unchanged.
    skipped: tuple[str, ...]
    results: list[Any]
    by: str = "install"


class ProfileImport(NamedTuple):
    """`profile import`: the profiles written (each replacing a profile of that name or not), and the backup."""

    origin: str
    profiles: tuple[Any, ...]
    paths: tuple[Path, ...]
    #: Names that replaced a user profile or shadow a built-in one.
    replaced: tuple[str, ...] = ()
    #: Names the user chose not to replace when asked.
    kept: tuple[str, ...] = ()
    snapshot_id: Optional[str] = None
    #: Names already there byte for byte: nothing was written for them.
    unchanged: tuple[str, ...] = ()


class EnvFile(NamedTuple):
    """A private temporary file for one command (`mirrorctl run`): ``variable`` names its path.

    ``name`` is the file's name inside a private temporary folder; some tools read a file only under certain
    names (conda: ``.condarc``, ``condarc`` or ``*.yml``).
    """

    variable: str
    name: str
    text: str


class EnvPlan(NamedTuple):
    """How one tool is pointed at a profile without touching a file the user owns.

    ``variables`` are set in the environment; ``files`` (for `mirrorctl run` only) are written to a private
    temporary folder, each named by its variable. ``unexpressed`` says, as findings, what the profile sets
    that these cannot carry (a map conda reads only from a file, a tool that reads no such variable).
    """

    tool: str
    profile: str
    variables: Mapping[str, str] = {}
    files: tuple[EnvFile, ...] = ()
    unexpressed: tuple[Finding, ...] = ()


class EnvResult(NamedTuple):
    """`mirrorctl env`: one plan per tool (each may come from its own profile with --fastest)."""

    plans: tuple[EnvPlan, ...]
    #: Tools left out (the profile has no mirror for them), each with the reason as a finding.
    skipped: tuple[Finding, ...] = ()

    @property
    def variables(self) -> dict[str, str]:
        merged: dict[str, str] = {}
        for plan in self.plans:
            merged.update(plan.variables)
        return merged

    @property
    def unexpressed(self) -> tuple[Finding, ...]:
        return tuple(f for plan in self.plans for f in plan.unexpressed)
