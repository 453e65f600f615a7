"""An account's members: the list (the users table's ``by_account`` index) and a member's removal (one
transaction), with the removal recorded on the user for a retry to find."""

from __future__ import annotations

from typing import Literal

from ..accounts import Account, User
from ..fields import same_named
from ..members import MemberFilter, Removal
from . import models as m
from .mapping import to_user
from .repository import Tx, TxCancelled, decode_cursor, encode_cursor, key_item, read_many, update_if

# What a page of the by_account query ends on: the table key and the index key, all strings.
_CURSOR_KEYS = {"id", "account_id", "email"}
_REMOVAL_FIELDS = ("account_id", "own_account_id", "at", "by", "role", "user_type", "event_pending")


def list_members(account_id: str, which: MemberFilter, limit: int, cursor: str | None) -> tuple[list[User], str | None]:
    """A page of the account's users by e-mail (those ``which`` lets through) and the cursor of the next page."""
    m.bind()
    prefix = which.email_prefix or ""
    start = decode_cursor(
        cursor, _CURSOR_KEYS, lambda k: k["account_id"] == account_id and k["email"].startswith(prefix)
    )
    condition = None
    if which.user_type:
        condition = m.UserModel.user_type == which.user_type
    if which.role:
        by_role = m.UserModel.role == which.role
        condition = by_role if condition is None else condition & by_role
    result = m.UserModel.by_account.query(
        account_id,
        m.UsersByAccount.email.startswith(which.email_prefix) if which.email_prefix else None,
        filter_condition=condition,
        limit=limit,
        last_evaluated_key=start,
        page_size=limit,
    )
    users = [to_user(item) for item in result]
    return users, encode_cursor(result.last_evaluated_key)


def to_removal(user_id: str, attribute: m.RemovalAttribute) -> Removal:
    return Removal(n=int(attribute.n), user_id=user_id, **same_named(attribute, _REMOVAL_FIELDS))


def member(user_id: str) -> tuple[User | None, Removal | None]:
    """The user, and their latest removal from an organization (if any)."""
    (item,) = read_many([(m.UserModel, user_id)])
    if item is None:
        return None, None
    return to_user(item), to_removal(user_id, item.removal) if item.removal else None


Outcome = Literal["removed", "moved", "id_taken", "inconsistent"]


def remove(member: User, removal: Removal, previous: Removal | None, own: Account) -> Outcome:
    """The member leaves the organization and is the owner of ``own`` (a new individual account), in one
    transaction: "removed"; "moved" when the user is no longer as read (removed meanwhile, or changed),
    "id_taken" when the new account's id is another account's already, "inconsistent" when the organization's
    licenses or the e-mail index disagree with the user. Nothing is written unless "removed"."""
    user = m.UserModel
    attribute = m.RemovalAttribute(n=removal.n, **same_named(removal, _REMOVAL_FIELDS))
    tx = Tx()
    tx.update(
        "user",
        key_item(user, member.id),
        [
            user.account_id.set(own.id),
            user.role.set("owner"),
            user.user_type.set("basic"),
            user.removal.set(attribute),  # type: ignore[arg-type]
        ],
        (user.account_id == removal.account_id)
        & (user.role == removal.role)
        & (user.user_type == removal.user_type)
        & (user.removal.n == previous.n if previous else user.removal.does_not_exist()),  # type: ignore[attr-defined]
    )
    tx.update(
        "email",
        key_item(m.UserEmailModel, m.UserEmailModel.key(member.email)),
        [m.UserEmailModel.account_id.set(own.id)],
        m.UserEmailModel.user_id == member.id,
    )
    org_actions = [m.AccountModel.members_count.add(-1)]
    org_condition = m.AccountModel.id.exists()
    if removal.freed_license:
        org_actions += [m.AccountModel.licenses_used.add(-1), m.AccountModel.licenses_free.add(1)]
        org_condition = org_condition & (m.AccountModel.licenses_used >= 1)
    tx.update("org", key_item(m.AccountModel, removal.account_id), org_actions, org_condition)
    tx.put(
        "account",
        m.AccountModel(
            **same_named(own, ("id", "name", "type", "plan", "status", "currency")),
            licenses_free=0,
            licenses_used=0,
            licenses_held=0,
            credit_minor=0,
            balance_due_minor=0,
            members_count=own.members_count,
            invitations_pending=0,
        ),
        m.AccountModel.id.does_not_exist(),
    )
    try:
        tx.commit()
    except TxCancelled as cancelled:
        if set(cancelled.failed) == {"account"}:
            return "id_taken"
        return "moved" if "user" in cancelled.failed else "inconsistent"
    return "removed"


def event_published(removal: Removal) -> bool:
    """The removal's MemberRemoved event is out: no retry publishes it again. False when it was marked so
    before (or the user's latest removal is another one by now)."""
    user = m.UserModel
    return update_if(
        key_item(user, removal.user_id),
        [user.removal.event_pending.set(False)],  # type: ignore[attr-defined]
        (user.removal.n == removal.n) & (user.removal.event_pending == True),  # type: ignore[attr-defined] # noqa: E712
    )
