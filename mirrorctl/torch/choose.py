"""Pure: which torch build fits a machine, or exactly why none does and what would.

The rule (TORCH-FACTS section 9.4, decided): a CUDA variant *runs* on a driver that meets its family floor (NVIDIA
minor-version compatibility: any 12.x on >= 525.60.13, any 13.x on >= 580). Among the variants published for the
release that run and have kernels for every GPU, prefer the newest whose toolkit GA driver is met too; when none
is, take the newest that runs and say it relies on minor-version compatibility. A GPU that only a wheel's PTX
serves needs the GA driver (the driver JIT-compiles that PTX, and an older driver rejects newer PTX).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

from mirrorctl.results import Finding
from mirrorctl.torch.data import Data, Kernels, Release, at_least, cc_value, version
from mirrorctl.torch.detect import Gpu, Machine

TOOL = "torch"


class Candidate(NamedTuple):
    """One variant considered, and the verdict: "ok", or the code of the first reason it was turned down."""

    variant: str
    verdict: str
    params: Mapping[str, Any] = {}
    #: The driver meets the toolkit's GA driver (not only the family floor).
    ga: bool = True


class Choice(NamedTuple):
    release: Release
    platform: str
    #: The variant to install; None when nothing fits.
    variant: str | None
    #: The variant PyPI's plain ``torch`` is on this platform.
    pypi_variant: str | None
    candidates: tuple[Candidate, ...]
    findings: tuple[Finding, ...] = ()


def pypi_variant(release: Release, platform: str) -> str | None:
    """What ``pip install torch==X`` from PyPI (or any PyPI mirror) installs here; None: no wheel at all."""
    if platform.startswith("linux-"):
        return release.pypi.get(platform, "cpu")
    return "cpu"


def serves(kernels: Kernels, cc: str) -> str | None:
    """"sass" when a compiled kernel runs on ``cc`` (same major, minor <= ours), "ptx" when only JIT of PTX
    does (PTX of a capability <= ours), else None."""
    value = cc_value(cc)
    for sass in kernels.sass:
        if cc_value(sass) // 10 == value // 10 and cc_value(sass) <= value:
            return "sass"
    if any(cc_value(ptx) <= value for ptx in kernels.ptx):
        return "ptx"
    return None


def _published(data: Data, release: Release, variant: str, machine: Machine) -> Candidate | None:
    """None when ``variant`` exists for this release and platform, else the candidate saying it does not."""
    platform = machine.platform
    if platform.startswith("macos-"):
        if variant != "cpu":
            return Candidate(variant, "not-on-platform", {"platform": platform})
        if machine.arch != "arm64" and version(release.version) > version(data.macos_x86_64_last):
            return Candidate(variant, "platform-dropped", {"platform": platform, "last": data.macos_x86_64_last})
        return None
    if variant == "cpu":
        return None
    if variant == "xpu":
        return None if release.xpu and machine.arch == "x86_64" else Candidate(variant, "not-published")
    if variant.startswith("rocm"):
        if machine.os != "linux" or machine.arch != "x86_64":
            return Candidate(variant, "not-on-platform", {"platform": platform})
        return None if variant in release.rocm else Candidate(variant, "not-published")
    if variant not in release.cuda:
        return Candidate(variant, "not-published")
    arch = "x86_64" if machine.arch == "x86_64" else machine.arch
    if data.kernels_for(variant, release, arch) is None:
        return Candidate(variant, "not-on-platform", {"platform": platform})
    return None


def judge(data: Data, release: Release, variant: str, machine: Machine) -> Candidate:
    """Whether ``variant`` of ``release`` installs and runs here."""
    unpublished = _published(data, release, variant, machine)
    if unpublished:
        return unpublished
    if variant.startswith("rocm"):
        known = data.rocm_gfx.get(variant)
        missing = [g for g in machine.gfx if known is not None and g not in known]
        if missing:
            return Candidate(variant, "no-gfx", {"gfx": missing})
        return Candidate(variant, "ok")
    info = data.variants.get(variant)
    if info is None:  # cpu, xpu
        return Candidate(variant, "ok")
    driver = machine.driver
    if driver is not None and not at_least(driver, info.family_floor):
        return Candidate(variant, "driver-too-old", {"driver": driver, "need": info.family_floor,
                                                     "cuda": info.cuda})
    ga = driver is None or at_least(driver, info.ga_driver)
    kernels = data.kernels_for(variant, release, machine.arch)
    assert kernels is not None  # _published checked it
    for gpu in machine.nvidia:
        floor = data.gpu_driver_floor.get(str(cc_value(gpu.cc) // 10)) if gpu.cc else None
        if floor and driver is not None and not at_least(driver, floor):
            return Candidate(variant, "gpu-needs-driver", {"gpu": gpu.name, "cc": gpu.cc, "need": floor,
                                                           "driver": driver})
        if gpu.cc is None:
            continue
        how = serves(kernels, gpu.cc)
        if how is None:
            return Candidate(variant, "no-kernels", {"gpu": gpu.name, "cc": gpu.cc,
                                                     "arches": " ".join("sm_" + s.replace(".", "")
                                                                        for s in kernels.sass)})
        if how == "ptx" and not ga:
            return Candidate(variant, "ptx-needs-ga", {"gpu": gpu.name, "cc": gpu.cc, "need": info.ga_driver,
                                                       "driver": driver})
    return Candidate(variant, "ok", ga=ga)


def wanted_variants(release: Release, machine: Machine, forced: str | None) -> list[str]:
    """The variants to consider, best first."""
    if forced:
        return [forced]
    if machine.platform.startswith("macos-"):
        return ["cpu"]
    if machine.nvidia:
        return list(reversed(release.cuda))
    if machine.gfx or machine.rocm:
        return list(reversed(release.rocm))
    return ["cpu"]


def _pick(data: Data, release: Release, machine: Machine, forced: str | None) -> tuple[str | None, list[Candidate]]:
    candidates = [judge(data, release, v, machine) for v in wanted_variants(release, machine, forced)]
    running = [c for c in candidates if c.verdict == "ok"]
    best = next((c for c in running if c.ga), running[0] if running else None)
    return (best.variant if best else None), candidates


def choose(data: Data, machine: Machine, *, torch: str | None = None, variant: str | None = None) -> Choice:
    release = data.release(torch)
    picked, candidates = _pick(data, release, machine, variant)
    findings: list[Finding] = []
    if picked is not None:
        chosen = next(c for c in candidates if c.variant == picked)
        info = data.variants.get(picked)
        if info and machine.driver is None and machine.nvidia:
            findings.append(Finding("torch.driver-unknown", "note", TOOL,
                                    params={"variant": picked, "need": info.family_floor, "ga": info.ga_driver}))
        elif info and not chosen.ga:
            findings.append(Finding("torch.minor-compat", "note", TOOL,
                                    params={"variant": picked, "driver": machine.driver, "ga": info.ga_driver}))
        if picked != "cpu" and not machine.nvidia and picked.startswith("cu"):
            findings.append(Finding("torch.no-gpu-here", "note", TOOL, params={"variant": picked}))
        kernels = data.kernels_for(picked, release, machine.arch)
        if kernels is not None and kernels.unverified:
            findings.append(Finding("torch.kernels-unverified", "note", TOOL,
                                    params={"variant": picked, "platform": machine.platform}))
    else:
        findings.extend(alternatives(data, release, machine, variant))
    return Choice(release, machine.platform, picked, pypi_variant(release, machine.platform), tuple(candidates),
                  tuple(findings))


def alternatives(data: Data, release: Release, machine: Machine, forced: str | None) -> list[Finding]:
    """When nothing fits: the newest older torch that does, and the driver that would make this one fit."""
    found: list[Finding] = []
    seen: set[str] = set()
    for older in data.releases:
        if version(older.version) >= version(release.version) or older.series in seen:
            continue
        seen.add(older.series)
        picked, _ = _pick(data, older, machine, forced)
        if picked:
            found.append(Finding("torch.try-older", "hint", TOOL,
                                 params={"torch": older.version, "variant": picked}))
            break
    if machine.driver is not None:
        upgrade = machine._replace(driver="9999")
        needs = []
        for name in wanted_variants(release, machine, forced):
            if judge(data, release, name, upgrade).verdict != "ok" or name not in data.variants:
                continue
            info = data.variants[name]
            kernels = data.kernels_for(name, release, machine.arch)
            uses_ptx = kernels is not None and any(gpu.cc and serves(kernels, gpu.cc) == "ptx"
                                                   for gpu in machine.nvidia)
            needs.append((info.ga_driver if uses_ptx else info.family_floor, info.ga_driver, name))
        if needs:
            need, _, name = min(needs, key=lambda item: (version(item[0]), version(item[1])))
            found.append(Finding("torch.try-driver", "hint", TOOL,
                                 params={"need": need, "variant": name, "torch": release.version}))
    return found


def driver_cuda(data: Data, driver: str | None) -> str | None:
    """The newest CUDA version whose GA driver ``driver`` meets: what conda's ``__cuda`` reports on that machine
    (nvidia-smi's "CUDA Version"), so CONDA_OVERRIDE_CUDA can stand in for it."""
    if driver is None:
        return None
    met = [cuda for cuda, floor in data.cuda_driver.items() if at_least(driver, floor)]
    return max(met, key=version) if met else None


def gpus_text(gpus: tuple[Gpu, ...]) -> str:
    return ", ".join(f"{g.name} ({g.cc or '?'})" for g in gpus)


def choose_conda(data: Data, release: Release, machine: Machine, variant: str | None) -> tuple[Any, list[Finding]]:
    """conda-forge's pytorch for ``release`` here: (CondaPlan or None, why not). Its CUDA builds have wider
    kernel lists than the pip wheels (Pascal still in 12.9), so it can fit where no wheel does."""
    from mirrorctl.torch.model import CondaPlan

    planning = bool(machine.overrides)
    if machine.platform.startswith("macos-") or (machine.platform == "windows-x86_64" and not machine.nvidia):
        return CondaPlan(release.version, None, None, None), []
    if variant is not None and (variant.startswith("rocm") or variant == "xpu"):
        return None, [Finding("torch.conda-no-variant", "note", TOOL, params={"variant": variant})]
    if variant == "cpu" or not machine.nvidia:
        return CondaPlan(release.version, None, "" if machine.nvidia else None, "cpu*"), []
    if not release.conda_forge_cuda:
        return None, [Finding("torch.conda-no-data", "note", TOOL, params={"torch": release.version})]
    reasons: list[Finding] = []
    for cuda in reversed(release.conda_forge_cuda):
        floor = "580" if cuda.startswith("13") else "525.60.13"
        ga = data.cuda_driver.get(cuda, floor)
        if machine.driver is not None and not at_least(machine.driver, floor):
            reasons.append(Finding("torch.conda-driver", "note", TOOL, params={"cuda": cuda, "need": floor}))
            continue
        kernels = data.conda_kernels.get(cuda)
        served = [serves(kernels, g.cc) if kernels and g.cc else "sass" for g in machine.nvidia]
        if None in served:
            reasons.append(Finding("torch.conda-no-kernels", "note", TOOL, params={"cuda": cuda}))
            continue
        if "ptx" in served and machine.driver is not None and not at_least(machine.driver, ga):
            continue
        return CondaPlan(release.version, cuda, driver_cuda(data, machine.driver) or cuda if planning else None,
                         "cuda*"), []
    return None, reasons
