"""Profiles: named mirror sets, built in (``profiles/*.toml``) or the user's own (same schema).

A profile may cover only part of a tool. USTC, for example, mirrors conda-forge and bioconda but not
``pkgs/main``; its conda section then has ``custom_channels`` and no ``default_channels``, and switching to it
sends ``defaults`` back upstream instead of inventing URLs.

No ``from __future__ import annotations`` here, as in :mod:`mirrorctl.results`: `list` defines these
NamedTuples on every start, and typing.NamedTuple compiles a ForwardRef for each string annotation.
"""

import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, NamedTuple, Optional

from mirrorctl import paths
from mirrorctl.errors import MirrorctlError, ProfileError, Sentence
from mirrorctl.i18n import N_
from mirrorctl.results import Finding
from mirrorctl.urls import check_url, join, normalize

#: The profile that stands for the tools' own defaults; switching to it removes mirror keys instead of writing.
UPSTREAM_PROFILE = "official"
NAME_PATTERN = r"^[a-z0-9][a-z0-9._-]{0,39}$"
#: Cloud channels a user profile made from ``--anaconda BASE`` mirrors by default.
DEFAULT_CLOUD_CHANNELS = ("conda-forge", "bioconda", "pytorch")
#: A conda channel name: one or more ``/``-separated parts (``pkgs/main``, ``dglteam/label/cu118``) of letters,
#: digits, ``.``, ``_`` and ``-`` (anaconda.org's account names). conda itself checks nothing here: it joins
#: the name into the URL verbatim (conda 26.7.1 ``conda/models/channel.py`` ``Channel.urls``: ``base.append(
#: self.name); base = join_url(*base)``), so ``bad name`` becomes ``<base>/bad name/linux-64`` and every fetch
#: fails (observed: ``conda search -c "bad name"`` -> "An HTTP error occurred when trying to retrieve this URL").
CHANNEL_NAME = r"[A-Za-z0-9_][A-Za-z0-9._-]*(?:/[A-Za-z0-9_][A-Za-z0-9._-]*)*"


def channel_name_problem(name: str) -> Optional[str]:
    """Why ``name`` cannot be a conda channel name (one a mirror's ``cloud`` carries), or None (an English msgid,
    marked for translation)."""
    if re.fullmatch(CHANNEL_NAME, name):
        return None
    if any(ch.isspace() for ch in name):
        return N_("must not contain spaces")
    return N_("must be letters, digits, '.', '_' or '-' (parts separated by '/')")


class PypiMirror(NamedTuple):
    #: The PEP 503 simple index (``index`` in the TOML file; a tuple already has an ``index`` method).
    index_url: str
    verified: bool
    source: str = ""
    #: Other spellings of the same index (used to recognise it in existing configuration).
    also: tuple[str, ...] = ()
    #: Where uv downloads Python builds from (python-build-standalone releases), when the mirror carries them.
    python_install_mirror: Optional[str] = None
    #: Where the mirror serves the files of ``files.pythonhosted.org/packages`` (pixi mirrors both); None: unknown.
    files: Optional[str] = None

    def matches(self, url: str) -> bool:
        wanted = normalize(url)
        return any(normalize(candidate) == wanted for candidate in (self.index_url, *self.also))


#: conda's platform subdirs (conda/base/constants.py KNOWN_SUBDIRS, the ones mirrors sync).
KNOWN_SUBDIRS = ("noarch", "linux-32", "linux-64", "linux-aarch64", "linux-armv6l", "linux-armv7l", "linux-ppc64le",
                 "linux-s390x", "osx-32", "osx-64", "osx-arm64", "win-32", "win-64", "win-arm64", "emscripten-wasm32",
                 "wasi-wasm32", "zos-z")


class ChannelCoverage(NamedTuple):
    """One fact about which channels (and which of their platform subdirs) a mirror carries, with its source.

    ``channels`` are names as on the mirror: ``pkgs/main`` or a cloud channel (``conda-forge``). Exactly one of:
    ``subdirs`` (these and no others are synced), ``missing`` (these are not; the rest is not known), or
    ``mirrored = false`` (the channel is not on the mirror at all; ``redirects_to``: the profile whose mirror its
    requests are sent on to, when the mirror says so). ``verified`` false keeps an UNVERIFIED fact marked.
    """

    channels: tuple[str, ...]
    verified: bool
    source: str
    subdirs: Optional[tuple[str, ...]] = None
    missing: tuple[str, ...] = ()
    mirrored: bool = True
    redirects_to: Optional[str] = None

    def gap(self, subdir: str) -> Optional[str]:
        """What this fact says is missing for ``subdir``: "channel", "subdir", or None (carried or unknown)."""
        if not self.mirrored:
            return "channel"
        if (self.subdirs is not None and subdir not in self.subdirs) or subdir in self.missing:
            return "subdir"
        return None


