"""The real conda 26.7.1 (../shared/clients) is the judge of what mirrorctl writes and says about conda.

For the cheat-sheet `.condarc`, a channel_alias blog recipe and TUNA's own template, after each of `use tuna`,
`use ustc`, `use aliyun`, `use official` and `reset`: every URL conda fetches from is on the target mirror or on
upstream, and `mirrorctl current` agrees with conda channel by channel.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import write
from real_conda import conda_client, requires_conda

from mirrorctl import core

pytestmark = [pytest.mark.real_client, requires_conda]

FILES = {
    "cheatsheet": (Path(__file__).parent / "data" / "cheatsheet.condarc").read_text(encoding="utf-8"),
    "alias-recipe": "channel_alias: https://mirrors.tuna.tsinghua.edu.cn/anaconda/cloud\n"
                    "channels:\n  - conda-forge\n  - defaults\n",
    "tuna-template": "channels:\n  - defaults\nshow_channel_urls: true\ndefault_channels:\n"
                     "  - https://mirrors.tuna.tsinghua.edu.cn/anaconda/pkgs/main\n"
                     "  - https://mirrors.tuna.tsinghua.edu.cn/anaconda/pkgs/r\n"
                     "  - https://mirrors.tuna.tsinghua.edu.cn/anaconda/pkgs/msys2\n"
                     "custom_channels:\n  conda-forge: https://mirrors.tuna.tsinghua.edu.cn/anaconda/cloud\n"
                     "  pytorch: https://mirrors.tuna.tsinghua.edu.cn/anaconda/cloud\n",
}
HOSTS = {"tuna": "mirrors.tuna.tsinghua.edu.cn", "ustc": "mirrors.ustc.edu.cn", "aliyun": "mirrors.aliyun.com",
         "official": "-", "reset": "-"}
UPSTREAM = ("repo.anaconda.com", "conda.anaconda.org")


def _channel_roots(urls: tuple[str, ...]) -> set[str]:
    """conda lists <channel>/<subdir> and <channel>/noarch: keep the channel."""
    return {url.rstrip("/").rsplit("/", 1)[0] for url in urls}


@pytest.mark.parametrize("action", ["tuna", "ustc", "aliyun", "official", "reset"])
@pytest.mark.parametrize("name", sorted(FILES))
def test_conda_fetches_from_the_mirror_or_upstream_and_mirrorctl_agrees(name: str, action: str, condarc: Path,
                                                                      isolated_home: Path):
    write(condarc, FILES[name])
    if action == "reset":
        core.reset(only="conda")
    else:
        core.use(name=action, only="conda")
    seen = conda_client().resolve(isolated_home, {"CONDARC": str(condarc)})
    assert seen.error is None and seen.channels, seen
    for url in seen.channels:
        assert url.split("/")[2] in (HOSTS[action], *UPSTREAM), (name, action, url, condarc.read_text())
    state = core.current(only="conda")[0]
    ours = {u for s in state.settings if s.key == "channel" for u in s.resolved}
    assert ours == _channel_roots(seen.channels), (name, action, condarc.read_text())
    on_mirror = any(url.split("/")[2] == HOSTS[action] for url in seen.channels)
    # The profile's name only when conda really fetches from it (ustc has no pkgs/: `defaults` alone is upstream)
    assert state.label.name == (action if on_mirror else "official"), (state.label, condarc.read_text())
