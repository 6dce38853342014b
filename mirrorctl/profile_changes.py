"""The user's own profiles, written like any other change (backed up, atomic, undone by `restore`): add, remove,
and the profiles that travel (export, import, edit). Free of click, as :mod:`mirrorctl.core`; imported by the
`profile` commands only.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from mirrorctl import store
from mirrorctl.core import fresh_profiles
from mirrorctl.errors import MirrorctlError, ProfileError
from mirrorctl.i18n import N_
from mirrorctl.results import FileEdit, ProfileChange, ProfileImport


def add_profile(*, name: str, pypi: str | None, anaconda: str | None, title: str | None,
                channels: Sequence[str] = (), replace: bool = False) -> ProfileChange:
    from mirrorctl.profiles import parse_profile, toml_loads, user_profile_document, user_profile_path

    text, findings = user_profile_document(name, pypi=pypi, anaconda=anaconda, title=title, channels=channels)
    path = user_profile_path(name)
    profiles = fresh_profiles()
    if path.exists() and not replace:
        raise MirrorctlError(N_("profile {name!r} already exists; remove it first (mirrorctl profile remove {name}) "
                                "or add --replace"), path=path, name=name)
    shadowed = next((p for p in profiles.profiles if p.builtin and (p.name == name or name in p.aliases)), None)
    if shadowed is not None and not replace:
        raise MirrorctlError(N_("{name!r} is the built-in profile {builtin!r}; add --replace to shadow it "
                                "with your own"),
                             name=name, builtin=shadowed.name)
    profile = parse_profile(path, toml_loads(text), builtin=False)  # validate before writing
    old = _read_existing(path)
    edits, snapshot_id = store.apply(lambda: [FileEdit("mirrorctl", path, old, text.encode("utf-8"))],
                                reason=f"profile add {name}", force=True)  # --replace is the consent
    exposed = [f for e in store.exposure_warnings(edits) for f in e.findings]
    return ProfileChange("add", profile, path, snapshot_id, (*findings, *exposed))


def remove_profile(*, name: str) -> ProfileChange:
    from mirrorctl import paths

    profiles = fresh_profiles()
    wanted = name.strip().lower()
    profile = next((p for p in profiles.profiles if not p.builtin and (p.name == wanted or wanted in p.aliases)),
                   None)
    if profile is None:
        if any(p.builtin and p.name == wanted for p in profiles.profiles):
            raise MirrorctlError(N_("{name!r} is a built-in profile and cannot be removed"), name=name)
        raise MirrorctlError(N_("no user profile named {name!r} in {directory}"), name=name,
                             directory=paths.user_profiles_dir())
    old = _read_existing(profile.path)
    _, snapshot_id = store.apply(lambda: [FileEdit("mirrorctl", profile.path, old, None)],
                            reason=f"profile remove {profile.name}", force=True)
    return ProfileChange("remove", profile, profile.path, snapshot_id)


def _read_existing(path: Path) -> bytes | None:
    from mirrorctl.targets import read_bytes

    return read_bytes(path)


# ---------------------------------------------------------------------------------------------------------
# Profiles that travel: export, import, edit


def export_profiles(*, names: Sequence[str]) -> str:
    """TOML a colleague can `profile import`: one profile's file as it is, or a catalogue of several."""
    from mirrorctl.profile_io import export_text

    profiles = fresh_profiles()
    chosen = list({p.name: p for p in (profiles.get(name) for name in names)}.values())
    return export_text(chosen)


