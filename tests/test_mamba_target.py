"""mamba / micromamba: mirrored_channels in ~/.mambarc, tested against mamba's documented (code-read) semantics.

No mamba client exists on this machine. The expectations come from mamba 2.8.1's source (mamba-org/mamba):
``libmamba/src/api/configuration.cpp`` ``Configuration::compute_default_rc_sources`` (L2145: the .mambarc
locations, mamba user files after conda's, the target prefix last, so it beats everything);
``libmamba/include/mamba/api/configuration_impl.hpp`` L105-114 (``Source<T>::merge``: a map is taken whole from
the highest-precedence file, not merged); ``libmamba/src/api/channel_loader.cpp`` L240-270 (every
mirrored_channels key becomes an active channel, so only channels in use may get one); ``changes-2.0.rst`` and
USTC's mirrorhelp for the ``{name: [full channel URL]}`` form; ``libmamba/src/api/install.cpp`` L1176-1189
(``channels_hook`` strips ``nodefaults``).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cache_files import cache_text, write_cache_text
from conftest import messages, write

from mirrorctl import core
from mirrorctl.errors import ConfigParseError
from mirrorctl.profiles import load_profiles
from mirrorctl.targets import mamba

TUNA = "https://mirrors.tuna.tsinghua.edu.cn/anaconda/cloud"
USTC = "https://mirrors.ustc.edu.cn/anaconda/cloud"

REALISTIC = """\
# micromamba settings — 我的配置
channels:
  - conda-forge   # community
  - bioconda
  - nodefaults
mirrored_channels:
  # the lab's OCI mirror
  nvidia:
    - oci://ghcr.io/channel-mirrors/nvidia
