"""`doctor`: findings grouped by tool, errors first, each with its fix; a one-line summary; the same as JSON."""

from __future__ import annotations

import os
import sys
from typing import IO, Any

from mirrorctl.doctor import DoctorReport
from mirrorctl.errors import display_path
from mirrorctl.output.common import document, finding_json, message

COLOURS = {"error": "\x1b[31m", "warning": "\x1b[33m", "info": "\x1b[36m"}
RESET = "\x1b[0m"


def use_colour(stream: IO[str] | None = None, *, no_color: bool = False) -> bool:
    """Colour only on a terminal, and never with NO_COLOR (https://no-color.org) or --no-color."""
    stream = stream or sys.stdout
    return not no_color and "NO_COLOR" not in os.environ and hasattr(stream, "isatty") and stream.isatty()


def doctor_text(report: DoctorReport, *, colour: bool = False) -> str:
    def paint(level: str, text: str) -> str:
        return f"{COLOURS[level]}{text}{RESET}" if colour and level in COLOURS else text

    lines: list[str] = []
    for tool in dict.fromkeys(f.tool for f in report.findings):
        lines.append(f"{tool}:")
        for finding in (f for f in report.findings if f.tool == tool):
            where = ""
            if finding.path is not None:
                where = f" ({display_path(finding.path)}" + (f" line {finding.line}" if finding.line else "") + ")"
            lines.append(f"  {paint(finding.level, finding.level)}: {message(finding)}{where}")
            if finding.params.get("fix"):
                lines.append(f"    fix: {finding.params['fix']}")
    for path in report.cleaned:
        lines.append(f"removed {display_path(path)} (left by an interrupted run)")
    if report.offline:
        lines.append("offline: the mirrors were not contacted (run without --offline to check them)")
    lines.append(summary(report))
    return "\n".join(lines) + "\n"


def summary(report: DoctorReport) -> str:
    counts = {level: sum(f.level == level for f in report.findings) for level in ("error", "warning", "info")}
    if not report.findings:
        checked = ", ".join(report.tools) or "no package tool"
        return f"no problems found ({checked})"
    parts = [f"{n} {level}{'s' if n != 1 else ''}" for level, n in counts.items() if n and level != "info"]
    parts += [f"{counts['info']} note{'s' if counts['info'] != 1 else ''}"] if counts["info"] else []
    worst = report.findings[0]
    return f"{', '.join(parts)}: {worst.tool}: {message(worst)}"


def doctor_json(report: DoctorReport) -> dict[str, Any]:
    return document(
        "doctor",
        offline=report.offline,
        tools=list(report.tools),
        findings=[{**finding_json(f), "fix": f.params.get("fix")} for f in report.findings],
        cleaned=[str(p) for p in report.cleaned],
        summary={level: sum(f.level == level for f in report.findings) for level in ("error", "warning", "info")},
    )
