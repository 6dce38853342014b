"""What ``mirrorctl torch`` hands the tool modules and the output layer: frozen records, no wording."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, NamedTuple

from mirrorctl.results import Finding

if TYPE_CHECKING:
    from mirrorctl.torch.choose import Choice
    from mirrorctl.torch.detect import Machine
    from mirrorctl.torch.source import WheelSource


class CondaPlan(NamedTuple):
    """conda-forge's ``pytorch`` for the same release (the frozen ``pytorch`` channel stops at 2.5.1)."""

    pytorch: str
    #: "12.9" -> ``cuda-version=12.9``; None: the CPU build.
    cuda_version: str | None
    #: CONDA_OVERRIDE_CUDA for a plan made for another machine ("" hides a GPU); None: not needed.
    override: str | None = None
    #: The build string to force ("cuda*", "cpu*"); None: let the solver pick (macOS has one kind).
    build: str | None = None


class Install(NamedTuple):
    """Exactly what to install: the versions, the local tag, and where from."""

    torch: str
    torchvision: str | None
    torchaudio: str | None
    variant: str
    source: WheelSource
    conda: CondaPlan | None = None

    def pins(self) -> list[tuple[str, str]]:
        """(project, exact version with the local tag) for each package to install."""
        local = self.source.local
        found = [("torch", self.torch + local)]
        if self.torchvision:
            found.append(("torchvision", self.torchvision + local))
        if self.torchaudio:
            found.append(("torchaudio", self.torchaudio + local))
        return found

    @property
    def index_name(self) -> str:
        return f"pytorch-{self.variant}"


class Command(NamedTuple):
    """One way to install it with one tool: an argv to run, or a file snippet plus the argv that applies it."""

    tool: str
    #: "install" (into the environment in use), "pip-interface" (a tool's pip-compatible command), "project"
    #: (written into pyproject.toml), "conda".
    form: str
    argv: tuple[str, ...]
    env: Mapping[str, str] = {}
    #: File name -> the text to put there (the project form).
    files: Mapping[str, str] = {}


class TorchPlan(NamedTuple):
    machine: Machine
    choice: Choice
    source: WheelSource | None
    install: Install | None
    commands: tuple[Command, ...]
    findings: tuple[Finding, ...] = ()
    #: Profile -> seconds its variant page took, when --refresh read them.
    timings: Mapping[str, float] = {}
