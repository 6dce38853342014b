"""The user's language: which one, its gettext catalogue, and text widths on a terminal.

Standard gettext. Messages are marked in the code: :func:`N_` marks a msgid where it is defined (a target's
``MESSAGES``, a help text, an error template) and returns it unchanged; :func:`_` translates at the edge, where
text is rendered (``mirrorctl.output``, the click layer). ``pybabel extract -F babel.cfg`` collects both into
``mirrorctl/locale/mirrorctl.pot``; ``mirrorctl/locale/<lang>/LC_MESSAGES/mirrorctl.po`` are the sources, and the
build hook (``hatch_build.py``) compiles them into ``.mo`` files inside the wheel (and the editable install).

The language, first match wins: ``--lang zh|en`` (:func:`set_language`, from the command line), then
``MIRRORCTL_LANG``, then the locale (``LC_ALL``, ``LC_MESSAGES``, ``LANG``, ``LANGUAGE``; ``C``/``POSIX`` count as
English), then on Windows the user's UI language. Anything starting with ``zh`` is Simplified Chinese (``zh_TW``
and ``zh_HK`` too, until someone translates Traditional Chinese); every other language is English.

Cheap on purpose: English never opens a file or imports :mod:`gettext`; Chinese reads its ``.mo`` once, on the
first message. Never used for ``--json``, file contents, exit codes or backup IDs.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from typing import Literal

#: The languages mirrorctl speaks, and the catalogue directory of each (English needs none: the msgids are it).
LANGUAGES = ("en", "zh")
CATALOGUES = {"zh": "zh_CN"}
DOMAIN = "mirrorctl"
LOCALE_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "locale")
#: Locale variables, in the order the issue (and POSIX, bar LANGUAGE) gives them.
LOCALE_VARIABLES = ("LC_ALL", "LC_MESSAGES", "LANG", "LANGUAGE")

_override: str | None = None
#: The language the environment asks for, read once per process (see :func:`reset`).
_from_environment: str | None = None
_catalogues: dict[str, Any] = {}


def N_(message: str) -> str:
    """Mark ``message`` for extraction and return it untranslated (it is translated where it is shown)."""
    return message


def normalize(value: str | None) -> str | None:
    """``zh``/``zh_CN.UTF-8``/``zh-Hant`` -> ``zh``; ``en*`` -> ``en``; anything else (``fr``, ``C``) -> None."""
    if not value:
        return None
    value = value.strip().lower()
    if value.startswith("zh"):
        return "zh"
    if value.startswith("en"):
        return "en"
    return None


def from_locale(environ: Mapping[str, str] | None = None, *, platform: str | None = None) -> str:
    """The language the locale asks for: the first locale variable that is set decides (``zh*`` -> zh)."""
    environ = os.environ if environ is None else environ
    for variable in LOCALE_VARIABLES:
        value = environ.get(variable, "")
        if variable == "LANGUAGE":  # a priority list, "zh_CN:en"
            value = value.split(":")[0]
        if value:
            return "zh" if value.lower().startswith("zh") else "en"
    if (platform or sys.platform) == "win32":
        return _windows_ui_language()
    return "en"


def _windows_ui_language() -> str:
    """Windows has no locale variables: ask for the user's UI language (primary language 0x04 is Chinese)."""
    try:
        import ctypes

        langid = int(ctypes.windll.kernel32.GetUserDefaultUILanguage())  # type: ignore[attr-defined]
    except (AttributeError, OSError, ValueError):
        return "en"
    return "zh" if langid & 0x3FF == 0x04 else "en"


def choose(argv: Sequence[str] = (), environ: Mapping[str, str] | None = None) -> str:
    """The language for one run: ``--lang`` in ``argv``, then ``MIRRORCTL_LANG``, then the locale."""
    environ = os.environ if environ is None else environ
    wanted = lang_argument(argv)
    if wanted is not None and normalize(wanted) is not None:
        return str(normalize(wanted))
    return normalize(environ.get("MIRRORCTL_LANG")) or from_locale(environ)


def lang_argument(argv: Sequence[str]) -> str | None:
    """The value of the last ``--lang X`` / ``--lang=X`` in ``argv`` (anywhere, like ``--debug``), else None."""
    found = None
    for index, word in enumerate(argv):
        if word == "--":
            break
        if word == "--lang" and index + 1 < len(argv):
            found = argv[index + 1]
        elif word.startswith("--lang="):
            found = word[len("--lang="):]
    return found


