"""The local stack's levers on time and on the outside world: the clock, the scheduled job, SES events.

POST /_local/clock       {"advance_seconds": N} or {"now": "<ISO-8601>"}  -> the time it is now
GET  /_local/clock                                                       -> the time the stack lives in
POST /_local/jobs/remind                                                 -> what the scheduled job did
POST /_local/ses-events  {"type": "bounce" | "complaint" | "delivery", "recipient": "<address>", ...}
POST /_local/settlements/retry  {"invitation_id": "<id>"}               -> the operator's retry of failed
                                                                           billing requests (external billing)

The scheduled job and the SES events go through the real handlers (SweepFunction, EmailEventsFunction)
with the events EventBridge Scheduler and SNS would deliver.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

from paid_invites import clock

from .stack import OUTBOX, Stack
from .template import ACCOUNT, REGION

Answer = tuple[int, Any]
MAX_JUMP = 10 * 365 * 24 * 3600  # ten years: enough for any invitation's life


def handle(stack: Stack, method: str, path: str, body: bytes) -> Answer | None:
    """The answer to one of the endpoints above, or None when the path is not one of them."""
    if path == "/_local/clock":
        if method == "GET":
            return 200, clock_state(stack)
        if method == "POST":
            return move_clock(stack, _json(body))
        return 405, {"message": "GET or POST"}
    if path == "/_local/jobs/remind":
        if method != "POST":
            return 405, {"message": "POST"}
        return 200, run_scheduled_job(stack)
    if path == "/_local/ses-events":
        if method != "POST":
            return 405, {"message": "POST"}
        return inject_ses_event(stack, _json(body))
    if path == "/_local/settlements/retry":
        if method != "POST":
            return 405, {"message": "POST"}
        return retry_settlement(stack, _json(body))
    return None


def _json(body: bytes) -> dict[str, Any]:
    try:
        value = json.loads(body or b"{}")
    except ValueError:
        return {"_invalid": True}
    return value if isinstance(value, dict) else {"_invalid": True}


# ---------------------------------------------------------------- the clock


def clock_state(stack: Stack) -> dict[str, Any]:
    return {"now": clock.iso(clock.now()), "offset_seconds": int(stack.clock.offset.total_seconds())}


def move_clock(stack: Stack, request: dict[str, Any]) -> Answer:
    """Move the clock by some seconds, or to a moment. Back works too (a test puts it back when done);
    what was recorded at a later time stays as it was."""
    if "advance_seconds" in request:
        seconds = request["advance_seconds"]
        if not isinstance(seconds, int | float) or isinstance(seconds, bool) or abs(seconds) > MAX_JUMP:
            return 400, {"message": f"advance_seconds must be a number of seconds (at most {MAX_JUMP} either way)"}
        stack.clock.advance(seconds)
    elif "now" in request:
        try:
            moment = clock.parse(str(request["now"]))
        except ValueError as error:
            return 400, {"message": f"now must be an ISO-8601 timestamp with a timezone: {error}"}
        stack.clock.set(moment)
    else:
        return 400, {"message": 'send {"advance_seconds": N} or {"now": "<ISO-8601>"}'}
    return 200, clock_state(stack)


# ---------------------------------------------------------------- the scheduled job


def scheduler_event() -> dict[str, Any]:
    """What EventBridge Scheduler hands the function (the template's schedule sets no input)."""
    return {}


def run_scheduled_job(stack: Stack) -> dict[str, Any]:
    """One run of SweepFunction now, through its real handler; its report."""
    result: dict[str, Any] = stack.invoke("SweepFunction", scheduler_event())
    return result


def retry_settlement(stack: Stack, request: dict[str, Any]) -> Answer:
    """The operator's retry of an invitation's failed billing requests: the direct invocation of
    SettlementOutcomesFunction that docs/operations.md shows with the aws CLI; its answer."""
    invitation_id = request.get("invitation_id")
    if not isinstance(invitation_id, str) or not invitation_id:
        return 400, {"message": 'send {"invitation_id": "<id>"}'}
    if "SettlementOutcomesFunction" not in stack.functions:
        return 409, {"message": "billing is builtin here: nothing is requested of a billing system (Billing=external)"}
    result: dict[str, Any] = stack.invoke(
        "SettlementOutcomesFunction", {"operator": "retry_settlement", "invitation_id": invitation_id}
    )
    if result.get("error") == "invitation_not_found":
        return 404, result
    return (400 if "error" in result else 200), result


# ---------------------------------------------------------------- SES events, as SNS delivers them


def sns_envelope(message: dict[str, Any], topic: str = "EmailEventsTopic") -> dict[str, Any]:
    """The Lambda event SNS delivers for one published message."""
    arn = f"arn:aws:sns:{REGION}:{ACCOUNT}:{topic}"
    return {
        "Records": [
            {
                "EventSource": "aws:sns",
                "EventVersion": "1.0",
                "EventSubscriptionArn": f"{arn}:{uuid.uuid4()}",
                "Sns": {
                    "Type": "Notification",
                    "MessageId": str(uuid.uuid4()),
                    "TopicArn": arn,
                    "Subject": None,
                    "Message": json.dumps(message),
                    "Timestamp": _ses_time(clock.now()),
                    "SignatureVersion": "1",
                    "Signature": "local",
                    "SigningCertUrl": "https://sns.local/cert.pem",
                    "UnsubscribeUrl": "https://sns.local/unsubscribe",
                    "MessageAttributes": {},
                },
            }
        ]
    }


def _ses_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def ses_event(kind: str, sent: dict[str, Any], recipient: str, **options: Any) -> dict[str, Any]:
    """The SES event record (configuration-set event publishing) of one event on one sent message."""
    now = _ses_time(clock.now())
    tags = {name: [value] for name, value in (sent.get("tags") or {}).items()}
    if sent.get("configuration_set"):
        tags["ses:configuration-set"] = [sent["configuration_set"]]
    mail = {
        "timestamp": _ses_time(clock.parse(sent["at"])) if sent.get("at") else now,
        "source": sent.get("from") or "",
        "sendingAccountId": ACCOUNT,
        "messageId": sent.get("message_id") or str(uuid.uuid4()),
        "destination": [sent.get("to") or recipient],
        "headersTruncated": False,
        "commonHeaders": {"from": [sent.get("from") or ""], "to": [recipient], "subject": sent.get("subject", "")},
        "tags": tags,
    }
    event: dict[str, Any] = {"eventType": kind.capitalize(), "mail": mail}
    feedback = f"local-{uuid.uuid4()}"
    if kind == "bounce":
        hard = options.get("bounce_type", "Permanent") == "Permanent"
        event["bounce"] = {
            "bounceType": options.get("bounce_type", "Permanent"),
            "bounceSubType": options.get("bounce_subtype", "General"),
            "bouncedRecipients": [
                {
                    "emailAddress": recipient,
                    "action": "failed",
                    "status": "5.1.1" if hard else "4.2.2",
                    "diagnosticCode": options.get("diagnostic")
                    or ("smtp; 550 5.1.1 user unknown" if hard else "smtp; 452 4.2.2 mailbox full"),
                }
            ],
            "timestamp": now,
            "feedbackId": feedback,
            "reportingMTA": "dsn; mta.local",
        }
    elif kind == "complaint":
        event["complaint"] = {
            "complainedRecipients": [{"emailAddress": recipient}],
            "timestamp": now,
            "feedbackId": feedback,
            "complaintFeedbackType": options.get("feedback_type", "abuse"),
            "arrivalDate": now,
        }
    elif kind == "delivery":
        event["delivery"] = {
            "timestamp": now,
            "processingTimeMillis": 1200,
            "recipients": [recipient],
            "smtpResponse": "250 2.6.0 Message received",
            "reportingMTA": "mta.local",
        }
    return event


def inject_ses_event(stack: Stack, request: dict[str, Any]) -> Answer:
    """An SES event for the last message to ``recipient`` (or the one ``message_id`` names), delivered
    to EmailEventsFunction the way SNS would; the function's answer."""
    kind = str(request.get("type", "")).lower()
    recipient = str(request.get("recipient", "")).strip().lower()
    if kind not in ("bounce", "complaint", "delivery") or not recipient:
        return 400, {"message": 'send {"type": "bounce" | "complaint" | "delivery", "recipient": "<address>"}'}
    sent_to = OUTBOX.to(recipient)
    if request.get("message_id"):
        sent_to = [m for m in sent_to if m.get("message_id") == request["message_id"]]
    if not sent_to:
        return 404, {"message": f"no message to {recipient} in the outbox"}
    options = {k: request[k] for k in ("bounce_type", "bounce_subtype", "diagnostic", "feedback_type") if k in request}
    event = ses_event(kind, sent_to[-1], recipient, **options)
    result = stack.invoke("EmailEventsFunction", sns_envelope(event))
    return 200, {"event": event, "result": result}
