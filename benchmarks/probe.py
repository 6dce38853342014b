"""Figures for the mirror prober on a loopback fleet (not a test: it prints; it never touches the internet).

Run: ``python benchmarks/probe.py``. Ten fake mirrors on 127.0.0.1 answer after known mean delays from 10 to
300 ms with uniform +/-30 ms jitter (the two best means 20 ms apart, the hardest case the targets allow). Each
bench probes PyPI and conda on all of them at once, with the defaults `mirrorctl bench` uses.

1. accuracy: how often the truly fastest mirror is picked, over 20 runs (target: at least 95 %);
2. wall time: against the ideal, the slowest mirror's delay times the samples (target: 1.3 x ideal + 150 ms);
3. one dead mirror (accepts, never answers) added: wall time (target: --timeout + 300 ms);
4. memory: peak RSS (VmHWM, Linux) of a separate process that only probes (target: under 60 MiB).
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import sys
import time
from functools import partial
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from loopback_mirrors import Fleet, MirrorSpec  # noqa: E402

from mirrorctl import probe  # noqa: E402
from mirrorctl.probe import DEFAULT_SAMPLES, ProbeResult, run_bench  # noqa: E402
from mirrorctl.rank import fastest  # noqa: E402

DELAYS_MS = (10, 30, 60, 90, 120, 150, 180, 220, 260, 300)
JITTER_MS = 30
RUNS = 20
DEAD_RUNS = 5
TIMEOUT_S = 5.0
DEAD_TIMEOUT_S = 2.0
MEMORY_LIMIT_MIB = 60

#: The child process for the memory figure: the prober alone, with the fleet left in this process. It reports
#: VmHWM, the peak RSS of its own address space. (getrusage's ru_maxrss would be wrong here: Linux carries the
#: high-water mark across fork and exec, so a child started from this process reports this process's peak.)
MEMORY_CHILD = """
import json, sys
from pathlib import Path
sys.path.insert(0, sys.argv[1])
from mirrorctl import probe
from mirrorctl.profiles import parse_profile
profiles = [parse_profile(Path(f"/nonexistent/{name}.toml"), data, builtin=False)
            for name, data in json.loads(sys.argv[2]).items()]
results = probe.run_bench(profiles, client_factory=lambda: probe.make_client(trust_env=False))
assert sum(r.ok for r in results) == len(results), [r.detail for r in results if not r.ok]
"""
PEAK_RSS = """
with open("/proc/self/status") as status:
    print(next(line.split()[1] for line in status if line.startswith("VmHWM:")))  # KiB
"""


def name(delay_ms: int) -> str:
    return f"m{delay_ms:03d}"


def timed_bench(fleet: Fleet, **options: Any) -> tuple[float, list[ProbeResult]]:
    """Wall time in ms of one bench with the CLI's defaults, and its ranked results."""
    started = time.perf_counter()
    loopback_client = partial(probe.make_client, trust_env=False)
    results = run_bench(fleet.profiles(), client_factory=loopback_client, **options)
    return (time.perf_counter() - started) * 1000, results


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def accuracy(fleet: Fleet, *, label: str, **options: Any) -> list[float]:
    """Run RUNS benches; print how often each tool's pick was the truly fastest mirror. Returns wall times."""
    best = name(min(DELAYS_MS))
    hits = {"pypi": 0, "conda": 0}
    walls = []
    for _ in range(RUNS):
        wall, results = timed_bench(fleet, **options)
        walls.append(wall)
        for target in hits:
            choice = fastest(results, target)
            hits[target] += choice is not None and choice.profile == best
    for target, count in hits.items():
        share = count / RUNS
        print(f"  {label:<37} {target:<5}  {count:2d}/{RUNS} = {share:4.0%}  "
              f"(target >= 95 %)  {verdict(share >= 0.95)}")
    return walls