always_yes: true
"""


def profiles():
    return list(load_profiles().profiles)


def profile(name):
    return load_profiles().get(name)


@pytest.fixture
def mambarc(isolated_home: Path) -> Path:
    return isolated_home / ".mambarc"


def mirrored(text: str) -> dict:
    return mamba.yaml.plain(mamba.load(text, None)).get("mirrored_channels")


def test_use_tuna_writes_only_the_channels_in_use_and_keeps_the_rest():
    new, findings = mamba.render(REALISTIC, profile("tuna"), profiles())
    assert mirrored(new) == {"nvidia": ["oci://ghcr.io/channel-mirrors/nvidia"],
                             "conda-forge": [f"{TUNA}/conda-forge"], "bioconda": [f"{TUNA}/bioconda"]}
    # tuna also carries pytorch, rapidsai ...: none is in `channels`, so none becomes a key (each would be active)
    assert not {"pytorch", "rapidsai", "nodefaults"} & set(mirrored(new))
    for kept in ("# micromamba settings — 我的配置", "  - conda-forge   # community", "# the lab's OCI mirror",
                 "always_yes: true"):
        assert kept in new
    assert findings == []


def test_a_channel_the_profile_lacks_goes_back_upstream_and_reset_is_exact():
    with_tuna, _ = mamba.render(REALISTIC.replace("  - bioconda\n", "  - bioconda\n  - pytorch\n"),
                                profile("tuna"), profiles())
    assert mirrored(with_tuna)["pytorch"] == [f"{TUNA}/pytorch"]
    with_ustc, notes = mamba.render(with_tuna, profile("ustc"), profiles())
    assert mirrored(with_ustc) == {"nvidia": ["oci://ghcr.io/channel-mirrors/nvidia"],
                                   "conda-forge": [f"{USTC}/conda-forge"], "bioconda": [f"{USTC}/bioconda"]}
    assert messages(notes) == ["pytorch: ustc does not carry it; mamba fetches it from upstream"]
    reset, notes = mamba.render(with_ustc, None, profiles())
    assert reset == REALISTIC.replace("  - bioconda\n", "  - bioconda\n  - pytorch\n")
    assert messages(notes) == ["kept mirrored_channels entries that no profile writes: nvidia"]
    assert mamba.render(with_tuna, profile("official"), profiles())[0] == reset


def test_no_channel_in_use_writes_nothing_and_says_why(mambarc: Path):
    result = core.use(name="tuna", only="mamba")
    assert not mambarc.exists() and not result.edits[0].changed
    assert [f.code for f in result.edits[0].findings] == ["mamba.no-channels"]


def test_channels_from_condarc_count_but_condarc_is_never_edited(mambarc: Path, condarc: Path):
    """mamba reads .condarc too (``compute_default_rc_sources``); the conda target owns that file."""
    original = "channels:\n  - conda-forge\n  - https://conda.corp.example/internal\n"
    write(condarc, original)
    result = core.use(name="tuna", only="mamba")
    assert [e.path for e in result.edits] == [mambarc]
    assert condarc.read_text() == original
    assert mirrored(mambarc.read_text()) == {"conda-forge": [f"{TUNA}/conda-forge"]}
    (state,) = core.current(only="mamba")
    assert state.profile == "mixed"  # the corp URL is not tuna's: a "tuna" label would not be true
    assert {s.value: s.owner for s in state.settings} == {"conda-forge": "tuna",
                                                           "https://conda.corp.example/internal": "custom"}
    assert {s.value: s.via for s in state.settings} == {"conda-forge": "mirrored_channels",
                                                         "https://conda.corp.example/internal": "URL"}


def test_conda_and_mamba_together_never_plan_edits_of_one_file(mambarc: Path, condarc: Path):
    write(condarc, "channels:\n  - conda-forge\n")
    result = core.use(name="tuna", only=["conda", "mamba"], dry_run=True)
    assert sorted((e.tool, e.path) for e in result.edits) == [("conda", condarc), ("mamba", mambarc)]


def test_invalid_files_are_refused_untouched_with_file_and_line(mambarc: Path):
    for text, line in (("channels: [conda-forge\n", 2),
                       ("channels: [conda-forge]\nmirrored_channels:\n  conda-forge: https://x.example/cf\n", 2),
                       ("always_yes: true\nchannels: conda-forge\n", 2)):
        write(mambarc, text)
        with pytest.raises(ConfigParseError) as caught:
            core.use(name="tuna", only="mamba")
        assert caught.value.path == mambarc and caught.value.line == line, (text, caught.value)
        assert mambarc.read_text() == text


def test_dry_run_diff_then_use_and_byte_exact_restore(mambarc: Path):
    original = REALISTIC.replace("\n", "\r\n").encode()
    write(mambarc, original)
    result = core.use(name="tuna", only="mamba", dry_run=True)
    assert mambarc.read_bytes() == original
    (edit,) = result.edits
    assert {c.key: (c.before, c.after) for c in edit.changes} == {
        "mirrored_channels conda-forge": (None, f"[{TUNA}/conda-forge]"),
        "mirrored_channels bioconda": (None, f"[{TUNA}/bioconda]")}
    # nvidia is mirrored by the user's own OCI host: a profile label would not be true
    assert result.after[0].profile == "mixed"
    core.use(name="tuna", only="mamba")
    assert b"\r\n" in mambarc.read_bytes() and b"\n" not in mambarc.read_bytes().replace(b"\r\n", b"")
    core.restore()
    assert mambarc.read_bytes() == original


def test_maps_are_not_merged_the_highest_file_wins(mambarc: Path, isolated_home: Path, tmp_path: Path,
                                                   monkeypatch):
    """Maps are not merged: the highest-precedence file's whole map wins (``Source<T>::merge``)."""
    lower = write(isolated_home / ".config" / "mamba" / ".mambarc",
                  f"channels: [conda-forge, bioconda]\nmirrored_channels:\n  bioconda: [{USTC}/bioconda]\n")
    write(mambarc, f"mirrored_channels:\n  conda-forge: [{TUNA}/conda-forge]\n")
    (state,) = core.current(only="mamba")
    bioconda = next(s for s in state.settings if s.value == "bioconda")
    assert bioconda.resolved == ("https://conda.anaconda.org/bioconda",)  # the lower map is not merged in
    assert [(f.code, f.path) for f in state.findings] == [("mamba.map-ignored", lower)]
    # the target prefix beats everything, ~/.mambarc included
    monkeypatch.setenv("CONDA_PREFIX", str(tmp_path / "env"))
    prefix = write(tmp_path / "env" / ".mambarc", f"mirrored_channels:\n  conda-forge: [{USTC}/conda-forge]\n")
    (state,) = core.current(only="mamba")
    assert ("mamba.map-shadowed", prefix) in [(f.code, f.path) for f in state.findings]
    assert next(s for s in state.settings if s.value == "conda-forge").resolved == (f"{USTC}/conda-forge",)


