"""The invariants the suite checks at the end of every race and fault, read from the tables themselves.

- every accepted invitation is settled exactly once: one "settled" mark, at most one ledger entry of
  each kind, the entries the choice calls for with the prorated amount, and its events published;
- every user belongs to exactly one account: the user's account exists and is active, and the e-mail
  index (which makes addresses unique) points at the same user and account;
- licenses used <= total for every account, and the counters add up: used + held + free = total,
  used = the licensed members, held = the open licensed invitations (fewer, with none free, only after
  billing cut the licenses).
"""

from __future__ import annotations

import json
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import boto3

from local.stack import Stack
from paid_invites import clock
from paid_invites.config import get_settings
from paid_invites.proration import Subscription, unused_value

from ..support import execution_arn

OPEN = ("pending", "bounced")
CLOSED_STATES = ("accepted", "revoked", "expired")


FOUND = ("lost_settlements", "double_settlements", "users_misplaced", "accounts_oversold", "other")


@dataclass
class Report:
    """What a check of the invariants looked at (``checked``: accepted invitations, users, accounts) and what it
    found (``found``: violations by kind, one of FOUND), with a sentence for each violation."""

    checked: Counter[str] = field(default_factory=Counter)
    found: Counter[str] = field(default_factory=Counter)
    violations: list[str] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return not any(self.found.values())

    def problem(self, kind: str, text: str) -> None:
        assert kind in FOUND, kind
        self.found[kind] += 1
        self.violations.append(text)

    def add(self, other: Report) -> None:
        """Add another check's counts (and its first 20 violations) to these: the suite's totals."""
        self.checked.update(other.checked)
        self.found.update(other.found)
        self.violations += other.violations[:20]


def _plain(value: dict[str, Any]) -> Any:
    """A DynamoDB attribute value as Python."""
    (kind, raw), *_ = value.items()
    if kind == "S":
        return raw
    if kind == "N":
        return int(raw) if raw.lstrip("-").isdigit() else float(raw)
    if kind == "BOOL":
        return raw
    if kind == "NULL":
        return None
    if kind == "M":
        return {k: _plain(v) for k, v in raw.items()}
    if kind == "L":
        return [_plain(v) for v in raw]
    if kind == "SS":
        return set(raw)
    return raw


def scan(table: str) -> list[dict[str, Any]]:
    ddb = boto3.client("dynamodb")
    items: list[dict[str, Any]] = []
    kwargs: dict[str, Any] = {"TableName": table, "ConsistentRead": True}
    while True:
        page = ddb.scan(**kwargs)
        items += [{k: _plain(v) for k, v in item.items()} for item in page["Items"]]
        if not page.get("LastEvaluatedKey"):
            return items
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def _when(value: str) -> datetime:
    return clock.parse(value)


def _execution_status(stack: Stack, invitation_id: str) -> str:
    arn = execution_arn(stack.state_machine_arn, invitation_id)
    try:
        return str(boto3.client("stepfunctions").describe_execution(executionArn=arn)["status"])
    except Exception:  # noqa: BLE001 - no execution (yet)
        return "NONE"


def quiet(stack: Stack, timeout: float = 60.0) -> None:
    """Wait until the workflow of every closed invitation has ended (settled, notified, withdrawn)."""
    deadline = time.monotonic() + timeout
    running: list[str] = []
    while time.monotonic() < deadline:
        closed = [i["id"] for i in scan(get_settings().invitations_table) if i.get("status") in CLOSED_STATES]
        running = [i for i in closed if _execution_status(stack, i) == "RUNNING"]
        if not running:
            return
        time.sleep(0.1)
    raise AssertionError(f"workflows still running after {timeout}s: {running}")


