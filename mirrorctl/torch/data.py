"""The release data (``releases.toml``) as typed, immutable records, and the small pure rules over it."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, NamedTuple

from mirrorctl.errors import MirrorctlError

DATA_FILE = Path(__file__).with_name("releases.toml")

Version = tuple[int, ...]


def version(text: str) -> Version:
    """``"580.65.06"`` -> (580, 65, 6); local tags and pre-release letters are cut off at the first non-digit."""
    parts = []
    for piece in text.split("+")[0].split("."):
        digits = re.match(r"\d+", piece)
        if not digits:
            break
        parts.append(int(digits.group()))
    return tuple(parts)


def at_least(have: str, floor: str) -> bool:
    a, b = version(have), version(floor)
    width = max(len(a), len(b))
    return a + (0,) * (width - len(a)) >= b + (0,) * (width - len(b))


def cc_value(cc: str) -> int:
    """``"8.6"`` -> 86, ``"12.0"`` -> 120."""
    major, _, minor = cc.partition(".")
    return int(major) * 10 + int(minor or 0)


class Release(NamedTuple):
    series: str
    date: str
    version: str
    torchvision: str
    torchaudio: str
    torchaudio_missing: tuple[str, ...]
    cuda: tuple[str, ...]
    rocm: tuple[str, ...]
    xpu: bool
    #: platform ("linux-x86_64") -> the variant PyPI's plain ``torch`` is there.
    pypi: Mapping[str, str]
    conda_forge_cuda: tuple[str, ...]

    def variants(self) -> tuple[str, ...]:
        return (*self.cuda, *self.rocm, *(("xpu",) if self.xpu else ()), "cpu")


class CudaVariant(NamedTuple):
    name: str
    cuda: str
    family_floor: str
    ga_driver: str
    nvidia_suffix: str


class Kernels(NamedTuple):
    variant: str
    first: str
    last: str
    arch: str
    sass: tuple[str, ...]
    ptx: tuple[str, ...]
    unverified: bool


class GpuPattern(NamedTuple):
    pattern: re.Pattern[str]
    cc: str
    unverified: bool


class Data(NamedTuple):
    releases: tuple[Release, ...]  # newest first
    variants: Mapping[str, CudaVariant]
    cuda_driver: Mapping[str, str]
    gpu_driver_floor: Mapping[str, str]
    kernels: tuple[Kernels, ...]
    conda_kernels: Mapping[str, Kernels]
    rocm_gfx: Mapping[str, tuple[str, ...]]
    gpus: tuple[GpuPattern, ...]
    macos_x86_64_last: str

    def release(self, wanted: str | None) -> Release:
        """The newest release matching ``wanted`` ("2.5" -> 2.5.1, "2.5.0", None -> the newest)."""
        if not wanted:
            return self.releases[0]
        want = version(wanted)
        for release in self.releases:
            if version(release.version)[: len(want)] == want:
                return release
        known = ", ".join(r.version for r in reversed(self.releases))
        raise MirrorctlError(f"torch {wanted} is not in mirrorctl's release data (known: {known}); "
                             "--refresh reads newer releases from the index")

    def kernels_for(self, variant: str, release: Release, arch: str) -> Kernels | None:
        series = version(release.series)
        for entry in self.kernels:
            if entry.variant == variant and entry.arch == arch and \
                    version(entry.first) <= series <= version(entry.last):
                return entry
        return None

    def cc_of(self, name: str) -> tuple[str, bool] | None:
        """The compute capability of a GPU by name, and whether that entry is unverified; None: unknown."""
        lowered = name.lower()
        for entry in self.gpus:
            if entry.pattern.search(lowered):
                return entry.cc, entry.unverified
        return None


def _strings(value: Any, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise MirrorctlError(f"{DATA_FILE}: {where} must be a list of strings")
    return tuple(value)


def parse(document: Mapping[str, Any]) -> Data:
    releases: list[Release] = []
    for entry in document.get("release", []):
        versions = _strings(entry["versions"], "release.versions")
        vision = _strings(entry["torchvision"], "release.torchvision")
        audio = _strings(entry["torchaudio"], "release.torchaudio")
        if not len(versions) == len(vision) == len(audio):
            raise MirrorctlError(f"{DATA_FILE}: release {entry.get('series')}: versions, torchvision and "
                                 "torchaudio must be parallel lists")
        pypi = {key[len("pypi_"):].replace("_", "-", 1): value for key, value in entry.items()
                if key.startswith("pypi_")}
        for index, number in enumerate(versions):
            releases.append(Release(
                series=entry["series"], date=entry.get("date", ""), version=number, torchvision=vision[index],
                torchaudio=audio[index], torchaudio_missing=_strings(entry.get("torchaudio_missing", []), "x"),
                cuda=_strings(entry.get("cuda", []), "cuda"), rocm=_strings(entry.get("rocm", []), "rocm"),
                xpu=bool(entry.get("xpu", False)), pypi=pypi,
                conda_forge_cuda=_strings(entry.get("conda_forge_cuda", []), "conda_forge_cuda"),
            ))
    releases.sort(key=lambda r: version(r.version), reverse=True)
    variants = {name: CudaVariant(name, v["cuda"], v["family_floor"], v["ga_driver"], v["nvidia_suffix"])
                for name, v in document.get("variant", {}).items()}

    def kernels(entry: Mapping[str, Any], variant: str) -> Kernels:
        first, last = entry.get("torch", ["0", "999"])
        return Kernels(variant, first, last, entry.get("arch", "x86_64"), _strings(entry["sass"], "sass"),
                       _strings(entry.get("ptx", []), "ptx"), bool(entry.get("unverified", False)))

    return Data(
        releases=tuple(releases),
        variants=variants,
        cuda_driver=dict(document.get("cuda_driver", {})),
        gpu_driver_floor=dict(document.get("gpu_driver_floor", {})),
        kernels=tuple(kernels(e, e["variant"]) for e in document.get("kernels", [])),
        conda_kernels={e["cuda"]: kernels(e, "conda-forge-" + e["cuda"]) for e in document.get("conda_kernels", [])},
        rocm_gfx={k: _strings(v, "rocm_gfx") for k, v in document.get("rocm_gfx", {}).items()},
        gpus=tuple(GpuPattern(re.compile(e["pattern"]), e["cc"], bool(e.get("unverified", False)))
                   for e in document.get("gpu", [])),
        macos_x86_64_last=document.get("platform", {}).get("macos_x86_64_last", "0"),
    )


_loaded: list[Data] = []


def load() -> Data:
    """The shipped data, parsed once per process."""
    if not _loaded:
        from mirrorctl.profiles import toml_loads

        _loaded.append(parse(toml_loads(DATA_FILE.read_text(encoding="utf-8"), DATA_FILE)))
    return _loaded[0]


def with_releases(data: Data, extra: Sequence[Release]) -> Data:
    """``data`` plus releases read by --refresh (the newest first; a known version is not duplicated)."""
    known = {r.version for r in data.releases}
    merged = [*data.releases, *(r for r in extra if r.version not in known)]
    merged.sort(key=lambda r: version(r.version), reverse=True)
    return data._replace(releases=tuple(merged))
