"""Building a value of one layer from another's: the fields both name alike. Pure."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any


def same_named(source: object, names: Iterable[str]) -> dict[str, Any]:
    """The attributes of ``source`` with these names, as keyword arguments for the value they make up."""
    return {name: getattr(source, name) for name in names}
