"""Resolve many conda configurations in one process, the way ``conda info --json`` computes ``channels``.

Run under the Python that has conda's dependencies, with conda's source on PYTHONPATH (``tests/helpers/real_conda.py``
does this). Reads a JSON list on stdin; each item is ``{"env": {...}}``, the complete environment for that case
(HOME and, if wanted, CONDARC, CONDA_CHANNELS, ...). For each item the process environment is replaced by that
one, conda's context is reset (``conda.base.context.reset_context``, which re-reads every file on conda's search
path and the ``CONDA_*`` variables), and ``channels`` is computed with the same two lines as
``conda/cli/main_info.py`` (``all_channel_urls(context.channels)`` then ``mask_anaconda_token``).

Writes a JSON list on stdout, one object per item::

    {"channels": [...] | null, "error": "ExceptionName" | null, "message": "first line" | null,
     "ignored": ["<path>", ...]}

``ignored`` lists the files conda announced "Ignoring configuration file (PATH) due to error" for.
Standard library and conda only: this file never imports pytest or mirrorctl.
"""

from __future__ import annotations

import json
import logging
import os
import re
import sys
from typing import Any

IGNORING = re.compile(r"Ignoring configuration file \((.*?)\) due to error")


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def resolve(env: dict[str, str], collector: _Collect) -> dict[str, Any]:
    from conda.base.context import context, reset_context
    from conda.common.url import mask_anaconda_token
    from conda.models.channel import all_channel_urls

    os.environ.clear()
    os.environ.update(env)
    os.environ.setdefault("CONDA_ROOT", sys.prefix)  # what conda/__init__.py does at import
    collector.messages.clear()
    result: dict[str, Any] = {"channels": None, "error": None, "message": None, "ignored": []}
    try:
        reset_context()
        channels = list(all_channel_urls(context.channels))
        result["channels"] = [mask_anaconda_token(c) for c in channels]
    except Exception as err:  # what conda's crash handler would report, as data
        result["error"] = type(err).__name__
        text = str(err).strip()
        result["message"] = text.splitlines()[0] if text else ""
    ignored: list[str] = []
    for message in collector.messages:
        match = IGNORING.search(message)
        if match and match.group(1) not in ignored:
            ignored.append(match.group(1))
    result["ignored"] = ignored
    return result


def main() -> int:
    cases = json.load(sys.stdin)
    import conda.common.configuration  # noqa: F401  (the logger below exists once this is imported)

    collector = _Collect()
    logging.getLogger("conda.common.configuration").addHandler(collector)
    out = [resolve(case["env"], collector) for case in cases]
    json.dump(out, sys.stdout)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
