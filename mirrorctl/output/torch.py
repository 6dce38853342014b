"""`mirrorctl torch` and `mirrorctl torch --check`: the plan, the reasons, the commands; text and JSON."""

from __future__ import annotations

import shlex
from typing import Any

from mirrorctl.output.common import _shown, document, finding_json, message
from mirrorctl.results import Finding

#: The sentences of `mirrorctl torch`'s finding codes.
MESSAGES = {
    # detection
    "torch.smi-failed": "nvidia-smi failed (exit {exit}, {meaning}): {output}; planning as if there were no NVIDIA "
                        "GPU (give --cuda/--gpu to plan for one)",
    "torch.smi-no-compute-cap": "this driver's nvidia-smi has no compute_cap field: capabilities come from "
                                "mirrorctl's GPU-name table",
    "torch.gpu-unknown": "GPU {name!r} is not in mirrorctl's name table: its kernels were not checked (give "
                         "--gpu with its compute capability, e.g. --gpu 8.6)",
    "torch.cc-unverified": "{name}: compute capability {cc} is from an UNVERIFIED table entry",
    # choice
    "torch.minor-compat": "driver {driver} is older than CUDA's GA driver for {variant} ({ga}): it runs through "
                          "NVIDIA's minor-version compatibility (limited feature set; a GPU served only by PTX "
                          "needs {ga})",
    "torch.driver-unknown": "no NVIDIA driver seen here: {variant} needs a driver >= {need} (>= {ga} preferred)",
    "torch.no-gpu-here": "no NVIDIA GPU on this machine: {variant} is planned for another one",
    "torch.kernels-unverified": "the kernel list of {variant} on {platform} is UNVERIFIED",
    "torch.try-older": "an older torch fits: --torch {torch} ({variant})",
    "torch.try-driver": "torch {torch} fits with a driver >= {need} ({variant})",
    "torch.try-conda": "conda-forge's pytorch {torch} (CUDA {cuda}) has kernels for these GPUs: see the conda "
                       "command",
    "torch.no-torchaudio": "torchaudio: none for {variant} (torch {torch}); left out",
    "torch.pypi-would-be-cuda": "a plain `torch` from PyPI is the {pypi} build for {torch} here and pulls "
                                "gigabytes of CUDA libraries: install the +cpu build",
    # conda
    "torch.conda-no-variant": "conda-forge has no {variant} build of pytorch",
    "torch.conda-no-data": "mirrorctl has no conda-forge data for torch {torch}",
    "torch.conda-driver": "conda-forge's CUDA {cuda} build needs a driver >= {need}",
    "torch.conda-no-kernels": "conda-forge's CUDA {cuda} build has no kernels for every GPU",
    # source
    "torch.source-pypi": "PyPI's own torch is the {variant} build here, so the PyPI mirror in effect serves it",
    "torch.source-in-effect": "PyPI's torch is {pypi}, not {variant}; the profile in effect carries {variant} "
                              "wheels",
    "torch.source-carries": "PyPI's torch is {pypi}, not {variant}; the first profile that carries {variant} "
                            "wheels (others: {others}; --refresh times them)",
    "torch.source-fastest": "PyPI's torch is {pypi}, not {variant}; the fastest mirror that carries it ({ms} ms; "
                            "others: {others})",
    "torch.source-upstream": "PyPI's torch is {pypi}, not {variant}, and no mirror profile carries {variant} "
                             "wheels: upstream",
    "torch.source-none": "no wheel fits",
    "torch.source-unverified": "{profile}'s PyTorch wheel mirror is UNVERIFIED (third-party reports only)",
    "torch.mirror-links-upstream": "{profile} carries {variant}, but its pages link every wheel back to "
                                   "download.pytorch.org: not used (--refresh checks again)",
    "torch.mirror-frozen": "{profile}'s PyTorch page is frozen at torch {frozen_at}: not used for {torch}",
    "torch.refresh-failed": "--refresh: {url}: {problem}",
    "torch.refresh-newer": "--refresh: the {variant} pages have torch {torch}, newer than mirrorctl's data",
    # --check
    "torch.not-installed": "torch is not installed in {python}",
    "torch.installed": "torch {version} ({build}) in {python}",
    "torch.no-kernels": "torch {version} has no kernels for {gpu} (compute capability {cc}); it has {arches}",
    "torch.driver-too-old": "torch {version} needs an NVIDIA driver >= {need} (CUDA {cuda}); this one is "
                            "{driver}",
    "torch.nvidia-mixture": "nvidia-* wheels of another CUDA major than torch's {want}: {projects} (the cause of "
                            "`libcudnn.so.8: cannot open shared object file` and nvJitLink symbol errors)",
    "torch.companion-mismatch": "{project} {version} is built for {theirs}, torch for {ours}",
    "torch.cuda-build-without-gpu": "torch {version} is a CUDA build, but this machine has no NVIDIA GPU",
    "torch.cpu-build-with-gpu": "torch {version} is a CPU build on a machine with an NVIDIA GPU",
}

VERDICTS = {
    "ok": "fits",
    "not-published": "not published for this release",
    "not-on-platform": "no wheel for {platform}",
    "platform-dropped": "no wheels for {platform} after torch {last}",
    "driver-too-old": "needs a driver >= {need} (CUDA {cuda}); this one is {driver}",
    "gpu-needs-driver": "{gpu} needs a driver >= {need}; this one is {driver}",
    "no-kernels": "no kernels for {gpu} (compute capability {cc}); it has {arches}",
    "ptx-needs-ga": "{gpu} ({cc}) runs only its PTX, which needs the GA driver {need}; this one is {driver}",
    "no-gfx": "no kernels for {gfx}",
}


