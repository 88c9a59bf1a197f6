"""Failures every layer must understand."""

from __future__ import annotations


class StoreUnavailable(Exception):
    """The shared store cannot be reached; nothing was changed."""
