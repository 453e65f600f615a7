"""The invitation's life: addresses, tokens, states and refusals. Pure: no AWS in here."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from .accounts import Account, User, may_grant_role
from .clock import iso
from .errors import AcceptRefused, ValidationFailed
from .proration import Subscription

PENDING, ACCEPTED, REVOKED, EXPIRED, FAILED = "pending", "accepted", "revoked", "expired", "failed"
BOUNCED = "bounced"  # the address could not receive the e-mail; resend (after fixing) or revoke
OPEN = (PENDING, BOUNCED)  # still waiting for the invitee: may be resent or revoked
USER_TYPES = ("basic", "licensed")
ROLES = ("member", "admin")
SETTLEMENTS = ("refund", "credit")

# RFC 5321: local part at most 64 octets, the whole path at most 254 usable characters.
_EMAIL = re.compile(
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$"
)


def normalize_email(raw: str) -> str:
    """Trimmed, lower-cased and checked; raises ``ValidationFailed`` with code ``invalid_email``.

    Only ASCII addresses (no SMTPUTF8): checked before lower-casing, which would otherwise turn look-alikes
    such as the Kelvin sign into a plain ``k``.
    """
    email = raw.strip() if isinstance(raw, str) and raw.isascii() else ""
    email = email.lower()
    local = email.partition("@")[0]
    if (
        not _EMAIL.fullmatch(email)
        or len(local) > 64
        or len(email) > 254
        or ".." in email
        or local.startswith(".")
        or local.endswith(".")
    ):
        raise ValidationFailed("not a valid e-mail address", code="invalid_email")
    return email


def new_id() -> str:
    return uuid.uuid4().hex


# Tokens: "<invitation id>.<256 random bits>"; only the SHA-256 of the secret part is stored.
def new_token(invitation_id: str) -> tuple[str, str]:
    secret = secrets.token_urlsafe(32)
    return f"{invitation_id}.{secret}", hash_secret(secret)


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


_TOKEN = re.compile(r"^([0-9a-f]{32})\.([A-Za-z0-9_-]{43})$")


def split_token(token: object) -> tuple[str, str] | None:
    """The invitation id and secret of a well-formed token, else None (the unknown-link page)."""
    if not isinstance(token, str) or len(token) > 100:
        return None
    match = _TOKEN.fullmatch(token)  # not .match: "$" would also let a trailing line break through
    return (match.group(1), match.group(2)) if match else None


def secret_matches(secret: str, stored_hash: str | None) -> bool:
    return stored_hash is not None and hmac.compare_digest(hash_secret(secret), stored_hash)


def link_matches(secret: str, invitation: Invitation) -> bool:
    """The secret of the last send's link, or of a reminder sent since (a resend clears those)."""
    return secret_matches(secret, invitation.token_hash) or any(
        secret_matches(secret, h) for h in invitation.reminder_hashes
    )


@dataclass
class Invitation:
    id: str
    account_id: str
    email: str
    user_type: str
    role: str
    inviter_id: str
    inviter_name: str
    org_name: str
    status: str
    created_at: datetime
    expires_at: datetime
    language: str = "en"
    first_name: str = ""
    last_name: str = ""
    invitee_user_id: str | None = None
    invitee_account_id: str | None = None
    token_hash: str | None = None
    task_token: str | None = None  # the workflow's, while it waits for acceptance
    mailed_for: str | None = None  # which task token's e-mail went out (as the store marks it)
    sent_at: datetime | None = None
    accepted_at: datetime | None = None
    settlement: str | None = None
    settle_due: bool = False
    failure: str | None = None
    subscription: Subscription | None = None  # the invitee's own, snapshot at acceptance
    history: list[dict[str, str]] = field(default_factory=list)
    # the reminder cadence (see reminders.py); restarted by every send
    reminders_sent: int = 0
    last_reminded_at: datetime | None = None
    reminder_hashes: list[str] = field(default_factory=list)  # the links of the reminders since the last send
    reminders_stopped: str | None = None  # why no more reminders go out (complaint, suppressed address)
    expiry_notified_at: datetime | None = None  # when the inviter was told it expired (at most once)
    # the invitation's options (docs/api.md): e-mailed by us or handed over as a link, where the invitee goes
    # after accepting, a personal message from the inviter
    send_email: bool = True
    redirect_url: str | None = None
    message: str | None = None
    # the money's settlement: "requested" | "completed" | "failed" once booked (settlement.py)
    settled_at: datetime | None = None
    settlement_state: str | None = None
    settlement_failure: str | None = None
    settlement_version: int | None = None


