"""Invitations per second through the local stack, end to end, beside the floor.

Ours: the local stack exactly as ``make run`` starts it (``python -m local.server``, its own moto server),
10 requests of 100 invitees to its HTTP front, each timed until moto has sent its 100 invitation e-mails
(SES's send count; the outbox is checked at the end): the invite function, 1,000 Standard executions on
moto's interpreter, 1,000 e-mail tasks, all in the server's process.

The floor: the same AWS requests, issued directly with botocore against the same moto in the same run,
in rounds alternating with ours: what one 100-invitee request and its 100 e-mail tasks sent (recorded by
the request-counting hooks on the bench stack, bench/counting.py): BatchGetItem, TransactWriteItems,
StartExecution, then per invitation UpdateItem, GetItem, SendEmail, UpdateItem), replayed 10 times with
fresh ids and addresses for another organization. Both sides run on one CPU (see :func:`one_cpu`).
The e-mail sequences run 10 at a time (the e-mail task's reserved concurrency). Each StartExecution starts
what Step Functions and Lambda do for ours without our code: a machine whose one state is our SendInvitation
(``lambda:invoke.waitForTaskToken``, the same heartbeat) invoking a function that only echoes its input
(moto's own Lambda), then waiting for a task token, as ours do. What separates the two rates is our code.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import re
import tempfile
import time
import urllib.request
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import counting
from .stack import ADMIN, FLOOR_ORG, ORG, PARAMETERS, bench_seed

REQUESTS, PER_REQUEST = 10, 100
TARGET = 0.5
_ID = re.compile(r"\b[0-9a-f]{32}\b")
NOOP = "BenchFloorNoop"  # a function moto runs itself: it answers with its input


def waiting(function_arn: str) -> dict[str, Any]:
    """Our SendInvitation state, invoking the no-op function and waiting for a token that never comes."""
    return {
        "StartAt": "SendInvitation",
        "States": {
            "SendInvitation": {
                "Type": "Task",
                "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
                "Parameters": {
                    "FunctionName": function_arn,
                    "Payload": {
                        "action": "send_invitation",
                        "invitation_id.$": "$.invitation_id",
                        "task_token.$": "$$.Task.Token",
                    },
                },
                "HeartbeatSeconds": 2_592_000,
                "TimeoutSeconds": 31_536_000,
                "End": True,
            }
        },
    }


@dataclass
class Throughput:
    invitations: int
    ours_seconds: float
    floor_seconds: float
    floor_requests: int
    threads: int
    peak_rss_mb: float
    rss_mb: float

    @property
    def ours_rate(self) -> float:
        return self.invitations / self.ours_seconds

    @property
    def floor_rate(self) -> float:
        return self.invitations / self.floor_seconds

    @property
    def ratio(self) -> float:
        return self.ours_rate / self.floor_rate


def _free_port() -> int:
    from local.server import free_port

    return free_port()


@contextmanager
def local_stack(seed_file: Path) -> Iterator[tuple[str, str, int]]:
    """``python -m local.server`` (as ``make run``) in a child process; (front URL, moto URL, pid)."""
    from local.server import started

    port, moto_port = _free_port(), _free_port()
    arguments = ["--port", str(port), "--moto-port", str(moto_port), "--seed", str(seed_file)]
    for name, value in PARAMETERS.items():
        arguments += ["--parameter", f"{name}={value}"]
    with started(arguments, _env(), timeout=120, stop_timeout=20) as child:
        yield f"http://127.0.0.1:{port}", f"http://127.0.0.1:{moto_port}", child.pid


def _env() -> dict[str, str]:
    import os

    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "MOTO_"))}
    return env


def _client(moto_url: str, service: str) -> Any:
    import botocore.config
    import botocore.session

    session = botocore.session.get_session()
    config = botocore.config.Config(max_pool_connections=20, retries={"max_attempts": 1, "mode": "standard"})
    return session.create_client(
        service,
        region_name="us-east-1",
        endpoint_url=moto_url,
        aws_access_key_id="local",
        aws_secret_access_key="local",  # noqa: S106 - moto's
        config=config,
    )


def _sent(ses: Any) -> int:
    return int(ses.get_send_quota()["SentLast24Hours"])


def _status(pid: int) -> dict[str, int]:
    found = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM", "Threads"):
                found[key] = int(value.split()[0])
    return found


# ---------------------------------------------------------------- the floor: recorded requests, replayed


_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _rewrite(calls: list[counting.Call], mapping: dict[str, str]) -> list[tuple[str, str, dict[str, Any]]]:
    pattern = re.compile("|".join(re.escape(k) for k in sorted(mapping, key=len, reverse=True)))
    out = []
    for call in calls:
        text = pattern.sub(lambda m: mapping[m.group(0)], json.dumps(call.params))
        out.append((call.service, call.operation, json.loads(text)))
    return out


def _call(clients: dict[str, Any], service: str, operation: str, params: dict[str, Any]) -> None:
    client = clients[service]
    method = getattr(client, re.sub(r"(?<!^)(?=[A-Z])", "_", operation).lower())
    try:
        method(**params)
    except client.exceptions.ClientError as error:  # a refused condition is an answer too, as ours would get
        if "ConditionalCheckFailed" not in str(error) and "TransactionCanceled" not in str(error):
            raise


def _sequence(clients: dict[str, Any], calls: list[tuple[str, str, dict[str, Any]]]) -> None:
    for service, operation, params in calls:
        _call(clients, service, operation, params)


def _day_count(invite: list[counting.Call]) -> dict[str, Any] | None:
    """The UpdateItem that puts the floor's organization's day count where the recorded invite found the bench
    organization's: counting the recorded day (0 so far), or not counting it yet. The recorded transaction's
    condition on that count then holds for the replayed one, round after round."""
    for call in invite:
        for action in call.params.get("TransactItems", []) if call.operation == "TransactWriteItems" else []:
            update = action.get("Update") or {}
            if update.get("Key", {}).get("id", {}).get("S") != ORG:
                continue
            days = [v["S"] for v in update.get("ExpressionAttributeValues", {}).values() if _DAY.match(v.get("S", ""))]
            key = {"TableName": update["TableName"], "Key": {"id": {"S": FLOOR_ORG}}}
            names = {name: placeholder for placeholder, name in update.get("ExpressionAttributeNames", {}).items()}
            day_name = re.escape(names.get("invited_day", "invited_day")) + r"(?!\w)"
            if re.search(day_name, update["UpdateExpression"]):  # the day's first invitations set the day
                return {**key, "UpdateExpression": "REMOVE invited_day, invited_today"}
            return {
                **key,
                "UpdateExpression": "SET invited_day = :day, invited_today = :none",
                "ExpressionAttributeValues": {":day": {"S": days[0]}, ":none": {"N": "0"}},
            }
    return None


class Floor:
    """The recorded requests of one 100-invitee request and its 100 e-mail tasks, replayed a round at a time."""

    def __init__(
        self, moto_url: str, invite: list[counting.Call], mails: list[list[counting.Call]], emails: list[str]
    ) -> None:
        self.clients = {s: _client(moto_url, s) for s in ("dynamodb", "stepfunctions", "sesv2")}
        role = "arn:aws:iam::123456789012:role/local-stack"
        noop = _client(moto_url, "lambda").create_function(
            FunctionName=NOOP, Runtime="python3.12", Role=role, Handler="noop.handler", Code={"ZipFile": b"noop"}
        )["FunctionArn"]
        self.machine = self.clients["stepfunctions"].create_state_machine(
            name="BenchFloor", definition=json.dumps(waiting(noop)), roleArn=role, type="STANDARD"
        )["stateMachineArn"]
        self.invite, self.mails, self.emails = invite, mails, emails
        self.day_count = _day_count(invite)
        self.ids = sorted({i for c in invite for i in _ID.findall(json.dumps(c.params))})
        self.arns = {c.params["stateMachineArn"] for c in invite if c.operation == "StartExecution"}
        self.requests = 0

    def round(self, r: int) -> float:
        """Seconds to replay round ``r``: the request's calls in order, then the e-mail tasks 10 at a time."""
        mapping = {arn: self.machine for arn in self.arns}
        mapping.update({ORG: FLOOR_ORG, ADMIN: "u-floor-admin"})
        mapping.update({i: uuid.uuid4().hex for i in self.ids})
        mapping.update({e: f"floor-{r}-{n}@floor.example" for n, e in enumerate(self.emails)})
        sequences = [_rewrite(sequence, mapping) for sequence in self.mails]
        calls = _rewrite(self.invite, mapping)
        if self.day_count:  # the floor's organization counts its day as the recorded request found its own
            self.clients["dynamodb"].update_item(**self.day_count)
        started = time.perf_counter()
        for service, operation, params in calls:
            _call(self.clients, service, operation, params)
        with ThreadPoolExecutor(max_workers=10) as pool:
            for future in [pool.submit(_sequence, self.clients, replay) for replay in sequences]:
                future.result()
        self.requests += len(calls) + sum(len(replay) for replay in sequences)
        return time.perf_counter() - started


