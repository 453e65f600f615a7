"""Admin: invite people by e-mail (one request of up to MaxInviteesPerRequest invitees)."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

from .. import clock, workflow
from ..accounts import ensure_can_invite, ensure_can_manage
from ..config import get_settings
from ..errors import ValidationFailed
from ..invitations import (
    OPEN,
    Capacity,
    Invitee,
    allowed_origins,
    check_message,
    check_redirect,
    new_token,
    normalize_email,
    plan_invites,
)
from ..store import repository as repo
from ..store import schedule
from ..store import transactions as tx

log = logging.getLogger(__name__)

DELIVERY_DELAYED = "delivery_delayed"  # a created invitation's workflow could not start yet: the job starts it


@dataclass
class InviteOutcome:
    """What became of one invitee of the request."""

    email: str
    status: str  # "created" | "rejected"
    invitation_id: str | None = None
    reason: str | None = None
    warnings: list[str] = field(default_factory=list)
    accept_url: str | None = None  # the link of an invitation we do not e-mail: in this answer only


@dataclass(frozen=True)
class InviteOptions:
    """What a request says of all its invitations (docs/api.md): ``send_email`` False: no e-mail of ours, the
    accept link goes back to the caller once; ``redirect_url``: where the invitee goes after accepting (an
    origin of ``RedirectOrigins``); ``message``: the inviter's own words in the e-mails and on the page."""

    send_email: bool = True
    redirect_url: str | None = None
    message: str | None = None

    def checked(self, redirect_origins: str) -> InviteOptions:
        """The options as stored, or ``ValidationFailed`` (``redirect_not_allowed``, ``message_too_long``,
        ``invalid_message``)."""
        redirect = check_redirect(self.redirect_url, allowed_origins(redirect_origins))
        return InviteOptions(self.send_email, redirect, check_message(self.message) or None)


def invite(
    caller_id: str | None, account_id: str, invitees: list[Invitee], options: InviteOptions | None = None
) -> list[InviteOutcome]:
    """Create the invitations the rules and the account's capacity allow, and start their workflows; an
    outcome per invitee, in order. Without e-mail (``options.send_email`` False) each created invitation's
    accept link is made here (only its hash is stored) and its outcome carries it: the one time it is shown."""
    settings = get_settings()
    if caller_id is None:
        ensure_can_manage(None, account_id)
    options = (options or InviteOptions()).checked(settings.redirect_origins)
    if not invitees:
        raise ValidationFailed("name at least one invitee", code="no_invitees")
    if len(invitees) > settings.max_invitees_per_request:
        raise ValidationFailed(
            f"at most {settings.max_invitees_per_request} invitees per request", code="too_many_invitees"
        )
    emails = []
    for invitee in invitees:
        try:
            emails.append(normalize_email(invitee.email))
        except ValidationFailed:
            continue
    ctx = repo.load_invite_context(str(caller_id), account_id, emails)
    caller = ensure_can_manage(ctx.caller, account_id)
    org = ensure_can_invite(ctx.org)
    now = clock.now()
    lapsed = [inv.email for inv in ctx.guarded if inv.status in OPEN and inv.expires_at <= now]
    if lapsed:  # past their expiry (the sweep has not expired them yet): re-inviting them works
        from .expiry import release_expired  # and the mail it sends: loaded only when some have lapsed

        if release_expired(org.id, lapsed, now):
            ctx = repo.load_invite_context(str(caller_id), account_id, emails)
            org = ensure_can_invite(ctx.org)
    now = clock.now()
    today = now.date().isoformat()
    capacity = Capacity(
        licenses=org.licenses_free,
        pending=settings.max_pending_invitations - org.invitations_pending,
        daily=settings.max_invitations_per_day - org.invited_on(today),
    )
    decisions = plan_invites(caller, org, invitees, ctx.known, now, settings.invitation_lifetime_seconds, capacity)
    planned = [d.invitation for d in decisions if d.invitation is not None]
    links: dict[str, str] = {}
    if not options.send_email:
        from .delivery import accept_url  # the links are made here; e-mails (and their modules) are the workflow's
    for inv in planned:
        inv.send_email, inv.redirect_url, inv.message = options.send_email, options.redirect_url, options.message
        if not options.send_email:
            token, inv.token_hash = new_token(inv.id)
            links[inv.id] = accept_url(token)
    outcome = tx.create_invitations(
        org.id,
        planned,
        capacity,
        settings.max_pending_invitations,
        settings.max_invitations_per_day,
        today,
        counted_today=org.invited_day == today,
    )
    for existing in outcome.already_invited.values():
        if existing:
            start_workflow(existing, now)  # heals an invitation whose first start was lost; else a no-op
    created = {inv.email for inv in outcome.created}
    delayed = {inv.email for inv in outcome.created if not start_workflow(inv.id, now)}
    results = []
    for d in decisions:
        if d.invitation is not None and d.email in created:
            # without e-mail the link works at once: a workflow the job starts later changes nothing for it
            late = d.email in delayed and options.send_email
            warnings = d.warnings + ([DELIVERY_DELAYED] if late else [])
            link = links.get(d.invitation.id)
            results.append(
                InviteOutcome(d.email, "created", invitation_id=d.invitation.id, warnings=warnings, accept_url=link)
            )
        elif d.email in outcome.already_invited:
            results.append(InviteOutcome(d.email, "rejected", reason="already_invited"))
        elif d.email in outcome.refused:
            results.append(InviteOutcome(d.email, "rejected", reason=outcome.refused[d.email]))
        else:
            results.append(InviteOutcome(d.email, "rejected", reason=d.reason))
    return results


def start_workflow(invitation_id: str, now: datetime) -> bool:
    """Start the invitation's workflow (which e-mails it). The invitation is committed already, so a start
    that fails answers no 5xx: it is made due now, and the scheduled job starts the workflow (``sweep``).
    False when the start failed."""
    try:
        workflow.start(invitation_id)
    except Exception:
        log.exception("could not start the workflow of invitation %s; the scheduled job starts it", invitation_id)
        schedule.start_later(invitation_id, now)
        return False
    return True