def torch_message(finding: Finding) -> str:
    if finding.code in MESSAGES:
        try:
            return MESSAGES[finding.code].format(**{k: _shown(v) for k, v in finding.params.items()})
        except (KeyError, IndexError, ValueError):
            return f"{finding.code} {dict(finding.params)}"
    return message(finding)


def verdict(variant: str, code: str, params: Any) -> str:
    try:
        return VARIANTS_PREFIX.format(variant=variant) + VERDICTS.get(code, code).format(**params)
    except (KeyError, IndexError, ValueError):
        return f"{variant}: {code} {dict(params)}"


VARIANTS_PREFIX = "{variant}: "


def command_line(command: Any) -> str:
    prefix = "".join(f"{key}={shlex.quote(value)} " for key, value in command.env.items())
    return prefix + " ".join(shlex.quote(word) for word in command.argv)


def _machine_lines(machine: Any) -> list[str]:
    lines = [f"machine    {machine.platform}" + (f"  (given: {', '.join(machine.overrides)})"
                                                  if machine.overrides else "")]
    if machine.driver:
        lines.append(f"driver     NVIDIA {machine.driver}")
    for gpu in machine.gpus:
        lines.append(f"gpu        {gpu.name}  compute capability {gpu.cc or '?'} ({gpu.cc_from})")
    if machine.gfx or machine.rocm:
        lines.append(f"rocm       {machine.rocm or '?'}  {' '.join(machine.gfx)}")
    if machine.apple_silicon:
        lines.append("gpu        Apple silicon (MPS, in the standard macOS wheel)")
    if not machine.gpus and not machine.gfx and not machine.apple_silicon:
        lines.append("gpu        none")
    return lines


def plan_text(plan: Any) -> str:
    lines = _machine_lines(plan.machine)
    choice = plan.choice
    lines.append(f"torch      {choice.release.version} (released {choice.release.date})")
    if choice.variant is None:
        lines.append("variant    none fits:")
        lines.extend("  " + verdict(c.variant, c.verdict, c.params) for c in choice.candidates)
    else:
        lines.append(f"variant    {choice.variant}")
        rejected = [c for c in choice.candidates if c.verdict != "ok"]
        lines.extend("  not " + verdict(c.variant, c.verdict, c.params) for c in rejected)
    if plan.source is not None and plan.source.kind != "none":
        where = plan.source.url or f"the PyPI mirror in effect ({plan.source.profile})"
        lines.append(f"source     {plan.source.profile}: {where}")
        lines.append("  " + torch_message(Finding(plan.source.reason, "note", "torch", params=plan.source.params)))
    for finding in plan.findings:
        lines.append(f"{finding.level:<10} {torch_message(finding)}")
    if plan.commands:
        lines.append("")
        for command in plan.commands:
            lines.append(f"# {command.tool} ({command.form})")
            for name, text in command.files.items():
                lines.append(f"#   in {name}:")
                lines.extend(text.rstrip("\n").splitlines())
            lines.append(command_line(command))
    elif choice.variant is None:
        lines.append("")
        lines.append("no command: nothing that installs here would run")
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
                     "message": verdict(c.variant, c.verdict, c.params)} for c in choice.candidates],
        source=None if plan.source is None else {
            **{k: v for k, v in plan.source._asdict().items() if k != "params"}, "params": dict(plan.source.params),
            "message": torch_message(Finding(plan.source.reason, "note", "torch", params=plan.source.params))},
        install=None if plan.install is None else {
            "pins": dict(plan.install.pins()) if plan.install.source.kind != "none" else {},
            "conda": plan.install.conda._asdict() if plan.install.conda else None},
        commands=[{"tool": c.tool, "form": c.form, "argv": list(c.argv), "env": dict(c.env), "files": dict(c.files),
                   "line": command_line(c)} for c in plan.commands],
        findings=[{**finding_json(f), "message": torch_message(f)} for f in plan.findings],
        timings={k: round(v, 4) for k, v in plan.timings.items()},
    )


def write_text(path: Any, old: bytes | None, new: bytes, snapshot: str | None, dry_run: bool) -> str:
    from mirrorctl.errors import display_path

    if old == new:
        return f"{display_path(path)} already has this PyTorch setup; nothing written\n"
    if dry_run:
        import difflib

        diff = difflib.unified_diff((old or b"").decode().splitlines(True), new.decode().splitlines(True),
                                    f"{display_path(path)} (now)", f"{display_path(path)} (after)")
        return "".join(diff)
    return f"torch: updated {display_path(path)} (backup {snapshot}; `mirrorctl restore` undoes it)\n"


def check_text(result: Any) -> str:
    lines = []
    for finding in result.findings:
        lines.append(f"{finding.level:<10} {torch_message(finding)}")
    for command in result.fixes:
        lines.append(f"  fix: {command_line(command)}")
    if not any(f.level in ("error", "warning") for f in result.findings):
        lines.append("ok: nothing wrong found")
    return "\n".join(lines) + "\n"


def check_json(result: Any) -> dict[str, Any]:
    return document(
        "torch-check",
        python=str(result.python),
        torch=result.torch,
        findings=[{**finding_json(f), "message": torch_message(f)} for f in result.findings],
        fixes=[{"tool": c.tool, "argv": list(c.argv), "line": command_line(c)} for c in result.fixes],
    )
