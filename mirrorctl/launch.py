"""The entry point: the two everyday read-only commands without click, everything else through it.

``mirrorctl list`` and ``mirrorctl current`` are what people run most (and what shell prompts and scripts run
over and over); importing click costs about as much as everything those commands do. When the arguments are
one of their plain forms (``list [--json]``, ``current [--only TOOL]... [--scope SCOPE] [--json]``, every
value valid), they run here, through the same functions the click commands call
(:func:`mirrorctl.views.show_list`, :func:`mirrorctl.views.show_current`), with the same output and exit
codes. Anything else (``--help``, ``--debug``, a typo, an unknown tool) goes to click, which words the usage
error.

Errors from either path are reported by :func:`mirrorctl.views.report`: one line, and the exit code.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence

from mirrorctl.views import report, show_current, show_list


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
    if command == "list":
        return lambda: show_list(as_json=as_json)
    return lambda: show_current(only=only, scope=scope, as_json=as_json)


def main() -> None:
    """The console script (and ``python -m mirrorctl``)."""
    call = plain_call(sys.argv[1:])
    if call is None:
        from mirrorctl.cli import main as click_main

        click_main()
        return
    try:
        code = call()
    except (Exception, KeyboardInterrupt) as error:
        code = report(error, as_json="--json" in sys.argv[1:])
    sys.exit(code)
