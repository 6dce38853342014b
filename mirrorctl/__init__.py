"""mirrorctl: point pip and conda at a fast package mirror, and get back to where you were."""

__version__ = "0.1.0"
