"""`profile show`, `profile add` and `profile remove`."""

from __future__ import annotations

from typing import Any

from mirrorctl.errors import display_path
from mirrorctl.output.common import document, finding_json, message
from mirrorctl.results import ProfileChange, ProfileImport


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
        lines.append(f"  pytorch    {how} {profile.pytorch.variant_url or profile.pytorch.url}  "
                     f"[{_verified(profile.pytorch)}]")
        if profile.pytorch.variants:
            lines.append(f"    variants {' '.join(profile.pytorch.variants)}")
        links = {"mirror": "served by the mirror", "upstream": "link back upstream (not used by `mirrorctl torch`)",
                 "unknown": "not known"}[profile.pytorch.links]
        lines.append(f"    wheels   {links}" + (f"; frozen at torch {profile.pytorch.frozen_at}"
                                                 if profile.pytorch.frozen_at else ""))
    return "\n".join(lines) + "\n"


def _verified(section: Any) -> str:
    text = "verified" if section.verified else "UNVERIFIED"
    return f"{text}: {section.source}" if section.source else text


def profile_change_text(result: ProfileChange) -> str:
    if result.action == "remove":
        text = f"removed {display_path(result.path)}\n"
    elif result.action == "edit":
        if result.snapshot_id is None:
            return f"{result.profile.name}: no change; nothing was written\n"
        text = f"saved profile {result.profile.name} ({display_path(result.path)})\n"
    else:
        text = f"added profile {result.profile.name} ({display_path(result.path)})\n" + profile_text(result.profile)
    text += "".join(f"{f.level}: {message(f)}\n" for f in result.findings)
    if result.snapshot_id:
        text += f"backup {result.snapshot_id} saved; undo with `mirrorctl restore`\n"
    return text


def profile_json(profile: Any) -> dict[str, Any]:
    return {
        "name": profile.name, "title": profile.title, "kind": profile.kind, "path": str(profile.path),
        "aliases": list(profile.aliases), "homepage": profile.homepage,
        "pypi": profile.pypi._asdict() if profile.pypi else None,
        "conda": {**profile.conda._asdict(), "custom_channels": dict(profile.conda.custom_channels)}
        if profile.conda else None,
        "pytorch": profile.pytorch._asdict() if profile.pytorch else None,
        "status": profile.status._asdict() if profile.status else None,
    }


def profile_show_json(profile: Any) -> dict[str, Any]:
    return document("profile", profile=profile_json(profile))


def profile_change_json(result: ProfileChange) -> dict[str, Any]:
    return document(f"profile-{result.action}", profile=profile_json(result.profile), path=str(result.path),
                    changed=result.snapshot_id is not None, backup=result.snapshot_id,
                    findings=[finding_json(f) for f in result.findings])


def export_json(names: list[str], text: str) -> dict[str, Any]:
    return document("profile-export", profiles=names, toml=text)


def import_text(result: ProfileImport) -> str:
    lines = []
    for profile, path in zip(result.profiles, result.paths):
        verb = "replaced" if profile.name in result.replaced else "added"
        lines.append(f"{verb} profile {profile.name} ({display_path(path)})")
    lines.extend(f"kept your profile {name} (not replaced)" for name in result.kept)
    lines.extend(f"profile {name} is already in place: nothing to change" for name in result.unchanged)
    if not result.profiles and not result.unchanged:
        lines.append("nothing imported")
    if result.snapshot_id:
        lines.append(f"backup {result.snapshot_id} saved; undo with `mirrorctl restore`")
    return "\n".join(lines) + "\n"


def import_json(result: ProfileImport) -> dict[str, Any]:
    return document("profile-import", origin=result.origin,
                    profiles=[{**profile_json(p), "replaced": p.name in result.replaced}
                              for p in result.profiles],
                    kept=list(result.kept), unchanged=list(result.unchanged), backup=result.snapshot_id)
