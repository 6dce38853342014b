"""The pip.conf editor: only the option it changes moves; every other byte stays."""

from __future__ import annotations

import pytest

from mirrorctl.errors import ConfigParseError
from mirrorctl.formats import ini

INDEX = ["index-url", "pypi-url"]


def test_replaces_value_keeping_key_spelling_delimiter_and_crlf():
    text = ("# top ü\r\n[global]\r\nIndex_URL:http://a/simple\r\ntimeout=60\r\n\r\n"
            "; about install\r\n[install]\r\nx = 1\r\n")
    new = ini.set_values(text, "global", INDEX, ["https://b/simple"])
    assert new == text.replace("http://a/simple", "https://b/simple")
    assert new.count("\r\n") == text.count("\r\n") and "\n" not in new.replace("\r\n", "")


def test_adds_missing_key_after_the_last_option_of_its_section_not_after_the_next_comment():
    text = "[global]\ntimeout = 60\n\n# comment about install\n[install]\nno-cache-dir = true\n"
    new = ini.set_values(text, "global", INDEX, ["https://b/simple"])
    assert new == ("[global]\ntimeout = 60\nindex-url = https://b/simple\n\n"
                   "# comment about install\n[install]\nno-cache-dir = true\n")


def test_new_keys_follow_the_files_delimiter_style():
    assert ini.set_values("[x]\ny=1\n", "global", INDEX, ["u"]) == "[x]\ny=1\n\n[global]\nindex-url=u\n"
    assert ini.set_values("[global]\ny: 1\n", "global", INDEX, ["u"]) == "[global]\ny: 1\nindex-url: u\n"


def test_creates_section_in_empty_and_comment_only_files():
    assert ini.set_values("", "global", INDEX, ["u"]) == "[global]\nindex-url = u\n"
    assert ini.set_values("# just a note", "global", INDEX, ["u"]) == "# just a note\n\n[global]\nindex-url = u\n"


def test_file_without_final_newline_gets_one_where_a_line_is_added():
    assert ini.set_values("[global]\ntimeout = 5", "global", INDEX, ["u"]) == "[global]\ntimeout = 5\nindex-url = u\n"


def test_multiline_values_keep_their_layout():
    text = "[global]\ntrusted-host =\n    a\n    # still a\n    b\ntimeout = 1\n"
    assert ini.get_values(text, "global", ["trusted-host"]) == ["a", "b"]
    new = ini.set_values(text, "global", ["trusted-host"], ["a", "b", "c"])
    assert new == "[global]\ntrusted-host =\n    a\n    b\n    c\ntimeout = 1\n"
    assert ini.parse(new).get("global", "timeout") == "1"


def test_alias_duplicates_collapse_into_the_first():
    text = "[global]\npypi-url = a\nindex_url = b\n"
    assert ini.set_values(text, "global", INDEX, ["c"]) == "[global]\npypi-url = c\n"


def test_remove_option_drops_a_section_left_empty_but_keeps_one_with_comments():
    assert ini.remove_option("[x]\ny = 1\n\n[global]\nindex-url = u\n", "global", INDEX) == "[x]\ny = 1\n"
    kept = ini.remove_option("[global]\n# mine\nindex-url = u\n", "global", INDEX)
    assert kept == "[global]\n# mine\n"


def test_inline_hash_is_part_of_the_value_as_in_pip():
    assert ini.get_values("[global]\nindex-url = http://x # note\n", "global", INDEX) == ["http://x", "#", "note"]


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ("index-url = x\n", 1, "before the first [section]"),
        ("[global]\nindex-url = a\nindex-url = b\n", 3, "appears twice"),
        ("[global]\n[global]\n", 2, "section [global] appears twice"),
        ("[global]\nthis line has no delimiter\n", 2, "pip cannot parse 'this line has no delimiter'"),
        ("[global]\n[global]\n", 2, "(pip refuses the whole file)"),
    ],
)
def test_parse_errors_name_the_line(text, line, words):
    with pytest.raises(ConfigParseError) as caught:
        ini.parse(text, reader="pip")
    assert caught.value.line == line
    assert words in caught.value.message