def strip_lang(argv: Sequence[str]) -> list[str]:
    """``argv`` without its ``--lang`` options (they are read by :func:`lang_argument`)."""
    out: list[str] = []
    words = list(argv)
    while words:
        word = words.pop(0)
        if word == "--":
            out += [word, *words]
            break
        if word == "--lang" and words:
            words.pop(0)
        elif not word.startswith("--lang="):
            out.append(word)
    return out


def set_language(language: str | None) -> None:
    """Fix the language for this process (``--lang``); None goes back to ``MIRRORCTL_LANG`` and the locale."""
    global _override
    _override = normalize(language) if language else None


def language() -> str:
    """The language in use now: ``en`` or ``zh``."""
    global _from_environment
    if _override:
        return _override
    if _from_environment is None:
        _from_environment = normalize(os.environ.get("MIRRORCTL_LANG")) or from_locale()
    return _from_environment


class english:
    """Within this block every message is English, whatever the user's language (``--json``, files written)."""

    def __enter__(self) -> None:
        global _override
        self._saved = _override
        _override = "en"

    def __exit__(self, *exc: object) -> None:
        global _override
        _override = self._saved


def _catalogue(lang: str) -> Any:
    if lang not in _catalogues:
        path = os.path.join(LOCALE_DIR, CATALOGUES[lang], "LC_MESSAGES", DOMAIN + ".mo")
        try:
            with open(path, "rb") as handle:
                _catalogues[lang] = Catalogue(handle.read())
        except (OSError, ValueError):  # no catalogue (a source checkout never built), or a damaged one
            _catalogues[lang] = Catalogue.EMPTY
    return _catalogues[lang]


