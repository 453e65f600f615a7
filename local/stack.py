"""Create the stack of ``template.yaml`` in whatever AWS boto3 talks to now (moto, in process or server)."""

from __future__ import annotations

import contextlib
import json
import os
import threading
from dataclasses import dataclass, field
from typing import Any

from paid_invites import aws, clock, config, platform_events
from paid_invites.errors import MalformedPlatformEvent
from paid_invites.store import models
from paid_invites.usecases.ingest import ingest

from . import bridge, cognito, patches, queues, streams
from .template import ACCOUNT, REGION, Function, Route, Template

# The local stack's answers to the template's parameters that have no default (what `sam deploy --guided`
# asks a person for). Anything else keeps the template's default unless a caller overrides it.
LOCAL_PARAMETERS = {
    "SenderAddress": "invitations@paid-invites.local",
    "SesIdentity": "paid-invites.local",
    "AcceptBaseUrl": "http://127.0.0.1:3000/invitations/accept",
    "FrontendOrigin": "http://127.0.0.1:3000",
    "CognitoUserPoolArn": "arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_local",  # moto's pool's
    "CognitoDomain": "http://127.0.0.1:3000/_local/cognito",  # the managed-login stand-in (local/managed_login.py)
    "AlarmEmail": "alarms@paid-invites.local",
}
# Parameters the local stack sets whatever their default: moto has no quotas to pace the bulk import for
# (a caller still overrides them, as a test of the pacing does).
LOCAL_OVERRIDES = {"ImportChunkPauseSeconds": "0"}
MOTO_CONFIG = {"stepfunctions": {"execute_state_machine": True}, "lambda": {"use_docker": False}}


@dataclass
class Outbox:
    """Every e-mail handed to SES v2, with both parts (moto keeps only one of them)."""

    messages: list[dict[str, Any]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, params: dict[str, Any], message_id: str = "") -> None:
        simple = params.get("Content", {}).get("Simple", {})
        body = simple.get("Body", {})
        with self.lock:
            for to in params.get("Destination", {}).get("ToAddresses", []):
                self.messages.append(
                    {
                        "to": to,
                        "from": params.get("FromEmailAddress"),
                        "subject": simple.get("Subject", {}).get("Data", ""),
                        "text": body.get("Text", {}).get("Data", ""),
                        "html": body.get("Html", {}).get("Data", ""),
                        # what SES would put in the events of this message (local/jobs.py builds them)
                        "message_id": message_id,
                        "at": clock.iso(clock.now()),
                        "configuration_set": params.get("ConfigurationSetName"),
                        "tags": {t["Name"]: t["Value"] for t in params.get("EmailTags", [])},
                    }
                )

    def to(self, address: str) -> list[dict[str, Any]]:
        with self.lock:
            return [m for m in self.messages if m["to"] == address]


OUTBOX = Outbox()  # filled by local/patches/sesv2_outbox.py


@dataclass
class Stack:
    template: Template
    functions: dict[str, Function]
    routes: list[Route]
    state_machine_arn: str  # the invitation workflow's
    events_queue_url: str
    clock: clock.MovableClock
    state_machine_arns: dict[str, str] = field(default_factory=dict)  # every state machine, by logical id
    stream_triggers: list[streams.StreamTrigger] = field(default_factory=list)  # the tables' stream triggers
    queue_triggers: list[queues.QueueTrigger] = field(default_factory=list)  # the functions' SQS events

    def drain_queues(self) -> int:
        """Hand the messages on the functions' SQS queues to their functions until the queues are empty
        (local/queues.py); how many were handed over."""
        return queues.drain(self.queue_triggers)

    def drain_streams(self) -> int:
        """Hand every table stream's records written so far to their functions (local/streams.py); how many."""
        total = 0
        while handed := streams.poll(self.stream_triggers):
            total += handed
        return total

    def drain(self) -> int:
        """Run the local triggers until none has anything left (tests call it before reading what the
        functions did); how many records they took. Every kind of trigger joins in here."""
        total = 0
        while handed := self.drain_streams() + self.drain_queues():
            total += handed
        return total

    def stop_executions(self) -> int:
        """Stop every running execution (a torn-down stack's workflows must not live on in their threads
        and write into the next stack's tables). Returns how many were stopped."""
        sfn = aws.client("stepfunctions")
        stopped = 0
        for arn in self.state_machine_arns.values() or [self.state_machine_arn]:
            for page in sfn.get_paginator("list_executions").paginate(stateMachineArn=arn, statusFilter="RUNNING"):
                for execution in page["executions"]:
                    # it may have ended meanwhile, or moto may not have started its program yet
                    with contextlib.suppress(Exception):
                        sfn.stop_execution(executionArn=execution["executionArn"], cause="the stack is torn down")
                        stopped += 1
        return stopped

    def invoke(self, logical_id: str, event: dict[str, Any]) -> Any:
        return bridge.invoke(self.functions[logical_id], event)

    def settlement_events(self) -> list[dict[str, Any]]:
        """What reached the settlement bus so far (through a local rule into an SQS queue)."""
        sqs = aws.client("sqs")
        found = []
        while True:
            got = sqs.receive_message(QueueUrl=self.events_queue_url, MaxNumberOfMessages=10)
            messages = got.get("Messages", [])
            if not messages:
                return found
            for message in messages:
                found.append(json.loads(message["Body"]))
                sqs.delete_message(QueueUrl=self.events_queue_url, ReceiptHandle=message["ReceiptHandle"])