def main() -> int:
    print(f"mirrorctl probe benchmark: Python {platform.python_version()}, {os.cpu_count()} CPUs, "
          f"{len(DELAYS_MS)} loopback mirrors, mean delays {DELAYS_MS[0]}-{DELAYS_MS[-1]} ms, "
          f"+/-{JITTER_MS} ms uniform jitter, pypi + conda on each ({2 * len(DELAYS_MS)} targets per bench)")
    specs = [MirrorSpec(name(d), delay=d / 1000, jitter=JITTER_MS / 1000) for d in DELAYS_MS]
    started = time.perf_counter()

    with Fleet(specs, seed=1) as fleet:
        print(f"\n1. Accuracy: picks the truly fastest ({name(min(DELAYS_MS))}; runner-up 20 ms slower), "
              f"{RUNS} runs, samples={DEFAULT_SAMPLES}, timeout={TIMEOUT_S:g} s")
        walls = accuracy(fleet, label="default (spare sampling on)", timeout=TIMEOUT_S)
        accuracy(fleet, label="for comparison: max_samples=samples", timeout=TIMEOUT_S,
                 max_samples=DEFAULT_SAMPLES)

        ideal = max(DELAYS_MS) * DEFAULT_SAMPLES
        bound = 1.3 * ideal + 150
        within = sum(w <= bound for w in walls)
        print(f"\n2. Wall time, same {RUNS} default runs: ideal {ideal} ms "
              f"(slowest delay x {DEFAULT_SAMPLES} samples), target <= {bound:.0f} ms")
        print(f"  median {statistics.median(walls):.0f} ms, min {min(walls):.0f} ms, "
              f"max {max(walls):.0f} ms; within target {within}/{RUNS}  {verdict(within == RUNS)}")

    with Fleet([*specs, MirrorSpec("dead", behaviour="hang")], seed=2) as fleet:
        bound = DEAD_TIMEOUT_S * 1000 + 300
        print(f"\n3. One dead mirror added (accepts, never answers), timeout={DEAD_TIMEOUT_S:g} s, "
              f"target <= {bound:.0f} ms, {DEAD_RUNS} runs")
        dead_walls = []
        for _ in range(DEAD_RUNS):
            wall, results = timed_bench(fleet, timeout=DEAD_TIMEOUT_S)
            dead_walls.append(wall)
            errors = sorted({r.error for r in results if r.profile == "dead"})
            assert errors == ["timeout"], errors
            assert all(r.ok for r in results if r.profile != "dead")
        within = sum(w <= bound for w in dead_walls)
        print(f"  walls {', '.join(f'{w:.0f}' for w in dead_walls)} ms; the dead mirror reported as timeout; "
              f"within target {within}/{DEAD_RUNS}  {verdict(within == DEAD_RUNS)}")

    with Fleet(specs, seed=3) as fleet:
        profiles = {
            name(d): {"pypi": {"index": f"{fleet.base_url(name(d))}/simple"},
                      "conda": {"default_channels": [f"{fleet.base_url(name(d))}/pkgs/main"]}}
            for d in DELAYS_MS
        }
        child = subprocess.run(
            [sys.executable, "-c", MEMORY_CHILD + PEAK_RSS, str(ROOT), json.dumps(profiles)],
            capture_output=True, text=True, check=True,
        )
    bare = subprocess.run([sys.executable, "-c", PEAK_RSS], capture_output=True, text=True, check=True)
    peak = int(child.stdout.split()[-1]) / 1024
    bare_peak = int(bare.stdout.split()[-1]) / 1024
    print(f"\n4. Memory: peak RSS (VmHWM) of a child process that imports mirrorctl.probe and benches the "
          f"{len(DELAYS_MS)} mirrors ({2 * len(DELAYS_MS)} targets); the fleet runs in this process")
    print(f"  peak {peak:.1f} MiB (a bare `python -c` peaks at {bare_peak:.1f} MiB), "
          f"target < {MEMORY_LIMIT_MIB} MiB  {verdict(peak < MEMORY_LIMIT_MIB)}")

    print(f"\nbenchmark took {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