# ---------------------------------------------------------------- ours: through the HTTP front


@functools.cache
def _id_token(front: str, caller: str) -> str:
    """The caller's ID token from the local user pool (Cognito in moto), signed in once per stack."""
    from tests.support import Api

    return Api.over_http(front).id_token(caller)


def _post(front: str, path: str, body: dict[str, Any], caller: str) -> dict[str, Any]:
    request = urllib.request.Request(  # noqa: S310 - our local stack, http
        front + path,
        data=json.dumps(body).encode(),
        method="POST",
        headers={"Content-Type": "application/json", "Authorization": _id_token(front, caller)},
    )
    with urllib.request.urlopen(request, timeout=120) as response:  # noqa: S310 - our local stack
        result: dict[str, Any] = json.loads(response.read())
        return result


def _ours(front: str, ses: Any, r: int) -> float:
    """Seconds from sending request ``r`` (100 new invitees) to moto having sent their 100 e-mails."""
    before = _sent(ses)
    people = [{"email": f"tp-{r}-{n}@throughput.example"} for n in range(PER_REQUEST)]
    started = time.perf_counter()
    answer = _post(front, f"/accounts/{ORG}/invitations", {"invitees": people}, ADMIN)
    created = sum(1 for x in answer["results"] if x["status"] == "created")
    assert created == PER_REQUEST, answer["results"][:3]
    deadline = time.monotonic() + 300
    while _sent(ses) < before + PER_REQUEST:
        if time.monotonic() > deadline:
            raise TimeoutError(f"only {_sent(ses) - before} of {PER_REQUEST} e-mails after 5 minutes")
        time.sleep(0.02)
    return time.perf_counter() - started


