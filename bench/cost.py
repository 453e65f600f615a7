"""Cost per 1,000 invitations, from the measured requests per operation and state transitions (bench/calls.py).

One invitation's life, accepted with a settlement (a refund): the invite request (alone, or its share of
a request of 100), the invitation e-mail task, the accept page (GET) and the accept (POST), the settle
task and the inviter's notice (no reminder: accepted before the first one is due). Every quantity is what
the bench counted on that path; the Lambda durations are the handlers' measured (warm) durations against
moto, billed per started millisecond at the memory each function is configured with in template.yaml.
Cold starts add their init time when they happen (bench/coldstart.py); that is not included.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

from .calls import Row, Story

PRICES_AS_OF = "2026-12-01"
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

    @staticmethod
    def total(lines: list[Line]) -> float:
        return sum(line.per_thousand_usd for line in lines)

    @property
    def floor_usd(self) -> float:
        return self.emails_per_invitation * 1000 * PRICES["ses"][1]


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


def run(story: Story, template: Any) -> Cost:
    memory_mb = {
        logical_id: int(res["Properties"].get("MemorySize", 128))
        for logical_id, res in template.resources("AWS::Serverless::Function").items()
    }
    life = ["send_email", "accept_get", "accept_post", "settle_refund", "notify"]
    rest = [(story.rows[name], 1.0) for name in life]
    transitions = story.transitions["settled"].billed
    single = _lines([(story.rows["invite_1"], 1.0), *rest], transitions, memory_mb)
    bulk = _lines([(story.rows["invite_100"], 1 / 100), *rest], transitions, memory_mb)
    emails = round(next(line.per_invitation for line in single if line.key == "ses"))
    return Cost(single, bulk, emails)


def as_json(costs: Cost) -> str:
    return json.dumps(
        {
            "prices_as_of": PRICES_AS_OF,
            "single": {line.key: line.per_invitation for line in costs.single},
            "bulk": {line.key: line.per_invitation for line in costs.bulk},
        }
    )
