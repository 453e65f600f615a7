"""The invitee's link: view the invitation (the confirm page), accept it once, and hand the acceptance to
the workflow.

The link is the way in; signing in is what authorizes. Who may see the money and accept is the invited
person (:func:`access`): the platform user the invited address belongs to (their ``sub``), or, for an
address with no platform user yet, whoever signed in with that address verified (the new user gets their
``sub`` as id). Anyone else sees the invitation without the money, its address masked, and changes nothing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from .. import clock, i18n
from ..acceptance import Acceptance, quote, quote_matches
from ..accounts import Account, SettlementOffer, User, join_refusal, settlement_offer
from ..errors import AcceptRefused, TransientError
from ..identity import Identity
from ..invitations import ACCEPTED, Invitation, link_matches, refusal_for, split_token
from ..money import Money
from ..proration import unused_value
from ..store import repository as repo

# The workflow module and the store's transactions are imported by the hand-over and the accept that need
# them: showing the page pays for neither.

log = logging.getLogger(__name__)


SIGNED_OUT, INVITEE, SOMEONE_ELSE = "signed_out", "invitee", "someone_else"


@dataclass
class AcceptView:
    invitation: Invitation
    org: Account
    offer: SettlementOffer | None
    user: User | None
    own_account: Account | None
    access: str = INVITEE  # SIGNED_OUT, INVITEE or SOMEONE_ELSE: only the invitee sees the offer
    signed_in_email: str | None = None

    @property
    def new_user(self) -> bool:
        return self.user is None

    @property
    def quote(self) -> str:
        """The fingerprint of the money this view shows (``acceptance.quote``): the accept sends it back."""
        return quote(self.offer, self.own_account)


def amount_changed(view_: AcceptView) -> AcceptRefused:
    """The money changed since the page the accept was sent from (or the accept did not say which page):
    nothing is written; the answer carries the amount now and its quote, to be confirmed again."""
    offer = view_.offer
    refusal = AcceptRefused(
        "the amount changed since the page was shown; check the new amount and accept again",
        code="amount_changed",
        details={
            "offer": None
            if offer is None
            else {
                "amount": offer.amount.as_dict(),
                "choices": list(offer.choices),
                "payment_method": i18n.payment_method(offer.payment_method),  # as the page's JSON names it
            },
            "quote": view_.quote,
        },
    )
    return _with_words(refusal, view_.invitation)


@dataclass
class AcceptResult:
    invitation: Invitation
    settlement: str
    amount: Money | None
    payment_method: str | None
    replayed: bool = False


def page_words(inv: Invitation, masked: bool = False) -> dict[str, str]:
    """What every page about this invitation may say: who invites, to what, whom (``masked``: the address
    as anyone holding the link may see it)."""
    return {"org": inv.org_name, "inviter": inv.inviter_name, "email": mask_email(inv.email) if masked else inv.email}


def mask_email(address: str | None) -> str:
    """``jan@devries.example`` -> ``j***@devries.example``: enough to recognize, not to harvest."""
    local, at, domain = (address or "").partition("@")
    return f"{local[:1]}***{at}{domain}" if local else "***"


def access(inv: Invitation, user: User | None, who: Identity | None) -> str:
    """Whether ``who`` is the invited person: the platform user of the invited address, by ``sub``; for an
    address with no platform user, the person whose verified e-mail is the invited address."""
    if who is None:
        return SIGNED_OUT
    if user is not None:
        return INVITEE if who.sub == user.id else SOMEONE_ELSE
    if who.verified_email != inv.email.strip().lower():
        return SOMEONE_ELSE
    # a new user gets the sub as id: one that is a platform user already is another person's (or address's)
    return SOMEONE_ELSE if repo.get_user(who.sub) is not None else INVITEE


def _identity_refusal(state: str, inv: Invitation, who: Identity | None) -> AcceptRefused:
    if state == SIGNED_OUT:
        refusal = AcceptRefused("sign in as the invited person to accept", code="sign_in_required")
    else:
        refusal = AcceptRefused(
            "you are signed in as someone else than the invited person; nothing has changed",
            code="wrong_account",
            details={"signed_in_as": mask_email(who.email if who else None), "invited": mask_email(inv.email)},
        )
    refusal.words = page_words(inv, masked=True)
    return refusal


def invitee_language(token: object) -> str | None:
    """The invitee's language, for a refusal page, when the link names an invitation."""
    inv, _ = _live_invitation(token)
    return inv.language if inv else None


def view(token: object, who: Identity | None = None) -> AcceptView:
    """What the confirm page shows. Reads only: mail scanners prefetch links. The offer (the money) and the
    join checks are for the invitee only; anyone else gets the invitation, with ``access`` saying why."""
    inv, secret = _live_invitation(token)
    refusal = refusal_for(inv, secret, clock.now())
    if refusal:
        raise _with_words(refusal, inv)
    assert inv is not None
    return _check_joinable(inv, who, enforce=False)


