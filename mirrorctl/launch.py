"""The entry point: the two everyday read-only commands without click, everything else through it.

``mirrorctl list`` and ``mirrorctl current`` are what people run most (and what shell prompts and scripts run
over and over); importing click costs about as much as everything those commands do. When the arguments are
one of their plain forms (``list [--json]``, ``current [--only TOOL]... [--scope SCOPE] [--json]``, every
value valid), they run here, through the same functions the click commands call
(:func:`mirrorctl.views.show_list`, :func:`mirrorctl.views.show_current`), with the same output and exit
codes. Anything else (``--help``, ``--debug``, a typo, an unknown tool) goes to click, which words the usage
error.

Errors from either path are reported by :func:`mirrorctl.views.report`: one line, and the exit code.

Ctrl-C at any moment is one line and exit 130, start-up included: this module imports nothing of its own at
the top (only ``sys``), so every import, mirrorctl's and click's, happens inside :func:`main`'s ``try``.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence


def plain_call(argv: Sequence[str]) -> Callable[[], int] | None:
    """The command to run when ``argv`` is a plain form of `list` or `current`, else None.

    Conservative on purpose: only spellings click would accept with the same meaning, and only valid values,
    so that a usage error is always click's.
    """
    if not argv or argv[0] not in ("list", "current"):
        return None
    command, rest = argv[0], list(argv[1:])
    as_json, only, scope = False, list[str](), None
    while rest:
        word = rest.pop(0)
        name, equals, value = word.partition("=")
        if word == "--json":
            as_json = True
            continue
        if command != "current" or name not in ("--only", "--scope"):
            return None
        if not equals:
            if not rest:
                return None
            value = rest.pop(0)
        if name == "--only":
            from mirrorctl.targets.base import tool_names

            if value not in tool_names():
                return None
            only.append(value)
        else:
            from mirrorctl.targets.base import SCOPES

            if value not in SCOPES or scope is not None:
                return None
            scope = value
    from mirrorctl.views import show_current, show_list

    if command == "list":
        return lambda: show_list(as_json=as_json)
    return lambda: show_current(only=only, scope=scope, as_json=as_json)


def main() -> None:
    """The console script (and ``python -m mirrorctl``)."""
    try:
        code = _run(sys.argv[1:])
    except KeyboardInterrupt:  # while importing, or between click's own handler and its exit
        code = _interrupted(sys.argv[1:])
    sys.exit(code)


def _run(argv: Sequence[str]) -> int:
    call = plain_call(argv)
    if call is None:
        from mirrorctl.cli import main as click_main

        click_main()  # exits (SystemExit) with click's code
        return 0
    try:
        return call()
    except (Exception, KeyboardInterrupt) as error:
        from mirrorctl.views import report

        return report(error, as_json="--json" in argv)


def _interrupted(argv: Sequence[str]) -> int:
    """One line for Ctrl-C, whatever was running (a second Ctrl-C while saying so is ignored)."""
    import contextlib
    import signal

    with contextlib.suppress(ValueError):  # ValueError: not the main thread, which keeps its handler
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # first: importing views below must not be interrupted
    from mirrorctl.views import interrupted

    return interrupted(as_json="--json" in argv)
