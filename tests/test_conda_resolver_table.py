"""mirrorctl's conda resolver against every case conda 26.7.1 itself resolved (tests/data/conda_observed.json).

No conda is needed here: the table holds, per case, the files (bytes and SHA-256), the environment and what
``conda info --json`` answered (its channel URLs, or the error it stopped with, and whether it printed
"Ignoring configuration file"). tests/test_real_clients_harness.py re-checks the table against the installed
conda where there is one.

For every case, ``mirrorctl current`` (targets/conda.py read -> targets/_channels.py resolve) must give the same
channel URLs in the same order, and the same verdict: a file conda crashes on or refuses is "cannot read"
(``file-refused``, no label), a file conda skips with a warning is "ignores" (``file-ignored``), anything else
resolves with no such finding.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from real_conda import load_observed, materialise

from mirrorctl import core
from mirrorctl.results import ToolState

CASES = load_observed()
#: Cases where mirrorctl deliberately answers differently, and why.
DELIBERATE: dict[str, str] = {
    "long-line-2mb": "mirrorctl reads config files of at most 1 MiB (fileio.read_config) and reports one "
                     "error naming the file for a larger one: conda took 337 s to parse this 2 MB line",
}


def conda_channel_roots(urls: list[str]) -> list[str]:
    """conda lists ``<channel>/<subdir>`` and ``<channel>/noarch``; mirrorctl lists the channel."""
    roots: list[str] = []
    for url in urls:
        root = url.rstrip("/").rsplit("/", 1)[0]
        if root not in roots:
            roots.append(root)
    return roots


def mirrorctl_channel_urls(state: ToolState) -> list[str]:
    urls: list[str] = []
    for setting in state.settings:
        if setting.key == "channel":
            urls += [u for u in setting.resolved if u not in urls]
    return urls


def verdict(state: ToolState) -> str:
    codes = {f.code for f in state.findings}
    if "file-refused" in codes:
        return "cannot read"
    if "file-ignored" in codes:
        return "ignores"
    return "reads"


def conda_verdict(seen: dict[str, Any]) -> str:
    if seen["error"] is not None:
        return "cannot read"
    return "ignores" if seen["ignoring_warning"] else "reads"


def test_the_table_covers_every_kind_of_file():
    kinds = {conda_verdict(c["conda_info"]) for c in CASES}
    assert kinds == {"cannot read", "ignores", "reads"}
    assert len(CASES) >= 30
    names = {c["name"] for c in CASES}
    assert {"cheat-sheet", "channel-alias-tuna-blog", "custom-channels", "custom-multichannels-defaults",
            "default-channels", "names", "final-marker", "env-channel-alias"} <= names
    assert set(DELIBERATE) <= names


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_mirrorctl_resolves_every_observed_case_as_conda_did(case: dict[str, Any], isolated_home: Path,
                                                             monkeypatch: pytest.MonkeyPatch):
    extra = materialise(case, isolated_home)
    for name, value in extra.items():  # what conda was run with on top of its minimal environment
        monkeypatch.setenv(name, value)
    seen = case["conda_info"]
    if case["name"] in DELIBERATE:
        assert conda_verdict(seen) == "reads"
        state = core.current(only="conda")[0]  # one tool's error (file-unread), not a refusal of the command
        [refused] = [f for f in state.findings if f.level == "error"]
        assert (refused.code, refused.path) == ("file-unread", isolated_home / ".condarc"), DELIBERATE[case["name"]]
        assert "over the 1.0 MiB mirrorctl reads" in refused.params["reason"]
        assert state.label.name is None and state.settings == ()
        return
    state = core.current(only="conda")[0]
    assert verdict(state) == conda_verdict(seen), (state.findings, seen)
    if seen["error"] is None:
        assert mirrorctl_channel_urls(state) == conda_channel_roots(seen["channels"]), case["files"]
    else:
        assert state.label.name is None  # no profile's name for a file conda cannot use
    if seen["ignoring_warning"]:
        assert state.label.name is None
        ignored = [f for f in state.findings if f.code == "file-ignored"]
        assert [f.path for f in ignored] == [isolated_home / ".condarc"]
