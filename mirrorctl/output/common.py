"""What every command's output shares: the way out, the JSON envelope, tables, findings, labels, sources."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import IO, Any

from mirrorctl.errors import Sentence, display_path
from mirrorctl.i18n import N_, _, english, ljust, ngettext, width
from mirrorctl.profiles import UPSTREAM_PROFILE
from mirrorctl.results import CUSTOM, JSON_SCHEMA, MIXED, Finding, Label, Source
from mirrorctl.urls import mask_credentials

#: Sentences for the codes any tool may report.
MESSAGES = {
    "doctor.leftover": N_("{path} was left by an interrupted mirrorctl run"),
    "doctor.backup-damaged": N_("backup {id} no longer matches its checksums ({reason}): it cannot be restored"),
    "doctor.left-on-upstream": N_("{tool} still downloads from upstream while your other tools use {mirror}"),
    "doctor.mixed-mirrors": N_("{tool}'s channels come from several mirrors ({owners}): one slow or stale mirror "
                               "slows or breaks every solve"),
    "doctor.proxy-env": N_("a proxy is set ({variables}): every tool sends its requests through it, so a slow or "
                           "blocked proxy looks like a slow mirror"),
    "doctor.mirror-failing": N_("{profile} ({url}) does not work as a mirror right now ({error}); {tools} use it"),
    "doctor.lock-held": N_("another mirrorctl (pid {pid}) is running: it holds the lock, and a backup it is "
                           "taking is not counted as a leftover"),
    "doctor.lock-killed": N_("a mirrorctl run (pid {pid}) was killed while it held the lock: nothing is blocked "
                             "(the system released the lock), and its pid is still recorded in the lock file"),
    "doctor.sync-failed": N_("{profile}'s own status feed says its last {repo} sync failed; the last good one "
                             "was {last_success} ({hours} h ago); {tools} use it"),
    "doctor.sync-paused": N_("{profile}'s own status feed says its {repo} sync is paused; the last good one was "
                             "{last_success} ({hours} h ago); {tools} use it"),
    "doctor.sync-old": N_("{profile}'s own status feed says its {repo} mirror last synced {last_success} ({hours} h "
                          "ago), far longer than its usual cycle; {tools} use it"),
    "doctor.channel-missing": N_("{channel} is not on {profile}'s mirror ({evidence}): conda stops with \"channel "
                                 "is not accessible\" when it asks {url}"),
    "doctor.channel-elsewhere": N_("{channel} is not on {profile}'s mirror ({evidence}): its requests are sent on to "
                                   "{redirects_to}'s"),
    "doctor.subdir-missing": N_("{profile}'s mirror has no {subdir} packages of {channel} ({evidence}): on this "
                                "{subdir} machine conda silently sees only its noarch packages"),
    "doctor.mirror-stale": N_("{profile} ({url}) is behind the others (stale); {tools} use it"),
    "file-refused": N_("{tool} cannot read {path}: {where}{reason}"),
    "file-ignored": N_("{tool} ignores {path} ({where}{reason})"),
    "file-unread": N_("mirrorctl does not read {path} for {tool}: {where}{reason}"),
    "config-env-disables-files": N_("{variable}={value}: {tool} reads no configuration files at all"),
    "config-env-skips-user-files": N_("{variable}={value} is set: {tool} skips your user files ({paths}), so what "
                                   "mirrorctl writes there is not used; unset {variable} or edit that file"),
    "env-overrides": N_("{variable} is set in your environment and beats every {files}"),
    "tool-not-covered": N_("{profile} has no {ecosystems} mirror; left unchanged"),
    "tool-absent": N_("neither installed nor configured; skipped (name it with --only to configure it anyway)"),
    "tool-absent.grouped": N_("neither installed nor configured (name one with --only to configure it anyway)"),
    "scope-unsupported": N_("has no {scope} scope (it has {scopes}); skipped"),
    "scope-unavailable": N_("{reason}; skipped"),
    "scope-project-only": N_("has no user-wide setting, only the files of a {scope}: left alone (name it with "
                          "--only {tool}, or use --scope {scope}, to change the {scope} here)"),
    "scope-shadowed": N_("{path} ({higher} scope) sets {key} = {value} and beats {written} ({scope} scope), so "
                      "{tool} uses that value"),
    "profile-refused": N_("{where_path}{reason}"),
    "profile.pypi-not-simple": N_("{url} does not end in /simple: installers expect a PEP 503 simple index there"),
    "credential-world-readable": N_("{path} now holds a password or token and every user on this machine may read "
                                 "it (mode {mode}); `chmod 600 {path}` makes it private"),
}


def emit(text: str, *, err: bool = False, stream: IO[str] | None = None) -> None:
    out = stream or (sys.stderr if err else sys.stdout)
    if text and not text.endswith("\n"):
        text += "\n"
    out.write(mask_credentials(text))
    out.flush()


#: ANSI colours, used only on a terminal (:func:`use_colour`): errors and failures red, warnings and stale
#: mirrors yellow, information cyan, the winner green.
COLOURS = {"error": "\x1b[31m", "warning": "\x1b[33m", "info": "\x1b[36m", "good": "\x1b[32m", "bold": "\x1b[1m"}
RESET = "\x1b[0m"


def use_colour(stream: IO[str] | None = None, *, no_color: bool = False) -> bool:
    """Colour only on a terminal, and never with NO_COLOR (https://no-color.org) or --no-color."""
    stream = stream or sys.stdout
    return not no_color and "NO_COLOR" not in os.environ and hasattr(stream, "isatty") and stream.isatty()


def to_json(value: Any) -> str:
    import json

    return json.dumps(value, indent=2, ensure_ascii=False, default=str) + "\n"


def document(kind: str, **fields: Any) -> dict[str, Any]:
    """Every JSON document: its schema version and what it describes first."""
    return {"schema": JSON_SCHEMA, "kind": kind, **fields}


def table(rows: list[list[str]], header: list[str]) -> str:
    """Columns two spaces apart, aligned by display width (a CJK character takes two columns), headers translated."""
    header = [_(h) if h else h for h in header]
    widths = [max(width(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    lines = []
    for row in [header, *rows]:
        lines.append("  ".join(ljust(str(cell), widths[i]) for i, cell in enumerate(row)).rstrip())
    return "\n".join(lines) + "\n"


def level_text(level: str) -> str:
    """``error``/``warning``/``note`` as the user reads them."""
    return {"error": _("error"), "warning": _("warning"), "note": _("note"), "info": _("info")}.get(level, level)


def leveled(finding: Finding) -> str:
    """``error: <sentence>`` in the user's language."""
    return _("{level}: {message}").format(level=level_text(finding.level), message=message(finding))


#: A profile's kind, as `list` and `profile show` print it.
KINDS = (N_("built-in"), N_("user"))


def title_text(profile: Any) -> str:
    """The profile's title in the user's language: ``title_zh`` under Chinese when the profile has one."""
    from mirrorctl.i18n import language

    localized = getattr(profile, "title_zh", "")
    return localized if localized and language() == "zh" else str(profile.title)


#: Table headings, marked here so every table translates them in :func:`table`.
HEADINGS = (N_("NAME"), N_("KIND"), N_("COVERS"), N_("TITLE"), N_("ID"), N_("TAKEN"), N_("BEFORE"), N_("FILES"))


# ---------------------------------------------------------------------------------------------------------
# Findings


def _template(code: str, tool: str) -> str:
    if code in MESSAGES:
        return MESSAGES[code]
    import importlib

    try:
        catalogue: Mapping[str, str] = getattr(importlib.import_module(f"mirrorctl.targets.{tool}"), "MESSAGES", {})
    except ImportError:
        return code
    return catalogue.get(code, code)


def _shown(value: Any) -> str:
    if isinstance(value, Sentence):
        return sentence_text(value)
    if isinstance(value, Path):
        return display_path(value)
    if isinstance(value, (list, tuple)):
        return ", ".join(_shown(v) for v in value)
    return str(value)


def sentence_text(sentence: Sentence) -> str:
    """An English :class:`Sentence` worded again in the user's language (its own sentences too)."""
    try:
        return _(sentence.template).format(**{key: _shown(value) if isinstance(value, Sentence) else value
                                              for key, value in sentence.params.items()})
    except (KeyError, IndexError, ValueError):  # a translation with a broken placeholder: the English
        return str(sentence)


def message(finding: Finding) -> str:
    """The sentence for one finding, in the user's language."""
    params = {key: _shown(value) for key, value in finding.params.items()}
    params.setdefault("tool", finding.tool)
    params.setdefault("path", display_path(finding.path) if finding.path else "")
    params["where"] = _("line {line}: ").format(line=finding.line) if finding.line else ""
    params["where_path"] = (display_path(finding.path) + (_(" line {line}").format(line=finding.line)
                                                          if finding.line else "") + _(": ")
                            if finding.path else "")
    try:
        return _(_template(finding.code, finding.tool)).format(**params)
    except (KeyError, IndexError, ValueError):
        return f"{finding.code} {params}"


def finding_json(finding: Finding) -> dict[str, Any]:
    return {
        "code": finding.code,
        "level": finding.level,
        "tool": finding.tool,
        "path": str(finding.path) if finding.path else None,
        "line": finding.line,
        "params": {k: _json_value(v) for k, v in finding.params.items()},
        "message": _english_message(finding),
    }


def _english_message(finding: Finding) -> str:
    """``--json`` is never translated: scripts read it."""
    with english():
        return message(finding)


def _json_value(value: Any) -> Any:
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, (list, tuple)):
        return [_json_value(v) for v in value]
    return value


# ---------------------------------------------------------------------------------------------------------
# Labels: a profile's name only when it is true


def label_text(label: Label, findings: Iterable[Finding] = ()) -> str:
    if label.name is None:
        blocking = [f for f in findings if f.level == "error" or f.code == "file-ignored"]
        if blocking:
            return message(blocking[0])
        return _("nothing configured")
    if label.name == MIXED:
        return _("mixed — ") + _(", ").join(
            ngettext("{owner} ({count} channel)", "{owner} ({count} channels)", count).format(owner=owner, count=count)
            if index == 0 else f"{owner} ({count})"
            for index, (owner, count) in enumerate(label.parts)
        )
    if label.name == CUSTOM:
        return _("custom")
    upstream = dict(label.parts).get("upstream")
    if upstream and label.name not in (UPSTREAM_PROFILE, CUSTOM):
        return ngettext("{name} (upstream for {count} channel {name} does not carry)",
                        "{name} (upstream for {count} channels {name} does not carry)",
                        upstream).format(name=label.name, count=upstream)
    return label.name


def label_json(label: Label) -> dict[str, Any]:
    return {"name": label.name, "parts": dict(label.parts)}


# ---------------------------------------------------------------------------------------------------------
# current


def source_text(source: Source | None) -> str:
    if source is None:
        return _("built-in default")
    if source.env:
        return _("environment variable {name}").format(name=source.env)
    if source.path and source.section:
        return f"{display_path(source.path)} [{source.section}]"
    return display_path(source.path) if source.path else _("built-in default")


def source_json(source: Source | None) -> dict[str, Any] | None:
    if source is None or source == Source():
        return None
    return {"path": str(source.path) if source.path else None, "section": source.section, "env": source.env,
            "line": source.line}
