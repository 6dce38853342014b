"""The `mirrorctl torch` entry points: plan an install (detect -> choose -> source -> commands) and write the
project form through the store (backup, then atomic write). Returns data; ``output.torch`` words it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from mirrorctl.i18n import N_
from mirrorctl.profiles import Profile, load_profiles
from mirrorctl.results import Finding
from mirrorctl.torch import choose as choosing
from mirrorctl.torch import data as releases
from mirrorctl.torch.check import CheckResult
from mirrorctl.torch.detect import Machine, detect
from mirrorctl.torch.model import Command, Install, TorchPlan
from mirrorctl.torch.source import InEffect, WheelSource, pick

TOOL = "torch"


def pypi_in_effect(profiles: Sequence[Profile]) -> InEffect | None:
    """The PyPI mirror the first installed PyPI tool uses now (the tools' order: the everyday installer first)."""
    from mirrorctl.targets import base

    for target in base.all_targets():
        if "pypi" not in target.ecosystems or not target.present():
            continue
        state = target.read(profiles)
        name = state.profile
        profile = next((p for p in profiles if p.name == name and p.pypi), None)
        if profile is not None and profile.pypi is not None:
            return InEffect(profile.name, profile.pypi.index_url, target.name)
    return None


def build_commands(install: Install) -> tuple[Command, ...]:
    from mirrorctl.targets import base

    commands: list[Command] = []
    for _, builder in base.hooks("torch_commands"):
        commands.extend(builder(install))
    return tuple(commands)


def plan(*, torch: str | None = None, variant: str | None = None, cuda: str | None = None,
         driver: str | None = None, gpus: Sequence[str] = (), platform: str | None = None,
         refresh: bool = False, timeout: float = 5.0, machine: Machine | None = None) -> TorchPlan:
    data = releases.load()
    if variant is not None:
        import re

        from mirrorctl.errors import UsageError
        from mirrorctl.profiles import VARIANT_PATTERN

        if not re.match(VARIANT_PATTERN, variant):
            raise UsageError(N_("{variant!r} is not a variant (cpu, cu126, rocm7.2, xpu)"), variant=variant)
    machine = machine or detect(data, platform_name=platform, driver=driver, cuda=cuda, gpus=gpus)
    profile_set = load_profiles()
    profiles = list(profile_set.profiles)
    in_effect = pypi_in_effect(profiles)
    findings: list[Finding] = list(machine.findings)
    timings: Mapping[str, float] = {}
    links: Mapping[str, str] = {}
    if refresh:
        from mirrorctl.torch import refresh as refreshing

        data, timings, links, read = refreshing.refresh(data, machine, profiles, in_effect, torch=torch,
                                                        variant=variant, timeout=timeout)
        findings.extend(read)
    choice = choosing.choose(data, machine, torch=torch, variant=variant)
    findings.extend(choice.findings)
    source, notes = pick(choice, profiles, in_effect, timings=timings, links=links)
    findings.extend(notes)
    install = None
    commands: tuple[Command, ...] = ()
    conda, why_not = choosing.choose_conda(data, choice.release, machine, choice.variant or variant)
    if source is not None and choice.variant is not None:
        release = choice.release
        audio = release.torchaudio if choice.variant not in release.torchaudio_missing else ""
        if not audio or choice.variant in release.torchaudio_missing:
            findings.append(Finding("torch.no-torchaudio", "note", TOOL,
                                    params={"variant": choice.variant, "torch": release.version}))
        install = Install(release.version, release.torchvision or None, audio or None, choice.variant, source,
                          conda)
        if not source.verified and source.profile != "official":
            findings.append(Finding("torch.source-unverified", "note", TOOL, params={"profile": source.profile}))
        commands = build_commands(install)
    elif conda is not None:
        # No wheel fits, but conda-forge's build (wider kernel lists) does: offer it on its own.
        install = Install(choice.release.version, None, None, "conda-forge",
                          WheelSource("none", None, "", "torch.source-none"), conda)
        commands = tuple(c for c in build_commands(install) if c.form == "conda")
        findings.append(Finding("torch.try-conda", "hint", TOOL,
                                params={"torch": choice.release.version, "cuda": conda.cuda_version or "cpu"}))
    if conda is None and choice.variant is not None:
        findings.extend(why_not)
    if choice.variant == "cpu" and choice.pypi_variant not in (None, "cpu"):
        findings.append(Finding("torch.pypi-would-be-cuda", "note", TOOL,
                                params={"pypi": choice.pypi_variant, "torch": choice.release.version}))
    return TorchPlan(machine, choice, source, install, commands, tuple(findings), timings)


def write_project(result: TorchPlan, *, cwd: Path | None = None, dry_run: bool = False) -> tuple[Path, bytes | None,
                                                                                               bytes, str | None]:
    """Write the project form into ./pyproject.toml through the store: lock, backup, atomic write.

    Returns (path, old bytes, new bytes, backup id or None when nothing changed or dry_run)."""
    from mirrorctl import store
    from mirrorctl.errors import MirrorctlError
    from mirrorctl.targets import base

    if result.install is None or result.source is None or result.source.kind == "none":
        raise MirrorctlError(N_("nothing to write: no build fits (see above)"))
    writers = dict(base.hooks("render_torch_project"))
    locators = dict(base.hooks("torch_project_file"))
    if not writers:
        raise MirrorctlError(N_("no tool module can write the project form"))
    name = next(iter(writers))
    path = locators[name](cwd)
    try:
        old = path.read_bytes()
    except FileNotFoundError:
        raise MirrorctlError(N_("{path}: no pyproject.toml here; run this in a project (or create one first)"),
                             path=path) from None
    except OSError as exc:
        raise MirrorctlError(N_("{path}: cannot read: {reason}"), path=path, reason=exc.strerror) from None
    try:
        text = old.decode("utf-8")
    except UnicodeDecodeError:
        raise MirrorctlError(N_("{path}: is not UTF-8 text"), path=path) from None
    new = writers[name](text, result.install, path).encode("utf-8")
    if dry_run or new == old:
        return path, old, new, None
    with store.locked():
        snapshot = store.take_snapshot([path], reason="torch --write")
        store.atomic_write(path, new)
        store.prune()
    return path, old, new, snapshot.id


def sync(cwd: Path | None = None) -> int:
    """Run the project tool's sync in ``cwd`` (``--run``); its output goes straight to the terminal."""
    import subprocess

    from mirrorctl.errors import MirrorctlError
    from mirrorctl.targets import base

    argvs = [function() for _, function in base.hooks("torch_sync_argv")]
    if not argvs:
        raise MirrorctlError(N_("no tool module can sync the project"))
    try:
        return subprocess.call(argvs[0], cwd=cwd)
    except FileNotFoundError:
        raise MirrorctlError(N_("{program} is not on PATH: install it, or run the printed command yourself"),
                             program=argvs[0][0]) from None


def check(*, python: str | None = None, cuda: str | None = None, driver: str | None = None,
          gpus: Sequence[str] = (), platform: str | None = None) -> CheckResult:
    """`mirrorctl torch --check`: the findings for the environment of ``python`` (default: the one in use), each
    problem with the command that fixes it (remove stray nvidia-* wheels; install the build that fits here)."""
    from mirrorctl.errors import MirrorctlError
    from mirrorctl.targets import base
    from mirrorctl.torch import check as checking
    from mirrorctl.torch.detect import environment_python

    data = releases.load()
    machine = detect(data, platform_name=platform, driver=driver, cuda=cuda, gpus=gpus)
    interpreter = Path(python or environment_python())
    if interpreter.is_dir():  # a venv folder
        interpreter = interpreter / ("Scripts/python.exe" if (interpreter / "Scripts").is_dir() else "bin/python")
    version, found, facts = checking.findings(data, machine, interpreter)
    found = list(machine.findings) + found
    fixes: list[Command] = []
    problems = {f.code for f in found if f.level == "error"} | {f.code for f in found if f.level == "warning"}
    if facts.get("stray"):
        for _, builder in base.hooks("torch_fix_mixture")[:1]:
            fixes.extend(builder(facts["stray"].split()))
    if problems - {"torch.smi-failed", "torch.gpu-unknown"}:
        wanted = version if "torch.no-kernels" not in problems and "torch.driver-too-old" not in problems else None
        try:
            fitted = plan(torch=wanted, machine=machine)
        except MirrorctlError:  # a version outside the data: offer the newest
            fitted = plan(machine=machine)
        older = next((f.params["torch"] for f in fitted.findings if f.code == "torch.try-older"), None)
        if fitted.choice.variant is None and older:
            fitted = plan(torch=older, machine=machine)
        fixes.extend(c for c in fitted.commands if c.form == "install")
    return CheckResult(interpreter, version, tuple(found), tuple(fixes))