def accept(
    token: object, settlement: str | None, who: Identity | None = None, shown: str | None = None
) -> AcceptResult:
    """Accept once, as the invited person (``who``: signed in). A repeated submit of the same link by the
    same person answers with the first result. Every refusal changes nothing.

    ``shown``: the quote of the page the accept was sent from. When the invitee's own paid subscription is
    involved it must be the quote of the money now (else ``amount_changed``, with the new amount), and the
    transaction commits only while the subscription is still the one quoted: what is booked is that
    subscription, prorated to the moment of the accept (``acceptance.quote``)."""
    inv, secret = _live_invitation(token)
    if inv is not None and inv.status == ACCEPTED and secret and link_matches(secret, inv):
        if who is None:
            raise _identity_refusal(SIGNED_OUT, inv, who)
        if who.sub != inv.invitee_user_id:
            raise _identity_refusal(SOMEONE_ELSE, inv, who)
        return _result(inv, replayed=True)
    refusal = refusal_for(inv, secret, clock.now())
    if refusal:
        raise _with_words(refusal, inv)
    assert inv is not None and secret is not None
    for _attempt in range(3):
        try:
            view_ = _check_joinable(inv, who, enforce=True)
        except AcceptRefused:
            # read on fresh data: the invitation itself may have changed meanwhile (accepted by a
            # concurrent submit, revoked, expired, resent): then that is the answer, not its side effects
            settled = _settled_meanwhile(token, secret)
            if settled is not None:
                return settled
            raise
        offer = view_.offer
        chosen: str | None = None
        if offer is not None and offer.choices:
            if settlement not in offer.choices:
                raise _with_words(
                    AcceptRefused(
                        "choose a refund or a credit transfer" if "credit" in offer.choices else "choose a refund",
                        code="choice_required",
                        details={"choices": list(offer.choices)},
                    ),
                    inv,
                )
            chosen = settlement
        # after the choice: a form without one comes back with the choices and the money as it is now
        if not quote_matches(shown, view_.quote, money=offer is not None):
            raise amount_changed(view_)
        from ..store import transactions as tx

        try:
            accepted = tx.accept(
                inv,
                view_.org,
                view_.user,
                view_.own_account,
                chosen,
                offer is not None,
                clock.now(),
                new_user_id=who.sub if who is not None and view_.user is None else None,
            )
        except repo.TxCancelled:
            settled = _settled_meanwhile(token, secret)
            if settled is not None:
                return settled
            inv, _ = _live_invitation(token)
            assert inv is not None
            # the invitee or an account changed under us (a subscription renewed between the read and the
            # write too): decide again on fresh data, where a changed amount is ``amount_changed``
            continue
        hand_over(accepted)
        return _result(accepted, replayed=False)
    raise TransientError("the invitation changed while accepting; try again")


def hand_over(inv: Invitation) -> bool:
    """Resume the workflow waiting for this acceptance (SendTaskSuccess, its output the :class:`Acceptance`,
    which the state machine hands its Settle step). A failure here is not lost: the invitation stays due
    and the scheduled sweep hands it over again (``sweep.reconcile``). False when nothing was resumed."""
    from .. import workflow

    if not inv.task_token:
        return False
    try:
        return workflow.resume(inv.task_token, Acceptance.of(inv).to_json())
    except Exception:  # the acceptance is committed: whatever failed here, the scheduled sweep resumes it
        log.exception("could not resume the workflow of invitation %s; the scheduled sweep will", inv.id)
        return False


def _live_invitation(token: object) -> tuple[Invitation | None, str | None]:
    parts = split_token(token)
    if parts is None:
        return None, None
    inv = repo.get_invitation(parts[0])
    return inv, parts[1]


def _with_words(refusal: AcceptRefused, inv: Invitation | None) -> AcceptRefused:
    if inv is not None and refusal.code != "unknown_link":
        refusal.words = page_words(inv, masked=True)  # the link's state is for anyone holding it
    return refusal


def _check_joinable(inv: Invitation, who: Identity | None, enforce: bool) -> AcceptView:
    """The page's view for ``who``; ``enforce``: anyone but the invitee is refused (the accept)."""
    ctx = repo.load_accept_context(inv)
    if ctx.org is None:
        raise AcceptRefused("this invitation link is not valid", code="unknown_link")
    state = access(inv, ctx.user, who)
    signed_in_as = who.email if who is not None else None
    if state != INVITEE:
        if enforce:
            raise _identity_refusal(state, inv, who)
        return AcceptView(inv, ctx.org, None, ctx.user, ctx.own_account, state, signed_in_as)
    refusal = join_refusal(ctx.user, ctx.own_account, ctx.org, inv.user_type)
    if refusal:
        raise _with_words(refusal, inv)
    offer = settlement_offer(ctx.own_account, ctx.org, clock.now())
    return AcceptView(inv, ctx.org, offer, ctx.user, ctx.own_account, state, signed_in_as)


def _result(inv: Invitation, replayed: bool) -> AcceptResult:
    sub = inv.subscription
    amount = unused_value(sub, inv.accepted_at) if sub and inv.accepted_at else None
    return AcceptResult(inv, inv.settlement or "none", amount, sub.payment_method if sub else None, replayed=replayed)


def _settled_meanwhile(token: object, secret: str) -> AcceptResult | None:
    """When the invitation changed under an accept: the first result if this link accepted it, else
    raises its refusal (revoked, expired, replaced by a resend); None when it is still open."""
    inv, _ = _live_invitation(token)
    if inv is not None and inv.status == ACCEPTED and link_matches(secret, inv):
        return _result(inv, replayed=True)
    refusal = refusal_for(inv, secret, clock.now())
    if refusal:
        raise _with_words(refusal, inv) from None
    return None
