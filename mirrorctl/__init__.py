"""mirrorctl: point pip and conda at a fast package mirror, and get back to where you were.

House rules for the code (see also ``mirrorctl.results``):

- Records are ``typing.NamedTuple``: immutable like frozen dataclasses, and cheaper to define at import time,
  which `mirrorctl --help` and `list` pay on every run (a frozen dataclass exec()s each generated method).
  New result, model and helper records use NamedTuple; ``mirrorctl.probe``'s models and the snapshot records
  in ``mirrorctl.store`` are frozen dataclasses from before this rule and move over when those modules change.
- Python 3.9+: ``from __future__ import annotations`` everywhere, TOML read through ``mirrorctl.formats.toml``
  only (tomllib exists from 3.11), no ``match``, no ``X | Y`` outside annotations.
"""

__version__ = "0.1.0"
