"""`doctor`: findings grouped by tool, errors first, each with its fix; a one-line summary; the same as JSON."""

from __future__ import annotations

from typing import Any

from mirrorctl.doctor import DoctorReport
from mirrorctl.errors import display_path
from mirrorctl.i18n import N_, _, ngettext
from mirrorctl.output.common import COLOURS, RESET, document, finding_json, message
from mirrorctl.results import Finding

#: The level words, translated when shown (JSON keeps the codes).
LEVEL_WORDS = {"error": N_("error"), "warning": N_("warning"), "info": N_("info")}



def doctor_text(report: DoctorReport, *, colour: bool = False) -> str:
    def paint(level: str, text: str) -> str:
        return f"{COLOURS[level]}{text}{RESET}" if colour and level in COLOURS else text

    lines: list[str] = []
    for tool in dict.fromkeys(f.tool for f in report.findings):
        lines.append(f"{tool}:")
        for finding in (f for f in report.findings if f.tool == tool):
            where = ""
            if finding.path is not None:
                where = (_(" ({path} line {line})").format(path=display_path(finding.path), line=finding.line)
                         if finding.line else f" ({display_path(finding.path)})")
            level = _(LEVEL_WORDS.get(finding.level, finding.level))
            lines.append(f"  {paint(finding.level, level)}: {_sentence(finding)}{where}")
            if finding.params.get("fix"):
                lines.append("    " + _("fix: {command}").format(command=finding.params["fix"]))
    for path in report.cleaned:
        lines.append(_("removed {path} (left by an interrupted run)").format(path=display_path(path)))
    if report.cleared_lock is not None:
        lines.append(_("emptied the pid record of a killed run in {path}").format(
            path=display_path(report.cleared_lock)))
    if report.offline:
        lines.append(_("offline: the mirrors were not contacted (run without --offline to check them)"))
    lines.append(summary(report))
    return "\n".join(lines) + "\n"


def summary(report: DoctorReport) -> str:
    counts = {level: sum(f.level == level for f in report.findings) for level in ("error", "warning", "info")}
    if not report.findings:
        checked = ", ".join(report.tools) or _("no package tool")
        return _("no problems found ({tools})").format(tools=checked)
    parts = []
    if counts["error"]:
        parts.append(ngettext("{count} error", "{count} errors", counts["error"]).format(count=counts["error"]))
    if counts["warning"]:
        parts.append(ngettext("{count} warning", "{count} warnings", counts["warning"]).format(
            count=counts["warning"]))
    if counts["info"]:
        parts.append(ngettext("{count} note", "{count} notes", counts["info"]).format(count=counts["info"]))
    worst = report.findings[0]
    return _("{counts}: {tool}: {sentence}").format(counts=", ".join(parts), tool=worst.tool,
                                                   sentence=_sentence(worst))


def doctor_json(report: DoctorReport) -> dict[str, Any]:
    return document(
        "doctor",
        offline=report.offline,
        tools=list(report.tools),
        findings=[{**finding_json(f), "message": english_sentence(f), "fix": f.params.get("fix")}
                  for f in report.findings],
        cleaned=[str(p) for p in report.cleaned],
        cleared_lock=str(report.cleared_lock) if report.cleared_lock is not None else None,
        summary={level: sum(f.level == level for f in report.findings) for level in ("error", "warning", "info")},
    )


def _sentence(finding: Finding) -> str:
    """A finding in the user's language: torch's codes are worded by ``output.torch``, the rest as everywhere."""
    if finding.code.startswith("torch."):
        from mirrorctl.output.torch import torch_message

        return torch_message(finding)
    return message(finding)


def english_sentence(finding: Finding) -> str:
    """The JSON ``message``: English, as in every other document."""
    if finding.code.startswith("torch."):
        from mirrorctl.i18n import english
        from mirrorctl.output.torch import torch_message

        with english():
            return torch_message(finding)
    return str(finding_json(finding)["message"])