def test_a_mirrored_key_not_in_channels_is_flagged(mambarc: Path):
    """Every mirrored_channels key is loaded as an active channel (``channel_loader.cpp`` L240-270)."""
    write(mambarc, f"channels: [conda-forge]\nmirrored_channels:\n  pytorch: [{TUNA}/pytorch]\n"
                   f"  conda-forge: [{TUNA}/conda-forge]\n")
    (state,) = core.current(only="mamba")
    assert state.profile == "tuna"
    assert [(f.code, f.params["channel"]) for f in state.findings] == [("mamba.unused-mirrored", "pytorch")]
    core.use(name="tuna", only="mamba")
    assert mirrored(mambarc.read_text()) == {"conda-forge": [f"{TUNA}/conda-forge"]}


def test_mambarc_env_is_the_file_written_and_a_condarc_there_is_refused(tmp_path: Path, monkeypatch,
                                                                         condarc: Path):
    write(condarc, "channels: [conda-forge]\n")
    target = tmp_path / "rc" / "mamba.yaml"
    monkeypatch.setenv("MAMBARC", str(target))
    core.use(name="tuna", only="mamba")
    assert mirrored(target.read_text()) == {"conda-forge": [f"{TUNA}/conda-forge"]}
    monkeypatch.setenv("MAMBARC", str(condarc))
    with pytest.raises(ConfigParseError, match=r"MAMBARC names a \.condarc"):
        core.use(name="tuna", only="mamba")
    assert condarc.read_text() == "channels: [conda-forge]\n"


def test_present_is_a_mambarc_or_mamba_on_path(mambarc: Path, condarc: Path, monkeypatch, tmp_path: Path):
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    write(condarc, "channels: [conda-forge]\n")
    assert not mamba.TARGET.present()  # a .condarc alone is conda's
    write(tmp_path / "bin" / "micromamba", "#!/bin/sh\n", mode=0o755)
    assert mamba.TARGET.present()
    monkeypatch.setenv("PATH", str(tmp_path / "nowhere"))
    write(mambarc, "")
    assert mamba.TARGET.present()


def test_reading_uses_a_parse_cache_whose_tampered_entries_are_parsed_again(mambarc: Path):
    from mirrorctl import cache, core, paths

    write(mambarc, "mirrored_channels:\n  conda-forge: [https://mirrors.ustc.edu.cn/anaconda/cloud/conda-forge]\n")
    first = core.current(only="mamba")[0]
    cache_file = paths.mirrorctl_cache_dir() / "mambarc.bin"
    text = cache_text(cache_file)
    assert "mirrors.ustc.edu.cn" in text
    # A value of the wrong shape under the right key: rejected, the file parsed again.
    write_cache_text(cache_file, text.replace("['https://mirrors.ustc.edu.cn/anaconda/cloud/conda-forge']", "'x'"))
    cache._loaded.clear()
    assert core.current(only="mamba")[0] == first
    # Any byte of the file changed: a fresh parse, never the old answer.
    write(mambarc, "mirrored_channels:\n  conda-forge: [https://mirrors.tuna.tsinghua.edu.cn/anaconda/cloud/conda-forge]\n")
    assert "tuna" in str(core.current(only="mamba")[0].setting("channel"))