class CondaMirror(NamedTuple):
    #: URLs that the ``defaults`` multichannel resolves to; empty when the mirror does not carry pkgs/main.
    default_channels: tuple[str, ...]
    #: channel name -> base URL, so that ``conda-forge`` resolves to ``<base>/conda-forge``.
    custom_channels: Mapping[str, str]
    verified: bool
    source: str = ""
    #: pkgs/ channels the mirror carries besides those in default_channels (legacy pkgs/free).
    legacy_pkgs: tuple[str, ...] = ()
    #: What is known of its channels' platform subdirs (``[[conda.coverage]]``), for `doctor`.
    coverage: tuple[ChannelCoverage, ...] = ()

    def fact(self, channel: str) -> Optional[ChannelCoverage]:
        """The coverage fact about ``channel`` (``pkgs/main``, ``conda-forge``), or None when nothing is known."""
        return next((fact for fact in self.coverage if channel in fact.channels), None)


class PytorchIndex(NamedTuple):
    """A mirror of download.pytorch.org/whl, as the profile's ``[pytorch]`` table declares it (its comments there
    cite the mirror's sources)."""

    url: str
    #: "index" (use with --index-url/--extra-index-url) or "find-links" (a flat page, use with -f).
    kind: str
    verified: bool
    source: str = ""
    #: The page for one variant, with ``{variant}`` in it (``https://mirror.example/pytorch/whl/{variant}``); None:
    #: ``url`` is the only page and carries every variant listed.
    variant_url: Optional[str] = None
    #: The variants it carries (cu126, cpu, rocm7.2, xpu ...); empty: only the one in ``url``, if any.
    variants: tuple[str, ...] = ()
    #: Where the pages' wheel links point: "mirror" (files served by the mirror), "upstream" (absolute links back
    #: to download.pytorch.org or download-r2.pytorch.org, so nothing is served by the mirror), or "unknown".
    links: str = "unknown"
    #: The newest torch release it has, when the page is frozen (SJTUG's torch_stable.html: about 2.4).
    frozen_at: Optional[str] = None

    def page(self, variant: str) -> Optional[str]:
        """The index or find-links page that serves ``variant``, None when this mirror does not carry it."""
        if variant not in self.variants and not (not self.variants and self.url.rstrip("/").endswith("/" + variant)):
            return None
        return self.variant_url.replace("{variant}", variant) if self.variant_url else self.url


class StatusFeed(NamedTuple):
    """Where the mirror publishes its own sync status (``[status]``): a tunasync or a mirrorz JSON file."""

    url: str
    format: str  # "tunasync" or "mirrorz"


STATUS_FORMATS = ("tunasync", "mirrorz")
PYTORCH_LINKS = ("mirror", "upstream", "unknown")
VARIANT_PATTERN = r"^(cpu|xpu|cu\d{3}|rocm\d+(\.\d+)+)$"


class Profile(NamedTuple):
    name: str
    title: str
    homepage: str
    builtin: bool
    path: Path
    aliases: tuple[str, ...] = ()
    pypi: Optional[PypiMirror] = None
    conda: Optional[CondaMirror] = None
    pytorch: Optional[PytorchIndex] = None
    notes: str = ""
    status: Optional[StatusFeed] = None
    #: The title in Simplified Chinese (``title_zh``), shown to a Chinese-speaking user.
    title_zh: str = ""

    @property
    def kind(self) -> str:
        return "built-in" if self.builtin else "user"

    @property
    def ecosystems(self) -> frozenset[str]:
        """The profile tables it has: what a tool needs from it (a pixi target takes either)."""
        return frozenset(name for name in ("pypi", "conda") if getattr(self, name) is not None)

    def covers(self) -> list[str]:
        parts = []
        if self.pypi:
            parts.append("pypi" + ("" if self.pypi.verified else "?"))
        if self.conda:
            what = []
            if self.conda.default_channels:
                what.append("defaults")
            if self.conda.custom_channels:
                what.append(f"{len(self.conda.custom_channels)} channels")
            parts.append("conda(" + "+".join(what) + ")" + ("" if self.conda.verified else "?"))
        if self.pytorch:
            parts.append("pytorch" + ("" if self.pytorch.verified else "?"))
        return parts