class Catalogue:
    """A compiled gettext catalogue (``.mo``), answering as :class:`gettext.GNUTranslations` does.

    The file is the standard one (``pybabel compile``/``msgfmt`` write it, the build hook puts it in the wheel);
    only the reading is done here, because :mod:`gettext` imports :mod:`locale` and :mod:`struct` and decodes
    every message up front, about 3 ms of a 45 ms `mirrorctl list`. This reads the header the way
    ``Lib/gettext.py`` ``GNUTranslations._parse`` does (magic number and byte order, the two tables of
    (length, offset) pairs, the header's charset and Plural-Forms) and finds a message when it is asked for by
    binary search in the table of originals, which the .mo format keeps sorted (GNU gettext manual, "The Format
    of GNU MO Files": "The original strings are sorted"; Babel's ``write_mo`` sorts too). A plural entry's
    original is ``singular\0plural``, and NUL sorts before every other byte, so it sits where its singular does.
    ``tests/test_i18n.py`` checks it against :mod:`gettext` for every message of the catalogue.
    """

    MAGIC = 0x950412DE
    EMPTY: Catalogue

    def __init__(self, data: bytes) -> None:
        self._data = data
        self._count = 0
        self._ids: Sequence[int] = ()
        self._strs: Sequence[int] = ()
        self._decoded: dict[str, str] = {}
        self._charset = "utf-8"
        self._plural_rule = "0"
        if not data:
            return
        order: Literal["little", "big"] = "little" if int.from_bytes(data[:4], "little") == self.MAGIC else "big"
        if int.from_bytes(data[:4], order) != self.MAGIC:
            raise ValueError("not a gettext catalogue")
        version, count, ids_at, strs_at = (int.from_bytes(data[at:at + 4], order) for at in (4, 8, 12, 16))
        if version >> 16 not in (0, 1) or max(ids_at, strs_at) + 8 * count > len(data):
            raise ValueError("unknown catalogue version, or a truncated catalogue")
        if order == sys.byteorder:  # (length, offset) pairs read in place, as native unsigned ints
            view = memoryview(data)
            self._ids = view[ids_at:ids_at + 8 * count].cast("I")
            self._strs = view[strs_at:strs_at + 8 * count].cast("I")
        else:  # written on a machine of the other byte order: converted once
            self._ids = [int.from_bytes(data[at:at + 4], order) for at in range(ids_at, ids_at + 8 * count, 4)]
            self._strs = [int.from_bytes(data[at:at + 4], order) for at in range(strs_at, strs_at + 8 * count, 4)]
        self._count = count
        self._read_header()

    def _original(self, number: int) -> bytes:
        length, offset = self._ids[2 * number], self._ids[2 * number + 1]
        return self._data[offset:offset + length]

    def _first_at_or_after(self, key: bytes) -> int:
        low, high = 0, self._count
        while low < high:
            middle = (low + high) // 2
            if self._original(middle) < key:
                low = middle + 1
            else:
                high = middle
        return low

    def _translation(self, number: int) -> str | None:
        length, offset = self._strs[2 * number], self._strs[2 * number + 1]
        if offset + length > len(self._data):  # a damaged catalogue: this message stays English
            return None
        try:
            return self._data[offset:offset + length].decode(self._charset)
        except (UnicodeDecodeError, LookupError):
            return None

    def _find(self, key: bytes) -> str | None:
        """The translation of the original ``key`` (exactly), or None."""
        number = self._first_at_or_after(key)
        if number < self._count and self._original(number) == key:
            return self._translation(number)
        return None

    def _find_plural(self, singular: bytes) -> str | None:
        """The NUL-separated forms of the plural entry whose singular is ``singular``, or None."""
        key = singular + b"\0"
        number = self._first_at_or_after(key)
        if number < self._count and self._original(number).startswith(key):
            return self._translation(number)
        return None

    def _read_header(self) -> None:
        header = self._find(b"")
        if header is None:
            return
        for line in header.splitlines():
            name, _colon, value = line.partition(":")
            name = name.strip().lower()
            if name == "content-type" and "charset=" in value:
                self._charset = value.split("charset=", 1)[1].strip()
            elif name == "plural-forms" and "plural=" in value:
                self._plural_rule = value.split("plural=", 1)[1].strip().rstrip(";").strip()

    def gettext(self, message: str) -> str:
        found = self._decoded.get(message)
        if found is None:
            key = message.encode(self._charset)
            found = self._find(key)
            if found is None:  # Lib/gettext.py (3.11+): a plural entry's form for 1
                forms = self._find_plural(key)
                found = None if forms is None else self._form(forms, 1)
            found = message if found is None else found
            self._decoded[message] = found
        return found

    def ngettext(self, singular: str, plural: str, count: int) -> str:
        forms = self._find_plural(singular.encode(self._charset))
        found = None if forms is None else self._form(forms, count)
        if found is None:
            return singular if count == 1 else plural
        return found

    def _form(self, forms: str, count: int) -> str | None:
        index = self._plural_index(count)
        choices = forms.split("\0")
        return choices[index] if 0 <= index < len(choices) else None

    def _plural_index(self, count: int) -> int:
        if self._plural_rule == "0":  # Chinese, Japanese, Korean ...: one form
            return 0
        import gettext  # any other rule: gettext's own (safe) compiler of C plural expressions

        return int(gettext.c2py(self._plural_rule)(count))


Catalogue.EMPTY = Catalogue(b"")


def _(message: str) -> str:
    """``message`` (an English msgid) in the user's language."""
    lang = language()
    if lang == "en" or not message:
        return message
    return str(_catalogue(lang).gettext(message))


def ngettext(singular: str, plural: str, count: int) -> str:
    """The singular or plural form for ``count``, in the user's language."""
    lang = language()
    if lang == "en":
        return singular if count == 1 else plural
    return str(_catalogue(lang).ngettext(singular, plural, count))


def has_catalogue(lang: str) -> bool:
    """Whether the compiled catalogue of ``lang`` is installed (``en`` always is: it needs none)."""
    if lang == "en":
        return True
    return os.path.isfile(os.path.join(LOCALE_DIR, CATALOGUES[lang], "LC_MESSAGES", DOMAIN + ".mo"))


def reset() -> None:
    """Forget the ``--lang`` choice, the environment's and the loaded catalogues (tests change the locale)."""
    global _from_environment
    set_language(None)
    _from_environment = None
    _catalogues.clear()


# ---------------------------------------------------------------------------------------------------------
# Display width: a CJK character takes two terminal columns


def width(text: str) -> int:
    """Terminal columns ``text`` takes: East Asian Wide/Fullwidth characters count 2, combining marks 0."""
    if text.isascii():
        return len(text)
    import unicodedata

    columns = 0
    for char in text:
        if unicodedata.combining(char):
            continue
        columns += 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1
    return columns


