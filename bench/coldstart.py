"""Cold start per function, beside the floor measured in the same run, and peak memory.

A sample is a fresh ``python`` process (``bench/coldstart_child.py``) that imports the function's
``app.py`` the way the Lambda runtime does (its folder first on ``sys.path``, the layer's package
importable) with the function's environment from ``template.yaml``, and invokes the handler once with
a realistic event against the bench's moto server. Its time is measured from just before the process
is spawned (in this process) to the handler's return (in the child; both read CLOCK_MONOTONIC):
interpreter start, imports, client creation, the invocation and its AWS requests, nothing subtracted.

Two floors, both from a first, untimed run of the function that records, with botocore hooks and
``sys.modules``, the services it called, the requests it made and the third-party modules it imported:

- the dependency floor (the target): the same process importing exactly those third-party modules (from the
  layers and the runtime; nothing of ours), creating the same clients from one botocore session and making
  the same requests against the same moto. What the function takes beyond it is our own code's;
- the bare floor (information, and the accept page's second target): ``import boto3`` and ``boto3.client(s)``
  for each service the function called, no request.

Floor, dependency floor and function samples alternate, after one untimed warm-up of each (so the files are
in the page cache for all); the result is the median of ``samples`` each. The samples of a set start at the
same depth in the stack, and the sets' depths are spread over one of CPython's frame-stack chunks
(``stack_offset``): at some depths a loop's calls cross a chunk's end and each maps and unmaps memory
(python/cpython#142183), which no mode should pay or be spared by the accident of one fixed depth.
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from local import cognito, managed_login
from local.jobs import ses_event, sns_envelope
from local.stack import LOCAL_PARAMETERS, OUTBOX
from local.template import ROOT, Template
from paid_invites import aws, clock
from paid_invites.acceptance import Acceptance
from paid_invites.invitations import ACCEPTED, PENDING
from paid_invites.proration import Subscription
from paid_invites.startup import START_THRESHOLD
from paid_invites.store import repository as repo
from paid_invites.usecases import signing_in

from . import calls, lambda_path
from .stack import ADMIN, ORG, PARAMETERS, Bench, invitation, paid, save

CHILD = Path(__file__).with_name("coldstart_child.py")
PROFILES = ROOT / "build" / "bench" / "profiles"
RATIO_TARGET = 1.10  # x the function's dependency floor
ACCEPT_PAGE_TARGET = 1.40  # the accept page (the cold start a person waits for): x the bare boto3 floor
RSS_TARGET_MB = 90
SAM_BUILDER = "the layer as BuildMethod: python3.12 would ship it"  # the cold starts' comparison row
ACCEPT_BASE_URL = "http://127.0.0.1:3000/invitations/accept"  # the bench stack's, and the app client's callback URL
# What each measured invocation must answer; a case that answers anything else stops the bench (a cold start
# of an error is not the figure). A case not named here must not answer a 4xx or 5xx, nor report a batch item
# failure (the child's outcome "failed").
EXPECTED = {
    "AcceptFunction": "401",  # the page for someone not signed in: the invitation without the money, "sign in"
    "AcceptFunction:callback": "303",  # signed in: the session cookie, and back to the link
    "AcceptFunction:POST": "200",  # accepted
    "PlatformEventsFunction": "applied",
}


@dataclass
class Result:
    function: str
    what: str  # the invocation measured
    services: list[str]
    memory_mb: int
    ours: list[float] = field(default_factory=list)  # seconds, spawn to handler returned
    floor: list[float] = field(default_factory=list)
    imports: list[float] = field(default_factory=list)  # spawn to handler ready
    invoke: list[float] = field(default_factory=list)  # the invocation itself
    rss_kb: list[int] = field(default_factory=list)
    floor_rss_kb: list[int] = field(default_factory=list)
    outcomes: list[str] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)  # the process's CPU time, spawn to handler returned
    floor_cpu: list[float] = field(default_factory=list)
    deps: list[float] = field(default_factory=list)  # the dependency floor: its imports, clients and requests
    deps_imports: list[float] = field(default_factory=list)  # spawn to the dependency floor's imports done
    deps_paused: list[float] = field(default_factory=list)  # the dependency floor, collecting as the functions start
    deps_rss_kb: list[int] = field(default_factory=list)
    deps_cpu: list[float] = field(default_factory=list)
    modules: list[str] = field(default_factory=list)  # the third-party modules the function imported
    requests: int = 0  # AWS requests of the invocation (the dependency floor makes them too)

    @property
    def ratio(self) -> float:
        """x the bare floor (boto3 and the clients)."""
        return statistics.median(self.ours) / statistics.median(self.floor)

    @property
    def deps_ratio(self) -> float:
        """x the dependency floor."""
        return statistics.median(self.ours) / statistics.median(self.deps)

    @property
    def paused_ratio(self) -> float:
        """x the dependency floor that starts without garbage collection, as the functions do."""
        return statistics.median(self.ours) / statistics.median(self.deps_paused)

    @property
    def cpu_ratio(self) -> float:
        return statistics.median(self.cpu) / statistics.median(self.floor_cpu)

    @property
    def peak_mb(self) -> float:
        return max(self.rss_kb) / 1024

    def add(
        self,
        floor_start: float,
        floor: dict[str, Any],
        ours_start: float,
        ours: dict[str, Any],
        deps: tuple[float, dict[str, Any]] | None = None,
    ) -> None:
        """One set of samples: the floor's process, ours and the dependency floor's (their BENCH-RESULT readings)."""
        if deps is not None:
            self.deps.append(deps[1]["done"] - deps[0])
            self.deps_imports.append(deps[1]["ready"] - deps[0])
            self.deps_rss_kb.append(deps[1]["max_rss_kb"])
            self.deps_cpu.append(deps[1]["cpu_done"])
        self.floor.append(floor["done"] - floor_start)
        self.floor_rss_kb.append(floor["max_rss_kb"])
        self.ours.append(ours["done"] - ours_start)
        self.imports.append(ours["ready"] - ours_start)
        self.invoke.append(ours["done"] - ours["ready"])
        self.rss_kb.append(ours["max_rss_kb"])
        self.outcomes.append(ours["outcome"])
        self.cpu.append(ours["cpu_done"])
        self.floor_cpu.append(floor["cpu_done"])

    def summary(self) -> str:
        ours, floor = statistics.median(self.ours) * 1000, statistics.median(self.floor) * 1000
        deps = (
            f", dependency floor {statistics.median(self.deps) * 1000:.0f} ms ({self.deps_ratio:.2f})"
            if self.deps
            else ""
        )
        return f"{ours:.0f} ms vs floor {floor:.0f} ms ({self.ratio:.2f}){deps}, {self.peak_mb:.0f} MB"


@dataclass
class ColdStarts:
    results: list[Result]
    samples: int
    environment: str
    skipped: dict[str, str]
    naive: Result | None = None  # the reference: boto3 + Powertools + pynamodb + Jinja2 and the same clients


# ---------------------------------------------------------------- the functions' environment


def _template(bench: Bench, cognito_domain: str) -> Template:
    """The template as the bench stack deployed it (its user pool, its app client), but with the deployed log
    level (INFO): a cold start pays for its logging too. ``cognito_domain``: where the managed login's token
    endpoint answers the cold-start processes (:class:`TokenEndpoint`)."""
    known = Template().parameters
    local = {k: v for k, v in LOCAL_PARAMETERS.items() if k in known and not known[k]}
    deployed = bench.stack.template
    pool = {"CognitoUserPoolArn": deployed.overrides["CognitoUserPoolArn"], "CognitoDomain": cognito_domain}
    template = Template({**local, **PARAMETERS, "AcceptBaseUrl": ACCEPT_BASE_URL, **pool})
    template.physical_ids.update(deployed.physical_ids)  # the app client's id: the ID tokens' audience
    return template


class TokenEndpoint:
    """The managed-login stand-in (local/managed_login.py) over HTTP on a free port, as the local stack's HTTP
    front serves it under ``/_local/cognito``: the cold-start processes exchange their codes here. The bench's
    stack has no HTTP front; the stand-in issues its ID tokens from the bench's moto (in this process)."""

    def __init__(self) -> None:
        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                url = urlsplit(self.path)
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                found = None
                if url.path.startswith(managed_login.PREFIX + "/"):
                    found = managed_login.handle(self.command, url.path, url.query, body)
                status, answer, headers = found or (404, b"", {})
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.domain = f"http://127.0.0.1:{self.server.server_address[1]}{managed_login.PREFIX}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _trace_id() -> str:
    return f"Root=1-{int(time.time()):08x}-{uuid.uuid4().hex[:24]};Parent={uuid.uuid4().hex[:16]};Sampled=1"


