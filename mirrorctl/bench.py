"""`mirrorctl bench` and `use --fastest`, free of click: pick profiles, probe them, judge the results.

The probing lives in ``mirrorctl.probe`` (httpx and asyncio in ``probe.fanout`` / ``probe.sampling``, judged
by the pure ``probe.rank``, worded by ``probe.report``); this module decides what to probe and turns the
results into a choice per tool.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, NamedTuple, TextIO

from mirrorctl.errors import MirrorctlError
from mirrorctl.profiles import UPSTREAM_PROFILE, Profile, load_profiles
from mirrorctl.targets import base

if TYPE_CHECKING:
    from mirrorctl.probe.model import ProbeResult

#: The profile tables in the order tables and choices show them.
ECOSYSTEM_ORDER = ("pypi", "conda")


class BenchResult(NamedTuple):
    results: list[ProbeResult]
    #: (profile, "pypi"|"conda") pairs currently configured, marked in the table.
    in_effect: set[tuple[str, str]]
    by: str = "latency"


class FastestChoice(NamedTuple):
    #: tool ("pip", "conda") -> profile name to switch it to.
    profiles: dict[str, str]
    #: tool -> the result that won it.
    winners: dict[str, ProbeResult]
    #: tools with no healthy, fresh mirror: left unchanged.
    skipped: tuple[str, ...]
    results: list[ProbeResult]
    by: str = "install"


def _select(names: tuple[str, ...]) -> tuple[list[Profile], list[Profile]]:
    """The profiles to probe, and the upstream profile to read freshness from when it is not among them."""
    profiles = load_profiles()
    chosen = [profiles.get(name) for name in names] if names else list(profiles.profiles)
    unique = list({p.name: p for p in chosen}.values())
    upstream = [p for p in profiles.profiles if p.name == UPSTREAM_PROFILE and p not in unique]
    return unique, upstream


def bench(*, names: tuple[str, ...] = (), only: Sequence[str] | str | None = None, samples: int = 3,
          timeout: float = 5.0, by: str = "latency", throughput: bool = False, upstream: bool = True,
          progress: TextIO | None = None, settle_only: bool = False,
          on_result: Callable[[ProbeResult, int, int], None] | None = None) -> BenchResult:
    """Probe the named profiles (all when none are named) for the ecosystems of the tools in ``only`` (all).

    ``by="install"`` (or the older ``throughput=True``) also downloads a bounded part of a real package file
    from the leading contenders, to rank by estimated install time. ``on_result(result, done, total)`` hears each
    result as it settles (the picker's latency column); ``progress`` gets the "probing 7/18..." line instead.
    """
    from mirrorctl.probe.fanout import run_bench
    from mirrorctl.probe.report import progress_reporter

    by = "install" if throughput else by
    ecosystem = _one_ecosystem(only)
    profiles, reference = _select(names)
    results = run_bench(profiles, only=ecosystem, upstream=reference if upstream else (), samples=samples,
                        timeout=timeout, by=by, settle_only=settle_only,
                        on_result=on_result or (progress_reporter(progress) if progress is not None else None))
    if not results:
        raise MirrorctlError("the named profiles have no mirror for " + ", ".join(base.tool_names() if only is None
                                                                                    else _names(only)))
    return BenchResult(results, _in_effect(profiles), by)


def _names(only: Sequence[str] | str) -> list[str]:
    return [only] if isinstance(only, str) else list(only)


def _one_ecosystem(only: Sequence[str] | str | None) -> str | None:
    """The profile table to probe for these tools: one of them, or None for every table."""
    if only is None:
        return None
    ecosystems = {e for target in base.selected(_names(only)) for e in target.ecosystems}
    return ecosystems.pop() if len(ecosystems) == 1 else None


def _in_effect(profiles: list[Profile]) -> set[tuple[str, str]]:
    pairs: set[tuple[str, str]] = set()
    for target in base.all_targets():
        if not target.present():
            continue
        state = target.read(profiles)
        if state.profile:
            pairs.update((state.profile, ecosystem) for ecosystem in target.ecosystems)
    return pairs


def choose_fastest(*, names: tuple[str, ...] = (), only: Sequence[str] | str | None = None, samples: int = 3,
                   timeout: float = 5.0, by: str = "install", upstream: bool = True,
                   progress: TextIO | None = None) -> FastestChoice:
    """Benchmark, then pick for each tool its best healthy mirror that is not stale (``by`` install or latency).

    The race ends as soon as the pick is settled: mirrors out of the race are not waited for.
    """
    from mirrorctl.probe.rank import fastest, fastest_for_all

    modules = base.selected(only)
    measured = bench(names=names, only=only, samples=samples,
                     timeout=timeout, by=by, upstream=upstream, progress=progress, settle_only=True)
    chosen: dict[str, str] = {}
    winners: dict[str, ProbeResult] = {}
    skipped = []
    for module in modules:
        if len(module.ecosystems) == 1:
            winner = fastest(measured.results, next(iter(module.ecosystems)), by=by)
        else:  # a tool serving several ecosystems takes all of them from one profile
            winner = fastest_for_all(measured.results, sorted(module.ecosystems, key=ECOSYSTEM_ORDER.index), by=by)
        if winner is None:
            skipped.append(module.name)
            continue
        chosen[module.name], winners[module.name] = winner.profile, winner
    if not chosen:
        raise MirrorctlError("no mirror answered correctly and in time; nothing was changed (see `mirrorctl bench`)")
    return FastestChoice(chosen, winners, tuple(skipped), measured.results, by)


def choice_text(choice: FastestChoice) -> str:
    from mirrorctl.probe.report import choice_text as words

    return words(choice.winners, choice.skipped, by=choice.by)


def choice_json(choice: FastestChoice) -> dict[str, object]:
    """The figures each tool's pick was made on, for `use --fastest --json`."""
    return {"by": choice.by, "tools": {tool: result.to_json() for tool, result in choice.winners.items()},
            "skipped": list(choice.skipped)}
