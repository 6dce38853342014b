"""`mirrorctl torch` and `mirrorctl torch --check`: the plan, the reasons, the commands; text and JSON."""

from __future__ import annotations

import shlex
from typing import Any

from mirrorctl.i18n import N_, _, english, ljust
from mirrorctl.output.common import _shown, document, finding_json, level_text, message
from mirrorctl.results import Finding

#: The sentences of `mirrorctl torch`'s finding codes.
MESSAGES = {
    # detection
    "torch.smi-failed": N_("nvidia-smi failed (exit {exit}, {meaning}): {output}; planning as if there were no NVIDIA "
                        "GPU (give --cuda/--gpu to plan for one)"),
    "torch.smi-no-compute-cap": N_("this driver's nvidia-smi has no compute_cap field: capabilities come from "
                                "mirrorctl's GPU-name table"),
    "torch.gpu-unknown": N_("GPU {name!r} is not in mirrorctl's name table: its kernels were not checked (give "
                         "--gpu with its compute capability, e.g. --gpu 8.6)"),
    "torch.cc-unverified": N_("{name}: compute capability {cc} is from an UNVERIFIED table entry"),
    # choice
    "torch.minor-compat": N_("driver {driver} is older than CUDA's GA driver for {variant} ({ga}): it runs through "
                          "NVIDIA's minor-version compatibility (limited feature set; a GPU served only by PTX "
                          "needs {ga})"),
    "torch.driver-unknown": N_("no NVIDIA driver seen here: {variant} needs a driver >= {need} (>= {ga} preferred)"),
    "torch.no-gpu-here": N_("no NVIDIA GPU on this machine: {variant} is planned for another one"),
    "torch.kernels-unverified": N_("the kernel list of {variant} on {platform} is UNVERIFIED"),
    "torch.try-older": N_("an older torch fits: --torch {torch} ({variant})"),
    "torch.try-driver": N_("torch {torch} fits with a driver >= {need} ({variant})"),
    "torch.try-conda": N_("conda-forge's pytorch {torch} (CUDA {cuda}) has kernels for these GPUs: see the conda "
                       "command"),
    "torch.no-torchaudio": N_("torchaudio: none for {variant} (torch {torch}); left out"),
    "torch.pypi-would-be-cuda": N_("a plain `torch` from PyPI is the {pypi} build for {torch} here and pulls "
                                "gigabytes of CUDA libraries: install the +cpu build"),
    # conda
    "torch.conda-no-variant": N_("conda-forge has no {variant} build of pytorch"),
    "torch.conda-no-data": N_("mirrorctl has no conda-forge data for torch {torch}"),
    "torch.conda-driver": N_("conda-forge's CUDA {cuda} build needs a driver >= {need}"),
    "torch.conda-no-kernels": N_("conda-forge's CUDA {cuda} build has no kernels for every GPU"),
    # source
    "torch.source-pypi": N_("PyPI's own torch is the {variant} build here, so the PyPI mirror in effect serves it"),
    "torch.source-in-effect": N_("PyPI's torch is {pypi}, not {variant}; the profile in effect carries {variant} "
                              "wheels"),
    "torch.source-carries": N_("PyPI's torch is {pypi}, not {variant}; the first profile that carries {variant} "
                            "wheels (others: {others}; --refresh times them)"),
    "torch.source-fastest": N_("PyPI's torch is {pypi}, not {variant}; the fastest mirror that carries it ({ms} ms; "
                            "others: {others})"),
    "torch.source-upstream": N_("PyPI's torch is {pypi}, not {variant}, and no mirror profile carries {variant} "
                             "wheels: upstream"),
    "torch.source-none": N_("no wheel fits"),
    "torch.source-unverified": N_("{profile}'s PyTorch wheel mirror is UNVERIFIED (third-party reports only)"),
    "torch.mirror-links-upstream": N_("{profile} carries {variant}, but its pages link every wheel back to "
                                   "download.pytorch.org: not used (--refresh checks again)"),
    "torch.mirror-frozen": N_("{profile}'s PyTorch page is frozen at torch {frozen_at}: not used for {torch}"),
    "torch.refresh-failed": N_("--refresh: {url}: {problem}"),
    "torch.refresh-newer": N_("--refresh: the {variant} pages have torch {torch}, newer than mirrorctl's data"),
    # --check
    "torch.not-installed": N_("torch is not installed in {python}"),
    "torch.installed": N_("torch {version} ({build}) in {python}"),
    "torch.no-kernels": N_("torch {version} has no kernels for {gpu} (compute capability {cc}); it has {arches}"),
    "torch.driver-too-old": N_("torch {version} needs an NVIDIA driver >= {need} (CUDA {cuda}); this one is "
                            "{driver}"),
    "torch.nvidia-mixture": N_("nvidia-* wheels of another CUDA major than torch's {want}: {projects} (the cause of "
                            "`libcudnn.so.8: cannot open shared object file` and nvJitLink symbol errors)"),
    "torch.companion-mismatch": N_("{project} {version} is built for {theirs}, torch for {ours}"),
    "torch.cuda-build-without-gpu": N_("torch {version} is a CUDA build, but this machine has no NVIDIA GPU"),
    "torch.cpu-build-with-gpu": N_("torch {version} is a CPU build on a machine with an NVIDIA GPU"),
}