def refusal_for(invitation: Invitation | None, secret: str | None, now: datetime) -> AcceptRefused | None:
    """Why this link cannot be used, or None when it is a live, pending invitation."""
    # An accepted invitation keeps its last hash, so the used link says "already accepted".
    if invitation is None or secret is None or not link_matches(secret, invitation):
        return AcceptRefused("this invitation link is not valid", code="unknown_link")
    if invitation.status == ACCEPTED:
        return AcceptRefused("this invitation has already been accepted", code="already_accepted")
    if invitation.status == REVOKED:
        return AcceptRefused("this invitation was withdrawn", code="revoked")
    if invitation.status == EXPIRED or (invitation.status in OPEN and invitation.expires_at <= now):
        return AcceptRefused(f"this invitation has expired; ask {invitation.inviter_name} to resend it", code="expired")
    if invitation.status != PENDING:
        return AcceptRefused("this invitation can no longer be accepted", code="not_pending")
    return None


MESSAGE_MAX = 500
_MESSAGE_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029]")


def check_message(raw: str | None) -> str:
    """The inviter's personal message: plain text of at most 500 characters, no control characters but line
    breaks (``\r\n`` counts as one); surrounding blank space dropped. ``ValidationFailed`` otherwise."""
    text = (raw or "").replace("\r\n", "\n").strip()
    if len(text) > MESSAGE_MAX:
        raise ValidationFailed(f"the message is at most {MESSAGE_MAX} characters", code="message_too_long")
    if _MESSAGE_CONTROL.search(text):
        raise ValidationFailed("the message may hold no control characters but line breaks", code="invalid_message")
    return text


def allowed_origins(setting: str) -> frozenset[str]:
    """The comma list of the ``RedirectOrigins`` setting, each as :func:`origin_of` writes it."""
    origins = (origin_of(part.strip().rstrip("/")) for part in setting.split(",") if part.strip())
    return frozenset(o for o in origins if o)


def origin_of(url: str) -> str | None:
    """``scheme://host[:port]`` of an absolute http(s) URL, lower-cased, the default port left out; None
    for anything else (another scheme, no host, credentials in it, blank space or control characters)."""
    if not isinstance(url, str) or not url.isascii() or any(c.isspace() or ord(c) < 32 or c == "\\" for c in url):
        return None
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        return None
    scheme, host = parts.scheme.lower(), (parts.hostname or "")
    if scheme not in ("http", "https") or not host or "@" in parts.netloc:
        return None
    if port is None or (scheme, port) in (("http", 80), ("https", 443)):
        return f"{scheme}://{host}" if ":" not in host else f"{scheme}://[{host}]"
    return f"{scheme}://{host}:{port}" if ":" not in host else f"{scheme}://[{host}]:{port}"


def message_lines(inv: Invitation) -> list[str]:
    """The inviter's personal message, line by line (the templates escape each and break the lines), as
    the e-mails and the page show it; empty without one."""
    return inv.message.split("\n") if inv.message else []


def redirect_after_accept(inv: Invitation, redirect_origins: str) -> str | None:
    """Where the invitee goes after accepting: the invitation's ``redirect_url`` while its origin is still
    one of ``RedirectOrigins`` (a removed origin is no longer followed), else None."""
    url = inv.redirect_url
    return url if url and origin_of(url) in allowed_origins(redirect_origins) else None


REDIRECT_MAX = 2048


def check_redirect(url: str | None, origins: frozenset[str]) -> str | None:
    """The URL the invitee goes to after accepting, when its origin is one of ``origins``; None for none.
    ``ValidationFailed`` (``redirect_not_allowed``) for any other."""
    if url is None or url == "":
        return None
    if len(url) > REDIRECT_MAX or origin_of(url) not in origins:
        raise ValidationFailed(
            "redirect_url must be an http(s) URL on an allowed origin (RedirectOrigins)", code="redirect_not_allowed"
        )
    return url


@dataclass(frozen=True)
class KnownUser:
    """What the e-mail index says of a platform user."""

    user_id: str
    account_id: str
    language: str = "en"