class ProfileSet(NamedTuple):
    """Every profile that loaded, plus one error per file that did not (the others keep working)."""

    profiles: tuple[Profile, ...]
    problems: tuple[ProfileError, ...] = ()

    def get(self, name: str) -> Profile:
        wanted = name.strip().lower()
        for problem in self.problems:  # a broken user file of that name never falls back to the built-in
            if problem.path is not None and Path(problem.path).stem == wanted:
                raise problem
        for profile in self.profiles:
            if profile.name == wanted or wanted in profile.aliases:
                return profile
        import difflib

        known = ", ".join(p.name for p in self.profiles)
        spellings = {spelling: p.name for p in self.profiles for spelling in (p.name, *p.aliases)}
        close = difflib.get_close_matches(wanted, list(spellings), n=1)
        if close:
            raise MirrorctlError(N_("no profile named {name!r}; did you mean {guess!r}? (known: {known})"),
                                 name=name, guess=spellings[close[0]], known=known)
        raise MirrorctlError(N_("no profile named {name!r} (known: {known})"), name=name, known=known)

    def names(self) -> list[str]:
        return [p.name for p in self.profiles]


def toml_loads(text: str, path: Optional[Path] = None) -> dict[str, Any]:
    """Parse a profile's TOML with the plain parser of :mod:`mirrorctl.formats.toml` (the fast one)."""
    from mirrorctl.formats.toml import plain_parser

    parser = plain_parser()
    try:
        data: dict[str, Any] = parser.loads(text)
    except parser.TOMLDecodeError as exc:
        match = re.search(r"\(at line (\d+)", str(exc))
        message = re.sub(r"\s*\(at line \d+, column \d+\)", "", str(exc))
        raise ProfileError(N_("invalid TOML: {problem}"), problem=message, path=path,
                           line=int(match.group(1)) if match else None) from None
    return data


class _Reader:
    """Typed access to one profile table, with errors that name the file and the key."""

    def __init__(self, path: Path, data: Mapping[str, Any], prefix: str = "") -> None:
        self.path, self.data, self.prefix = path, data, prefix

    def fail(self, key: str, problem: str) -> ProfileError:
        """``problem``: an English msgid (marked with ``N_``) or a :class:`Sentence`."""
        reason = problem if isinstance(problem, Sentence) else Sentence(problem)
        return ProfileError(N_("key '{key}' {problem}"), key=self.prefix + key, problem=reason, path=self.path)

    def string(self, key: str, default: Optional[str] = None) -> str:
        value = self.data.get(key, default)
        if not isinstance(value, str):
            raise self.fail(key, N_("is required and must be a string") if value is None else N_("must be a string"))
        return value

    def url(self, key: str) -> str:
        value = self.data.get(key)
        problem = check_url(value)
        if problem:
            raise self.fail(key, problem)
        return str(value)

    def boolean(self, key: str, default: bool) -> bool:
        value = self.data.get(key, default)
        if not isinstance(value, bool):
            raise self.fail(key, N_("must be true or false"))
        return value

    def strings(self, key: str) -> tuple[str, ...]:
        value = self.data.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self.fail(key, N_("must be a list of strings"))
        return tuple(value)

    def urls(self, key: str) -> tuple[str, ...]:
        values = self.strings(key)
        for index, value in enumerate(values):
            problem = check_url(value)
            if problem:
                raise self.fail(f"{key}[{index}]", problem)
        return values

    def table(self, key: str) -> Optional["_Reader"]:
        value = self.data.get(key)
        if value is None:
            return None
        if not isinstance(value, dict):
            raise self.fail(key, N_("must be a table"))
        return _Reader(self.path, value, f"{self.prefix}{key}.")


