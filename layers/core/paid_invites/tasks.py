"""The workflow tasks' input, checked: what Step Functions hands a task function, as a typed dataclass.

The inputs the state machines send (strings, integers, booleans, objects, optional ones) are checked the way
a pydantic model checks them, without importing pydantic on every cold start: a missing field or one of the
wrong type raises :class:`ValidationError` (the name the Lambda runtime then reports as the error type),
fields the model does not name are ignored, and a JSON string is read as its object.
"""

from __future__ import annotations

import json
import types
import typing
from dataclasses import MISSING, fields, is_dataclass
from functools import cache
from typing import Any, TypeVar

T = TypeVar("T")


class ValidationError(ValueError):
    """The task's input does not have the shape its model says."""


@cache
def _hints(model: type[Any]) -> dict[str, Any]:
    return typing.get_type_hints(model)


def _allowed(hint: Any) -> tuple[type[Any], ...]:
    if isinstance(hint, types.UnionType) or typing.get_origin(hint) is typing.Union:
        return tuple(t for part in typing.get_args(hint) for t in _allowed(part))
    if hint is None or hint is type(None):
        return (type(None),)
    return (typing.get_origin(hint) or hint,)  # dict[str, Any] is a dict (its items are not checked)


def parse(model: type[T], event: Any) -> T:
    """``model`` (a dataclass of str, int, bool and dict fields, each optionally ``| None``) from ``event``."""
    assert is_dataclass(model), model
    if isinstance(event, str | bytes):
        try:
            event = json.loads(event)
        except ValueError as error:
            raise ValidationError(f"{model.__name__}: the input is not JSON") from error
    if not isinstance(event, dict):
        raise ValidationError(f"{model.__name__}: the input must be an object, not {type(event).__name__}")
    values: dict[str, Any] = {}
    problems = []
    for field in fields(model):
        if field.name not in event:
            if field.default is MISSING and field.default_factory is MISSING:
                problems.append(f"{field.name}: Field required")
            continue
        value = event[field.name]
        allowed = _allowed(_hints(model)[field.name])
        wrong_bool = isinstance(value, bool) and bool not in allowed  # an int to isinstance, not to pydantic
        if wrong_bool or not isinstance(value, allowed):
            problems.append(f"{field.name}: not a {' or '.join(t.__name__ for t in allowed)}")
        else:
            values[field.name] = value
    if problems:
        raise ValidationError(f"{len(problems)} validation error(s) for {model.__name__}: " + "; ".join(problems))
    return model(**values)