def ljust(text: str, columns: int) -> str:
    """``text`` padded with spaces to ``columns`` display columns (``str.ljust`` counts characters)."""
    return text + " " * max(0, columns - width(text))


# ---------------------------------------------------------------------------------------------------------
# click: its own words, and the help texts of our commands


#: Full-width punctuation a Chinese line never starts with.
_NO_LINE_START = "，。、；：？！）》」』】"

#: click's own messages mirrorctl shows (click marks them with gettext; the catalogue translates them).
CLICK_MESSAGES = (
    N_("Usage:"), N_("Options"), N_("Commands"), N_("Positional arguments"), N_("Show this message and exit."),
    N_("Show the version and exit."), N_("Missing command."), N_("Missing argument"), N_("Missing option"),
    N_("Missing parameter"), N_("No such option {name!r}."), N_("No such option: {name}"),
    N_("No such command {name!r}."),
    N_("Invalid value for {param_hint}: {message}"), N_("Invalid value: {message}"),
    N_("{value!r} is not {choice}."), N_("{value!r} is not one of {choices}."),
    N_("{value} is not in the range {range}."), N_("{value!r} is not a valid {number_type}."),
    N_("default: {default}"), N_("Option {name!r} does not take a value."), N_("Aborted!"),
)


def translate_click() -> None:
    """Route click's own gettext calls (usage, errors, help headings) through mirrorctl's catalogue, and make
    its help wrap by display width (a CJK character takes two columns and may end a line anywhere).

    Both change nothing for English: an ASCII text has as many columns as characters.
    """
    for name in ("core", "formatting", "exceptions", "types", "parser", "decorators"):
        module = sys.modules.get("click." + name)
        if module is None:
            continue
        if hasattr(module, "_"):
            module._ = _  # type: ignore[attr-defined]
        if hasattr(module, "ngettext"):
            module.ngettext = ngettext  # type: ignore[attr-defined]
    try:
        import click._textwrap as textwrap_module
        import click.formatting as formatting
    except ImportError:  # a click without them: its own wrapping, by characters
        return
    textwrap: Any = textwrap_module
    original = getattr(textwrap, "term_len", None)
    if original is None or getattr(original, "_display_width", False):
        return

    def term_len(text: str) -> int:
        return width(text) + original(text) - len(text)  # click's length without ANSI codes, CJK counted twice

    term_len._display_width = True  # type: ignore[attr-defined]

    class CJKWrapper(textwrap.TextWrapper):  # type: ignore[misc]
        def _split(self, text: str) -> list[str]:
            chunks: list[str] = []
            for chunk in super()._split(text):
                if chunk.isascii():
                    chunks.append(chunk)
                    continue
                run = ""
                for char in chunk:  # a line may break before or after any wide character,
                    if char in _NO_LINE_START and (run or chunks):  # but not before "，" or "）"
                        if run:
                            run += char
                        else:
                            chunks[-1] += char
                    elif width(char) == 2:
                        chunks += [run, char] if run else [char]
                        run = ""
                    else:
                        run += char
                if run:
                    chunks.append(run)
            return chunks

    textwrap.term_len = term_len
    setattr(formatting, "term_len", term_len)  # noqa: B010 - click's own name, replaced
    textwrap.TextWrapper = CJKWrapper


def extract(fileobj: Any, keywords: Any, comment_tags: Any, options: Any) -> Any:
    """Babel extractor (``babel.cfg``): Babel's Python extractor, plus the docstrings of click commands.

    A click command's help is its docstring, which no ``_()`` call wraps; the msgid is the docstring as click
    shows it (``inspect.cleandoc``), and :mod:`mirrorctl.cli` translates it when help is rendered.
    """
    import ast
    import io

    from babel.messages.extract import extract_python

    data = fileobj.read()
    yield from extract_python(io.BytesIO(data), keywords, comment_tags, options)
    for node in ast.walk(ast.parse(data)):
        if not isinstance(node, ast.FunctionDef):
            continue
        decorators = [ast.unparse(d) for d in node.decorator_list]
        if not any(".command(" in d or ".group(" in d or d.startswith(("click.command", "click.group"))
                   for d in decorators):
            continue
        doc = ast.get_docstring(node, clean=True)
        if doc:
            yield node.body[0].lineno, "_", doc.partition("\f")[0], []
