"""The domain errors the invitation workflow names in its Retry and Catch are the shared package's, and the
ones that must not be retried are not."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from paid_invites import errors

ASL = Path(__file__).parents[2] / "statemachine" / "invitation.asl.json"
AWS_PREFIXES = ("States.", "Lambda.", "Sandbox.", "DynamoDB.")


def states() -> dict[str, dict[str, Any]]:
    """The definition's states (placeholders filled with a number: only their names matter here)."""
    text = re.sub(r"\$\{\w+\}", "1", ASL.read_text())
    found: dict[str, dict[str, Any]] = json.loads(text)["States"]
    return found


def named(state: dict[str, Any], kind: str) -> set[str]:
    return {name for rule in state.get(kind, []) for name in rule["ErrorEquals"]}


def test_every_error_the_workflow_names_is_a_domain_error_of_the_package() -> None:
    for name, state in states().items():
        for error in named(state, "Retry") | named(state, "Catch"):
            if not error.startswith(AWS_PREFIXES):
                assert isinstance(getattr(errors, error, None), type), f"{name} names {error}, not in errors.py"


def test_a_refused_settlement_is_caught_by_name_and_never_retried() -> None:
    settle = states()["Settle"]
    assert "SettlementRefused" not in named(settle, "Retry")
    (rule,) = [r for r in settle["Catch"] if "SettlementRefused" in r["ErrorEquals"]]
    assert rule["Next"] == "RecordFailure" and rule["ResultPath"] == "$.error"
    for name, state in states().items():
        assert "SettlementRefused" not in named(state, "Retry"), name