VERDICTS = {
    "ok": N_("fits"),
    "not-published": N_("not published for this release"),
    "not-on-platform": N_("no wheel for {platform}"),
    "platform-dropped": N_("no wheels for {platform} after torch {last}"),
    "driver-too-old": N_("needs a driver >= {need} (CUDA {cuda}); this one is {driver}"),
    "gpu-needs-driver": N_("{gpu} needs a driver >= {need}; this one is {driver}"),
    "no-kernels": N_("no kernels for {gpu} (compute capability {cc}); it has {arches}"),
    "ptx-needs-ga": N_("{gpu} ({cc}) runs only its PTX, which needs the GA driver {need}; this one is {driver}"),
    "no-gfx": N_("no kernels for {gfx}"),
}


def torch_message(finding: Finding) -> str:
    if finding.code in MESSAGES:
        try:
            return _(MESSAGES[finding.code]).format(**{k: _shown(v) for k, v in finding.params.items()})
        except (KeyError, IndexError, ValueError):
            return f"{finding.code} {dict(finding.params)}"
    return message(finding)


def verdict(variant: str, code: str, params: Any) -> str:
    try:
        return _(VARIANTS_PREFIX).format(variant=variant) + _(VERDICTS.get(code, code)).format(**params)
    except (KeyError, IndexError, ValueError):
        return f"{variant}: {code} {dict(params)}"


VARIANTS_PREFIX = N_("{variant}: ")


def _english_torch(finding: Finding) -> str:
    with english():  # --json is never translated
        return torch_message(finding)


def _english_verdict(variant: str, code: str, params: Any) -> str:
    with english():
        return verdict(variant, code, params)


def _label(word: str) -> str:
    """A row label (``machine``, ``driver`` ...) padded to 10 display columns, then a space."""
    return ljust(_(word), 10) + " "


LABELS = (N_("machine"), N_("driver"), N_("gpu"), N_("rocm"), N_("torch"), N_("variant"), N_("source"))


def command_line(command: Any) -> str:
    prefix = "".join(f"{key}={shlex.quote(value)} " for key, value in command.env.items())
    return prefix + " ".join(shlex.quote(word) for word in command.argv)


def _machine_lines(machine: Any) -> list[str]:
    given = _("  (given: {options})").format(options=", ".join(machine.overrides)) if machine.overrides else ""
    lines = [_label("machine") + machine.platform + given]
    if machine.driver:
        lines.append(_label("driver") + f"NVIDIA {machine.driver}")
    for gpu in machine.gpus:
        lines.append(_label("gpu") + _("{name}  compute capability {cc} ({origin})").format(
            name=gpu.name, cc=gpu.cc or "?", origin=gpu.cc_from))
    if machine.gfx or machine.rocm:
        lines.append(_label("rocm") + f"{machine.rocm or '?'}  {' '.join(machine.gfx)}")
    if machine.apple_silicon:
        lines.append(_label("gpu") + _("Apple silicon (MPS, in the standard macOS wheel)"))
    if not machine.gpus and not machine.gfx and not machine.apple_silicon:
        lines.append(_label("gpu") + _("none"))
    return lines


