"""Whole numbers read from people and programs (query strings, forms, JSON): one strict rule.

ASCII digits only ("²".isdigit() is true but int("²") fails, and "١٢" would be read as 12), no
bools or floats, and within a range SQLite and JavaScript both hold exactly.
"""

from __future__ import annotations

from typing import Any

MAX_ID = 2**53


def whole_number(value: Any, low: int, high: int) -> int | None:
    """An int from JSON or text within [low, high], or None when it is anything else."""
    if isinstance(value, str):
        text = value.strip()
        if not (text.isascii() and text.isdigit() and len(text) <= 16):
            return None
        value = int(text)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        return None
    return value