def test_the_environments_condarc_ranks_below_the_users_mambarc(mambarc: Path, tmp_path: Path, monkeypatch, run):
    """libmamba/src/api/configuration.cpp L2187-2199: $CONDA_PREFIX's .condarc is one of conda's user files
    (below $CONDARC and every .mambarc); L2215-2240: the target prefix adds it again, but a file keeps its first,
    lowest place. Only the environment's .mambarc beats ~/.mambarc."""
    monkeypatch.setenv("CONDA_PREFIX", str(tmp_path / "env"))
    env_condarc = write(tmp_path / "env" / ".condarc",
                        f"channels: [conda-forge]\nmirrored_channels:\n  conda-forge: [{USTC}/conda-forge]\n")
    assert core.current(only="mamba")[0].profile == "ustc"
    core.use(name="tuna", only="mamba")
    assert mirrored(mambarc.read_text()) == {"conda-forge": [f"{TUNA}/conda-forge"]}
    (state,) = core.current(only="mamba")
    assert state.profile == "tuna"  # ~/.mambarc's whole map wins over the environment's .condarc
    assert [(f.code, f.path) for f in state.findings] == [("mamba.map-ignored", env_condarc)]
    listed = json.loads(run("list", "--json").output)
    assert "mamba" in next(p["in_effect"] for p in listed["profiles"] if p["name"] == "tuna")
    core.reset(only="mamba")
    assert core.current(only="mamba")[0].profile == "ustc"
    assert run("restore").exit_code == 0 and core.current(only="mamba")[0].profile == "tuna"
    env_mambarc = write(tmp_path / "env" / ".mambarc", f"mirrored_channels:\n  conda-forge: [{USTC}/conda-forge]\n")
    files = mamba.search_path()
    assert files.index(env_condarc) < files.index(mambarc) < files.index(env_mambarc) == len(files) - 1
    assert core.current(only="mamba")[0].profile == "ustc"


def test_xdg_config_home_replaces_dot_config(isolated_home: Path, tmp_path: Path, monkeypatch):
    """libmamba/src/util/environment.cpp L295-302: user_config_dir() is $XDG_CONFIG_HOME, else ~/.config."""
    write(isolated_home / ".config" / "mamba" / ".mambarc",
          f"channels: [conda-forge]\nmirrored_channels:\n  conda-forge: [{USTC}/conda-forge]\n")
    assert core.current(only="mamba")[0].profile == "ustc"
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    assert isolated_home / ".config" / "mamba" / ".mambarc" not in mamba.search_path()
    assert tmp_path / "xdg" / "mamba" / ".mambarc" in mamba.search_path()
    assert core.current(only="mamba")[0].profile != "ustc"


def test_the_environment_variables_mamba_reads(mambarc: Path, monkeypatch):
    """configuration.cpp L1409-1466 and L219: CONDA_CHANNELS, MAMBA_DEFAULT_CHANNELS, MAMBA_CHANNEL_ALIAS,
    MAMBA_CUSTOM_CHANNELS, MAMBA_MIRRORED_CHANNELS; a list value is YAML "[<value>]", a map plain YAML
    (configuration_impl.hpp L117-128, L164-167); a map from the environment replaces the files' whole map."""
    write(mambarc, f"channels: [conda-forge]\nmirrored_channels:\n  conda-forge: [{TUNA}/conda-forge]\n")
    assert core.current(only="mamba")[0].profile == "tuna"
    monkeypatch.setenv("MAMBA_MIRRORED_CHANNELS", f'{{conda-forge: ["{USTC}/conda-forge"]}}')
    (state,) = core.current(only="mamba")
    assert state.profile == "ustc" and [f.code for f in state.findings] == ["env-overrides"]
    assert next(s for s in state.settings if s.value == "conda-forge").source.env == "MAMBA_MIRRORED_CHANNELS"
    monkeypatch.setenv("MAMBA_MIRRORED_CHANNELS", "{conda-forge: [")
    assert [f.code for f in core.current(only="mamba")[0].findings] == ["mamba.env-invalid"]
    monkeypatch.delenv("MAMBA_MIRRORED_CHANNELS")
    monkeypatch.setenv("CONDA_CHANNELS", "bioconda")
    (state,) = core.current(only="mamba")
    assert [s.value for s in state.settings] == ["conda-forge", "bioconda"] and state.profile == "mixed"