def parse_profile(path: Path, data: Mapping[str, Any], *, builtin: bool) -> Profile:
    root = _Reader(path, data)
    name = root.string("name", path.stem).lower()
    if not re.match(NAME_PATTERN, name):
        raise root.fail("name", N_("must be lower-case letters, digits, '.', '_' or '-'"))
    if name != path.stem.lower():
        raise root.fail("name", Sentence(N_("is {name!r} but the file is {file}: the two must agree"),
                                         {"name": name, "file": path.name}))
    pypi = conda = pytorch = None
    section = root.table("pypi")
    if section:
        pypi = PypiMirror(
            index_url=section.url("index"),
            verified=section.boolean("verified", False),
            source=section.string("source", ""),
            also=section.urls("also"),
            python_install_mirror=section.url("python_install_mirror") if "python_install_mirror" in section.data
            else None,
            files=section.url("files") if "files" in section.data else None,
        )
    section = root.table("conda")
    if section:
        custom = section.table("custom_channels")
        channels: dict[str, str] = {}
        if custom:
            for channel in custom.data:
                problem = channel_name_problem(str(channel))
                if problem:
                    raise custom.fail(channel, Sentence(N_("is not a conda channel name: it {problem}"),
                                                         {"problem": Sentence(problem)}))
                channels[channel] = custom.url(channel)
        conda = CondaMirror(
            default_channels=section.urls("default_channels"),
            custom_channels=channels,
            verified=section.boolean("verified", False),
            source=section.string("source", ""),
            legacy_pkgs=section.strings("legacy_pkgs"),
            coverage=_coverage(section),
        )
        if not conda.default_channels and not conda.custom_channels:
            raise root.fail("conda", N_("needs default_channels or custom_channels"))
    section = root.table("pytorch")
    if section:
        kind = section.string("kind", "index")
        if kind not in ("index", "find-links"):
            raise section.fail("kind", N_("must be 'index' or 'find-links'"))
        links = section.string("links", "unknown")
        if links not in PYTORCH_LINKS:
            raise section.fail("links", N_("must be 'mirror', 'upstream' or 'unknown'"))
        variant_url = None
        if "variant_url" in section.data:
            variant_url = section.url("variant_url")
            if "{variant}" not in variant_url:
                raise section.fail("variant_url", Sentence(N_("must contain {placeholder}"),
                                                           {"placeholder": "{variant}"}))
        variants = section.strings("variants")
        for index, variant in enumerate(variants):
            if not re.match(VARIANT_PATTERN, variant):
                raise section.fail(f"variants[{index}]", Sentence(N_("{variant!r} is not a variant (cpu, cu126, "
                                                                     "rocm7.2, xpu)"), {"variant": variant}))
        frozen_at = section.string("frozen_at") if "frozen_at" in section.data else None
        if frozen_at is not None and not re.fullmatch(r"\d+\.\d+(\.\d+)?", frozen_at):
            raise section.fail("frozen_at", N_("must be a torch version such as 2.4"))
        pytorch = PytorchIndex(
            url=section.url("url"), kind=kind, verified=section.boolean("verified", False),
            source=section.string("source", ""), variant_url=variant_url, variants=variants, links=links,
            frozen_at=frozen_at,
        )
    status = None
    section = root.table("status")
    if section:
        feed_format = section.string("format")
        if feed_format not in STATUS_FORMATS:
            raise section.fail("format", N_("must be 'tunasync' or 'mirrorz'"))
        status = StatusFeed(url=section.url("url"), format=feed_format)
    if not (pypi or conda):
        raise ProfileError(N_("a profile needs a [pypi] or a [conda] table"), path=path)
    homepage = root.string("homepage", "")
    if homepage and check_url(homepage):
        raise root.fail("homepage", check_url(homepage) or "")
    return Profile(
        name=name,
        title=root.string("title", name),
        title_zh=root.string("title_zh", ""),
        homepage=homepage,
        builtin=builtin,
        path=path,
        aliases=tuple(a.lower() for a in root.strings("aliases")),
        pypi=pypi,
        conda=conda,
        pytorch=pytorch,
        notes=root.string("notes", ""),
        status=status,
    )


def _coverage(section: _Reader) -> tuple[ChannelCoverage, ...]:
    """``[[conda.coverage]]``: a list of tables, each one :class:`ChannelCoverage`."""
    entries = section.data.get("coverage", [])
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise section.fail("coverage", N_("must be a list of tables ([[conda.coverage]])"))
    facts = []
    for index, entry in enumerate(entries):
        fact = _Reader(section.path, entry, f"{section.prefix}coverage[{index}].")
        channels = fact.strings("channels")
        if not channels:
            raise fact.fail("channels", N_("is required and must be a list of strings"))
        for channel in channels:
            problem = channel_name_problem(channel)
            if problem:
                raise fact.fail("channels", Sentence(N_("is not a conda channel name: it {problem}"),
                                                          {"problem": Sentence(problem)}))
        subdirs = fact.strings("subdirs") if "subdirs" in entry else None
        missing = fact.strings("missing")
        for key, values in (("subdirs", subdirs or ()), ("missing", missing)):
            unknown = [v for v in values if v not in KNOWN_SUBDIRS]
            if unknown:
                raise fact.fail(key, Sentence(N_("names {subdir!r}, which is not a conda platform subdir"),
                                              {"subdir": unknown[0]}))
        mirrored = fact.boolean("mirrored", True)
        if sum((subdirs is not None, bool(missing), not mirrored)) != 1:
            raise fact.fail("channels", N_("needs exactly one of subdirs, missing or mirrored = false"))
        redirects_to = fact.string("redirects_to") if "redirects_to" in entry else None
        facts.append(ChannelCoverage(channels, fact.boolean("verified", False), fact.string("source", ""), subdirs,
                                     missing, mirrored, redirects_to))
    return tuple(facts)