def environment(template: Template) -> dict[str, str]:
    """One process runs every function, so it gets the union of their environments (they agree)."""
    env: dict[str, str] = {}
    for fn in template.functions().values():
        for key, value in fn.environment.items():
            if env.get(key, value) != value:
                raise ValueError(f"functions disagree on {key}")
            env[key] = value
    return env


def deploy(parameters: dict[str, str] | None = None) -> Stack:
    """Create tables, functions, the state machine, the bus and the SES identity; point our code at them."""
    known = Template().parameters
    local = {k: v for k, v in LOCAL_PARAMETERS.items() if k in known and not known[k]}
    template = Template({**local, **{k: v for k, v in LOCAL_OVERRIDES.items() if k in known}, **(parameters or {})})
    patches.install()  # moto's and Powertools' differences from AWS (local/patches/), each once
    cognito.create(template)  # the user pool in moto, the template's app client in it (Ref: its client id)
    queue_urls = queues.create(template)  # before the functions' environment: it names queues (Ref: their URL)
    os.environ.update(environment(template))
    os.environ.setdefault("AWS_DEFAULT_REGION", REGION)
    os.environ.setdefault("POWERTOOLS_TRACE_DISABLED", "true")
    os.environ.setdefault("POWERTOOLS_METRICS_DISABLED", "true")
    config.reload()
    models.bind()

    ddb = aws.client("dynamodb")
    for name, props in template.tables().items():
        spec = {
            k: v
            for k, v in props.items()
            if k in ("AttributeDefinitions", "KeySchema", "BillingMode", "GlobalSecondaryIndexes")
        }
        ddb.create_table(TableName=name, **spec, **streams.stream_specification(props))

    ses = aws.client("sesv2")
    ses.create_email_identity(EmailIdentity=template.parameters["SenderAddress"])
    for logical_id in template.resources("AWS::SES::ConfigurationSet"):  # the sends name it
        ses.create_configuration_set(ConfigurationSetName=template._ref(logical_id))

    iam = aws.client("iam")
    trust = {
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": ["lambda.amazonaws.com", "states.amazonaws.com"]},
                "Action": "sts:AssumeRole",
            }
        ]
    }
    role = iam.create_role(RoleName="local-stack", AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    functions = template.functions()
    lam = aws.client("lambda")
    for fn in functions.values():
        lam.create_function(
            FunctionName=fn.logical_id,
            Runtime="python3.12",
            Role=role,
            Handler=fn.handler,
            Code={"ZipFile": b"bridged to the real handler in this process"},
        )
    bridge.install(functions)

    sfn = aws.client("stepfunctions")
    sm_arns = {
        sm_id: sfn.create_state_machine(name=sm_id, definition=definition, roleArn=role, type="STANDARD")[
            "stateMachineArn"
        ]
        for sm_id, definition in template.state_machines().items()
    }

    events = aws.client("events")
    queue_url = ""
    for logical_id, res in template.resources("AWS::Events::EventBus").items():
        bus = template._ref(logical_id)
        events.create_event_bus(Name=bus)
        sqs = aws.client("sqs")
        queue_url = sqs.create_queue(QueueName="local-settlement-events")["QueueUrl"]
        queue_arn = f"arn:aws:sqs:{REGION}:{ACCOUNT}:local-settlement-events"
        events.put_rule(
            Name="local-all", EventBusName=bus, EventPattern=json.dumps({"source": ["paid-account-invites"]})
        )
        events.put_targets(Rule="local-all", EventBusName=bus, Targets=[{"Id": "queue", "Arn": queue_arn}])
        _ = res
    queues.create_rules(template)  # the rules into the template's queues (the platform's events)

    movable = clock.MovableClock()
    clock.use(movable)
    invitation_arn = sm_arns[template.state_machine()[0]]
    return Stack(
        template,
        functions,
        template.routes(),
        invitation_arn,
        queue_url,
        movable,
        sm_arns,
        stream_triggers=streams.triggers(template, functions),
        queue_triggers=queues.triggers(template, functions, queue_urls),
    )


# ---------------------------------------------------------------- seed data


def seed_events(data: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """The seed ``{"accounts": [...], "users": [...], "invoices": [...]}`` as the platform's events, in the
    order a first fill sends them: accounts, users, subscriptions, invoices. Each entry's ``version`` is its
    own or 1. Refused with ``ValueError``: two users sharing an address, an organization with more licensed
    members than licenses."""
    accounts = data.get("accounts", [])
    users = data.get("users", [])
    invoices = data.get("invoices", [])
    emails = [u["email"].strip().lower() for u in users]
    if len(set(emails)) != len(emails):
        raise ValueError("two seeded users share an e-mail address")
    events: list[tuple[str, dict[str, Any]]] = []
    subscriptions: list[tuple[str, dict[str, Any]]] = []
    for acc in accounts:
        used = sum(1 for u in users if u["account_id"] == acc["id"] and u.get("user_type", "basic") == "licensed")
        total = int(acc.get("licenses", 0))
        if used > total and acc.get("type") == "organization":
            raise ValueError(f"account {acc['id']} has {used} licensed members but {total} licenses")
        detail = {
            "id": acc["id"],
            "name": acc["name"],
            "type": acc["type"],
            "plan": acc["plan"],
            "status": acc.get("status", "active"),
            "currency": acc["currency"],
            "licenses": total,
            "version": int(acc.get("version", 1)),
        }
        if acc.get("billing_customer_id"):
            detail["billing_customer_id"] = acc["billing_customer_id"]
        events.append(("AccountChanged", detail))
        sub = acc.get("subscription")
        if sub:
            subscriptions.append(
                (
                    "SubscriptionChanged",
                    {
                        "account_id": acc["id"],
                        "currency": acc["currency"],
                        "status": "active",
                        **{k: v for k, v in sub.items() if k != "version"},
                        "version": int(sub.get("version", 1)),
                    },
                )
            )
    for u, email in zip(users, emails, strict=True):
        user = {
            "id": u["id"],
            "email": email,
            "name": u.get("name", ""),
            "language": u.get("language", "en"),
            "account_id": u["account_id"],
            "role": u.get("role", "member"),
            "user_type": u.get("user_type", "basic"),
            "version": int(u.get("version", 1)),
        }
        events.append(("UserChanged", user))
    events += subscriptions
    for i in invoices:
        invoice = {
            "id": i["id"],
            "account_id": i["account_id"],
            "amount_minor": int(i["amount_minor"]),
            "currency": i.get("currency", "EUR"),
            "status": i["status"],
            "version": int(i.get("version", 1)),
        }
        events.append(("InvoiceChanged", invoice))
    return events


def seed(data: dict[str, Any]) -> None:
    """Load ``{"accounts": [...], "users": [...], "invoices": [...]}`` as the platform's first fill: every
    entry an event (``seed_events``) applied by the ingestion use case, so the counters follow as they do in
    production (licenses in use from the licensed members, members per account, the balance due from the
    open invoices). Each seeded user can sign in (the local Cognito)."""
    models.bind()
    events = seed_events(data)
    for detail_type, detail in events:
        try:
            ingest(platform_events.parse(detail_type, detail))
        except MalformedPlatformEvent as error:
            raise ValueError(f"seed: {error.message}") from error
    for acc in data.get("accounts", []):
        if acc.get("credit_minor"):  # the service's own fact, not the platform's: set as it is
            models.AccountModel(id=acc["id"]).update(
                actions=[models.AccountModel.credit_minor.set(int(acc["credit_minor"]))]
            )
    cognito.seed_users(data.get("users", []))  # each can sign in: its seed id is its sub, its password the seed's