def import_profiles(*, source: str, text: str | None = None, replace: bool = False,
                    confirm: Callable[[str], bool] | None = None, name: str | None = None) -> ProfileImport:
    """Add the profiles in ``source`` (a file, an https URL, or ``text`` already read from standard input).

    A profile whose name is taken (a user profile, or a built-in one it would shadow) is replaced only with
    ``replace``, or when ``confirm(name)`` says yes; without ``confirm`` (no terminal to ask on) it is an error.
    """
    from mirrorctl import profile_io
    from mirrorctl.profiles import user_profile_path

    if text is None:
        text = _read_import_source(source)
    incoming = profile_io.parse_import(text, source, verify_pypi=profile_io.answers_as_index,
                                       verify_conda=profile_io.serves_repodata, name=name)
    profiles = fresh_profiles()
    taken = {spelling for p in profiles.profiles for spelling in (p.name, *p.aliases)}
    chosen, replaced, kept = [], [], []
    for item in incoming:
        if item.name in taken:
            if not replace:
                if confirm is None:
                    raise MirrorctlError(N_("profile {name!r} already exists; add --replace to replace it "
                                            "(nothing was imported)"), name=item.name)
                if not confirm(item.name):
                    kept.append(item.name)
                    continue
            replaced.append(item.name)
        chosen.append(item)
    edits = [FileEdit("mirrorctl", user_profile_path(item.name), _read_existing(user_profile_path(item.name)),
                      item.text.encode("utf-8")) for item in chosen]
    _, snapshot_id = store.apply(lambda: edits, reason=f"profile import {source}")
    written = [(item, edit) for item, edit in zip(chosen, edits) if edit.changed]
    unchanged = tuple(item.name for item, edit in zip(chosen, edits) if not edit.changed)  # imported before
    return ProfileImport(source, tuple(item.profile for item, _ in written), tuple(edit.path for _, edit in written),
                         tuple(name for name in replaced if name not in unchanged), tuple(kept), snapshot_id,
                         unchanged)


def _read_import_source(source: str) -> str:
    from mirrorctl import profile_io

    if profile_io.is_url(source):
        raw = profile_io.download(source)
    else:
        path = Path(source).expanduser()
        try:
            with open(path, "rb") as handle:
                raw = handle.read(profile_io.MAX_IMPORT_BYTES + 1)
        except OSError as exc:
            raise MirrorctlError(N_("cannot read: {reason}"), reason=exc.strerror or exc, path=path) from None
        if len(raw) > profile_io.MAX_IMPORT_BYTES:
            raise MirrorctlError(N_("larger than {kib} KiB; not a profile"), kib=profile_io.MAX_IMPORT_BYTES // 1024,
                                 path=path)
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise MirrorctlError(N_("is not UTF-8 text"), path=source) from None


#: What `profile edit` puts above the text when the saved file does not validate.
EDIT_ERROR_MARK = "# mirrorctl: error: "


def edit_profile(*, name: str, run_editor: Callable[[Path], None]) -> ProfileChange:
    """Open the user's copy of profile ``name`` in an editor (a built-in one is copied first), validate on save,
    and reopen with the error at the top until it validates or is saved unchanged (then nothing is written)."""
    import tempfile

    from mirrorctl.profiles import parse_profile, toml_loads, user_profile_path

    profile = fresh_profiles().get(name)
    target = user_profile_path(profile.name)
    original = profile.path.read_text(encoding="utf-8")
    with tempfile.TemporaryDirectory(prefix="mirrorctl-edit-") as folder:
        draft = Path(folder) / target.name
        handed = original
        draft.write_text(handed, encoding="utf-8")
        while True:
            run_editor(draft)
            text = draft.read_text(encoding="utf-8")
            if text == handed:
                if handed == original:  # saved as it was (a built-in one too: nothing to copy)
                    return ProfileChange("edit", profile, target, None)
                raise ProfileError(N_("not saved: the file still does not validate (see the first line)"), path=target)
            body = "".join(line for line in text.splitlines(keepends=True) if not line.startswith("# mirrorctl: "))
            try:
                edited = parse_profile(target, toml_loads(body, target), builtin=False)
                break
            except ProfileError as error:
                handed = (f"{EDIT_ERROR_MARK}{error}\n# mirrorctl: fix it and save again; save without changes to "
                          f"give up.\n{body}")
                draft.write_text(handed, encoding="utf-8")
    old = _read_existing(target)
    _, snapshot_id = store.apply(lambda: [FileEdit("mirrorctl", target, old, body.encode("utf-8"))],
                            reason=f"profile edit {profile.name}")
    return ProfileChange("edit", edited, target, snapshot_id)
