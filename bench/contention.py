"""Concurrent invites against one organization through the bench stack: the organization's account item (and
its daily counter) is written by every invite, so this is the design's hottest item.

``threads`` callers invite at the same time, each ``requests`` requests of one basic invitee, through the real
invite handler against the bench's moto server. Counted from the botocore hooks (bench/counting.py): the
TransactWriteItems calls the requests made, those refused for a transaction conflict (another transaction on
the same item at the same moment; the store retries them), for a condition (a limit), and the retries; and
afterwards whether the account's pending counter moved by exactly the invitations created.

moto applies one transaction at a time and never answers TransactionConflict: the conflicts counted here are
what moto produces, not what DynamoDB would. On DynamoDB concurrent transactions on one item do conflict;
docs/capacity.md gives the per-item figures and what raises them.
"""

from __future__ import annotations

import statistics
import threading
import time
from dataclasses import dataclass, field

from paid_invites.store import repository as repo

from . import counting
from .stack import ADMIN, ORG, Bench


@dataclass
class Contention:
    threads: int
    requests: int  # answered requests, all threads
    created: int
    refused: int  # invitees rejected (a limit)
    failed: int  # answers other than 200
    seconds: float
    latencies: list[float] = field(default_factory=list)
    transactions: int = 0  # TransactWriteItems calls of these requests
    conflicts: int = 0  # of which refused for TransactionConflict
    conditions: int = 0  # of which refused for a condition
    pending_moved: int = 0  # the account's invitations_pending after minus before

    @property
    def retries(self) -> int:
        return self.transactions - self.requests

    @property
    def rate(self) -> float:
        return self.created / self.seconds if self.seconds else 0.0

    @property
    def counter_exact(self) -> bool:
        return self.pending_moved == self.created

    def p50_p95_ms(self) -> tuple[float, float]:
        ordered = sorted(self.latencies)
        return statistics.median(ordered) * 1000, ordered[int(0.95 * (len(ordered) - 1))] * 1000


def run(bench: Bench, threads: int = 8, requests: int = 10) -> Contention:
    account = repo.get_account(ORG)
    assert account is not None
    pending_before = account.invitations_pending
    mark = len(bench.invocations)
    start = threading.Barrier(threads)
    lock = threading.Lock()
    result = Contention(threads, 0, 0, 0, 0, 0.0)

    def caller(n: int) -> None:
        client = bench.client
        start.wait()
        for i in range(requests):
            began = time.perf_counter()
            reply = client.invite(ADMIN, ORG, {"email": f"race-{n}-{i}-{time.time_ns()}@bench.example",
                                               "user_type": "basic"})  # fmt: skip
            took = time.perf_counter() - began
            with lock:
                result.requests += 1
                result.latencies.append(took)
                if reply.status != 200:
                    result.failed += 1
                    continue
                for r in reply.json["results"]:
                    result.created += r.get("status") == "created"
                    result.refused += r.get("status") == "rejected"

    workers = [threading.Thread(target=caller, args=(n,)) for n in range(threads)]
    began = time.perf_counter()
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    result.seconds = time.perf_counter() - began
    labels = {i.label for i in bench.since(mark, "InviteFunction")}
    with counting._lock:
        ours = [c for c in counting.RECORDER.calls if c.label in labels and c.operation == "TransactWriteItems"]
    result.transactions = len(ours)
    result.conflicts = sum("TransactionConflict" in c.reasons for c in ours)
    result.conditions = sum("ConditionalCheckFailed" in c.reasons for c in ours)
    after = repo.get_account(ORG)
    assert after is not None
    result.pending_moved = after.invitations_pending - pending_before
    return result
