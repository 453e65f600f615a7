"""The benchmark's local stack: one moto server in this process, the template deployed into it, bench data.

Every Lambda invocation (through the tests' API client, ``Bench.client``, or by Step Functions in moto's threads)
runs the real handler in this process under a label of its own (``<logical id>#<n>``), so that
:mod:`bench.counting` attributes each AWS request to the invocation that made it.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from local import bridge
from local.stack import OUTBOX, Stack, deploy, seed
from local.template import Function
from paid_invites import clock, config
from paid_invites.invitations import Invitation, new_id
from paid_invites.store import mapping
from paid_invites.store import models as m
from tests.support import Api, builders, workflow

from . import counting

ORG = "bench-org"
FLOOR_ORG = "bench-floor-org"  # the throughput floor writes here (bench/throughput.py)
OWNER = "u-bench-owner"
ADMIN = "u-bench-admin"
# Limits high enough for what the bench creates (the defaults are for one organization's day).
PARAMETERS = {"MaxInvitationsPerDay": "100000", "MaxPendingInvitations": "1000000"}
QUIET = {"LogLevel": "ERROR"}  # the bench stack's own functions log only errors (the cold start keeps INFO)


@dataclass
class Invocation:
    label: str
    function: str
    kind: str  # the route (API), the invitation task's action (InvitationTasksFunction), "" otherwise
    started: float
    ended: float = 0.0
    records: int = 0  # a stream or queue trigger's invocation: the records it was handed

    @property
    def seconds(self) -> float:
        return self.ended - self.started


@dataclass
class Bench:
    stack: Stack
    moto_url: str
    invocations: list[Invocation] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def by_label(self) -> dict[str, Invocation]:
        with self.lock:
            return {i.label: i for i in self.invocations}

    # ------------------------------------------------------------ calling the functions

    @property
    def client(self) -> Api:
        """The tests' API client, in process: each request an API Gateway event into its function's handler."""
        return Api.in_process(self.stack)

    def run_job(self) -> dict[str, Any]:
        """One run of the scheduled sweep (SweepFunction, its configured timeout to spend), labelled as every
        invocation is: the tests' client's run of the scheduled job."""
        return self.client.run_job()

    def last(self, function: str, kind: str | None = None) -> Invocation:
        with self.lock:
            found = [i for i in self.invocations if i.function == function and (kind is None or i.kind == kind)]
        return found[-1]

    def since(self, mark: int, function: str | None = None, kind: str | None = None) -> list[Invocation]:
        with self.lock:
            found = self.invocations[mark:]
        return [i for i in found if (function is None or i.function == function) and (kind is None or i.kind == kind)]

    def mark(self) -> int:
        with self.lock:
            return len(self.invocations)


_seq = itertools.count(1)


def _labelled(bench: Bench, original: Callable[[Function, dict[str, Any]], Any]) -> Callable[..., Any]:
    def invoke(fn: Function, event: dict[str, Any]) -> Any:
        kind = str(event.get("action") or event.get("httpMethod", "") + " " + event.get("resource", "")).strip()
        records = len(event.get("Records") or [])
        inv = Invocation(f"{fn.logical_id}#{next(_seq)}", fn.logical_id, kind, time.perf_counter(), records=records)
        with counting.label(inv.label):
            try:
                return original(fn, event)
            finally:
                inv.ended = time.perf_counter()
                with bench.lock:
                    bench.invocations.append(inv)

    return invoke


def start(port: int | None = None) -> Bench:
    """A moto server on a free port, counting installed, the template deployed, the bench data loaded."""
    from local.server import free_port, start_moto

    counting.install(counting.moto_peek)
    port = port or free_port()
    start_moto(port)
    from paid_invites import aws

    aws.reset()
    stack = deploy({"AcceptBaseUrl": "http://127.0.0.1:3000/invitations/accept", **PARAMETERS, **QUIET})
    bench = Bench(stack, f"http://127.0.0.1:{port}")
    bridge.invoke = _labelled(bench, bridge.invoke)  # type: ignore[assignment]
    with counting.label("setup"):
        seed(bench_seed())
    OUTBOX.messages.clear()
    return bench


# ---------------------------------------------------------------- data


def _subscription(now: datetime) -> dict[str, Any]:
    """A monthly plan, 10 of its 30 days used: a refund or credit of about two thirds of it."""
    start = (now - timedelta(days=10)).replace(microsecond=0)
    return {
        "amount_minor": 3000,
        "interval": "month",
        "current_period_start": clock.iso(start),
        "current_period_end": clock.iso(start + timedelta(days=30)),
        "payment_method": "visa-4242",
    }


PAID = 400  # paid individuals (own account with a subscription): paid-<n>@bench.example
FREE = 200  # free individuals: free-<n>@bench.example


def paid(n: int) -> str:
    return f"paid-{n}@bench.example"


def free(n: int) -> str:
    return f"free-{n}@bench.example"


def bench_seed(now: datetime | None = None) -> dict[str, Any]:
    now = now or datetime.now(UTC)
    accounts: list[dict[str, Any]] = [
        {"id": ORG, "name": "Bench B.V.", "type": "organization", "plan": "business", "currency": "EUR"},
        {"id": FLOOR_ORG, "name": "Floor B.V.", "type": "organization", "plan": "business", "currency": "EUR"},
    ]
    for acc in accounts:
        acc["licenses"] = 50_000
    users = [
        {"id": OWNER, "email": "owner@bench.example", "name": "Olivia Owner", "account_id": ORG, "role": "owner"},
        {"id": ADMIN, "email": "admin@bench.example", "name": "Adam Admin", "account_id": ORG, "role": "admin"},
        {"id": "u-floor-admin", "email": "admin@floor.example", "name": "Floor Admin", "account_id": FLOOR_ORG},
    ]
    users[2]["role"] = "admin"
    for user in users:
        user["user_type"] = "licensed"
    for n in range(PAID):
        accounts.append(
            {
                "id": f"acc-paid-{n}",
                "name": f"Paid {n}",
                "type": "individual",
                "plan": "pro",
                "currency": "EUR",
                "licenses": 1,
                "subscription": _subscription(now),
            }
        )
        users.append(
            {
                "id": f"u-paid-{n}",
                "email": paid(n),
                "name": f"Paid {n}",
                "account_id": f"acc-paid-{n}",
                "role": "owner",
                "user_type": "licensed",
                "language": "nl" if n % 2 else "en",
            }
        )
    for n in range(FREE):
        accounts.append(
            {"id": f"acc-free-{n}", "name": f"Free {n}", "type": "individual", "plan": "basic", "currency": "EUR"}
        )
        users.append(
            {"id": f"u-free-{n}", "email": free(n), "name": f"Free {n}", "account_id": f"acc-free-{n}", "role": "owner"}
        )
    return {"accounts": accounts, "users": users, "invoices": []}


# ---------------------------------------------------------------- reading the workflow


def history(bench: Bench, invitation_id: str) -> list[dict[str, Any]]:
    """The events of the invitation's execution, oldest first (the bench's own requests, labelled so)."""
    from paid_invites import aws

    with counting.label("bench"):
        return workflow.history(bench.stack.state_machine_arn, invitation_id, aws.client("stepfunctions"))


def finished(bench: Bench, invitation_id: str, timeout: float = 60.0) -> str:
    """The status of the invitation's execution once it has ended."""
    from paid_invites import aws

    with counting.label("bench"):
        return str(workflow.finished(bench.stack, invitation_id, timeout, aws.client("stepfunctions"))["status"])


def reload_settings() -> None:
    config.reload()
    m.bind()


def invitation(email: str, status: str, created: datetime, user_type: str = "licensed", **extra: Any) -> Invitation:
    """An invitation of the bench organization by its admin, created at ``created`` (30 days to live)."""
    bench_org = {"account_id": ORG, "inviter_id": ADMIN, "inviter_name": "Adam Admin", "org_name": "Bench B.V."}
    changes = {"email": email, "status": status, "created_at": created.replace(microsecond=0), **extra}
    return builders.invitation(id=new_id(), user_type=user_type, **bench_org, **changes)


def save(invitations: list[Invitation], due_at: Callable[[Invitation], datetime] | None = None) -> None:
    """Write invitations straight into the table (bench set-up, not through invites); ``due_at`` puts each in
    the ``by_due`` index at the time it gives."""
    with counting.label("setup"), m.InvitationModel.batch_write() as batch:
        for inv in invitations:
            item = mapping.from_invitation(inv)
            if due_at is not None:
                item.due_shard, item.due_at = mapping.DUE_SHARD, due_at(inv)
            batch.save(item)
