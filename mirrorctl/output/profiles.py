"""`profile show`, `profile add` and `profile remove`."""

from __future__ import annotations

from typing import Any

from mirrorctl.errors import display_path
from mirrorctl.i18n import N_, _, ljust
from mirrorctl.output.common import leveled, title_text
from mirrorctl.results import ProfileChange

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
        lines.append(f"  pytorch    {how} {profile.pytorch.url}  [{_verified(profile.pytorch)}]")
    return "\n".join(lines) + "\n"


def _verified(section: Any) -> str:
    text = _("verified") if section.verified else _("UNVERIFIED")
    return text + _(": ") + section.source if section.source else text


def profile_change_text(result: ProfileChange) -> str:
    if result.action == "remove":
        text = _("removed {path}").format(path=display_path(result.path)) + "\n"
    else:
        text = (_("added profile {name} ({path})").format(name=result.profile.name, path=display_path(result.path))
                + "\n" + profile_text(result.profile))
    text += "".join(f"{leveled(f)}\n" for f in result.findings)
    if result.snapshot_id:
        text += _("backup {id} saved; undo with `mirrorctl restore`").format(id=result.snapshot_id) + "\n"
    return text
