"""`mirrorctl torch`, free of click: the right PyTorch build for a machine, from the fastest source that has it.

The path is one way, like the others: ``detect`` (the machine, or the overrides) -> ``choose`` (pure: a release, a
variant, or the reasons nothing fits) -> ``source`` (the PyPI mirror in effect, a profile's wheel index, or upstream)
-> the install commands, which each tool's module builds (``mirrorctl.targets``), since only they may name a tool.
``check`` inspects an installed environment without importing torch. The release facts live in
``releases.toml``, data shipped with the package.
"""