@dataclass(frozen=True)
class Invitee:
    email: str
    user_type: str = "licensed"
    role: str = "member"
    first_name: str = ""
    last_name: str = ""


@dataclass
class Decision:
    """One invitee's outcome: an invitation to create, or a reason code."""

    email: str
    reason: str | None = None
    invitation: Invitation | None = None
    warnings: list[str] = field(default_factory=list)

    @property
    def created(self) -> bool:
        return self.reason is None


def plan_invites(
    caller: User,
    org: Account,
    invitees: list[Invitee],
    users_by_email: dict[str, KnownUser],
    now: datetime,
    lifetime_seconds: int,
    capacity: Capacity | None = None,
) -> list[Decision]:
    """Decide each invitee. ``users_by_email`` holds the platform users among them; ``capacity``
    (default: the organization's free licenses, no other limit) what the organization can take on."""
    decisions: list[Decision] = []
    seen: set[str] = set()
    for invitee in invitees:
        try:
            email = normalize_email(invitee.email)
        except ValidationFailed:
            decisions.append(Decision(email=str(invitee.email)[:320], reason="invalid_email"))
            continue
        if email in seen:
            decisions.append(Decision(email=email, reason="duplicate_in_request"))
            continue
        seen.add(email)
        if invitee.user_type not in USER_TYPES:
            decisions.append(Decision(email=email, reason="invalid_user_type"))
            continue
        if invitee.role not in ROLES:
            decisions.append(Decision(email=email, reason="invalid_role"))
            continue
        if not may_grant_role(caller, invitee.role):
            decisions.append(Decision(email=email, reason="role_not_allowed"))
            continue
        known = users_by_email.get(email)
        user_id, own_account_id = (known.user_id, known.account_id) if known else (None, None)
        if own_account_id == org.id:
            decisions.append(Decision(email=email, reason="already_member"))
            continue
        # Nothing about the invitee's own account goes back to the inviter: they are no member of this
        # organization (that was answered above), so what they pay for is not its business, and the answer
        # for a platform user is the same as for an address new to the platform. The invitee learns what
        # joining changes for them on the accept page.
        warnings: list[str] = []
        invitation = Invitation(
            id=new_id(),
            account_id=org.id,
            email=email,
            user_type=invitee.user_type,
            role=invitee.role,
            inviter_id=caller.id,
            inviter_name=caller.name,
            org_name=org.name,
            status=PENDING,
            created_at=now,
            expires_at=now + timedelta(seconds=lifetime_seconds),
            first_name=invitee.first_name,
            last_name=invitee.last_name,
            invitee_user_id=user_id,
            invitee_account_id=own_account_id,
            language=known.language if known else "en",
        )
        invitation.history.append(event("created", caller.id, now))
        decisions.append(Decision(email=email, invitation=invitation, warnings=warnings))
    capacity = capacity or Capacity(licenses=org.licenses_free, pending=len(invitees), daily=len(invitees))
    _, refused = capacity.fit([d.invitation for d in decisions if d.invitation is not None])
    for d in decisions:
        if d.email in refused and d.invitation is not None:
            d.reason, d.invitation, d.warnings = refused[d.email], None, []
    return decisions


@dataclass
class Capacity:
    """What an organization may still take on: free licenses, open invitations, invitations today."""

    licenses: int
    pending: int
    daily: int

    def fit(self, chunk: list[Invitation]) -> tuple[list[Invitation], dict[str, str]]:
        """The invitations that fit, in order, and a reason for each one that does not."""
        keep: list[Invitation] = []
        refused: dict[str, str] = {}
        licenses = self.licenses
        for inv in chunk:
            if len(keep) >= self.pending:
                refused[inv.email] = "pending_limit_reached"
            elif len(keep) >= self.daily:
                refused[inv.email] = "daily_limit_reached"
            elif inv.user_type == "licensed" and licenses < 1:
                refused[inv.email] = "no_license_available"
            else:
                licenses -= inv.user_type == "licensed"
                keep.append(inv)
        return keep, refused

    def take(self, chunk: list[Invitation]) -> None:
        self.licenses -= sum(inv.user_type == "licensed" for inv in chunk)
        self.pending -= len(chunk)
        self.daily -= len(chunk)


def event(kind: str, actor: str, at: datetime, **extra: str) -> dict[str, str]:
    return {"event": kind, "by": actor, "at": iso(at), **extra}
