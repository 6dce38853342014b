"""ruamel.yaml round trips that keep comments, quoting, list style and key order (pure: text in, text out).

Shared by every YAML-configured tool (conda, mamba). ruamel.yaml is imported inside the functions: importing it
costs about as much as starting Python, and `mirrorctl --help` must not pay for it.
"""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

from mirrorctl.errors import ConfigParseError, Sentence
from mirrorctl.i18n import N_

#: Bytes that were not UTF-8 survive decoding as lone surrogates (see targets.decode).
_UNDECODABLE = "[\udc80-\udcff]"


def _yaml(text: str = "") -> Any:
    from ruamel.yaml import YAML

    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 4096  # never fold long URLs
    mapping, sequence, offset = detect_indent(text)
    yaml.indent(mapping=mapping, sequence=sequence, offset=offset)
    yaml.explicit_start = text.lstrip().startswith("---")
    return yaml


def detect_indent(text: str) -> tuple[int, int, int]:
    """Keep the file's own list style: ``- item`` under its key, or indented ``  - item`` (the common one).

    Comment lines between a key and its first item say nothing about the layout and are skipped, so a
    column-0 list with a commented-out first entry stays column-0.
    """
    lines = [line for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    mapping = 2
    for before, after in zip(lines, lines[1:]):
        key = re.match(r"^(\s*)[^\s#-][^:]*:\s*(#.*)?$", before)
        if not key:
            continue
        dash = re.match(r"^(\s*)- ", after)
        nested = re.match(r"^(\s*)[^\s#-]", after)
        if dash:
            offset = len(dash.group(1)) - len(key.group(1))
            return mapping, offset + 2, offset
        if nested and len(nested.group(1)) > len(key.group(1)):
            mapping = len(nested.group(1)) - len(key.group(1))
    return mapping, 4, 2  # what conda's own docs and the mirrors' help pages use


def load(text: str, path: Path | None, *, encoding_advice: str = N_("save it as UTF-8")) -> Any:
    """The round-trip document (a mapping), or None for an empty file. Raises ConfigParseError with the line."""
    undecodable = re.search(_UNDECODABLE, text)
    if undecodable:
        raise ConfigParseError(N_("is not UTF-8 text; {advice}"), advice=Sentence(encoding_advice), path=path,
                               line=text.count("\n", 0, undecodable.start()) + 1)
    import warnings

    from ruamel.yaml.error import MarkedYAMLError, YAMLError
    from ruamel.yaml.reader import ReaderError
    from ruamel.yaml.scanner import ScannerError

    try:
        with warnings.catch_warnings():  # ruamel warns (ReusedAnchorWarning ...) on stderr: one line is all we say
            warnings.simplefilter("ignore")
            data = _yaml(text).load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = " ".join(str(exc.problem or exc.context or "invalid YAML").split())
        if "\\t" in problem:  # ruamel names the tab character it could not start a token with
            problem = "tab used for indentation (YAML allows spaces only)"
        raise ConfigParseError(problem, path=path, line=mark.line + 1 if mark else None,
                               scanner=isinstance(exc, ScannerError)) from None
    except ReaderError as exc:
        raise ConfigParseError(" ".join(str(exc).split()), path=path,
                               line=text.count("\n", 0, exc.position) + 1, scanner=True) from None
    except YAMLError as exc:
        raise ConfigParseError(" ".join(str(exc).split()), path=path) from None
    except RecursionError:
        raise ConfigParseError(N_("nested too deeply to read"), path=path) from None
    if data is None:
        return None
    if not isinstance(data, dict):
        raise ConfigParseError(N_("the top level must be a mapping of settings (key: value)"), path=path, line=1)
    return data


def dump(data: Any, original: str) -> str:
    stream = io.StringIO()
    _yaml(original).dump(data, stream)
    return stream.getvalue()


def plain(value: Any) -> Any:
    """A comparable copy without ruamel's comment bookkeeping."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def _comment_slot(container: Any) -> int:
    from ruamel.yaml.comments import CommentedMap

    return 2 if isinstance(container, CommentedMap) else 0


def tail(container: Any, key: Any) -> str:
    """Comment lines that follow an entry (ruamel stores them with it; they usually describe what comes next)."""
    entry = container.ca.items.get(key)
    token = entry[_comment_slot(container)] if entry else None
    if token is None or "\n" not in token.value:
        return ""
    return str(token.value[token.value.index("\n") + 1 :])


def add_tail(container: Any, key: Any, text: str) -> None:
    """Put comment lines ``text`` after the entry ``key`` (after any lines already there)."""
    if not text:
        return
    from ruamel.yaml.error import CommentMark
    from ruamel.yaml.tokens import CommentToken

    slot = _comment_slot(container)
    entry = container.ca.items.setdefault(key, [None, None, None, None])
    token = entry[slot]
    if token is None:
        entry[slot] = CommentToken("\n" + text, CommentMark(0), None)
    else:  # after what already follows the entry: the lines there are the user's too
        value = str(token.value)
        token.value = (value if value.endswith("\n") else value + "\n") + text


def remove_key(mapping: Any, key: str) -> str:
    """Delete ``key`` but keep the comment block that followed it; returns it if nothing is left to hold it."""
    keys = list(mapping.keys())
    position = keys.index(key)
    following = tail(mapping, key)
    del mapping[key]
    mapping.ca.items.pop(key, None)
    if position > 0:
        add_tail(mapping, keys[position - 1], following)
        return ""
    if len(keys) > 1 and following:
        # The block moves above the next key, after the file's own head comment (set_start_comment replaces
        # it). A block that says nothing (only ``#``, blank lines) is dropped: ruamel cannot hold an empty one.
        lines = _start_comment(mapping) + [line.strip() for line in following.splitlines()]
        text = "\n".join(lines).strip("\n")
        if _says_something(text):
            mapping.yaml_set_start_comment(text)
        return ""
    return following


def _start_comment(mapping: Any) -> list[str]:
    """The comment lines above the first key, as written (``#`` included; blank lines as "")."""
    comment = getattr(mapping.ca, "comment", None)
    tokens = comment[1] if comment and len(comment) > 1 and comment[1] else []
    text = "".join(str(getattr(token, "value", "")) for token in tokens)
    return [line.strip() for line in text.rstrip("\n").split("\n")] if text.strip() else []


def _says_something(text: str) -> bool:
    """A comment block with words in it (not only ``#`` characters and blank lines)."""
    return any(line.strip().lstrip("#").strip() for line in text.splitlines())


def remove_item(sequence: Any, index: int) -> None:
    """Delete one list item, moving the comment lines stored with it to the item before (or after) it."""
    following = tail(sequence, index)
    items = dict(sequence.ca.items)
    del sequence[index]
    # ruamel keys list comments by position: shift the ones after the removed item down by one.
    sequence.ca.items.clear()
    for position, comment in items.items():
        if position < index:
            sequence.ca.items[position] = comment
        elif position > index:
            sequence.ca.items[position - 1] = comment
    if following and index > 0:
        add_tail(sequence, index - 1, following)


def replace_list(container: Any, key: str, values: list[str]) -> None:
    from ruamel.yaml.comments import CommentedSeq

    current = container.get(key)
    if not isinstance(current, CommentedSeq) or not len(current):
        container[key] = CommentedSeq(values)
        return
    following = tail(current, len(current) - 1)
    del current[:]
    current.ca.items.clear()
    current.extend(values)
    add_tail(current, len(current) - 1, following)


def dump_keeping(original: str, loaded: Any, document: Any) -> str:
    """Dump ``document``; a file that held only comments keeps them above the new settings; CRLF stays CRLF."""
    newline = "\r\n" if "\r\n" in original else "\n"
    if len(document):
        body = dump(document, original)
    else:  # every setting went: the comments stay (what the user wrote is never lost with the settings)
        lines = [line.strip() for line in original.replace("\r\n", "\n").split("\n")
                 if line.strip().startswith("#")]
        keep = loaded is not None and _says_something("\n".join(lines))
        body = "".join(f"{line}\n" for line in lines) if keep else ""
    if loaded is None and original.strip():
        head = original.replace("\r\n", "\n")
        body = head + ("" if head.endswith("\n") else "\n") + body
    return body.replace("\n", newline) if newline != "\n" else body
