"""Format-preserving editors, pure: old text in, new text out."""