def _environment(bench: Bench, logical_id: str, template: Template, daemon: str) -> dict[str, str]:
    """The function's variables from the template, and the Lambda runtime's own, tracing included
    (``Tracing: Active``): the X-Ray SDK sends its segments to ``daemon``, a UDP socket of the bench."""
    fn = template.functions()[logical_id]
    props = template.doc["Resources"][logical_id]["Properties"]
    memory = str(props.get("MemorySize", 128))
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "LANG": "C.UTF-8",
        "TZ": "UTC",
        "LAMBDA_TASK_ROOT": str(lambda_path.FUNCTIONS / fn.code_uri.name),
        "_X_AMZN_TRACE_ID": _trace_id(),
        "AWS_XRAY_DAEMON_ADDRESS": daemon,
        "AWS_XRAY_CONTEXT_MISSING": "LOG_ERROR",
        "AWS_LAMBDA_FUNCTION_NAME": logical_id,
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": memory,
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_EXECUTION_ENV": "AWS_Lambda_python3.12",
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "local",
        "AWS_SECRET_ACCESS_KEY": "local",
        "AWS_ENDPOINT_URL": bench.moto_url,
        **fn.environment,
    }
    return env


# ---------------------------------------------------------------- the cases (one event per process)


def _invite_and_tokens(bench: Bench, emails: list[str]) -> list[str]:
    """Invite these addresses in one request: the tokens of their invitation e-mails."""
    calls.invite(bench, *emails)
    return [calls.token(email, timeout=120) for email in emails]