@contextmanager
def one_cpu(*pids: int) -> Iterator[int]:
    """Both sides on one CPU: the server runs our handlers and moto under one GIL, so the floor's client (in
    this process) must not get a core of its own either."""
    cpu = min(os.sched_getaffinity(0))
    before = {pid: os.sched_getaffinity(pid) for pid in pids}
    for pid in pids:
        os.sched_setaffinity(pid, {cpu})
    try:
        yield cpu
    finally:
        for pid, cpus in before.items():
            with contextlib.suppress(ProcessLookupError):
                os.sched_setaffinity(pid, cpus)


def run(
    invite: list[counting.Call],
    mails: list[list[counting.Call]],
    recorded_emails: list[str],
    progress: Any = None,
) -> Throughput:
    """Rounds of 100, floor and ours alternating (so that both meet the same load of the machine, and the same
    growing number of waiting executions in moto), on one CPU."""
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump(bench_seed(), f)
    with local_stack(Path(f.name)) as (front, moto_url, pid), one_cpu(0, pid):
        ses = _client(moto_url, "ses")
        replay = Floor(moto_url, invite, mails, recorded_emails)
        floor_seconds = ours_seconds = 0.0
        for r in range(REQUESTS):
            floor_seconds += replay.round(r)
            ours_seconds += _ours(front, ses, r)
            if progress and r % 5 == 4:
                progress(f"throughput, {r + 1} rounds: ours {ours_seconds:.1f} s, floor {floor_seconds:.1f} s")
        status = _status(pid)
        with urllib.request.urlopen(front + "/_local/outbox", timeout=120) as response:  # noqa: S310
            outbox = json.loads(response.read())
        total = REQUESTS * PER_REQUEST
        reached = {m["to"] for m in outbox if m["to"].endswith("@throughput.example")}
        assert len(reached) == total, f"{len(reached)} of {total} invitees got their e-mail"
    return Throughput(
        invitations=total,
        ours_seconds=ours_seconds,
        floor_seconds=floor_seconds,
        floor_requests=replay.requests,
        threads=status.get("Threads", 0),
        peak_rss_mb=status.get("VmHWM", 0) / 1024,
        rss_mb=status.get("VmRSS", 0) / 1024,
    )