def check(seed: dict[str, Any], events: list[dict[str, Any]] | None = None) -> Report:
    """Every invariant over every item of every table (``events``: what reached the settlement bus)."""
    s = get_settings()
    report = Report()
    accounts = {a["id"]: a for a in scan(s.accounts_table)}
    users_table = scan(s.users_table)
    users = {u["id"]: u for u in users_table if not u["id"].startswith("email#")}
    emails = {u["id"].removeprefix("email#"): u for u in users_table if u["id"].startswith("email#")}
    inv_table = scan(s.invitations_table)
    invitations = {i["id"]: i for i in inv_table if "#" not in i["id"]}
    guards = {i["id"]: i for i in inv_table if i["id"].startswith("pending#")}
    ledger: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for entry in scan(s.ledger_table):
        ledger[entry["invitation_id"]].append(entry)
    totals = {a["id"]: int(a.get("licenses", 0)) for a in seed.get("accounts", [])}

    # ---- users: exactly one account each
    for user in users.values():
        report.checked["users"] += 1
        where = accounts.get(user["account_id"])
        index = emails.get(user["email"])
        if where is None or where.get("status") != "active":
            report.problem("users_misplaced", f"user {user['id']} is in {user['account_id']}, which is not active")
        elif index is None or index.get("user_id") != user["id"] or index.get("account_id") != user["account_id"]:
            report.problem("users_misplaced", f"user {user['id']}: the e-mail index says {index}")
    for address, index in emails.items():
        owner = users.get(index.get("user_id", ""))
        if owner is None or owner["email"] != address:
            report.problem("users_misplaced", f"e-mail {address} points at no user of that address")

    # ---- accounts: licenses and counters
    for acc in accounts.values():
        report.checked["accounts"] += 1
        members = [u for u in users.values() if u["account_id"] == acc["id"]]
        opened = [i for i in invitations.values() if i["account_id"] == acc["id"] and i["status"] in OPEN]
        used, held, free = int(acc["licenses_used"]), int(acc["licenses_held"]), int(acc["licenses_free"])
        total = totals.get(acc["id"], used + held + free)
        if acc["type"] == "organization":
            licensed = sum(1 for u in members if u.get("user_type") == "licensed")
            if used > total or used + held > total or free < 0 or held < 0:
                report.problem("accounts_oversold", f"{acc['id']}: used {used} held {held} free {free} of {total}")
            if used + held + free != total:
                report.problem("other", f"{acc['id']}: used {used} + held {held} + free {free} != {total}")
            if used != licensed:
                report.problem("other", f"{acc['id']}: licenses_used {used} but {licensed} licensed members")
            # held = the open licensed invitations, fewer only after billing cut the licenses (the holds go first)
            holding = sum(1 for i in opened if i["user_type"] == "licensed")
            if held > holding or (held < holding and free > 0):
                report.problem("other", f"{acc['id']}: licenses_held {held} but {holding} open licensed invitations")
            if int(acc.get("invitations_pending", 0)) != len(opened):
                report.problem("other", f"{acc['id']}: invitations_pending {acc.get('invitations_pending')}")
        if int(acc.get("members_count", 0)) != len(members):
            report.problem("other", f"{acc['id']}: members_count {acc.get('members_count')} but {len(members)} users")

    # ---- invitations: settled exactly once; guards
    published: dict[str, Counter[str]] = defaultdict(Counter)
    for event in events or []:
        detail = event.get("detail") or {}
        published[str(detail.get("invitation_id"))][str(detail.get("event_id"))] += 1
    for inv in invitations.values():
        kinds = Counter(h.get("event") for h in inv.get("history", []))
        entries = ledger.get(inv["id"], [])
        if inv["status"] != "accepted":
            if entries:
                report.problem("double_settlements", f"{inv['id']} is {inv['status']} but has ledger entries")
            if inv["status"] in OPEN:
                guard = guards.get(f"pending#{inv['account_id']}#{inv['email']}")
                if guard is None or guard.get("invitation_id") != inv["id"]:
                    report.problem("other", f"open invitation {inv['id']} has no pending guard")
            continue
        report.checked["accepted"] += 1
        if kinds["accepted"] != 1:
            report.problem("double_settlements", f"{inv['id']} accepted {kinds['accepted']} times")
        if kinds["settled"] == 0 or "due_at" in inv:
            report.problem("lost_settlements", f"{inv['id']} accepted but not settled")
        elif kinds["settled"] > 1:
            report.problem("double_settlements", f"{inv['id']} settled {kinds['settled']} times")
        by_kind = Counter(e["kind"] for e in entries)
        if any(n > 1 for n in by_kind.values()):
            report.problem("double_settlements", f"{inv['id']} ledger {dict(by_kind)}")
        member = users.get(inv.get("invitee_user_id") or "")
        if member is None or member["account_id"] != inv["account_id"]:
            report.problem("users_misplaced", f"{inv['id']} accepted but its invitee is not in {inv['account_id']}")
        refund = 0
        sub = inv.get("subscription")
        if inv.get("settle_due") and sub:
            snapshot = Subscription(
                int(sub["amount_minor"]),
                sub.get("currency") or "",
                sub["interval"],
                _when(sub["current_period_start"]),
                _when(sub["current_period_end"]),
                sub["payment_method"],
            )
            amount = unused_value(snapshot, _when(inv["accepted_at"])).amount_minor
            expected = {"subscription_cancelled"}
            if amount and inv.get("settlement") == "refund":
                expected.add("refund_requested")
                refund = amount
            if amount and inv.get("settlement") == "credit":
                expected.add("credit_transferred")
            if set(by_kind) != expected:
                report.problem("lost_settlements", f"{inv['id']} ledger {sorted(by_kind)}, expected {sorted(expected)}")
            for e in entries:
                if e["kind"] != "subscription_cancelled" and int(e["amount_minor"]) != amount:
                    report.problem("other", f"{inv['id']} {e['kind']} {e['amount_minor']} != prorated {amount}")
        elif entries:
            report.problem("double_settlements", f"{inv['id']} had nothing to settle but has ledger entries")
        if events is not None:
            wanted = {f"{inv['id']}:accepted"} | ({f"{inv['id']}:refund"} if refund else set())
            seen = published.get(inv["id"], Counter())
            if not wanted <= set(seen):
                report.problem("lost_settlements", f"{inv['id']} events {dict(seen)}, expected {sorted(wanted)}")
            if set(seen) - wanted:
                report.problem("double_settlements", f"{inv['id']} unexpected events {sorted(set(seen) - wanted)}")
    for guard in guards.values():
        inv = invitations.get(guard.get("invitation_id", ""))
        if inv is None or inv["status"] not in OPEN:
            report.problem("other", f"guard {guard['id']} points at {inv and inv['status']}")
    return report


def deliveries(events: list[dict[str, Any]], detail_type: str, invitation_id: str) -> int:
    """How many times an event of this type about this invitation reached the bus (duplicates included)."""
    return sum(
        1
        for e in events
        if e.get("detail-type") == detail_type and (e.get("detail") or {}).get("invitation_id") == invitation_id
    )


def dumps(report: Report) -> str:
    return json.dumps(report.__dict__, indent=1, default=str)
