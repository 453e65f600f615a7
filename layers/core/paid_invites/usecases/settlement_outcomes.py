"""Apply a billing system's outcome (``RefundCompleted``, ``CreditFailed``, ...) to the ledger entry its
request names, exactly once.

The rule (settlement.judge): an outcome applies only to an entry still ``requested`` in the outcome's attempt;
a success also to an entry that failed in that same attempt (the billing system's last word: the money
moved, so the entry must not be requested again). In the same transaction the invitation takes its new
settlement state (failed while an entry failed, requested while one waits, completed when all completed) and,
for ``CreditApplied``, the organization's credit rises, then and only then. An outcome of a request we never
made, of an earlier attempt (an operator has requested the entry again since) or a repeated one changes
nothing; a *success* of an earlier attempt is reported (``late_success``): money may have moved twice for one
entry, and only one of the attempts counts.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from .. import clock
from ..billing_events import BillingOutcome, parse_outcome
from ..billing_ids import split_request_id
from ..errors import DomainError
from ..ledger import REQUESTED
from ..settlement import Answer, answered, judge, settlement_state
from ..store import settlements


class MalformedOutcome(DomainError):
    """Not an outcome of ours (unknown detail-type, or a detail that does not validate): nothing applied."""

    code, status = "malformed_outcome", 400


@dataclass(frozen=True)
class OutcomeApplied:
    """What one outcome did."""

    request_id: str
    invitation_id: str
    kind: str
    attempt: int
    result: str  # applied | unknown | old_attempt | answered
    succeeded: bool
    state: str | None = None  # the invitation's settlement state after it (when applied)
    failure: str | None = None
    credited_minor: int = 0

    @property
    def late_success(self) -> bool:
        """A success of an attempt that no longer counts: the money may have moved twice (reported)."""
        return self.succeeded and self.result == "old_attempt"

    def as_dict(self) -> dict[str, Any]:
        return {
            "request_id": self.request_id,
            "invitation_id": self.invitation_id,
            "kind": self.kind,
            "attempt": self.attempt,
            "result": self.result,
            "succeeded": self.succeeded,
            "state": self.state,
            "credited_minor": self.credited_minor,
        }


def parse(detail_type: str, detail: Any) -> BillingOutcome:
    try:
        return parse_outcome(detail_type, detail)
    except KeyError as error:
        raise MalformedOutcome(f"not a billing outcome: {detail_type!r}") from error
    except ValidationError as error:
        raise MalformedOutcome(
            f"{detail_type}: {error.error_count()} invalid fields", details=_fields(error)
        ) from error


def _fields(error: ValidationError) -> list[str]:
    return [".".join(str(p) for p in e["loc"]) for e in error.errors()]


def apply_outcome(detail_type: str, detail: Any) -> OutcomeApplied:
    """Apply one outcome event (its detail-type and detail). ``MalformedOutcome`` when it is not one."""
    outcome = parse(detail_type, detail)
    parts = split_request_id(outcome.request_id)
    attempt = parts[2] if parts else 0

    def result(name: str, **more: Any) -> OutcomeApplied:
        return OutcomeApplied(
            outcome.request_id, outcome.invitation_id, outcome.kind, attempt, name, outcome.succeeded, **more
        )

    if parts is None or parts[:2] != (outcome.invitation_id, outcome.kind):
        return result("unknown")

    def change() -> OutcomeApplied:
        snap = settlements.snapshot(outcome.invitation_id)
        entry = snap.entry(outcome.kind) if snap else None
        verdict = judge(entry, attempt, outcome.succeeded)
        if verdict != "apply" or snap is None or entry is None:
            return result(verdict)
        if (outcome.amount_minor is not None and outcome.amount_minor != entry.amount_minor) or (
            outcome.currency is not None and outcome.currency != entry.currency
        ):
            raise MalformedOutcome(
                f"{outcome.request_id}: {outcome.amount_minor} {outcome.currency} is not the entry's "
                f"{entry.amount_minor} {entry.currency}: nothing applied"
            )
        answer = Answer(
            invitation_id=outcome.invitation_id,
            kind=outcome.kind,
            attempt=attempt,
            succeeded=outcome.succeeded,
            at=clock.now(),
            reason=getattr(outcome, "reason", None),
            external_id=outcome.external_id,
        )
        after = answered(snap.entries, answer)
        state, failure = settlement_state(after)
        assert state is not None
        credit = entry.amount_minor if outcome.succeeded and outcome.kind == "credit_transferred" else 0
        waiting = any(e.state == REQUESTED for e in after)
        settlements.apply_answer(snap, answer, state, failure, waiting, credit, was=entry.state)
        return result("applied", state=state, failure=failure, credited_minor=credit)

    return settlements.retrying(change)