def _due_reminder(n: int) -> None:
    """One pending invitation whose first reminder is due now."""
    now = datetime.now(UTC)
    sent = now.replace(microsecond=0) - timedelta(days=3, minutes=1)
    inv = invitation(f"cold-remind-{n}@bench.example", PENDING, sent, user_type="basic", sent_at=sent)
    save([inv], due_at=lambda _: sent + timedelta(days=3))


def cases(bench: Bench, count: int) -> tuple[dict[str, tuple[str, list[Any]]], dict[str, str]]:
    """Logical id -> (what is measured, ``count`` events, each for a fresh process). Data is prepared now,
    through the real handlers where that is how it comes about (invitations and their e-mails)."""
    now = datetime.now(UTC)
    found: dict[str, tuple[str, list[Any]]] = {}
    first = 100  # paid individuals 100..399 are the cold start's
    # invite: one paid individual per process (their own account is read too)
    found["InviteFunction"] = (
        "POST invitations, 1 invitee",
        [
            bench.client.event(
                "POST", f"/accounts/{ORG}/invitations", {"invitees": [{"email": paid(first + i)}]}, caller=ADMIN
            )[1]
            for i in range(count)
        ],
    )
    # accept: the page of one pending invitation for someone not signed in (GET changes nothing), the sign-in
    # callback (a code of the managed login for the invitee), and accepting (POST, the invitee's ID token)
    tokens = _invite_and_tokens(bench, [paid(first + count + i) for i in range(count + 1)])
    found["AcceptFunction"] = (
        "GET the accept page, not signed in",
        [bench.client.event("GET", "/invitations/accept", query={"token": tokens[0]})[1] for _ in range(count)],
    )
    found["AcceptFunction:callback"] = (
        "GET the sign-in callback: code exchanged, ID token checked",
        [_Later(_callback, bench, tokens[0], paid(first + count)) for _ in range(count)],  # a code lives 5 minutes
    )
    found["AcceptFunction:POST"] = (
        "POST accept (refund), JSON with the invitee's ID token",
        [
            bench.client.event(
                "POST",
                "/invitations/accept",
                # the page's quote (read before, not measured): the accept goes ahead with the money it showed
                {"token": t, "settlement": "refund", "quote": bench.client.quote(t, f"u-paid-{first + count + 1 + i}")},
                caller=f"u-paid-{first + count + 1 + i}",  # the invitee, signed in through moto's user pool
                headers={"Accept": "application/json"},
            )[1]
            for i, t in enumerate(tokens[1:])
        ],
    )
    # send-email: the invitation e-mail of a pending invitation (its workflow's task token)
    mails = [invitation(f"cold-mail-{i}@bench.example", PENDING, now - timedelta(minutes=5)) for i in range(count)]
    save(mails)
    found["InvitationTasksFunction"] = (
        "the invitation e-mail",
        [
            {"action": "send_invitation", "invitation_id": inv.id, "task_token": f"bench-{uuid.uuid4()}"}
            for inv in mails
        ],
    )
    # settle: an accepted invitation of a paid individual who chose a refund
    settles = []
    for i in range(count):
        n = first + 2 * count + 1 + i
        acc = repo.get_account(f"acc-paid-{n}")
        assert acc is not None and acc.subscription is not None
        sub = acc.subscription
        snapshot = Subscription(
            sub.amount_minor, acc.currency, sub.interval, sub.current_period_start, sub.current_period_end,
            sub.payment_method, sub.status,
        )  # fmt: skip
        settles.append(
            invitation(
                paid(n),
                ACCEPTED,
                now - timedelta(minutes=5),
                accepted_at=now.replace(microsecond=0),
                settlement="refund",
                settle_due=True,
                invitee_user_id=f"u-paid-{n}",
                invitee_account_id=f"acc-paid-{n}",
                subscription=snapshot,
            )
        )
    save(settles)
    found["SettleProrationFunction"] = (
        "settle a refund",
        [{"invitation_id": inv.id, "acceptance": Acceptance.of(inv).to_json()} for inv in settles],
    )
    # remind: one run with one reminder due (written before each process starts, see run())
    found["SweepFunction"] = ("one run, 1 reminder due", [{} for _ in range(count)])
    # email_events: SES delivery events (SNS) of the e-mail sent for the accept page's invitation
    sent = OUTBOX.to(paid(first + count))[-1]
    found["EmailEventsFunction"] = (
        "an SES delivery event",
        [
            sns_envelope(ses_event("delivery", {**sent, "message_id": f"bench-{uuid.uuid4()}"}, sent["to"]))
            for _ in range(count)
        ],
    )
    # platform_events: one SQS message of the platform bus's rule, a paid individual's subscription changed
    # (a new price, the next version: applied)
    version = int(now.timestamp())
    changes = [_subscription_changed(first + 3 * count + 1 + i, version + i) for i in range(count)]
    found["PlatformEventsFunction"] = ("an SQS message: a subscription changed (applied)", changes)
    # lifecycle_events: the invitations table's stream, one batch of an invitation's two writes (created,
    # e-mailed), as Lambda hands it over a moment after the invite
    invited = calls.invite(bench, *[f"cold-life-{i}@bench.example" for i in range(count)])
    for email in invited:
        calls.token(email, timeout=120)  # e-mailed: the second write is in the stream
    batches = _stream_records(list(invited.values()))
    found["LifecycleEventsFunction"] = (
        "a stream batch: an invitation created and e-mailed",
        [{"Records": batches[invitation_id]} for invitation_id in invited.values()],
    )
    reasons = {
        "ImportRowsFunction": "its one invocation invites a chunk of 100 rows (100 executions): the measurement would "
        "time the chunk, not the start; it imports what the invite function imports"
    }
    skipped = {
        logical_id: reasons.get(logical_id, "no benchmark event for it yet")
        for logical_id in bench.stack.functions
        if logical_id not in {k.split(":")[0] for k in found}
    }
    return found, skipped


