"""The workflow tasks' input is checked without pydantic: the fields the model names, strictly typed."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from paid_invites.tasks import ValidationError, parse


@dataclass(frozen=True)
class Task:
    kind: str
    invitation_id: str
    task_token: str | None = None
    attempt: int = 0


def test_the_fields_the_model_names_are_taken_and_the_others_ignored() -> None:
    event = {"kind": "invitation", "invitation_id": "abc", "task_token": "t", "extra": {"x": 1}}
    assert parse(Task, event) == Task("invitation", "abc", "t")


def test_optional_fields_default_and_may_be_null() -> None:
    assert parse(Task, {"kind": "accepted", "invitation_id": "abc", "task_token": None}) == Task("accepted", "abc")


def test_a_json_string_is_read_as_its_object() -> None:
    assert parse(Task, '{"kind": "expired", "invitation_id": "abc", "attempt": 2}') == Task("expired", "abc", None, 2)


@pytest.mark.parametrize(
    "event",
    [
        {"invitation_id": "abc"},  # missing
        {"kind": 1, "invitation_id": "abc"},  # not a string
        {"kind": "x", "invitation_id": "abc", "attempt": True},  # a bool is not an int
        {"kind": "x", "invitation_id": "abc", "attempt": "2"},
        ["kind"],
        "not json",
        None,
    ],
)
def test_anything_else_is_a_validation_error_by_that_name(event: object) -> None:
    # the Lambda runtime reports the exception's class name; the state machine's Catch sees it
    with pytest.raises(ValidationError) as raised:
        parse(Task, event)
    assert type(raised.value).__name__ == "ValidationError"
