"""Events checked against their published JSON Schemas (docs/schemas/<DetailType>.json, `make schemas`)."""

from __future__ import annotations

import functools
import json
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker

from local import platform_bus
from local.schemas import DIR
from local.stack import Stack


@functools.cache
def validator(detail_type: str) -> Draft202012Validator:
    path = DIR / f"{detail_type}.json"
    if not path.exists():
        raise AssertionError(f"no published schema for {detail_type!r} ({path})")
    schema = json.loads(path.read_text())
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, format_checker=FormatChecker())


def errors(detail_type: str, detail: Any) -> list[str]:
    """Why ``detail`` does not match the schema of ``detail_type`` (empty when it does)."""
    found = sorted(validator(detail_type).iter_errors(detail), key=lambda e: list(e.absolute_path))
    return [f"{'.'.join(str(p) for p in e.absolute_path) or '<detail>'}: {e.message}" for e in found]


def assert_valid(detail_type: str, detail: Any) -> None:
    """The event's detail matches its published schema."""
    problems = errors(detail_type, detail)
    assert not problems, f"{detail_type} does not match docs/schemas/{detail_type}.json: {problems}"


def assert_invalid(detail_type: str, detail: Any) -> None:
    """The event's detail does not match its published schema."""
    assert errors(detail_type, detail), f"{detail_type} matches its schema: {detail}"


def published(stack: Stack) -> list[dict[str, Any]]:
    """Every event that reached the service's bus since the last look, each checked against its published
    schema (an event without one fails the test)."""
    found = stack.settlement_events()
    for event in found:
        assert_valid(event["detail-type"], event["detail"])
    return found


def send(stack: Stack, *events: tuple[str, dict[str, Any]], valid: bool = True) -> dict[str, Any]:
    """The platform puts these events on its bus; the answer once the functions have handled them. Each event
    is checked against its published schema first (valid, or, for a malformed one, not)."""
    for detail_type, detail in events:
        (assert_valid if valid else assert_invalid)(detail_type, detail)
    return platform_bus.put(stack, list(events))
