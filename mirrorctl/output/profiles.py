"""`profile show`, `profile add` and `profile remove`."""

from __future__ import annotations

from typing import Any

from mirrorctl.errors import display_path
from mirrorctl.i18n import N_, _, ljust
from mirrorctl.output.common import document, finding_json, leveled, title_text
from mirrorctl.results import ProfileChange, ProfileImport

ALIASES, HOMEPAGE = N_("aliases"), N_("homepage")


def profile_text(profile: Any) -> str:
    lines = [_("{name}: {title}  ({kind}, {path})").format(name=profile.name, title=title_text(profile),
                                                          kind=_(profile.kind), path=display_path(profile.path))]
    if profile.aliases:
        lines.append(f"  {ljust(_(ALIASES), 10)} {', '.join(profile.aliases)}")
    if profile.homepage:
        lines.append(f"  {ljust(_(HOMEPAGE), 10)} {profile.homepage}")
    if profile.pypi:
        lines.append(f"  pypi       {profile.pypi.index_url}  [{_verified(profile.pypi)}]")
    if profile.conda:
        lines.append(f"  conda      [{_verified(profile.conda)}]")
        if profile.conda.default_channels:
            lines.append("    defaults -> " + ", ".join(profile.conda.default_channels))
        else:
            lines.append("    defaults -> " + _("not mirrored (repo.anaconda.com is used)"))
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
    text = _("verified") if section.verified else _("UNVERIFIED")
    return text + _(": ") + section.source if section.source else text


def profile_change_text(result: ProfileChange) -> str:
    if result.action == "remove":
        text = _("removed {path}").format(path=display_path(result.path)) + "\n"
    elif result.action == "edit":
        if result.snapshot_id is None:
            return f"{result.profile.name}: " + _("no change; nothing was written") + "\n"
        text = _("saved profile {name} ({path})").format(name=result.profile.name,
                                                         path=display_path(result.path)) + "\n"
    else:
        text = (_("added profile {name} ({path})").format(name=result.profile.name, path=display_path(result.path))
                + "\n" + profile_text(result.profile))
    text += "".join(f"{leveled(f)}\n" for f in result.findings)
    if result.snapshot_id:
        text += _("backup {id} saved; undo with `mirrorctl restore`").format(id=result.snapshot_id) + "\n"
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
        verb = _("replaced profile {name} ({path})") if profile.name in result.replaced else \
            _("added profile {name} ({path})")
        lines.append(verb.format(name=profile.name, path=display_path(path)))
    lines.extend(_("kept your profile {name} (not replaced)").format(name=name) for name in result.kept)
    lines.extend(_("profile {name} is already in place: nothing to change").format(name=name)
                 for name in result.unchanged)
    if not result.profiles and not result.unchanged:
        lines.append(_("nothing imported"))
    if result.snapshot_id:
        lines.append(_("backup {id} saved; undo with `mirrorctl restore`").format(id=result.snapshot_id))
    return "\n".join(lines) + "\n"


def import_json(result: ProfileImport) -> dict[str, Any]:
    return document("profile-import", origin=result.origin,
                    profiles=[{**profile_json(p), "replaced": p.name in result.replaced}
                              for p in result.profiles],
                    kept=list(result.kept), unchanged=list(result.unchanged), backup=result.snapshot_id)
