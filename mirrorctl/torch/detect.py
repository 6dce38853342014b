"""What machine this is: OS and architecture, the NVIDIA driver and each GPU's compute capability, ROCm, Apple
silicon. The parsers are pure (text in, records out); ``detect`` runs the programs.

``nvidia-smi --query-gpu=name,driver_version,compute_cap --format=csv,noheader`` prints one ``name, driver, cc``
line per GPU. Drivers before compute_cap existed (R470 prints ``Field "compute_cap" is not a valid field to query.``
and exits 2) get a second query without it, then the plain banner; the capability then comes from the GPU-name
table. The driver version is always the driver's own (``driver_version`` / ``Driver Version:``), never the
``CUDA Version`` field, which forward-compat libraries in a container can raise, nor the ``NVIDIA-SMI`` field, which
is the userspace tool's own version (a snap or container can ship an older one).
"""

from __future__ import annotations

import os
import platform
import re
import subprocess
from collections.abc import Sequence
from typing import NamedTuple

from mirrorctl.results import Finding
from mirrorctl.torch.data import Data

TOOL = "torch"
SMI = "nvidia-smi"
QUERY = ("--query-gpu=name,driver_version,compute_cap", "--format=csv,noheader")
QUERY_NO_CC = ("--query-gpu=name,driver_version", "--format=csv,noheader")
#: Exit codes of nvidia-smi (its man page, RETURN VALUE; 18 observed, TORCH-FACTS 4c) and what they mean.
SMI_EXITS = {2: "bad-field", 4: "no-permission", 6: "query-failed", 9: "no-driver", 12: "no-nvml",
             18: "version-mismatch", 255: "other"}
PLATFORMS = ("linux-x86_64", "linux-aarch64", "macos-arm64", "macos-x86_64", "windows-x86_64")


class Gpu(NamedTuple):
    name: str
    #: "8.6"; None when neither the driver nor the name table knows it.
    cc: str | None
    #: Where ``cc`` came from: "nvidia-smi", "name table", "--gpu", or "unknown".
    cc_from: str
    vendor: str = "nvidia"


class Machine(NamedTuple):
    os: str
    arch: str
    #: The NVIDIA driver version, e.g. "550.144.03"; None without one.
    driver: str | None = None
    gpus: tuple[Gpu, ...] = ()
    #: AMD: the host ROCm version (/opt/rocm/.info/version) and the GPUs' gfx targets (rocm_agent_enumerator).
    rocm: str | None = None
    gfx: tuple[str, ...] = ()
    #: What detection met on the way (a failing nvidia-smi, a GPU the name table does not know).
    findings: tuple[Finding, ...] = ()
    #: Parts given on the command line, not detected (a plan for another machine).
    overrides: tuple[str, ...] = ()

    @property
    def platform(self) -> str:
        return f"{self.os}-{self.arch}"

    @property
    def nvidia(self) -> tuple[Gpu, ...]:
        return tuple(g for g in self.gpus if g.vendor == "nvidia")

    @property
    def apple_silicon(self) -> bool:
        return self.platform == "macos-arm64"


def this_platform() -> tuple[str, str]:
    system = {"Darwin": "macos", "Windows": "windows"}.get(platform.system(), "linux")
    machine = platform.machine().lower()
    arch = {"amd64": "x86_64", "x64": "x86_64", "arm64": "aarch64" if system != "macos" else "arm64",
            "aarch64": "aarch64" if system != "macos" else "arm64"}.get(machine, machine)
    return system, arch


def parse_query(text: str, data: Data, *, with_cc: bool) -> tuple[str | None, list[Gpu]]:
    """Lines of ``name, driver_version[, compute_cap]`` -> (driver, GPUs)."""
    driver, gpus = None, []
    for line in text.splitlines():
        fields = [f.strip() for f in line.split(",")]
        if len(fields) < (3 if with_cc else 2) or not fields[0]:
            continue
        name, driver = fields[0], fields[1] or driver
        cc = fields[2] if with_cc and re.fullmatch(r"\d+\.\d+", fields[2]) else None
        gpus.append(Gpu(name, cc, "nvidia-smi") if cc else _by_name(name, data))
    return driver, gpus


BANNER_DRIVER = re.compile(r"Driver Version:\s*([0-9][0-9.]*)")
#: A GPU row of the plain table: ``|   0  NVIDIA GeForce GTX 1080 Ti     Off  | 00000000:01:00.0  On |``.
BANNER_GPU = re.compile(r"^\|\s+(\d+)\s+(.+?)\s+(?:On|Off)\s+\|", re.MULTILINE)


def parse_banner(text: str, data: Data) -> tuple[str | None, list[Gpu]]:
    """The plain ``nvidia-smi`` table -> (driver, GPUs by name; long names are cut off by the table)."""
    match = BANNER_DRIVER.search(text)
    gpus = [_by_name(m.group(2).strip(), data) for m in BANNER_GPU.finditer(text)]
    return (match.group(1) if match else None), gpus


def _by_name(name: str, data: Data) -> Gpu:
    found = data.cc_of(name)
    return Gpu(name, found[0], "name table") if found else Gpu(name, None, "unknown")


