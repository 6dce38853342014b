"""Text and JSON renderings of the core's result objects: the only place messages are worded.

One module per command family, each importing only what it renders, so `mirrorctl list` loads no diff or
backup code:

- :mod:`~mirrorctl.output.common`: the way out (:func:`~mirrorctl.output.common.emit`, which masks credentials
  in URLs so no output path can leak a password), the JSON envelope, tables, and the sentences of findings,
  labels and sources that every command shares;
- :mod:`~mirrorctl.output.state`: `current` and `list`;
- :mod:`~mirrorctl.output.change`: `use` and `reset`;
- :mod:`~mirrorctl.output.backups`: `backups` and `restore`;
- :mod:`~mirrorctl.output.profiles`: `profile show/add/remove`;
- :mod:`~mirrorctl.output.errors`: the one line an error gets.

A finding's sentence comes from its code: generic codes are in :data:`~mirrorctl.output.common.MESSAGES`; a
tool's own codes are in its module's ``MESSAGES`` (the English source text, as gettext keeps msgids in code).
Paths are shown as ``~/...`` in text and absolute in JSON.
"""
