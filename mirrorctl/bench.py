"""`mirrorctl bench` and `use --fastest`, free of click: pick profiles, probe them, judge the results.

The probing itself lives in ``probe`` (httpx, asyncio) and the judging in ``rank`` (pure); this module decides
what to probe and turns the results into a choice per tool.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple, TextIO

from mirrorctl import targets
from mirrorctl.errors import MirrorctlError
from mirrorctl.profiles import Profile, load_profiles

if TYPE_CHECKING:
    from mirrorctl.probe import ProbeResult

UPSTREAM = "official"


class BenchResult(NamedTuple):
    results: list[ProbeResult]
    #: (profile, "pypi"|"conda") pairs currently configured, marked in the table.
    in_effect: set[tuple[str, str]]


class FastestChoice(NamedTuple):
    #: tool ("pip", "conda") -> profile name to switch it to.
    profiles: dict[str, str]
    #: tool -> the result that won it.
    winners: dict[str, ProbeResult]
    #: tools with no healthy, fresh mirror: left unchanged.
    skipped: tuple[str, ...]
    results: list[ProbeResult]


def _select(names: tuple[str, ...]) -> tuple[list[Profile], list[Profile]]:
    """The profiles to probe, and the upstream profile to read freshness from when it is not among them."""
    profiles = load_profiles()
    chosen = [profiles.get(name) for name in names] if names else list(profiles.profiles)
    unique = list({p.name: p for p in chosen}.values())
    upstream = [p for p in profiles.profiles if p.name == UPSTREAM and p not in unique]
    return unique, upstream


def bench(*, names: tuple[str, ...] = (), only: str | None = None, samples: int = 3, timeout: float = 5.0,
          throughput: bool = False, upstream: bool = True, progress: TextIO | None = None) -> BenchResult:
    """Probe the named profiles (all when none are named) for ``only`` ("pypi" or "conda", or both)."""
    from mirrorctl.probe import run_bench
    from mirrorctl.probe_report import progress_reporter

    profiles, reference = _select(names)
    results = run_bench(profiles, only=only, upstream=reference if upstream else (), samples=samples,
                        timeout=timeout, throughput=throughput,
                        on_result=progress_reporter(progress) if progress is not None else None)
    if not results:
        raise MirrorctlError("the named profiles have no mirror for " + (only or "pypi or conda"))
    return BenchResult(results, _in_effect(profiles))


def _in_effect(profiles: list[Profile]) -> set[tuple[str, str]]:
    pairs = set()
    for module in targets.all_targets():
        state = module.inspect(profiles)
        if state.profile:
            pairs.add((state.profile, module.ECOSYSTEM))
    return pairs


def choose_fastest(*, names: tuple[str, ...] = (), only: str | None = None, samples: int = 3,
                   timeout: float = 5.0, upstream: bool = True, progress: TextIO | None = None) -> FastestChoice:
    """Benchmark, then pick for each tool its fastest healthy mirror that is not stale."""
    from mirrorctl.rank import fastest

    modules = targets.selected(only)
    ecosystems = {m.ECOSYSTEM for m in modules}
    measured = bench(names=names, only=ecosystems.pop() if len(ecosystems) == 1 else None, samples=samples,
                     timeout=timeout, upstream=upstream, progress=progress)
    chosen: dict[str, str] = {}
    winners: dict[str, ProbeResult] = {}
    skipped = []
    for module in modules:
        winner = fastest(measured.results, module.ECOSYSTEM)
        if winner is None:
            skipped.append(module.NAME)
            continue
        chosen[module.NAME], winners[module.NAME] = winner.profile, winner
    if not chosen:
        raise MirrorctlError("no mirror answered correctly and in time; nothing was changed (see `mirrorctl bench`)")
    return FastestChoice(chosen, winners, tuple(skipped), measured.results)


def choice_text(choice: FastestChoice) -> str:
    lines = []
    for tool, result in choice.winners.items():
        figures = f"median {result.latency_ms:.0f} ms over {len(result.samples_ms)} samples"
        if result.connect_ms is not None:
            figures += f", connect {result.connect_ms:.0f} ms"
        lines.append(f"fastest for {tool}: {result.profile} ({figures}, {result.host})")
    for tool in choice.skipped:
        lines.append(f"{tool}: no healthy, up-to-date mirror answered; left unchanged")
    return "\n".join(lines) + "\n"