def _subscription_changed(n: int, version: int) -> dict[str, Any]:
    """The SQS record of a ``SubscriptionChanged`` platform event for paid individual ``n`` (a new price)."""
    acc = repo.get_account(f"acc-paid-{n}")
    assert acc is not None and acc.subscription is not None
    sub = acc.subscription
    detail = {
        "account_id": acc.id,
        "amount_minor": sub.amount_minor + 100,
        "currency": acc.currency,
        "interval": sub.interval,
        "current_period_start": clock.iso(sub.current_period_start),
        "current_period_end": clock.iso(sub.current_period_end),
        "payment_method": sub.payment_method,
        "status": "active",
        "version": version,
    }
    body = json.dumps(
        {
            "version": "0",
            "id": str(uuid.uuid4()),
            "detail-type": "SubscriptionChanged",
            "source": "local.platform",
            "account": "123456789012",
            "time": clock.iso(datetime.now(UTC).replace(microsecond=0)),
            "region": "us-east-1",
            "resources": [],
            "detail": detail,
        }
    )
    return {
        "Records": [
            {
                "messageId": str(uuid.uuid4()),
                "receiptHandle": uuid.uuid4().hex,
                "body": body,
                "attributes": {"ApproximateReceiveCount": "1"},
                "messageAttributes": {},
                "md5OfBody": hashlib.md5(body.encode()).hexdigest(),  # noqa: S324 - SQS's checksum
                "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:platform-events",
                "awsRegion": "us-east-1",
            }
        ]
    }


