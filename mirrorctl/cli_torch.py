"""The click layer of `mirrorctl torch`, imported only when it runs (or shows its help); built on demand by
:mod:`mirrorctl.cli`, which lists it in `mirrorctl --help` from a summary of its help.
"""

from __future__ import annotations

import sys
from typing import Any

import click

from mirrorctl.i18n import N_

JSON_HELP = N_("Print JSON.")


def _print(text: str, *, err: bool = False) -> None:
    from mirrorctl.output.common import emit

    emit(text, err=err)


def _print_json(value: Any) -> None:
    from mirrorctl.output.common import to_json

    _print(to_json(value))


def torch_command(group_class: type[click.Group], tools: click.ParamType, profile: click.ParamType) -> click.Command:
    """`mirrorctl torch`."""
    command_class = group_class.command_class or click.Command

    @click.command("torch", cls=command_class)
    @click.option("--torch", "torch_version", metavar="VERSION",
                  help=N_("The torch release (2.5.1, or 2.5 for its newest patch); default the newest known."))
    @click.option("--variant", metavar="VARIANT", help=N_("Force a build: cu126, cpu, rocm7.2, xpu ..."))
    @click.option("--cuda", metavar="X.Y", help=N_("Plan for a driver that supports CUDA X.Y (as nvidia-smi's "
                  "'CUDA Version' says), not this machine's."))
    @click.option("--driver", metavar="VERSION", help=N_("Plan for this NVIDIA driver version (e.g. 550.144.03)."))
    @click.option("--gpu", "gpus", multiple=True, metavar="NAME",
                  help=N_("Plan for this GPU (\"RTX 3090\", or a compute capability such as 8.6); repeatable for a "
                          "machine with several."))
    @click.option("--platform", "platform_name", metavar="OS-ARCH",
                  help=N_("Plan for linux-x86_64, linux-aarch64, macos-arm64, macos-x86_64 or windows-x86_64."))
    @click.option("--refresh", is_flag=True, help=N_("Read the variant pages of the mirrors that carry the build: time "
                  "them, check their links stay on the mirror, and find releases newer than mirrorctl's data."))
    @click.option("--timeout", type=click.FloatRange(0.1, 120), default=5.0, show_default=True,
                  help=N_("Seconds per page for --refresh."))
    @click.option("--write", is_flag=True, help=N_("Write the project form (an explicit index and its sources) into "
                  "./pyproject.toml, backed up first."))
    @click.option("--run", "run_sync", is_flag=True, help=N_("--write, then sync the project (installs the build)."))
    @click.option("--dry-run", is_flag=True, help=N_("With --write: print the diff and write nothing."))
    @click.option("--check", is_flag=True, help=N_("Inspect the installed torch instead (without importing it)."))
    @click.option("--python", "python", metavar="PATH", help=N_("With --check: this interpreter or venv (default: the "
                  "environment in use)."))
    @click.option("--json", "as_json", is_flag=True, help=JSON_HELP)
    def torch_command(torch_version: str | None, variant: str | None, cuda: str | None, driver: str | None,
                      gpus: tuple[str, ...], platform_name: str | None, refresh: bool, timeout: float, write: bool,
                      run_sync: bool, dry_run: bool, check: bool, python: str | None, as_json: bool) -> None:
        """The right PyTorch build for this machine (or another), from the fastest source that has it.

        \b
          mirrorctl torch                      detect GPU and driver, print pip/uv/conda commands
          mirrorctl torch --torch 2.5.1        a given release
          mirrorctl torch --gpu "RTX 3090" --cuda 12.4   plan for another machine
          mirrorctl torch --write              put the uv project form into ./pyproject.toml
          mirrorctl torch --check              is the installed torch right for this machine?
        """
        from mirrorctl.output import torch as render
        from mirrorctl.torch import plan as planning

        if check:
            checked = planning.check(python=python, cuda=cuda, driver=driver, gpus=gpus, platform=platform_name)
            _print_json(render.check_json(checked)) if as_json else _print(render.check_text(checked))
            failed = any(f.level == "error" for f in checked.findings)
            sys.exit(1 if failed else 0)
        result = planning.plan(torch=torch_version, variant=variant, cuda=cuda, driver=driver, gpus=gpus,
                               platform=platform_name, refresh=refresh, timeout=timeout)
        _print_json(render.plan_json(result)) if as_json else _print(render.plan_text(result))
        if result.choice.variant is None:  # no wheel fits (a conda-forge build may be offered instead)
            sys.exit(1)
        if write or run_sync:
            path, old, new, snapshot = planning.write_project(result, dry_run=dry_run)
            _print(render.write_text(path, old, new, snapshot, dry_run), err=as_json)
            if run_sync and not dry_run:
                sys.exit(planning.sync(path.parent))

    return torch_command
