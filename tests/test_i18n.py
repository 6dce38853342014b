"""Speaking the user's language: which one, the catalogue, every command in both, and JSON that never changes."""

from __future__ import annotations

import importlib.metadata as importlib_metadata
import json
import os
import shutil
import string
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT, write

from mirrorctl import i18n, paths

#: click 8.2+ measures wrapped help with its ``term_len`` and words "No such option '--x'."; click 8.1 (the newest
#: for Python 3.9) wraps by ``len()`` and says "No such option: --x". Display-width wrapping rides on the former.
CLICK_82 = tuple(int(part) for part in importlib_metadata.version("click").split(".")[:2]) \
    >= (8, 2)

ZH = {"LANG": "zh_CN.UTF-8"}
C = {"LANG": "C.UTF-8"}


def set_env(monkeypatch: pytest.MonkeyPatch, **env: str) -> None:
    for name in ("LC_ALL", "LC_MESSAGES", "LANG", "LANGUAGE", "MIRRORCTL_LANG"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    i18n.reset()  # the language is read from the environment once per process


# ---------------------------------------------------------------------------------------------------------
# Which language


@pytest.mark.parametrize(("environ", "expected"), [
    ({}, "en"),
    ({"LANG": "C.UTF-8"}, "en"),
    ({"LANG": "POSIX"}, "en"),
    ({"LANG": "zh_CN.UTF-8"}, "zh"),
    ({"LANG": "zh_TW.UTF-8"}, "zh"),  # Traditional falls back to Simplified until someone translates it
    ({"LANG": "zh_HK.Big5"}, "zh"),
    ({"LANG": "fr_FR.UTF-8"}, "en"),
    ({"LANG": "en_US.UTF-8", "LC_MESSAGES": "zh_CN.UTF-8"}, "zh"),  # LC_MESSAGES before LANG
    ({"LC_MESSAGES": "en_US.UTF-8", "LANG": "zh_CN.UTF-8"}, "en"),
    ({"LC_ALL": "zh_CN.UTF-8", "LC_MESSAGES": "en_US.UTF-8"}, "zh"),  # LC_ALL first
    ({"LC_ALL": "C", "LANG": "zh_CN.UTF-8"}, "en"),
    ({"LANGUAGE": "zh_CN:en"}, "zh"),  # LANGUAGE last, its first entry
    ({"LANG": "de_DE.UTF-8", "LANGUAGE": "zh_CN"}, "en"),
])
def test_the_locale_decides(environ: dict[str, str], expected: str) -> None:
    assert i18n.from_locale(environ, platform="linux") == expected


def test_overrides_beat_the_locale() -> None:
    zh_locale = {"LANG": "zh_CN.UTF-8"}
    assert i18n.choose([], zh_locale) == "zh"
    assert i18n.choose([], {**zh_locale, "MIRRORCTL_LANG": "en"}) == "en"
    assert i18n.choose([], {"LANG": "C.UTF-8", "MIRRORCTL_LANG": "zh"}) == "zh"
    assert i18n.choose([], {"LANG": "C.UTF-8", "MIRRORCTL_LANG": "klingon"}) == "en"  # unknown: ignored
    assert i18n.choose(["list", "--lang", "en"], {**zh_locale, "MIRRORCTL_LANG": "zh"}) == "en"
    assert i18n.choose(["--lang=zh", "list"], {"LANG": "C"}) == "zh"
    assert i18n.choose(["use", "--", "--lang", "zh"], {"LANG": "C"}) == "en"  # after --: an argument


def test_windows_asks_for_the_ui_language(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(i18n, "_windows_ui_language", lambda: "zh")
    assert i18n.from_locale({}, platform="win32") == "zh"
    assert i18n.from_locale({"LANG": "en_US.UTF-8"}, platform="win32") == "en"  # a set locale still wins
    assert i18n.from_locale({}, platform="linux") == "en"


def test_strip_lang_keeps_everything_else() -> None:
    assert i18n.strip_lang(["--lang", "zh", "use", "tuna", "--lang=en", "--", "--lang", "x"]) == \
        ["use", "tuna", "--", "--lang", "x"]


def test_display_width_counts_wide_characters_twice() -> None:
    assert i18n.width("tuna") == 4
    assert i18n.width("清华大学 TUNA 镜像") == 4 * 2 + 1 + 4 + 1 + 2 * 2
    assert i18n.width("（）：") == 6  # full-width punctuation is wide too
    assert i18n.width("e\u0301") == 1  # a combining accent takes no column
    assert i18n.ljust("镜像", 6) == "镜像  "


# ---------------------------------------------------------------------------------------------------------
# The catalogue: extracted with Babel, as the build and translators do


def extracted() -> dict[str | tuple[str, ...], list[str]]:
    """Every msgid Babel finds in mirrorctl/ with the project's babel.cfg, and where."""
    from babel.messages.extract import extract_from_dir

    try:
        from babel.messages.frontend import parse_mapping_cfg
    except ImportError:  # Babel < 2.14
        from babel.messages.frontend import parse_mapping as parse_mapping_cfg  # type: ignore[attr-defined]

    with (ROOT / "babel.cfg").open() as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    found: dict[str | tuple[str, ...], list[str]] = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(
            str(ROOT / "mirrorctl"), method_map, options_map):
        found.setdefault(message, []).append(f"mirrorctl/{filename}:{lineno}")
    return found


def catalogue():
    from babel.messages.pofile import read_po

    po = ROOT / "mirrorctl" / "locale" / "zh_CN" / "LC_MESSAGES" / "mirrorctl.po"
    with po.open("rb") as source:
        return read_po(source, locale="zh_CN")


def fields(text: str) -> list[tuple[str, str]]:
    """The ``{name!r}`` placeholders of a template: (name, conversion), sorted, with repeats."""
    return sorted((name, conversion or "") for _, name, _, conversion in string.Formatter().parse(text)
                  if name is not None)


def test_every_message_is_translated() -> None:
    messages = extracted()
    assert len(messages) > 250, "Babel found too few messages: is babel.cfg still right?"
    zh = catalogue()
    missing = []
    for msgid, where in messages.items():
        entry = zh.get(msgid)
        strings = entry.string if entry is not None and isinstance(entry.string, tuple) else \
            (entry.string,) if entry is not None else ()
        if entry is None or not all(strings) or entry.fuzzy:
            missing.append(f"{msgid!r}  ({', '.join(where)})")
    assert not missing, (f"{len(missing)} msgid(s) have no Chinese translation in mirrorctl/locale/zh_CN "
                         "(see README, 'Translating'):\n" + "\n".join(missing))


def test_translations_keep_every_placeholder() -> None:
    wrong = []
    for entry in catalogue():
        if not entry.id:
            continue
        ids = entry.id if isinstance(entry.id, tuple) else (entry.id,)
        strings = entry.string if isinstance(entry.string, tuple) else (entry.string,)
        wanted = fields(ids[-1])
        for text in strings:
            if text and fields(text) != wanted and set(fields(text)) != set(wanted):
                wrong.append(f"{ids[0]!r}: {fields(text)} != {wanted}")
    assert not wrong, "translations whose {placeholders} differ from their msgid:\n" + "\n".join(wrong)


def test_every_finding_template_is_marked_for_extraction() -> None:
    """A ``MESSAGES`` entry without ``N_()`` would be shown in English forever: each must be extracted."""
    import importlib
    import pkgutil

    import mirrorctl.targets
    from mirrorctl.output.common import MESSAGES

    messages = extracted()
    templates = dict(MESSAGES)
    for module in pkgutil.iter_modules(mirrorctl.targets.__path__):
        templates.update(getattr(importlib.import_module(f"mirrorctl.targets.{module.name}"), "MESSAGES", {}))
    unmarked = [f"{code}: {text!r}" for code, text in templates.items() if text not in messages]
    assert not unmarked, "MESSAGES entries not wrapped in N_():\n" + "\n".join(unmarked)


@pytest.mark.parametrize("byte_order", ["native", "swapped"])
def test_the_catalogue_reader_answers_as_gettext_does(tmp_path: Path, byte_order: str) -> None:
    """mirrorctl reads its .mo itself (gettext's import costs start-up): for every message of the Chinese
    catalogue, compiled by Babel as the build hook does, it answers exactly what gettext.GNUTranslations does,
    plural forms and a message it does not know included."""
    import gettext
    import io
    import struct
    import sys

    from babel.messages.mofile import write_mo

    from mirrorctl.i18n import Catalogue

    zh = catalogue()
    buffer = io.BytesIO()
    write_mo(buffer, zh)
    data = buffer.getvalue()
    if byte_order == "swapped":  # a catalogue written on a machine of the other byte order
        native = "<" if sys.byteorder == "little" else ">"
        other = ">" if native == "<" else "<"
        count, ids_at, strs_at = struct.unpack(native + "3I", data[8:20])
        head = struct.pack(other + "7I", *struct.unpack(native + "7I", data[:28]))
        tables = struct.pack(other + f"{4 * count}I", *struct.unpack(native + f"{4 * count}I",
                                                                     data[ids_at:strs_at + 8 * count]))
        data = head + data[28:ids_at] + tables + data[strs_at + 8 * count:]
    ours = Catalogue(data)
    theirs = gettext.GNUTranslations(io.BytesIO(data))
    checked = 0
    for message in zh:
        if not message.id:
            continue
        if isinstance(message.id, tuple):
            for count in (0, 1, 2, 7):
                assert ours.ngettext(*message.id, count) == theirs.ngettext(*message.id, count)
            # Lib/gettext.py 3.11+ (not 3.9/3.10): a plural entry's singular alone gets the form for 1
            assert ours.gettext(message.id[0]) == theirs.ngettext(*message.id, 1)
        else:
            assert ours.gettext(message.id) == theirs.gettext(message.id) != ""
        checked += 1
    assert checked > 250
    assert ours.gettext("not in the catalogue") == "not in the catalogue"
    assert ours.ngettext("one {n}", "many {n}", 1) == "one {n}" and ours.ngettext("one", "many", 2) == "many"


def test_the_catalogue_reader_follows_another_languages_plural_rule() -> None:
    """A rule other than Chinese's single form (plural=0) is gettext's own: Russian has three forms."""
    import io

    from babel.messages.catalog import Catalog
    from babel.messages.mofile import write_mo

    from mirrorctl.i18n import Catalogue

    russian = Catalog(locale="ru")
    russian.add(("{n} file", "{n} files"), ("{n} файл", "{n} файла", "{n} файлов"))
    buffer = io.BytesIO()
    write_mo(buffer, russian)
    ours = Catalogue(buffer.getvalue())
    assert [ours.ngettext("{n} file", "{n} files", n) for n in (1, 3, 5)] == ["{n} файл", "{n} файла", "{n} файлов"]


@pytest.mark.parametrize("data", [b"not a catalogue at all", b"\xde\x12\x04\x95" + b"\xff" * 24])
def test_a_damaged_catalogue_is_refused_not_misread(data: bytes) -> None:
    from mirrorctl.i18n import Catalogue

    with pytest.raises(ValueError):
        Catalogue(data)


def test_a_message_pointing_past_the_end_stays_english() -> None:
    """A damaged entry costs its translation, never a crash (the rest of the catalogue still answers)."""
    import io
    import struct
    import sys

    from babel.messages.catalog import Catalog
    from babel.messages.mofile import write_mo

    from mirrorctl.i18n import Catalogue

    zh = Catalog(locale="zh_CN")
    zh.add("Backups", "备份")
    zh.add("Profiles", "镜像源配置")
    buffer = io.BytesIO()
    write_mo(buffer, zh)
    data = bytearray(buffer.getvalue())
    native = "<" if sys.byteorder == "little" else ">"
    count, _ids_at, strs_at = struct.unpack(native + "3I", data[8:20])
    assert count == 3  # the header, "Backups", "Profiles" (sorted)
    struct.pack_into(native + "I", data, strs_at + 8 * 1 + 4, len(data) + 100)  # "Backups" points past the end
    catalogue = Catalogue(bytes(data))
    assert catalogue.gettext("Backups") == "Backups"
    assert catalogue.gettext("Profiles") == "镜像源配置"


def test_the_catalogue_test_would_catch_a_missing_translation(tmp_path: Path) -> None:
    """The check above is not vacuous: a msgid added to the code and not to the catalogue is reported."""
    from babel.messages.extract import extract_python

    source = tmp_path / "new.py"
    source.write_text('from mirrorctl.i18n import _\nprint(_("a sentence nobody translated {name}"))\n')
    with source.open("rb") as handle:
        found = [message for _, _, message, _ in extract_python(handle, ("_",), [], {})]
    assert found == ["a sentence nobody translated {name}"]
    assert catalogue().get(found[0]) is None
    assert fields("第 {line} 行") == fields("line {line}") != fields("行")


# ---------------------------------------------------------------------------------------------------------
# The CLI in both languages


def test_help_in_both_languages(run, monkeypatch: pytest.MonkeyPatch) -> None:
    set_env(monkeypatch, **C)
    english = run("--help")
    assert english.exit_code == 0, english.output
    assert "Usage: mirrorctl" in english.output and "Show this message and exit." in english.output
    assert "switch every tool (backed up first)" in english.output
    set_env(monkeypatch, **ZH)
    chinese = run("--help")
    assert chinese.exit_code == 0, chinese.output
    assert "用法: mirrorctl" in chinese.output and "显示本帮助并退出。" in chinese.output
    assert "给所有工具换源（先备份）" in chinese.output
    assert "列出所有镜像源配置，并标出每个工具正在用的那个。" in chinese.output  # a command's short help
    use_help = run("use", "--help")
    assert "写入前会先备份每个文件；`mirrorctl restore` 可撤销这次改动。" in use_help.output
    assert "逐个文件打印 unified diff，不写入任何文件。" in use_help.output  # an option's help
    assert "mirrorctl use tuna --dry-run" in use_help.output  # commands stay as they are
    # wrapped by display width: no line wider than click's 80 columns, no line starting with "，" or "）"
    lines = use_help.output.splitlines()
    if CLICK_82:  # click 8.1 wraps by characters: a Chinese line can run past 80 columns there (a known gap)
        assert max(i18n.width(line) for line in lines) <= 80, use_help.output
    assert not [line for line in lines if line.strip()[:1] in ("，", "）", "。", "、")], use_help.output
    assert "改哪一层配置文件" in use_help.output.replace("\n", "").replace(" ", "")


def test_lang_option_and_variable_override_the_locale(run, monkeypatch: pytest.MonkeyPatch) -> None:
    set_env(monkeypatch, **ZH)
    assert "NAME  " in run("--lang", "en", "list").output
    assert "NAME  " in run("list", "--lang=en").output  # also after the command
    set_env(monkeypatch, **C)
    assert "名称  " in run("list", "--lang", "zh").output
    set_env(monkeypatch, LANG="C.UTF-8", MIRRORCTL_LANG="zh")
    assert "名称  " in run("list").output
    bad = run("--lang", "fr", "list")
    assert bad.exit_code == 2
    assert "'fr'" in bad.output


def mirrorctl(*args: str, env: dict[str, str], cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """The console script's path (mirrorctl.launch, with its click-free `list`/`current`), as a user runs it."""
    keep = {k: v for k, v in os.environ.items() if k not in ("LC_ALL", "LC_MESSAGES", "LANG", "LANGUAGE")}
    keep["PYTHONPATH"] = str(ROOT)
    return subprocess.run([sys.executable, "-m", "mirrorctl", *args], env={**keep, **env}, cwd=cwd,
                          capture_output=True, text=True, check=False)


def test_the_entry_point_picks_the_language_before_click(isolated_home: Path) -> None:
    for args in (["list"], ["current"], ["--help"]):
        chinese = mirrorctl(*args, env=ZH)
        english = mirrorctl(*args, env=C)
        assert chinese.returncode == english.returncode == 0, chinese.stderr + english.stderr
        assert chinese.stdout != english.stdout
    assert "* 表示正在使用。" in mirrorctl("list", env=ZH).stdout
    assert "\n  已读文件      " in mirrorctl("current", "--only", "pip", env=ZH).stdout
    assert "* in effect." in mirrorctl("list", "--lang", "en", env=ZH).stdout
    assert "* 表示正在使用。" in mirrorctl("--lang", "zh", "list", env=C).stdout
    assert "* 表示正在使用。" in mirrorctl("list", env={**C, "MIRRORCTL_LANG": "zh"}).stdout
    assert "* 表示正在使用。" in mirrorctl("list", env={"LC_ALL": "zh_TW.UTF-8"}).stdout


def test_every_command_speaks_chinese(run, monkeypatch: pytest.MonkeyPatch, pip_conf: Path) -> None:
    set_env(monkeypatch, **ZH)
    dry = run("use", "tuna", "--only", "pip", "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert "（预览模式：未写入任何文件）" in dry.output
    assert "pip: 将是 tuna（https://pypi.tuna.tsinghua.edu.cn/simple）" in dry.output
    used = run("use", "tuna", "--only", "pip")
    assert used.exit_code == 0, used.output
    assert "pip: 已创建 ~/.config/pip/pip.conf\n" in used.output
    assert "  [global] index-url: （未设置） -> https://pypi.tuna.tsinghua.edu.cn/simple\n" in used.output
    assert "；可用 `mirrorctl restore` 撤销" in used.output
    assert "pip: 现在是 tuna" in used.output
    current = run("current", "--only", "pip")
    assert "  写入          ~/.config/pip/pip.conf（user 层级）" in current.output
    assert "  已读文件      " in current.output
    backups = run("backups")
    assert backups.output.splitlines()[0].split() == ["ID", "时间", "之前执行", "文件"]
    again = run("use", "tuna", "--only", "pip")
    assert "已经是目标设置：无需改动" in again.output
    reset = run("reset", "--only", "pip", "--dry-run")
    assert "（预览模式：未写入任何文件）" in reset.output
    restored = run("restore")
    assert restored.exit_code == 0, restored.output
    assert restored.output.startswith("已恢复备份 ")
    assert "  ~/.config/pip/pip.conf：已删除（原本不存在）\n" in restored.output
    shown = run("profile", "show", "tuna")
    assert shown.output.startswith("tuna：清华大学 TUNA 镜像（内置，")
    assert "  [已核实：mirrorz-docs help page]\n" in shown.output
    added = run("profile", "add", "campus", "--pypi", "https://pypi.campus.edu/simple")
    assert added.exit_code == 0, added.output
    assert added.output.startswith("已添加配置 campus（")
    assert "  [未核实：added by the user]" in added.output  # the source note is data: as written in the file
    removed = run("profile", "remove", "campus")
    assert removed.output.startswith("已删除 ")
    none = run("backups")
    assert "已撤销" in none.output  # the restored backup is marked undone


def test_errors_in_both_languages(run, monkeypatch: pytest.MonkeyPatch, pip_conf: Path) -> None:
    set_env(monkeypatch, **ZH)
    unknown = run("use", "nope")
    assert unknown.exit_code == 1
    assert unknown.output.startswith("mirrorctl：错误：没有名为 'nope' 的配置（已有：official, ")
    usage = run("use", "tuna", "--fastest")
    assert usage.exit_code == 2
    assert usage.output == "mirrorctl：错误：请给出配置名 NAME 或 --fastest，二者只能选一个\n"
    click_usage = run("use", "--bogus")
    assert click_usage.exit_code == 2
    expected = "没有选项 '--bogus'。" if CLICK_82 else "没有选项：--bogus"
    assert click_usage.output == f"mirrorctl：错误：{expected}（参见 `mirrorctl use --help`）\n"
    nothing = run("restore")
    assert nothing.exit_code == 1
    assert "没有可恢复的内容：mirrorctl 还没有改过任何文件" in nothing.output
    set_env(monkeypatch, **C)
    assert run("use", "nope").output.startswith("mirrorctl: error: no profile named 'nope' (known: official, ")
    english_option = "No such option '--bogus'." if CLICK_82 else "No such option: --bogus"
    assert run("use", "--bogus").output == f"mirrorctl: error: {english_option} (see `mirrorctl use --help`)\n"


def test_a_broken_file_is_reported_in_chinese(run, monkeypatch: pytest.MonkeyPatch, pip_conf: Path) -> None:
    write(pip_conf, "[global]\nindex-url = https://pypi.tuna.tsinghua.edu.cn/simple\nnot an option line\n")
    set_env(monkeypatch, **ZH)
    result = run("current", "--only", "pip")
    assert result.exit_code == 1
    assert "错误：pip 无法读取 ~/.config/pip/pip.conf：第 3 行：pip 无法解析 'not an option line'（应为 " \
           "'key = value' 或 '[section]'）" in result.output
    set_env(monkeypatch, **C)
    english = run("current", "--only", "pip")
    assert "error: pip cannot read ~/.config/pip/pip.conf: line 3: pip cannot parse 'not an option line' " \
           "(expected 'key = value' or '[section]')" in english.output


def test_a_broken_profile_is_reported_in_chinese(run, monkeypatch: pytest.MonkeyPatch) -> None:
    write(paths.user_profiles_dir() / "campus.toml", 'name = "campus"\n[pypi]\nindex = "ftp://x.example/simple"\n')
    set_env(monkeypatch, **ZH)
    result = run("list")
    assert result.exit_code == 1
    assert "错误：" + str(paths.user_profiles_dir() / "campus.toml") + "：" in result.output
    assert "键 'pypi.index' 必须以 http:// 或 https:// 开头（实际为 'ftp://x.example/simple'）" in result.output


# ---------------------------------------------------------------------------------------------------------
# Tables line up by display width


def header_starts(header: str) -> list[int]:
    starts, column, previous = [], 0, " "
    for char in header:
        if char != " " and previous == " ":
            starts.append(column)
        column += i18n.width(char)
        previous = char
    return starts


def cell_starts(line: str) -> list[int]:
    """Display columns where the cells of a table row start (cells are two or more spaces apart)."""
    import re

    return [i18n.width(line[:match.start()]) for match in re.finditer(r"(?:^|(?<=  ))\S", line)]


def display_column(line: str, index: int) -> int:
    return i18n.width(line[:index])


def test_list_columns_line_up_with_a_chinese_title(run, monkeypatch: pytest.MonkeyPatch) -> None:
    write(paths.user_profiles_dir() / "qinghua.toml",
          'name = "qinghua"\ntitle = "清华大学 TUNA 镜像"\n[pypi]\nindex = "https://pypi.tuna.tsinghua.edu.cn/simple"\n')
    write(paths.user_profiles_dir() / "zz.toml", 'name = "zz"\ntitle = "zz"\n[pypi]\nindex = "https://zz.example/simple"\n')
    set_env(monkeypatch, **ZH)
    result = run("list")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    header = next(line for line in lines if line.startswith("名称"))
    rows = [line for line in lines if line.split(" ")[0] in ("qinghua", "zz", "tuna", "official")]
    assert len(rows) == 4
    starts = header_starts(header)
    for row in rows:  # every cell (text after two spaces or more) starts at the display column of its header
        cells = cell_starts(row)
        assert cells[0] == 0 and set(cells) <= set(starts), (row, cells, starts)
        assert cells[-1] == starts[-1], row  # the title
    assert any(row.endswith("清华大学 TUNA 镜像") for row in rows)
    qinghua = next(row for row in rows if row.startswith("qinghua"))
    assert i18n.width(qinghua[:qinghua.index("清华")]) == starts[-1] != qinghua.index("清华")
    tuna = next(row for row in rows if row.startswith("tuna"))
    assert i18n.width(tuna[:tuna.index("清华")]) == starts[-1]


def test_backups_table_lines_up_in_chinese(run, monkeypatch: pytest.MonkeyPatch, pip_conf: Path) -> None:
    set_env(monkeypatch, **ZH)
    assert run("use", "tuna", "--only", "pip").exit_code == 0
    assert run("restore").exit_code == 0
    lines = run("backups").output.splitlines()
    starts = header_starts(lines[0])
    assert len(lines) == 3
    for row in lines[1:]:  # (the column that says "undone" has no heading)
        assert set(starts) <= set(cell_starts(row)), (row, starts)
        assert cell_starts(row)[-1] == starts[-1], row


def test_bench_table_lines_up_in_chinese(monkeypatch: pytest.MonkeyPatch) -> None:
    from test_probe_report import result

    from mirrorctl.output.bench import format_table

    set_env(monkeypatch, **ZH)
    table = format_table([result("tuna", "pypi", 12.0), result("ustc", "pypi", 30.0)], {("tuna", "pypi")})
    lines = table.splitlines()
    assert lines[0].split() == ["目标", "配置", "延迟", "建连", "次数", "主机", "状态"]
    starts = header_starts(lines[0])
    for row in lines[1:]:
        assert display_column(row, row.index("pypi")) == starts[0], row
        assert display_column(row, row.index("ms")) + 2 == starts[2] + i18n.width("延迟"), row  # right-aligned


# ---------------------------------------------------------------------------------------------------------
# What scripts read never changes


SEQUENCE = [
    ("list", "--json"),
    ("current", "--json"),
    ("use", "tuna", "--dry-run", "--json"),
    ("use", "tuna", "--json"),
    ("current", "--json"),
    ("use", "nope", "--json"),
    ("backups", "--json"),
    ("reset", "--dry-run", "--json"),
    ("reset", "--json"),
    ("restore", "--json"),
    ("restore", "--json"),
    ("backups", "--json"),
    ("env", "tuna", "--json"),
    ("env", "tuna"),  # not JSON, but what a shell evaluates (or a Dockerfile gets): never translated either
    ("env", "tuna", "--shell", "dockerfile"),
]


def test_json_is_byte_identical_in_every_language(run, monkeypatch: pytest.MonkeyPatch, isolated_home: Path,
                                                  tmp_path: Path, pip_conf: Path, condarc: Path) -> None:
    import time

    write(pip_conf, "[global]\nindex-url = https://mirrors.aliyun.com/pypi/simple/\n")
    monkeypatch.setenv("PIP_INDEX_URL", "http://10.0.0.1/simple")  # findings: beats the file, plain http
    write(condarc, "channels:\n  - defaults\n  - conda-forge\nshow_channel_urls: true\n")
    write(paths.user_profiles_dir() / "campus.toml", 'name = "campus"\n[pypi]\nindex = "ftp://bad/simple"\n')
    monkeypatch.setattr(time, "time", lambda: 1_790_000_000.0)  # backup IDs and times come from the clock
    start = tmp_path / "start"
    shutil.copytree(tmp_path, start, symlinks=True, ignore=lambda d, names: ["start"] if d == str(tmp_path) else [])

    def replay(env: dict[str, str]) -> list[tuple[int, str]]:
        for entry in tmp_path.iterdir():
            if entry.name != "start":
                shutil.rmtree(entry) if entry.is_dir() and not entry.is_symlink() else entry.unlink()
        shutil.copytree(start, tmp_path, symlinks=True, dirs_exist_ok=True)
        set_env(monkeypatch, **env)
        i18n.reset()
        outputs = []
        for args in SEQUENCE:
            result = run(*args)
            outputs.append((result.exit_code, result.stdout))
        return outputs

    chinese = replay(ZH)
    english = replay(C)
    assert [code for code, _ in chinese] == [code for code, _ in english]
    assert chinese == english
    assert any(code == 1 for code, _ in chinese)  # the broken files and the unknown profile are in there
    parsed = [json.loads(output) for code, output in chinese if output.startswith("{")]
    assert len(parsed) >= 10
    messages = json.dumps(parsed, ensure_ascii=False)
    assert "is set in your environment" in messages and "must start with http" in messages
    assert not any("\u4e00" <= ch <= "\u9fff" for ch in messages)


def test_bench_json_stays_english(monkeypatch: pytest.MonkeyPatch) -> None:
    from test_probe_report import result

    from mirrorctl.output.bench import to_json
    from mirrorctl.probe.model import Note

    results = [result("tuna", "pypi", 12.0), result("portal", "pypi", None, error="invalid",
                                                     reason=Note.of("not_repodata", looks="title:Login"))]
    set_env(monkeypatch, **C)
    english = json.dumps(to_json(results), ensure_ascii=False)
    set_env(monkeypatch, **ZH)
    assert json.dumps(to_json(results), ensure_ascii=False) == english
    assert "repodata.json does not start like JSON" in english
