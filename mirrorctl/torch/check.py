"""`mirrorctl torch --check`: what torch build an environment has and whether it can work here, without importing
torch (an import can take seconds, crash on a broken CUDA set, or initialise a GPU).

It reads the environment's ``site-packages``: ``torch/version.py`` (``cuda = '12.6'``, written at build time) and
the ``*.dist-info`` folders of torch, torchvision, torchaudio and every ``nvidia-*`` wheel. Each problem is a
:class:`~mirrorctl.results.Finding`; ``doctor`` can list them as they are (:func:`findings`).
"""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import NamedTuple

from mirrorctl.errors import MirrorctlError
from mirrorctl.results import Finding
from mirrorctl.torch.choose import serves
from mirrorctl.torch.data import Data, at_least, version
from mirrorctl.torch.detect import Machine
from mirrorctl.torch.model import Command

TOOL = "torch"
#: nvidia-* wheels of CUDA 13 drop the suffix (nvidia-cuda-runtime==13.0.48, TORCH-FACTS 5); the version says
#: the major then.
SUFFIX = re.compile(r"-cu(\d+)$")


class Dist(NamedTuple):
    name: str  # normalised: lower case, "-" separators
    version: str
    path: Path


class CheckResult(NamedTuple):
    python: Path
    torch: str | None
    findings: tuple[Finding, ...]
    fixes: tuple[Command, ...] = ()


def site_dirs(python: Path) -> list[Path]:
    """The interpreter's purelib and platlib (it is run, torch is not imported)."""
    code = "import json, sysconfig; p = sysconfig.get_paths(); print(json.dumps([p['purelib'], p['platlib']]))"
    try:
        out = subprocess.run([str(python), "-I", "-c", code], capture_output=True, text=True, timeout=60,
                             check=True).stdout
    except (OSError, subprocess.SubprocessError) as exc:
        raise MirrorctlError(f"{python}: cannot run this interpreter ({exc})") from None
    return [Path(p) for p in dict.fromkeys(json.loads(out))]


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def installed(sites: Sequence[Path]) -> dict[str, Dist]:
    found: dict[str, Dist] = {}
    for site in sites:
        if not site.is_dir():
            continue
        for folder in site.glob("*.dist-info"):
            name = version_text = None
            try:
                for line in (folder / "METADATA").read_text(encoding="utf-8", errors="replace").splitlines():
                    if line.startswith("Name:"):
                        name = line[5:].strip()
                    elif line.startswith("Version:"):
                        version_text = line[8:].strip()
                    elif not line.strip():
                        break
            except OSError:
                continue
            if name and version_text:
                found.setdefault(_normalise(name), Dist(_normalise(name), version_text, folder))
    return found


def torch_cuda(sites: Sequence[Path]) -> tuple[str | None, str | None]:
    """(cuda, hip) from ``torch/version.py``: ``cuda = '12.6'`` / ``hip = '6.4...'``; None when absent."""
    for site in sites:
        try:
            text = (site / "torch" / "version.py").read_text(encoding="utf-8")
        except OSError:
            continue
        values = {}
        for key in ("cuda", "hip"):
            match = re.search(rf"^{key}\s*(?::[^=]*)?=\s*['\"]([^'\"]+)['\"]", text, re.MULTILINE)
            values[key] = match.group(1) if match else None
        return values["cuda"], values["hip"]
    return None, None


def build_of(torch: Dist, cuda: str | None, hip: str | None) -> str:
    """cu126 / cpu / rocm6.4 / xpu: the local tag when there is one, else what version.py says."""
    local = torch.version.partition("+")[2]
    if local:
        return local
    if cuda:
        return "cu" + cuda.replace(".", "")
    if hip:
        return "rocm" + ".".join(hip.split(".")[:2])
    return "cpu"


def nvidia_major(dist: Dist) -> int | None:
    if not dist.name.startswith("nvidia-"):
        return None
    suffix = SUFFIX.search(dist.name)
    if suffix:
        return int(suffix.group(1))
    numbers = version(dist.version)
    return numbers[0] if numbers and numbers[0] in (11, 12, 13, 14) else None


def findings(data: Data, machine: Machine, python: Path) -> tuple[str | None, list[Finding], dict[str, str]]:
    """(torch version, findings, facts for the fixes) for the environment of ``python``."""
    sites = site_dirs(python)
    dists = installed(sites)
    torch = dists.get("torch")
    found: list[Finding] = []
    if torch is None:
        return None, [Finding("torch.not-installed", "note", TOOL, params={"python": str(python)})], {}
    cuda, hip = torch_cuda(sites)
    build = build_of(torch, cuda, hip)
    plain = torch.version.split("+")[0]
    found.append(Finding("torch.installed", "note", TOOL, params={"version": torch.version, "build": build,
                                                                 "python": str(python)}))
    facts = {"version": plain, "build": build}
    for project in ("torchvision", "torchaudio"):
        dist = dists.get(project)
        theirs = dist.version.partition("+")[2] if dist else ""
        if dist and theirs and theirs != build:
            found.append(Finding("torch.companion-mismatch", "warning", TOOL,
                                 params={"project": project, "version": dist.version, "theirs": theirs,
                                         "ours": build}))
    if not build.startswith("cu"):
        if build == "cpu" and machine.nvidia:
            found.append(Finding("torch.cpu-build-with-gpu", "warning", TOOL, params={"version": torch.version}))
        return plain, found, facts
    major = int(build[2:-1]) if len(build) > 3 else None
    if cuda:
        major = int(cuda.split(".")[0])
    stray = sorted(d.name for d in dists.values() if nvidia_major(d) not in (None, major))
    if stray:
        found.append(Finding("torch.nvidia-mixture", "error", TOOL,
                             params={"want": f"cu{major}", "projects": stray}))
        facts["stray"] = " ".join(stray)
    if not machine.nvidia:
        found.append(Finding("torch.cuda-build-without-gpu", "note", TOOL, params={"version": torch.version}))
        return plain, found, facts
    info = data.variants.get(build)
    if info and machine.driver and not at_least(machine.driver, info.family_floor):
        found.append(Finding("torch.driver-too-old", "error", TOOL,
                             params={"version": torch.version, "need": info.family_floor, "cuda": info.cuda,
                                     "driver": machine.driver}))
    release = next((r for r in data.releases if r.version == plain), None)
    kernels = data.kernels_for(build, release, machine.arch) if release else None
    if kernels is not None:
        for gpu in machine.nvidia:
            if gpu.cc and serves(kernels, gpu.cc) is None:
                found.append(Finding("torch.no-kernels", "error", TOOL, params={
                    "version": torch.version, "gpu": gpu.name, "cc": gpu.cc,
                    "arches": " ".join("sm_" + s.replace(".", "") for s in kernels.sass)}))
    return plain, found, facts