def _stream_records(invitation_ids: list[str]) -> dict[str, list[dict[str, Any]]]:
    """The invitations table's stream records of these invitations (in order), as Lambda hands them over."""
    from local.streams import streams_client

    ddb, streams = aws.client("dynamodb"), streams_client()
    arn = ddb.describe_table(TableName=repo.m.InvitationModel.Meta.table_name)["Table"]["LatestStreamArn"]
    found: dict[str, list[dict[str, Any]]] = {i: [] for i in invitation_ids}
    for shard in streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]:
        iterator = streams.get_shard_iterator(StreamArn=arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON")
        position = iterator["ShardIterator"]
        while position:
            page = streams.get_records(ShardIterator=position, Limit=1000)
            for record in page["Records"]:
                change = record["dynamodb"]
                if change["Keys"]["id"]["S"] in found and "status_key" in change.get("NewImage", {}):
                    change.pop("ApproximateCreationDateTime", None)
                    found[change["Keys"]["id"]["S"]].append(record)
            position = page.get("NextShardIterator") if page["Records"] else None
    missing = [i for i, records in found.items() if len(records) < 2]
    if missing:
        raise RuntimeError(f"no created and e-mailed stream records for {missing}")
    return found


class _Later:
    """An event made just before its process starts (a managed-login code expires after five minutes)."""

    def __init__(self, make: Any, *args: Any) -> None:
        self.make, self.args = make, args

    def __call__(self) -> dict[str, Any]:
        return dict(self.make(*self.args))


def _event(event: dict[str, Any] | _Later) -> dict[str, Any]:
    return event() if isinstance(event, _Later) else event


def _callback(bench: Bench, link: str, email: str) -> dict[str, Any]:
    """The managed login's return to the accept route for the invitee: the login cookie of a sign-in begun on
    the link (``signing_in.start``), and the code and state the stand-in's authorize endpoint redirects with
    after the invitee's e-mail address and password."""
    started = signing_in.start(link, "en", "", ACCEPT_BASE_URL)
    request = dict(parse_qsl(urlsplit(started.location).query))
    form = {**request, "email": email, "password": cognito.DEFAULT_PASSWORD, "action": "sign_in"}
    answer = managed_login.handle("POST", f"{managed_login.PREFIX}/oauth2/authorize", "", urlencode(form).encode())
    assert answer is not None
    status, _body, headers = answer
    back = dict(parse_qsl(urlsplit(headers.get("Location", "")).query))
    if status != 302 or "code" not in back:
        raise RuntimeError(f"the managed-login stand-in gave no code ({status}): {_body[:300]!r}")
    query = {"code": back["code"], "state": back["state"]}
    cookie = {"Cookie": f"invite_login={started.cookie}"}
    return dict(bench.client.event("GET", "/invitations/accept", query=query, headers=cookie)[1])


def _check(key: str, outcome: str) -> None:
    """A measured invocation that did not answer what its case is for stops the bench."""
    expected = EXPECTED.get(key)
    wrong = outcome != expected if expected else (outcome.isdigit() and int(outcome) >= 400) or outcome == "failed"
    if wrong:
        raise RuntimeError(f"cold start {key} answered {outcome}, not {expected or 'a success'}: not measured")


# ---------------------------------------------------------------- running the processes


def stack_offset(n: int, samples: int) -> float:
    """Where in a frame-stack chunk sample ``n`` (1 to ``samples``; 0 is the warm-up) starts, in every mode:
    spread evenly over one chunk's span (bench/coldstart_child.py, ``case["stack_offset"]``)."""
    return (max(n, 1) - 1) / samples


def _spawn(mode: str, case: dict[str, Any], env: dict[str, str]) -> tuple[float, dict[str, Any]]:
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump(case, f)
    try:
        started = time.perf_counter()
        child = subprocess.run(  # noqa: S603 - our interpreter, our script
            [sys.executable, "-I", "-S", "-B", str(CHILD), mode, f.name],  # -B: /opt and /var/task are read-only
            env=env,
            capture_output=True,
            text=True,
            check=False,
            cwd=ROOT,
        )
    finally:
        os.unlink(f.name)
    lines = [line for line in child.stdout.splitlines() if line.startswith("BENCH-RESULT ")]
    if child.returncode != 0 or not lines:
        raise RuntimeError(f"cold start child ({mode} {case['function_name']}) failed:\n{child.stderr[-3000:]}")
    return started, json.loads(lines[-1].split(" ", 1)[1])


def _quiet(bench: Bench) -> None:
    """Let the workflows a sample started (in this process) finish before the next sample."""
    from .calls import _quiet as quiet

    quiet(bench, 0.2)


def _daemon() -> tuple[socket.socket, str]:
    """A UDP socket where the X-Ray daemon would listen; what arrives is left unread (and dropped)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    return sock, f"127.0.0.1:{sock.getsockname()[1]}"


def run(bench: Bench, samples: int = 10, progress: Any = None, extra_env: dict[str, str] | None = None,
        profile: bool = False) -> ColdStarts:  # fmt: skip
    """``extra_env``: variables added to every function's environment (and the floor's), for "what if" runs
    such as ``POWERTOOLS_TRACE_DISABLED=true`` (Powertools' Tracer then never loads the X-Ray SDK).
    ``profile``: one more process per function under cProfile, its import and invocation written to
    ``build/bench/profiles/<function>.prof`` (not a sample: the profiler's overhead distorts the time)."""
    daemon_socket, daemon = _daemon()
    endpoint = TokenEndpoint()
    try:
        return _run(bench, samples, progress, daemon, extra_env or {}, endpoint, profile)
    finally:
        endpoint.close()
        daemon_socket.close()


def _run(bench: Bench, samples: int, progress: Any, daemon: str, extra_env: dict[str, str],
         endpoint: TokenEndpoint, profile: bool) -> ColdStarts:  # fmt: skip
    template = _template(bench, endpoint.domain)
    pool = cognito.current()
    trust = {"issuer": pool.issuer, "jwks": cognito.moto_public_keys()}
    opt, runtime = lambda_path.build(), lambda_path.runtime()
    prepared, skipped = cases(bench, samples + 2 + profile)
    results = []
    tasks: dict[str, Path] = {}  # logical id -> /var/task: the function's folder as sam build makes it (once)
    for key, (what, events) in prepared.items():
        logical_id = key.split(":")[0]
        props = template.doc["Resources"][logical_id]["Properties"]
        fn = template.functions()[logical_id]
        if logical_id not in tasks:
            tasks[logical_id] = lambda_path.function(fn.code_uri)
        task = tasks[logical_id]
        env = {**_environment(bench, logical_id, template, daemon), **extra_env}
        base = {
            "function_name": logical_id,
            "function_arn": fn.arn,
            "memory_mb": int(props.get("MemorySize", 128)),
            "timeout_s": int(props.get("Timeout", 3)),
        }
        if logical_id == "AcceptFunction":  # moto's key trusted as the local stack trusts it (local/cognito.py)
            env[cognito.TRUST_SETTING] = "1"
            base["trust"] = trust

        def case(
            event: dict[str, Any],
            layer: Path | None,
            services: list[str] | None = None,
            found: dict[str, Any] | None = None,
            offset: float = 0.0,
        ) -> dict[str, Any]:
            path = [str(task), *([str(layer)] if layer else []), str(runtime)]  # noqa: B023
            request = {"event": event, "services": services or [], "request_id": str(uuid.uuid4()), "path": path,
                       "stack_offset": offset}  # fmt: skip
            deps = {"modules": (found or {}).get("modules", []), "requests": (found or {}).get("requests", []),
                    "start_threshold": START_THRESHOLD}  # fmt: skip
            return {**base, **request, **deps}  # noqa: B023

        if logical_id == "SweepFunction":
            _due_reminder(0)
        _s, discovered = _spawn("discover", case(_event(events[0]), opt), env)
        _check(key, discovered["outcome"])
        _quiet(bench)
        result = Result(key, what, discovered["services"], int(props.get("MemorySize", 128)))
        result.modules, result.requests = discovered["modules"], len(discovered["requests"])

        def measure(result: Result, layer: Path, events: list[Any], with_deps: bool = True) -> None:
            for n, later in enumerate(events):
                if logical_id == "SweepFunction":  # noqa: B023
                    _due_reminder(n + 1)
                event = _event(later)
                at = stack_offset(n, samples)
                floor_start, floor = _spawn("floor", case(event, None, result.services, offset=at), env)  # noqa: B023
                deps = None
                if with_deps:
                    deps = _spawn("deps", case(event, layer, result.services, discovered, at), env)  # noqa: B023
                    _quiet(bench)
                    paused = _spawn("deps-paused", case(event, layer, result.services, discovered, at), env)  # noqa: B023
                    _quiet(bench)
                    if n:
                        result.deps_paused.append(paused[1]["done"] - paused[0])
                ours_start, ours = _spawn("ours", case(event, layer, offset=at), env)  # noqa: B023
                _check(key, ours["outcome"])  # noqa: B023
                _quiet(bench)
                if n == 0:
                    continue  # the warm-up set: the page cache
                result.add(floor_start, floor, ours_start, ours, deps)

        measure(result, opt, events[1 : samples + 2])
        if profile:  # one more process, profiled (cProfile's overhead: not a sample)
            PROFILES.mkdir(parents=True, exist_ok=True)
            profiled = {**env, "BENCH_PROFILE": str(PROFILES / f"{key.replace(':', '-')}.prof")}
            _spawn("ours", case(_event(events[-1]), opt), profiled)
            _quiet(bench)
        results.append(result)
        if progress:
            progress(f"cold start {key}: {result.summary()}")
        if logical_id == "AcceptFunction" and key == logical_id:  # the GET page changes nothing: same events
            sam = Result(f"{key}, {SAM_BUILDER}", what, result.services, result.memory_mb)
            measure(sam, lambda_path.build(sam_python_builder=True), events[1 : samples + 2], with_deps=False)
            results.append(sam)
            if progress:
                progress(f"cold start {sam.function}: {sam.summary()}")
    accept = tasks.get("AcceptFunction") or lambda_path.function(template.functions()["AcceptFunction"].code_uri)
    naive = _naive(bench, template, (accept, opt, runtime), daemon, samples, extra_env)
    if progress:
        progress(f"cold start reference (boto3, Powertools, pynamodb, Jinja2): {naive.ratio:.2f} x floor")
    environment = (
        "each function's variables from template.yaml and the Lambda runtime's (LAMBDA_TASK_ROOT, "
        "_X_AMZN_TRACE_ID, AWS_XRAY_DAEMON_ADDRESS: tracing on, as Tracing: Active has it; TRACE_SUBSEGMENTS at its "
        "default, false: no function loads the X-Ray SDK), moto at AWS_ENDPOINT_URL"
    )
    if extra_env:
        environment += "; and, for this run only, " + ", ".join(f"{k}={v}" for k, v in extra_env.items())
    return ColdStarts(results, samples, environment, skipped, naive)


def _naive(bench: Bench, template: Template, paths: tuple[Path, Path, Path], daemon: str, samples: int,
           extra_env: dict[str, str]) -> Result:  # fmt: skip
    """The reference row: importing boto3, Powertools (Logger, Metrics, Tracer), pynamodb and
    Jinja2 and creating the accept function's client, beside the floor; no handler, no invocation.
    ``paths``: the accept function's built folder, our layer's and the runtime's."""
    env = {**_environment(bench, "AcceptFunction", template, daemon), **extra_env}
    task, opt, runtime = (str(p) for p in paths)
    case = {"function_name": "AcceptFunction", "path": [task, opt, runtime], "services": ["dynamodb"]}
    floor_case = {**case, "path": [task, runtime]}
    result = Result("reference", "import boto3, Powertools, pynamodb, Jinja2", ["dynamodb"], 0)
    for n in range(samples + 1):
        at = stack_offset(n, samples)
        floor_start, floor = _spawn("floor", {**floor_case, "stack_offset": at}, env)
        naive_start, naive = _spawn("naive", {**case, "stack_offset": at}, env)
        if n:  # the first pair warms the page cache
            result.add(floor_start, floor, naive_start, naive)
    return result