def plan_text(plan: Any) -> str:
    lines = _machine_lines(plan.machine)
    choice = plan.choice
    lines.append(_label("torch") + _("{version} (released {date})").format(version=choice.release.version,
                                                                             date=choice.release.date))
    if choice.variant is None:
        lines.append(_label("variant") + _("none fits:"))
        lines.extend("  " + verdict(c.variant, c.verdict, c.params) for c in choice.candidates)
    else:
        lines.append(_label("variant") + choice.variant)
        rejected = [c for c in choice.candidates if c.verdict != "ok"]
        lines.extend("  " + _("not {verdict}").format(verdict=verdict(c.variant, c.verdict, c.params))
                     for c in rejected)
    if plan.source is not None and plan.source.kind != "none":
        where = plan.source.url or _("the PyPI mirror in effect ({profile})").format(profile=plan.source.profile)
        lines.append(_label("source") + f"{plan.source.profile}: {where}")
        lines.append("  " + torch_message(Finding(plan.source.reason, "note", "torch", params=plan.source.params)))
    for finding in plan.findings:
        lines.append(f"{ljust(level_text(finding.level), 10)} {torch_message(finding)}")
    if plan.commands:
        lines.append("")
        for command in plan.commands:
            lines.append(f"# {command.tool} ({command.form})")
            for name, text in command.files.items():
                lines.append("#   " + _("in {file}:").format(file=name))
                lines.extend(text.rstrip("\n").splitlines())
            lines.append(command_line(command))
    elif choice.variant is None:
        lines.append("")
        lines.append(_("no command: nothing that installs here would run"))
    return "\n".join(lines) + "\n"


def plan_json(plan: Any) -> dict[str, Any]:
    machine, choice = plan.machine, plan.choice
    return document(
        "torch-plan",
        machine={"platform": machine.platform, "driver": machine.driver,
                 "gpus": [g._asdict() for g in machine.gpus], "rocm": machine.rocm, "gfx": list(machine.gfx),
                 "overrides": list(machine.overrides)},
        torch=choice.release.version,
        variant=choice.variant,
        pypi_variant=choice.pypi_variant,
        candidates=[{"variant": c.variant, "verdict": c.verdict, "ga": c.ga, "params": dict(c.params),
                     "message": _english_verdict(c.variant, c.verdict, c.params)} for c in choice.candidates],
        source=None if plan.source is None else {
            **{k: v for k, v in plan.source._asdict().items() if k != "params"}, "params": dict(plan.source.params),
            "message": _english_torch(Finding(plan.source.reason, "note", "torch", params=plan.source.params))},
        install=None if plan.install is None else {
            "pins": dict(plan.install.pins()) if plan.install.source.kind != "none" else {},
            "conda": plan.install.conda._asdict() if plan.install.conda else None},
        commands=[{"tool": c.tool, "form": c.form, "argv": list(c.argv), "env": dict(c.env), "files": dict(c.files),
                   "line": command_line(c)} for c in plan.commands],
        findings=[{**finding_json(f), "message": _english_torch(f)} for f in plan.findings],
        timings={k: round(v, 4) for k, v in plan.timings.items()},
    )


def write_text(path: Any, old: bytes | None, new: bytes, snapshot: str | None, dry_run: bool) -> str:
    from mirrorctl.errors import display_path

    if old == new:
        return _("{path} already has this PyTorch setup; nothing written").format(path=display_path(path)) + "\n"
    if dry_run:
        import difflib

        diff = difflib.unified_diff((old or b"").decode().splitlines(True), new.decode().splitlines(True),
                                    _("{path} (now)").format(path=display_path(path)),
                                    _("{path} (after)").format(path=display_path(path)))
        return "".join(diff)
    return _("torch: updated {path} (backup {id}; `mirrorctl restore` undoes it)").format(
        path=display_path(path), id=snapshot) + "\n"


def check_text(result: Any) -> str:
    lines = []
    for finding in result.findings:
        lines.append(f"{ljust(level_text(finding.level), 10)} {torch_message(finding)}")
    for command in result.fixes:
        lines.append("  " + _("fix: {command}").format(command=command_line(command)))
    if not any(f.level in ("error", "warning") for f in result.findings):
        lines.append(_("ok: nothing wrong found"))
    return "\n".join(lines) + "\n"


def check_json(result: Any) -> dict[str, Any]:
    return document(
        "torch-check",
        python=str(result.python),
        torch=result.torch,
        findings=[{**finding_json(f), "message": _english_torch(f)} for f in result.findings],
        fixes=[{"tool": c.tool, "argv": list(c.argv), "line": command_line(c)} for c in result.fixes],
    )