def load_file(path: Path, *, builtin: bool) -> Profile:
    from mirrorctl import cache, fileio

    try:
        raw = fileio.read_config(path, error=ProfileError) or b""
        data = cache.parsed("profiles", path, raw, lambda: toml_loads(raw.decode("utf-8"), path),
                            valid=lambda value: isinstance(value, dict))
    except OSError as exc:
        raise ProfileError(N_("cannot read: {reason}"), reason=exc.strerror, path=path) from None
    except UnicodeDecodeError:
        raise ProfileError(N_("is not UTF-8 text"), path=path) from None
    return parse_profile(path, data, builtin=builtin)


def _toml_files(directory: Path) -> list[Path]:
    try:
        return sorted(p for p in directory.iterdir() if p.suffix == ".toml" and p.is_file())
    except (FileNotFoundError, NotADirectoryError):  # MIRRORCTL_HOME may be a file: the store reports it
        return []


def load_profiles() -> ProfileSet:
    """Built-in profiles first, then the user's; a user profile replaces a built-in of the same name."""
    by_name: dict[str, Profile] = {}
    problems: list[ProfileError] = []
    for directory, builtin in ((paths.builtin_profiles_dir(), True), (paths.user_profiles_dir(), False)):
        for path in _toml_files(directory):
            try:
                profile = load_file(path, builtin=builtin)
            except ProfileError as exc:
                problems.append(exc)
                continue
            by_name[profile.name] = profile
    ordered = sorted(by_name.values(), key=lambda p: (p.name != UPSTREAM_PROFILE, p.name))  # upstream first
    return ProfileSet(tuple(ordered), tuple(problems))


def pypi_owner(profiles: Iterable[Profile], url: str) -> Optional[str]:
    """The name of the profile whose PyPI index ``url`` is, or None."""
    return next((p.name for p in profiles if p.pypi and p.pypi.matches(url)), None)


# ---------------------------------------------------------------------------------------------------------
# User profiles: add / remove


def user_profile_document(
    name: str, *, pypi: Optional[str], anaconda: Optional[str], title: Optional[str], channels: Iterable[str] = ()
) -> tuple[str, list[Finding]]:
    """The TOML text of a new user profile, and warnings about it (pure, so it can be shown before writing)."""
    import tomlkit

    findings: list[Finding] = []
    if not re.match(NAME_PATTERN, name):
        raise MirrorctlError(N_("profile name {name!r} must be lower-case letters, digits, '.', '_' or '-'"), name=name)
    if not pypi and not anaconda:
        raise MirrorctlError(N_("give --pypi URL, --anaconda BASE, or both"))
    channels = tuple(channels)
    if channels and not anaconda:
        raise MirrorctlError(N_("--channel names a cloud channel of an Anaconda mirror: it needs --anaconda BASE"))
    for channel in channels:
        problem = channel_name_problem(channel)
        if problem:
            raise MirrorctlError(N_("--channel {channel!r} is not a conda channel name: it {problem}"), channel=channel,
                                 problem=Sentence(problem))
    for option, value in (("--pypi", pypi), ("--anaconda", anaconda)):
        if value is not None and check_url(value):
            raise MirrorctlError(N_("{option} {problem}"), option=option, problem=check_url(value))
    doc = tomlkit.document()
    doc.add(tomlkit.comment("A mirrorctl profile (added with `mirrorctl profile add`). Edit freely."))
    doc["name"] = name
    doc["title"] = title or name
    doc["aliases"] = tomlkit.array()
    if pypi:
        index = pypi.rstrip("/") if pypi.rstrip("/").endswith("/simple") else pypi
        if not index.endswith("/simple"):
            findings.append(Finding("profile.pypi-not-simple", "warning", "mirrorctl", params={"url": pypi}))
        table = tomlkit.table()
        table["index"] = index
        table["verified"] = False
        table["source"] = "added by the user"
        doc["pypi"] = table
    if anaconda:
        base = anaconda.rstrip("/")
        table = tomlkit.table()
        table["verified"] = False
        table["source"] = "added by the user"
        table["default_channels"] = [join(base, "pkgs", sub) for sub in ("main", "r", "msys2")]
        custom = tomlkit.table()
        for channel in channels or DEFAULT_CLOUD_CHANNELS:
            custom[channel] = join(base, "cloud")
        table["custom_channels"] = custom
        doc["conda"] = table
    return tomlkit.dumps(doc), findings


def user_profile_path(name: str) -> Path:
    return paths.user_profiles_dir() / f"{name.lower()}.toml"
