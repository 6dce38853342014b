"""The YAML editor's key removal, as a property: whatever comments surround the key that goes, nothing crashes,
every other setting stays as it was, and every comment line that says something is still in the file.

Found by this test (the class behind `use tuna` exiting 70 on ``channel_alias: ...`` followed by a line ``#``):
when the first key goes and the comment block after it holds no text (only ``#``, ``#   ``, blank lines), the
editor asked ruamel to set an empty start comment, and ruamel indexes ``comment[-1]``.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mirrorctl.formats import yaml

KEYS = ("channel_alias", "channels", "ssl_verify", "default_channels", "show_channel_urls")
#: Every shape a line between settings takes in real files: empty comments, a bare ``#`` with spaces after it,
#: text, indented comments, blank lines, whitespace-only lines, a comment that holds another ``#``.
EXTRA_LINES = st.sampled_from(["#", "#   ", "# a note", "  # indented note", "", "   ", "#  # twice", "#x"])
END_COMMENTS = st.sampled_from(["", "  #", "  # own note", " #  "])


@st.composite
def documents(draw: st.DrawFn) -> tuple[str, list[str], list[str]]:
    """(text, keys in order, the keys whose value is a list)."""
    keys = draw(st.lists(st.sampled_from(KEYS), min_size=1, max_size=4, unique=True))
    lines: list[str] = draw(st.lists(EXTRA_LINES, max_size=2))  # a head before the first key
    lists = []
    for key in keys:
        if draw(st.booleans()):
            lists.append(key)
            lines.append(f"{key}:{draw(END_COMMENTS)}")
            for index in range(draw(st.integers(1, 2))):
                lines.append(f"  - item{index}{draw(END_COMMENTS)}")
                lines += draw(st.lists(EXTRA_LINES, max_size=2))
        else:
            lines.append(f"{key}: https://example.org/{key}{draw(END_COMMENTS)}")
        lines += draw(st.lists(EXTRA_LINES, max_size=3))
    newline = draw(st.sampled_from(["\n", "\r\n"]))
    text = newline.join(lines) + (newline if draw(st.booleans()) else "")
    return text, keys, lists


def _comment_texts(text: str) -> list[str]:
    """The words of every full-line comment (a line that is only a comment) that says something."""
    found = []
    for line in text.replace("\r\n", "\n").split("\n"):
        stripped = line.strip()
        if stripped.startswith("#") and stripped.lstrip("#").strip():
            found.append(stripped.lstrip("#").strip())
    return found


@settings(max_examples=400, deadline=None)
@given(documents(), st.data())
def test_removing_any_key_keeps_every_other_setting_and_every_comment(case: tuple[str, list[str], list[str]],
                                                                      data: st.DataObject):
    text, keys, lists = case
    loaded = yaml.load(text, None)
    document = yaml.load(text, None)
    removable = [k for k in keys if k not in lists]  # a list's own item comments go with it; scalars only here
    if not removable:
        return
    key = data.draw(st.sampled_from(removable))
    if data.draw(st.booleans()):
        document["added"] = "https://mirror.example/added"  # what `use` does before it removes the old key
    leftover = yaml.remove_key(document, key)
    result = yaml.dump_keeping(text, loaded, document)

    expected = {k: v for k, v in yaml.plain(loaded).items() if k != key}
    if "added" in document:
        expected["added"] = "https://mirror.example/added"
    reread = yaml.load(result, None)
    assert (yaml.plain(reread) if reread is not None else {}) == expected, result
    kept = result + leftover
    for words in _comment_texts(text):
        assert words in kept, (words, result, leftover)
    if "\r\n" in text and result.strip():
        assert "\n" not in result.replace("\r\n", ""), "CRLF file came back with bare LF"


def test_the_reported_file_first_key_then_a_bare_hash():
    text = "channel_alias: https://conda.anaconda.org\n#\n"
    document = yaml.load(text, None)
    document["channels"] = ["defaults"]
    assert yaml.remove_key(document, "channel_alias") == ""
    assert yaml.dump_keeping(text, yaml.load(text, None), document) == "channels:\n  - defaults\n"


def test_use_tuna_on_the_reported_condarc_switches_and_restores(run, condarc):
    """The file from the report: `use tuna` exited 70 (IndexError); now it switches, and restore is exact."""
    from conftest import write

    original = b"channel_alias: https://conda.anaconda.org\n#\n"
    write(condarc, original)
    result = run("use", "tuna", "--only", "conda")
    assert result.exit_code == 0, result.output
    assert "channel_alias" not in condarc.read_text()
    assert "https://mirrors.tuna.tsinghua.edu.cn/anaconda/pkgs/main" in condarc.read_text()
    assert run("restore").exit_code == 0
    assert condarc.read_bytes() == original


def test_reset_that_empties_a_condarc_keeps_its_comments(run, condarc):
    from conftest import write

    write(condarc, "# my lab's notes\nchannel_alias: https://mirrors.tuna.tsinghua.edu.cn/anaconda/cloud\n# why\n")
    result = run("reset", "--only", "conda")
    assert result.exit_code == 0, result.output
    assert condarc.read_text() == "# my lab's notes\n# why\n"


@pytest.mark.real_client
def test_real_conda_fetches_from_tuna_after_use_on_the_reported_condarc(run, condarc, isolated_home):
    """Judged by real conda 26.7.1: `conda info` lists tuna's channels after the switch, and its own defaults
    (with the upstream alias) after restore."""
    from conftest import write
    from real_conda import conda_client

    conda = conda_client()
    write(condarc, "channel_alias: https://conda.anaconda.org\n#\n")
    before = conda.resolve(isolated_home)
    assert run("use", "tuna", "--only", "conda").exit_code == 0
    after = conda.resolve(isolated_home)
    assert after.error is None and after.channels, after
    assert all(url.startswith("https://mirrors.tuna.tsinghua.edu.cn/anaconda/") for url in after.channels), after
    assert run("restore").exit_code == 0
    assert conda.resolve(isolated_home) == before
