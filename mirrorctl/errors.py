"""One error type for everything a user can cause; the CLI catches it in one place."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # only annotations: `mirrorctl --help` never imports pathlib
    from collections.abc import Sequence
    from pathlib import Path

    from mirrorctl.results import Finding

EXIT_USER_ERROR = 1
EXIT_USAGE = 2
#: A bug in mirrorctl (an exception nobody expected): distinct, so scripts can tell it from a user error.
EXIT_INTERNAL = 70
EXIT_INTERRUPTED = 130


class Sentence(str):
    """An English sentence that remembers its msgid template and parameters.

    It is the English text everywhere a string is (``--json``, comparisons); the output layer, which alone
    translates, words it again from ``template`` and ``params`` in the user's language.
    """

    template: str
    params: dict[str, object]

    def __new__(cls, template: str, params: dict[str, object] | None = None) -> Sentence:
        params = dict(params or {})
        self = super().__new__(cls, template.format(**params) if params else template)
        self.template, self.params = template, params
        return self


class MirrorctlError(Exception):
    """A problem the user can fix. Printed as one line, never as a traceback (unless --debug)."""

    exit_code = EXIT_USER_ERROR

    def __init__(self, message: str, *, path: Path | str | None = None, line: int | None = None,
                 **params: object) -> None:
        """``message`` is an English msgid (marked with ``N_``); with ``params`` it is a template whose
        ``{name}`` fields they fill, so the output layer can word it in the user's language."""
        #: The English sentence (the template filled in).
        text = message.format(**params) if params else message
        super().__init__(text)
        self.message = text
        self.template = message
        self.params = params
        self.path = path
        self.line = line

    @property
    def sentence(self) -> Sentence:
        """The message without where it is, as a :class:`Sentence` (a finding's ``reason``)."""
        return Sentence(self.template, self.params)

    def __str__(self) -> str:
        where = ""
        if self.path is not None:
            where = display_path(self.path)
            if self.line is not None:
                where += f" line {self.line}"
            where += ": "
        return where + self.message


class ConfigParseError(MirrorctlError):
    """A tool's configuration file cannot be read the way the tool itself reads it."""

    def __init__(self, message: str, *, path: Path | str | None = None, line: int | None = None,
                 scanner: bool = False, **params: object) -> None:
        super().__init__(message, path=path, line=line, **params)
        #: A YAML scanner/reader error: the one kind of broken file conda skips (with a warning) instead of
        #: crashing on.
        self.scanner = scanner


class ProfileError(MirrorctlError):
    """A profile file is missing, malformed or names an invalid URL."""


class StoreError(MirrorctlError):
    """Backups, locks and writes: the state mirrorctl keeps on disk."""


class UsageError(MirrorctlError):
    exit_code = EXIT_USAGE


class NothingInScope(MirrorctlError):
    """No tool has the scope asked for here; ``skipped`` holds each tool's reason (a finding, worded by output)."""

    def __init__(self, scope: str, skipped: Sequence[Finding]) -> None:
        super().__init__(f"--scope {scope}: no tool to configure")
        self.scope = scope
        self.skipped = tuple(skipped)


class ScopeUnavailable(MirrorctlError):
    """A tool has the scope asked for, but not here: no virtualenv or conda environment is active, no project."""


def display_path(path: Path | str) -> str:
    """Show paths under the home directory as ~/..., the way users write them."""
    import os

    text = str(path)
    home = os.path.expanduser("~")
    if home and home != "~" and (text == home or text.startswith(home.rstrip(os.sep) + os.sep)):
        return "~" + text[len(home.rstrip(os.sep)) :]
    return text
