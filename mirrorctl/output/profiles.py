"""`profile show`, `profile add` and `profile remove`."""

from __future__ import annotations

from typing import Any

from mirrorctl.errors import display_path
from mirrorctl.output.common import message
from mirrorctl.results import ProfileChange


def profile_text(profile: Any) -> str:
    lines = [f"{profile.name}: {profile.title}  ({profile.kind}, {display_path(profile.path)})"]
    if profile.aliases:
        lines.append(f"  aliases    {', '.join(profile.aliases)}")
    if profile.homepage:
        lines.append(f"  homepage   {profile.homepage}")
    if profile.pypi:
        lines.append(f"  pypi       {profile.pypi.index_url}  [{_verified(profile.pypi)}]")
    if profile.conda:
        lines.append(f"  conda      [{_verified(profile.conda)}]")
        if profile.conda.default_channels:
            lines.append("    defaults -> " + ", ".join(profile.conda.default_channels))
        else:
            lines.append("    defaults -> not mirrored (repo.anaconda.com is used)")
        for channel, base in profile.conda.custom_channels.items():
            lines.append(f"    {channel} -> {base.rstrip('/')}/{channel}")
    if profile.pytorch:
        how = "-f" if profile.pytorch.kind == "find-links" else "--index-url"
        lines.append(f"  pytorch    {how} {profile.pytorch.url}  [{_verified(profile.pytorch)}]")
    return "\n".join(lines) + "\n"


def _verified(section: Any) -> str:
    text = "verified" if section.verified else "UNVERIFIED"
    return f"{text}: {section.source}" if section.source else text


def profile_change_text(result: ProfileChange) -> str:
    if result.action == "remove":
        text = f"removed {display_path(result.path)}\n"
    else:
        text = f"added profile {result.profile.name} ({display_path(result.path)})\n" + profile_text(result.profile)
    text += "".join(f"{f.level}: {message(f)}\n" for f in result.findings)
    if result.snapshot_id:
        text += f"backup {result.snapshot_id} saved; undo with `mirrorctl restore`\n"
    return text
