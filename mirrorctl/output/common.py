"""What every command's output shares: the way out, the JSON envelope, tables, findings, labels, sources."""

from __future__ import annotations

import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import IO, Any

from mirrorctl.errors import display_path
from mirrorctl.profiles import UPSTREAM_PROFILE
from mirrorctl.results import CUSTOM, JSON_SCHEMA, MIXED, Finding, Label, Source
from mirrorctl.urls import mask_credentials

#: Sentences for the codes any tool may report.
MESSAGES = {
    "file-refused": "{tool} cannot read {path}: {where}{reason}",
    "file-ignored": "{tool} ignores {path} ({where}{reason})",
    "file-unread": "mirrorctl does not read {path} for {tool}: {where}{reason}",
    "config-env-disables-files": "{variable}={value}: {tool} reads no configuration files at all",
    "config-env-skips-user-files": "{variable}={value} is set: {tool} skips your user files ({paths}), so what "
                                   "mirrorctl writes there is not used; unset {variable} or edit that file",
    "env-overrides": "{variable} is set in your environment and beats every {files}",
    "tool-not-covered": "{profile} has no {ecosystems} mirror; left unchanged",
    "tool-absent": "neither installed nor configured; skipped (name it with --only to configure it anyway)",
    "tool-absent.grouped": "neither installed nor configured (name one with --only to configure it anyway)",
    "scope-unsupported": "has no {scope} scope (it has {scopes}); skipped",
    "scope-unavailable": "{reason}; skipped",
    "scope-project-only": "has no user-wide setting, only the files of a {scope}: left alone (name it with "
                          "--only {tool}, or use --scope {scope}, to change the {scope} here)",
    "scope-shadowed": "{path} ({higher} scope) sets {key} = {value} and beats {written} ({scope} scope), so "
                      "{tool} uses that value",
    "profile-refused": "{where_path}{reason}",
    "profile.pypi-not-simple": "{url} does not end in /simple: installers expect a PEP 503 simple index there",
    "credential-world-readable": "{path} now holds a password or token and every user on this machine may read "
                                 "it (mode {mode}); `chmod 600 {path}` makes it private",
}


def emit(text: str, *, err: bool = False, stream: IO[str] | None = None) -> None:
    out = stream or (sys.stderr if err else sys.stdout)
    if text and not text.endswith("\n"):
        text += "\n"
    out.write(mask_credentials(text))
    out.flush()


def to_json(value: Any) -> str:
    import json

    return json.dumps(value, indent=2, ensure_ascii=False, default=str) + "\n"


def document(kind: str, **fields: Any) -> dict[str, Any]:
    """Every JSON document: its schema version and what it describes first."""
    return {"schema": JSON_SCHEMA, "kind": kind, **fields}


def table(rows: list[list[str]], header: list[str]) -> str:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    lines = []
    for row in [header, *rows]:
        lines.append("  ".join(str(cell).ljust(widths[i]) for i, cell in enumerate(row)).rstrip())
    return "\n".join(lines) + "\n"


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
    if isinstance(value, Path):
        return display_path(value)
    if isinstance(value, (list, tuple)):
        return ", ".join(_shown(v) for v in value)
    return str(value)


def message(finding: Finding) -> str:
    """The sentence for one finding."""
    params = {key: _shown(value) for key, value in finding.params.items()}
    params.setdefault("tool", finding.tool)
    params.setdefault("path", display_path(finding.path) if finding.path else "")
    params["where"] = f"line {finding.line}: " if finding.line else ""
    params["where_path"] = (display_path(finding.path) + (f" line {finding.line}" if finding.line else "") + ": "
                            if finding.path else "")
    try:
        return _template(finding.code, finding.tool).format(**params)
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
        "message": message(finding),
    }


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
        return "nothing configured"
    if label.name == MIXED:
        return "mixed — " + ", ".join(
            f"{owner} ({count} channel{'s' if count != 1 else ''})" if index == 0 else f"{owner} ({count})"
            for index, (owner, count) in enumerate(label.parts)
        )
    upstream = dict(label.parts).get("upstream")
    if upstream and label.name not in (UPSTREAM_PROFILE, CUSTOM):
        return f"{label.name} (upstream for {upstream} channel{'s' if upstream != 1 else ''} {label.name} " \
               "does not carry)"
    return label.name


def label_json(label: Label) -> dict[str, Any]:
    return {"name": label.name, "parts": dict(label.parts)}


# ---------------------------------------------------------------------------------------------------------
# current


def source_text(source: Source | None) -> str:
    if source is None:
        return "built-in default"
    if source.env:
        return f"environment variable {source.env}"
    if source.path and source.section:
        return f"{display_path(source.path)} [{source.section}]"
    return display_path(source.path) if source.path else "built-in default"


def source_json(source: Source | None) -> dict[str, Any] | None:
    if source is None or source == Source():
        return None
    return {"path": str(source.path) if source.path else None, "section": source.section, "env": source.env,
            "line": source.line}
