"""Run the property-based damage suite (tests/test_fuzz.py) with a large example budget and print figures.

    python benchmarks/fuzz.py            # 5000 examples
    python benchmarks/fuzz.py 20000

Prints the examples run, the time taken, and how often each known parsing failure (test_fuzz.KNOWN) was hit;
any other failure fails the run with hypothesis' minimal example. Everything runs in pytest's isolated home.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


class Report:
    def __init__(self) -> None:
        self.started = time.monotonic()

    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        import test_fuzz  # imported by pytest from tests/ (rootdir conftest)

        took = time.monotonic() - self.started
        print(f"\nexamples: {test_fuzz.EXAMPLES}  time: {took:.1f} s  exit status: {exitstatus}")
        for name in test_fuzz.KNOWN:
            print(f"known {name}: hit {test_fuzz.SEEN[name]} times")


def main() -> int:
    examples = sys.argv[1] if len(sys.argv) > 1 else "5000"
    os.environ["MIRRORCTL_FUZZ_EXAMPLES"] = examples
    args = [str(ROOT / "tests" / "test_fuzz.py"), "-q", "-x", "-p", "no:cacheprovider",
            "-k", "refused_or_restored", "--hypothesis-show-statistics"]
    return int(pytest.main(args, plugins=[Report()]))


if __name__ == "__main__":
    sys.exit(main())
