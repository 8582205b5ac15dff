"""Hakusan: cyber-operations platform for a prefectural police cyber division."""

__version__ = "0.1.0"