def _run(argv: Sequence[str]) -> tuple[int, str]:
    try:
        done = subprocess.run(list(argv), capture_output=True, text=True, timeout=20, errors="replace")
    except FileNotFoundError:
        return 127, ""
    except (OSError, subprocess.TimeoutExpired) as exc:
        return 255, str(exc)
    return done.returncode, (done.stdout + done.stderr).strip()


def _which(name: str) -> str | None:
    import shutil

    return shutil.which(name)


def detect_nvidia(data: Data) -> tuple[str | None, list[Gpu], list[Finding]]:
    findings: list[Finding] = []
    smi = _which(SMI)
    if smi is None:
        return None, [], findings
    code, out = _run([smi, *QUERY])
    if code == 0:
        driver, gpus = parse_query(out, data, with_cc=True)
        return driver, gpus, findings
    if code == 2 and "compute_cap" in out:
        findings.append(Finding("torch.smi-no-compute-cap", "note", TOOL))
        code, out = _run([smi, *QUERY_NO_CC])
        if code == 0:
            driver, gpus = parse_query(out, data, with_cc=False)
            return driver, gpus, findings
        code, out = _run([smi])
        if code == 0:
            driver, gpus = parse_banner(out, data)
            return driver, gpus, findings
    first = next((line for line in out.splitlines() if line.strip()), "")
    findings.append(Finding("torch.smi-failed", "warning", TOOL,
                            params={"exit": code, "meaning": SMI_EXITS.get(code, "other"), "output": first}))
    return None, [], findings


def detect_rocm() -> tuple[str | None, tuple[str, ...]]:
    from pathlib import Path

    try:
        version = Path("/opt/rocm/.info/version").read_text(encoding="utf-8").strip() or None
    except OSError:
        version = None
    gfx: tuple[str, ...] = ()
    tool = _which("rocm_agent_enumerator")
    if tool:
        code, out = _run([tool])
        if code == 0:
            gfx = tuple(dict.fromkeys(g for g in out.split() if g.startswith("gfx") and g != "gfx000"))
    return version, gfx


def detect(data: Data, *, platform_name: str | None = None, driver: str | None = None,
           cuda: str | None = None, gpus: Sequence[str] = ()) -> Machine:
    """This machine, with any part replaced by the overrides (a plan for a Dockerfile or a cluster node).

    ``cuda`` ("12.4": the driver supports CUDA 12.4) stands for the GA driver of that CUDA version.
    """
    from mirrorctl.errors import UsageError

    overrides = []
    if platform_name:
        if platform_name not in PLATFORMS:
            raise UsageError(f"unknown platform {platform_name!r} (choose from {', '.join(PLATFORMS)})")
        system, arch = platform_name.split("-", 1)
        overrides.append("platform")
    else:
        system, arch = this_platform()
    findings: list[Finding] = []
    found_driver: str | None = None
    found_gpus: list[Gpu] = []
    rocm: str | None = None
    gfx: tuple[str, ...] = ()
    if system in ("linux", "windows") and not platform_name:
        found_driver, found_gpus, findings = detect_nvidia(data)
        if not found_gpus and system == "linux":
            rocm, gfx = detect_rocm()
    if cuda:
        if cuda not in data.cuda_driver:
            raise UsageError(f"unknown CUDA version {cuda!r} (known: {', '.join(data.cuda_driver)})")
        found_driver = data.cuda_driver[cuda]
        overrides.append("cuda")
    if driver:
        if not re.fullmatch(r"\d{3}(\.\d+){0,2}", driver):
            raise UsageError(f"{driver!r} is not a driver version such as 550.144.03")
        found_driver = driver
        overrides.append("driver")
    if gpus:
        found_gpus = []
        for name in gpus:
            if re.fullmatch(r"(sm_?)?\d{2,3}|\d+\.\d", name):  # a capability itself: 8.6, sm_86
                digits = re.sub(r"\D", "", name)
                cc = name if "." in name else f"{digits[:-1]}.{digits[-1]}"
                found_gpus.append(Gpu(f"sm_{digits}" if "." not in name else f"CC {name}", cc, "--gpu"))
                continue
            known = data.cc_of(name)
            if known is None:
                raise UsageError(f"unknown GPU {name!r}: give its compute capability instead, e.g. --gpu 8.6")
            found_gpus.append(Gpu(name, known[0], "--gpu"))
        overrides.append("gpu")
    for gpu in found_gpus:
        known = data.cc_of(gpu.name)
        if gpu.cc is None:
            findings.append(Finding("torch.gpu-unknown", "warning", TOOL, params={"name": gpu.name}))
        elif gpu.cc_from in ("name table", "--gpu") and known is not None and known[1]:
            findings.append(Finding("torch.cc-unverified", "note", TOOL, params={"name": gpu.name, "cc": gpu.cc}))
    return Machine(system, arch, found_driver, tuple(found_gpus), rocm, gfx, tuple(findings), tuple(overrides))


def environment_python() -> str:
    """The interpreter of the environment in use: the active virtualenv or conda env, else this one."""
    import sys

    for variable, sub in (("VIRTUAL_ENV", "bin/python"), ("CONDA_PREFIX", "bin/python")):
        prefix = os.environ.get(variable)
        if prefix:
            candidate = os.path.join(prefix, "Scripts/python.exe" if os.name == "nt" else sub)
            if os.path.exists(candidate):
                return candidate
    return sys.executable
