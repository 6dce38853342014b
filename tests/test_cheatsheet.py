"""The .condarc the popular Chinese cheat-sheets tell people to write (issue 7), switched for real.

What conda itself fetches from after each switch is checked with the real conda in test_real_conda.py; here the
rendered text and mirrorctl's own claims are pinned.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import messages, write

from mirrorctl import core
from mirrorctl.profiles import load_profiles
from mirrorctl.targets import _channels, conda

CHEATSHEET = (Path(__file__).parent / "data" / "cheatsheet.condarc").read_text(encoding="utf-8")
HOSTS = {"tuna": "mirrors.tuna.tsinghua.edu.cn", "ustc": "mirrors.ustc.edu.cn", "aliyun": "mirrors.aliyun.com"}
UPSTREAM_HOSTS = ("repo.anaconda.com", "conda.anaconda.org")


def channel_lines(text: str) -> list[str]:
    """The items of the top-level ``channels`` list (column-0 style, as in the cheat-sheet)."""
    lines = text.split("channels:\n", 1)[1].splitlines()
    items = []
    for line in lines:
        if line and not line.startswith(("- ", "#", " ")):
            break
        if line.startswith("- "):
            items.append(line)
    return items


@pytest.mark.parametrize("name", ["tuna", "ustc", "aliyun", "official"])
def test_every_channel_url_moves_to_the_mirror_or_upstream_and_the_layout_stays(name: str):
    profiles = list(load_profiles().profiles)
    new, findings = conda.render(CHEATSHEET, load_profiles().get(name), profiles)
    head = new.splitlines()[:2]
    assert head == ["channels:", "#  - https://mirrors.tuna.tsinghua.edu.cn/anaconda/pkgs/free/    # 有毒"]
    assert "#  - base\n#  - defaults\n#  - conda-forge\n" in new  # the trailing comments survive
    urls = [line[2:] for line in channel_lines(new)]
    assert urls, new
    allowed = (HOSTS.get(name, "-"), *UPSTREAM_HOSTS)
    for url in urls:
        assert url.split("/")[2] in allowed, (name, url)
    assert len({u.rstrip("/") for u in urls}) == len(urls), "duplicates must be merged"
    # a trailing slash stays a trailing slash
    assert any(u.endswith("/cloud/pytorch/") or u.endswith("conda.anaconda.org/pytorch/") for u in urls)
    for url in urls:  # every channel the mirror does not carry was said, by name
        place = _channels.locate(url, profiles)
        if place and place.owner == "upstream" and name != "official":
            shown = ("pkgs/" if place.kind == "pkgs" else "") + place.channel
            assert any(m.startswith(f"{shown}: {name} does not carry it") for m in messages(findings)), (url, name)


def test_use_tuna_on_the_cheatsheet_says_what_it_did(condarc: Path, pip_conf: Path, conda_installed: Path):
    write(condarc, CHEATSHEET)
    before = core.current(only="conda")[0]
    assert before.label.name == "mixed"
    assert dict(before.label.parts) == {"tuna": 3, "ustc": 2, "upstream": 2}
    result = core.use(name="tuna")
    after = next(s for s in result.after if s.tool == "conda")
    assert after.label.name == "tuna" and dict(after.label.parts)["upstream"] == 1  # msys2: upstream, said so
    text = condarc.read_text(encoding="utf-8")
    assert "- https://mirrors.tuna.tsinghua.edu.cn/anaconda/pkgs/free/\n" in text
    assert any("pkgs/free is legacy" in m for e in result.edits for m in messages(e.findings))
    assert core.restore().snapshot.reason == "use tuna"
    assert condarc.read_text(encoding="utf-8") == CHEATSHEET


def test_a_mixed_configuration_is_never_labelled_with_one_profile(condarc: Path, run):
    write(condarc, "channels:\n  - defaults\n  - conda-forge\n"
                   "default_channels: [https://mirrors.tuna.tsinghua.edu.cn/anaconda/pkgs/main]\n"
                   "custom_channels: {conda-forge: https://mirrors.ustc.edu.cn/anaconda/cloud}\n")
    state = core.current(only="conda")[0]
    assert state.label.name == "mixed" and dict(state.label.parts) == {"tuna": 1, "ustc": 1}
    listed = run("list")
    assert "conda: mixed — tuna (1 channel), ustc (1) (see `mirrorctl current`)" in listed.output
    rows = {line.split()[0]: line.split() for line in listed.output.splitlines()[1:12] if line.strip()}
    assert rows["tuna"][1] == "built-in" and rows["ustc"][1] == "built-in"  # no star for conda on either


def test_use_says_not_fully_switched_when_another_file_keeps_a_mirror(condarc: Path, tmp_path: Path, run):
    write(tmp_path / "home" / ".conda" / "condarc",
          "channels: [https://mirrors.ustc.edu.cn/anaconda/cloud/bioconda]\n")
    write(condarc, "channels: [defaults]\n")
    result = run("use", "aliyun", "--only", "conda")
    assert result.exit_code == 1, result.output  # a file of the user's still wins: not done
    assert "conda: not fully switched to aliyun: mixed — aliyun (3 channels), ustc (1)" in result.output
    assert "conda: now aliyun" not in result.output


def test_channel_alias_from_a_blog_recipe_is_undone_by_reset(condarc: Path):
    recipe = "channel_alias: https://mirrors.tuna.tsinghua.edu.cn/anaconda/cloud\nchannels:\n  - conda-forge\n"
    write(condarc, recipe)
    assert core.current(only="conda")[0].label.name == "tuna"
    result = core.reset(only="conda")
    assert condarc.read_text() == "channels:\n  - conda-forge\n"
    assert result.after[0].label.name == "official"
    assert any("channel_alias pointed at" in m for m in messages(result.edits[0].findings))


def test_private_urls_default_channels_and_multichannels(condarc: Path):
    text = ("channels:\n  - defaults\n  - https://conda.corp.example/private\n"
            "default_channels:\n  - https://mirrors.tuna.tsinghua.edu.cn/anaconda/pkgs/main\n"
            "  - https://mirrors.tuna.tsinghua.edu.cn/anaconda/pkgs/r\n"
            "custom_multichannels:\n  science:\n    - https://mirrors.tuna.tsinghua.edu.cn/anaconda/cloud/bioconda\n"
            "    - https://conda.corp.example/science\n")
    new, _ = conda.render(text, load_profiles().get("ustc"), list(load_profiles().profiles))
    assert "https://conda.corp.example/private" in new and "https://conda.corp.example/science" in new
    assert "    - https://mirrors.ustc.edu.cn/anaconda/cloud/bioconda\n" in new
    assert "default_channels" not in new  # ustc has no pkgs/: defaults goes back upstream


@pytest.mark.parametrize(("text", "words"), [
    ("channels: 5\n", "channels must be a list of channel names or URLs, not '5' (conda refuses this file)"),
    ("channels: defaults\n", "channels must be a list of channel names or URLs, not 'defaults'"),
    ("custom_channels: [a]\n", "custom_channels must be a mapping of channel name to base URL"),
])
def test_a_value_of_the_wrong_type_is_refused_like_conda_refuses_it(text: str, words: str, condarc: Path, run):
    # conda 26.7.1 (clients/README): InvalidTypeError for these, exit 1.
    write(condarc, text)
    result = run("use", "tuna", "--only", "conda")
    assert result.exit_code == 1 and words in result.output and len(result.output.splitlines()) == 1
    assert condarc.read_text() == text
    current = run("current", "--only", "conda")
    assert current.exit_code == 1
    assert current.output.splitlines()[0].startswith("conda: conda cannot read ~/.condarc: line 1: ")
