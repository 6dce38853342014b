"""Built-in and user profiles: schema, validation, overriding."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import write

from mirrorctl import paths
from mirrorctl.errors import MirrorctlError, ProfileError
from mirrorctl.profiles import load_profiles, user_profile_document

BUILTIN = {"official", "tuna", "ustc", "aliyun", "bfsu", "sjtu", "nju", "tencent", "huawei"}


def test_every_builtin_profile_loads_with_valid_urls():
    profiles = load_profiles()
    assert profiles.problems == ()
    assert set(profiles.names()) == BUILTIN
    assert load_profiles().get("tsinghua").name == "tuna"
    for profile in profiles.profiles:
        assert profile.builtin and profile.title and (profile.pypi or profile.conda)


def test_partial_coverage_is_modelled_honestly():
    profiles = load_profiles()
    ustc = profiles.get("ustc")
    assert ustc.conda.default_channels == () and set(ustc.conda.custom_channels) == {"conda-forge", "bioconda"}
    assert profiles.get("huawei").conda is None


def test_unverified_sources_stay_visible():
    profiles = load_profiles()
    for name in ("aliyun", "tencent", "huawei"):
        assert profiles.get(name).pypi.verified is False
        assert "UNVERIFIED" in profiles.get(name).pypi.source
    text = (paths.builtin_profiles_dir() / "aliyun.toml").read_text()
    assert "UNVERIFIED" in text.splitlines()[0]
    # NJU's PyPI and Anaconda are documented by NJU itself (nju-lug/NJU-Mirror-Frontend's help pages); its PyTorch
    # index is not, and SJTUG's torch_stable.html is frozen upstream at about torch 2.4 (pytorch/pytorch#136939).
    assert profiles.get("nju").pypi.verified and profiles.get("nju").conda.verified
    assert not profiles.get("nju").pytorch.verified
    assert not profiles.get("sjtu").pytorch.verified and "frozen" in profiles.get("sjtu").pytorch.source
    assert "nvidia" not in profiles.get("aliyun").conda.custom_channels
    assert profiles.get("huawei").pypi.index_url.startswith("https://mirrors.huaweicloud.com/")


def test_a_user_profile_whose_name_differs_from_its_file_is_refused():
    write(paths.user_profiles_dir() / "campus.toml", 'name = "other"\n[pypi]\nindex = "https://p.example/simple"\n')
    profiles = load_profiles()
    assert "campus" not in profiles.names() and "other" not in profiles.names()
    assert "is 'other' but the file is campus.toml" in profiles.problems[0].message


def test_a_broken_user_profile_never_falls_back_to_the_builtin_of_that_name():
    write(paths.user_profiles_dir() / "tuna.toml", 'name = "tuna"\n[pypi]\nindex = "ftp://x"\n')
    with pytest.raises(ProfileError, match="index"):
        load_profiles().get("tuna")


def test_a_user_profile_overrides_a_builtin_of_the_same_name():
    write(paths.user_profiles_dir() / "tuna.toml", 'name = "tuna"\n[pypi]\nindex = "https://my.tuna.example/simple"\n')
    profile = load_profiles().get("tuna")
    assert (profile.builtin, profile.pypi.index_url) == (False, "https://my.tuna.example/simple")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[pypi]\nindex = "ftp://x/simple"\n', "key 'pypi.index' must start with http:// or https://"),
        ('[pypi]\nindex = "https:///simple"\n', "key 'pypi.index' has no host"),
        ('[pypi]\nindex = 3\n', "key 'pypi.index' must be a non-empty string"),
        ('title = "no mirrors"\n', "a profile needs a [pypi] or a [conda] table"),
        ('[conda]\ndefault_channels = ["https://ok.example/pkgs/main", "nope"]\n',
         "key 'conda.default_channels[1]' must start with http:// or https://"),
        ('[pypi\nindex = "https://x/simple"\n', "invalid TOML"),
        ('[conda]\ncustom_channels = { "bad name" = "https://m.example/cloud" }\n',
         "key 'conda.custom_channels.bad name' is not a conda channel name: it must not contain spaces"),
    ],
)
def test_a_broken_user_profile_is_named_and_the_others_keep_working(text, message):
    path = write(paths.user_profiles_dir() / "broken.toml", text)
    profiles = load_profiles()
    assert set(profiles.names()) == BUILTIN
    (problem,) = profiles.problems
    assert problem.path == path and message in problem.message
    with pytest.raises(ProfileError):
        profiles.get("broken")


def test_anaconda_base_expands_to_defaults_and_cloud():
    text, findings = user_profile_document("campus", pypi="https://pypi.campus.example/simple/",
                                           anaconda="https://m.campus.example/anaconda/", title=None)
    assert findings == []
    assert 'default_channels = ["https://m.campus.example/anaconda/pkgs/main", ' in text
    assert 'conda-forge = "https://m.campus.example/anaconda/cloud"' in text
    assert 'index = "https://pypi.campus.example/simple"' in text


def test_user_profile_document_rejects_bad_input():
    with pytest.raises(MirrorctlError, match="give --pypi URL, --anaconda BASE, or both"):
        user_profile_document("x", pypi=None, anaconda=None, title=None)
    with pytest.raises(MirrorctlError, match="--pypi must start with http"):
        user_profile_document("x", pypi="pypi.example/simple", anaconda=None, title=None)
    with pytest.raises(MirrorctlError, match="lower-case"):
        user_profile_document("Bad Name", pypi="https://x/simple", anaconda=None, title=None)


def test_profiles_are_reparsed_when_their_bytes_change():
    path = write(paths.user_profiles_dir() / "mine.toml", 'name = "mine"\n[pypi]\nindex = "https://a.example/simple"\n')
    assert load_profiles().get("mine").pypi.index_url == "https://a.example/simple"
    write(path, 'name = "mine"\n[pypi]\nindex = "https://b.example/simple"\n')  # same size, other bytes
    assert load_profiles().get("mine").pypi.index_url == "https://b.example/simple"


def test_status_feed_field_is_optional_and_checked() -> None:
    from mirrorctl.profiles import StatusFeed, parse_profile

    path = Path("/nonexistent/x.toml")
    base = {"name": "x", "pypi": {"index": "https://x.example/simple"}}
    assert parse_profile(path, base, builtin=False).status is None
    feed = {"url": "https://x.example/static/tunasync.json", "format": "tunasync"}
    assert parse_profile(path, {**base, "status": feed}, builtin=False).status == StatusFeed(**feed)
    with pytest.raises(ProfileError, match=r"status\.format"):
        parse_profile(path, {**base, "status": {**feed, "format": "rss"}}, builtin=False)
    with pytest.raises(ProfileError, match=r"status\.url"):
        parse_profile(path, {**base, "status": {"url": "ftp://x", "format": "mirrorz"}}, builtin=False)
    builtin = {p.name: p.status for p in load_profiles().profiles}
    assert {name: feed.format for name, feed in builtin.items() if feed} == {
        "tuna": "tunasync", "bfsu": "tunasync", "nju": "tunasync", "ustc": "mirrorz", "sjtu": "mirrorz"}


@pytest.mark.parametrize(("channel", "problem"), [
    ("bad name", "must not contain spaces"),
    ("bad\tname", "must not contain spaces"),
    (" conda-forge", "must not contain spaces"),
    ("conda-forge/", "must be letters, digits, '.', '_' or '-' (parts separated by '/')"),
    ("a//b", "must be letters, digits, '.', '_' or '-' (parts separated by '/')"),
    ("https://x/cloud", "must be letters, digits, '.', '_' or '-' (parts separated by '/')"),
    ("", "must be letters, digits, '.', '_' or '-' (parts separated by '/')"),
])
def test_profile_add_refuses_a_channel_name_conda_would_put_into_a_broken_url(run, channel: str, problem: str):
    """conda joins a channel name into its URLs verbatim (conda/models/channel.py Channel.urls), so
    `bad name` would be fetched as `<base>/bad name/linux-64` and fail: refused before anything is written."""
    result = run("profile", "add", "campus", "--anaconda", "https://m.example/anaconda", "--channel", channel)
    assert result.exit_code == 1
    assert result.output == f"mirrorctl: error: --channel {channel!r} is not a conda channel name: it {problem}\n"
    assert not (paths.user_profiles_dir() / "campus.toml").exists()


@pytest.mark.parametrize("channel", ["conda-forge", "pkgs/main", "dglteam/label/cu118", "pytorch3d", "r_pkgs",
                                     "Paddle", "nvidia.dev"])
def test_profile_add_accepts_real_channel_names(run, channel: str):
    result = run("profile", "add", "campus", "--anaconda", "https://m.example/anaconda", "--channel", channel)
    assert result.exit_code == 0, result.output
    assert load_profiles().get("campus").conda.custom_channels == {channel: "https://m.example/anaconda/cloud"}


@pytest.mark.parametrize("entry, problem", [
    ({"channels": ["pkgs/main"], "subdirs": ["osx-arm46"]},
     "key 'conda.coverage[0].subdirs' names 'osx-arm46', which is not a conda platform subdir"),
    ({"channels": ["pkgs/main"], "subdirs": ["noarch"], "mirrored": False},
     "key 'conda.coverage[0].channels' needs exactly one of subdirs, missing or mirrored = false"),
    ({"subdirs": ["noarch"]}, "key 'conda.coverage[0].channels' is required and must be a list of strings"),
    ({"channels": ["bad name"], "mirrored": False},
     "key 'conda.coverage[0].channels' is not a conda channel name: it must not contain spaces"),
])
def test_coverage_facts_are_checked_with_the_key_named(run, entry: dict, problem: str) -> None:
    import tomlkit

    document = {"name": "mine", "conda": {"custom_channels": {"conda-forge": "https://m.example/anaconda/cloud"},
                                          "coverage": [entry]}}
    path = write(paths.user_profiles_dir() / "mine.toml", tomlkit.dumps(document))
    result = run("profile", "show", "mine")
    assert (result.exit_code, result.output) == (1, f"mirrorctl: error: {path}: {problem}\n")


def test_builtin_coverage_facts_keep_their_source_and_verification() -> None:
    profiles = {p.name: p for p in load_profiles().profiles}
    sjtu = profiles["sjtu"].conda
    assert sjtu is not None
    fact = sjtu.fact("pkgs/main")
    assert fact is not None and fact.verified and "conda.pkgs.yaml" in fact.source
    assert (fact.gap("osx-arm64"), fact.gap("linux-aarch64"), fact.gap("linux-64")) == ("subdir", "subdir", None)
    nju = profiles["nju"].conda
    assert nju is not None and nju.fact("nvidia") is not None
    assert nju.fact("nvidia").verified is False and "UNVERIFIED" in nju.fact("nvidia").source  # type: ignore[union-attr]
    ustc = profiles["ustc"].conda
    assert ustc is not None and ustc.fact("pkgs/main").redirects_to == "tuna"  # type: ignore[union-attr]
