"""Cost per 1,000 invitations, from the measured requests per operation and state transitions (bench/calls.py).

One invitation's life, accepted with a settlement (a refund): the invite request (alone, or its share of
a request of 100), the invitation e-mail task, the accept page (GET) and the accept (POST), the settle
step, which also sends the inviter's notice (no reminder: accepted before the first one is due), and the invitations
table's stream records of that life handed to LifecycleEventsFunction. Every quantity is what the bench
counted on that path; the Lambda durations are the handlers' measured (warm) durations against moto,
billed per started millisecond at the memory each function is configured with in template.yaml. Warm: an
untimed life runs first, so that each handler has served one invocation (its lazy imports and first
renders belong to a cold start); the invitation e-mail's duration is that of the measured invitation's own
e-mail, sent alone (the 100 of a bulk request run at once in this one interpreter, and each one's time
there is mostly waiting for the others; on Lambda each has its own). Cold starts add their init time when
they happen (bench/coldstart.py); that is not included.

The stream's records: in the "1 per request" column each record is its own invocation (a write alone in
its batching window, as at low traffic: the most a record can cost); in the "100 per request" column the
records of the 100 invitations' creation and e-mails reach the function in batches as the trigger's batch
size allows (measured), those of the accept on one per invocation. Reading a stream is free for a Lambda
trigger; the events it publishes are counted as every PutEvents entry is.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

from .calls import Row, Story
from .stack import Invocation

PRICES_AS_OF = "2026-12-01"
TARGET_USD = 0.300  # per 1,000 invitations, invited one per request: 1.5 times SES's price for their e-mails
PRICES_SOURCE = "us-east-1, the AWS pricing pages (as docs/deploy.md records them)"
# (unit, USD per unit)
PRICES: dict[str, tuple[str, float]] = {
    "sfn": ("state transition (Step Functions Standard)", 0.025 / 1000),
    "lambda_requests": ("Lambda request", 0.20 / 1_000_000),
    "lambda_gbs": ("Lambda GB-second (arm64)", 0.0000133334),
    "wru": ("DynamoDB write request unit (on demand)", 0.625 / 1_000_000),
    "rru": ("DynamoDB read request unit (on demand)", 0.125 / 1_000_000),
    "ses": ("e-mail (SES)", 0.10 / 1000),
    "apigw": ("API Gateway REST request", 3.50 / 1_000_000),
    "events": ("EventBridge custom event", 1.00 / 1_000_000),
}


@dataclass
class Line:
    key: str
    per_invitation: float

    @property
    def unit(self) -> str:
        return PRICES[self.key][0]

    @property
    def per_thousand_usd(self) -> float:
        return self.per_invitation * 1000 * PRICES[self.key][1]


@dataclass
class Cost:
    single: list[Line]  # invited one per request
    bulk: list[Line]  # invited 100 per request
    emails_per_invitation: int
    # write units per invitation, by operation (invited one per request): (operation, table, indexes)
    write_units: list[tuple[str, float, float]]

    @staticmethod
    def total(lines: list[Line]) -> float:
        return sum(line.per_thousand_usd for line in lines)

    @property
    def floor_usd(self) -> float:
        return self.emails_per_invitation * 1000 * PRICES["ses"][1]

    @property
    def met(self) -> bool:
        return round(self.total(self.single), 3) <= TARGET_USD


def _gb_seconds(row: Row, memory_mb: dict[str, int]) -> float:
    billed = 0.0
    for inv in row.invocations:
        billed += math.ceil(inv.seconds * 1000) / 1000 * memory_mb[inv.function] / 1024
    return billed / row.per


def _events(row: Row) -> float:
    entries = sum(len(c.params.get("Entries", [])) for c in row.calls if c.operation == "PutEvents")
    return entries / row.per


def _lines(rows: list[tuple[Row, float]], transitions: int, memory_mb: dict[str, int]) -> list[Line]:
    """``rows``: (row, how many of it one invitation takes)."""

    def total(value: Any) -> float:
        return float(sum(share * value(row) for row, share in rows))

    emails = total(lambda r: r.summary.count("sesv2", "SendEmail") / r.per)
    api = total(lambda r: len(r.invocations) / r.per if r.invocations[0].kind.startswith(("GET", "POST")) else 0)
    return [
        Line("sfn", transitions),
        Line("lambda_requests", total(lambda r: len(r.invocations) / r.per)),
        Line("lambda_gbs", total(lambda r: _gb_seconds(r, memory_mb))),
        Line("wru", total(lambda r: r.summary.wru / r.per)),
        Line("rru", total(lambda r: r.summary.rru / r.per)),
        Line("ses", emails),
        Line("apigw", api),
        Line("events", total(_events)),
    ]


def one_per_record(row: Row) -> Row:
    """The stream invocations of ``row`` as if each record had been handed over alone (each its share of the
    measured duration, billed per started millisecond on its own)."""
    alone = [
        Invocation(i.label, i.function, i.kind, 0.0, i.seconds / i.records, records=1)
        for i in row.invocations
        for _ in range(max(1, i.records))
    ]
    return Row(row.name, alone, row.calls, row.per, row.note)


LIFE = {  # the operations of one invitation's life after the invite: (row, what it is called in the cost)
    "send_email_1": "invitation e-mail",
    "accept_get": "accept page (GET)",
    "accept_post": "accept (POST)",
    "settle_refund": "settle (refund) and the inviter's notice",
    "notify": "inviter's notice (a step of its own)",
}


def run(story: Story, template: Any) -> Cost:
    memory_mb = {
        logical_id: int(res["Properties"].get("MemorySize", 128))
        for logical_id, res in template.resources("AWS::Serverless::Function").items()
    }
    rest = [(story.rows[name], 1.0) for name in LIFE if name in story.rows]
    lifecycle = story.rows["lifecycle"]
    transitions = story.transitions["settled"].billed
    single = _lines([(story.rows["invite_1"], 1.0), *rest, (one_per_record(lifecycle), 1.0)], transitions, memory_mb)
    # 100 per request: the creation's and e-mails' records as batched (measured); the later ones (from the
    # accept on, which publish no lifecycle event) one per invocation, as in the other column
    batched = story.rows["lifecycle_100"]
    created = round(sum(i.records for i in batched.invocations) / batched.per)
    later = one_per_record(lifecycle)
    later.invocations, later.calls = later.invocations[created:], []
    bulk_rows = [(story.rows["invite_100"], 1 / 100), *rest, (batched, 1.0)]
    bulk = _lines(bulk_rows + ([(later, 1.0)] if later.invocations else []), transitions, memory_mb)
    emails = round(next(line.per_invitation for line in single if line.key == "ses"))
    named = [("invite", story.rows["invite_1"])] + [(LIFE[n], story.rows[n]) for n in LIFE if n in story.rows]
    named.append(("lifecycle events (stream)", lifecycle))
    write_units = [
        (name, (row.summary.wru - row.summary.wru_index) / row.per, row.summary.wru_index / row.per)
        for name, row in named
    ]
    return Cost(single, bulk, emails, write_units)


def as_json(costs: Cost) -> str:
    return json.dumps(
        {
            "prices_as_of": PRICES_AS_OF,
            "single": {line.key: line.per_invitation for line in costs.single},
            "bulk": {line.key: line.per_invitation for line in costs.bulk},
        }
    )
