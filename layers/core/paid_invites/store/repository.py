"""The repository: every DynamoDB read and write the use cases need, each in as few requests as it can.

Reads that span tables go through one BatchGetItem; every change that must hold together is one
TransactWriteItems with conditions, so a retry or a race either changes nothing or fails cleanly.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pynamodb.attributes import MapAttribute
from pynamodb.connection import Connection
from pynamodb.exceptions import DoesNotExist, TransactWriteError, UpdateError
from pynamodb.expressions.condition import size
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from ..accounts import Account, User
from ..errors import TransientError, ValidationFailed
from ..invitations import Invitation, KnownUser, event
from ..ledger import LedgerEntry
from . import models as m
from .mapping import (
    to_account,
    to_entry,
    to_invitation,
    to_user,
)

# ---------------------------------------------------------------- low-level helpers


def _connection() -> Connection:
    m.bind()
    return m.AccountModel._get_connection().connection


Key = tuple[type[Model], str] | tuple[type[Model], str, str]


def read_many(keys: Sequence[Key]) -> list[Any]:
    """Strongly consistent BatchGetItem across tables, 100 keys a request; ``None`` where missing."""
    m.bind()
    found: dict[tuple[str, str, str | None], Any] = {}
    client = _connection().client
    for start in range(0, len(keys), 100):
        chunk = keys[start : start + 100]
        request: dict[str, Any] = {}
        by_table: dict[str, type[Model]] = {}
        for key in chunk:
            model = key[0]
            table = model.Meta.table_name
            by_table.setdefault(table, model)
            request.setdefault(table, {"Keys": [], "ConsistentRead": True})
            raw = _raw_key(model, key[1], key[2] if len(key) > 2 else None)  # type: ignore[misc]
            if raw not in request[table]["Keys"]:
                request[table]["Keys"].append(raw)
        attempt = 0
        while request:
            response = client.batch_get_item(RequestItems=request)
            for table, items in response.get("Responses", {}).items():
                for raw_item in items:
                    found[(table, *_identity(by_table[table], raw_item))] = raw_item
            request = response.get("UnprocessedKeys") or {}
            attempt += 1
            if request:
                time.sleep(min(0.05 * 2**attempt, 1.0))
    results: list[Any] = []
    for key in keys:
        model = key[0]
        raw_item = found.get((model.Meta.table_name, key[1], key[2] if len(key) > 2 else None))  # type: ignore[misc]
        results.append(_decode(model, raw_item) if raw_item is not None else None)
    return results


def _key_names(model: type[Model]) -> tuple[str, str | None]:
    hash_name: str = model._hash_keyname  # type: ignore[attr-defined,assignment]
    range_name: str | None = model._range_keyname  # type: ignore[attr-defined]
    return hash_name, range_name


def _raw_key(model: type[Model], hash_value: str, range_value: str | None) -> dict[str, Any]:
    hash_name, range_name = _key_names(model)
    raw: dict[str, Any] = {hash_name: {"S": hash_value}}
    if range_name:
        raw[range_name] = {"S": range_value}
    return raw


def _identity(model: type[Model], raw_item: dict[str, Any]) -> tuple[str, str | None]:
    hash_name, range_name = _key_names(model)
    return raw_item[hash_name]["S"], (raw_item[range_name]["S"] if range_name else None)


def _decode(model: type[Model], raw_item: dict[str, Any]) -> Any:
    # Items of two models share a table (users + e-mail index, invitations + guards): the key's
    # shape tells them apart, so decode with the model that was asked for.
    return model.from_raw_data(raw_item)


class TxCancelled(Exception):
    """A transaction was cancelled; ``failed`` names the labels whose condition failed."""

    def __init__(self, failed: dict[str, Any]) -> None:
        super().__init__(f"conditions failed: {', '.join(failed)}")
        self.failed = failed


@dataclass
class Tx:
    """A TransactWrite that remembers which label each action has, to read cancellation reasons."""

    token: str | None = None
    _order: dict[str, list[str]] = field(default_factory=lambda: {"check": [], "delete": [], "put": [], "update": []})
    _actions: list[tuple[str, str, tuple[Any, ...], dict[str, Any]]] = field(default_factory=list)

    def put(self, label: str, item: Model, condition: Any = None, *, return_old: bool = False) -> None:
        self._add("put", label, (item,), {"condition": condition, "return_values": "ALL_OLD" if return_old else None})

    def update(self, label: str, item: Model, actions: list[Any], condition: Any = None) -> None:
        self._add("update", label, (item, actions), {"condition": condition, "return_values": "ALL_OLD"})

    def delete(self, label: str, item: Model, condition: Any = None) -> None:
        self._add("delete", label, (item,), {"condition": condition})

    def check(self, label: str, model: type[Model], hash_key: str, condition: Any) -> None:
        """A ConditionCheck: the transaction commits only while the item meets ``condition`` (no write)."""
        self._add("check", label, (model, hash_key), {"condition": condition})

    def _add(self, kind: str, label: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        self._order[kind].append(label)
        self._actions.append((kind, label, args, kwargs))

    def commit(self) -> None:
        labels = self._order["check"] + self._order["delete"] + self._order["put"] + self._order["update"]
        for attempt in range(4):
            try:
                with TransactWrite(connection=_connection(), client_request_token=self.token) as tx:
                    for kind, _label, args, kwargs in self._actions:
                        method: Any = {
                            "check": tx.condition_check,
                            "put": tx.save,
                            "update": tx.update,
                            "delete": tx.delete,
                        }[kind]
                        method(*args, **{k: v for k, v in kwargs.items() if v is not None})
                return
            except TransactWriteError as error:
                reasons = error.cancellation_reasons or []
                codes = [r.code if r else None for r in reasons]
                if "ConditionalCheckFailed" in codes:
                    failed = {
                        labels[i]: (r.raw_item if r else None)
                        for i, r in enumerate(reasons)
                        if r and r.code == "ConditionalCheckFailed"
                    }
                    raise TxCancelled(failed) from error
                if attempt == 3:
                    raise TransientError(f"transaction did not commit: {error.cause_response_code}") from error
                time.sleep(0.05 * 2**attempt)


# ---------------------------------------------------------------- reads


def get_user(user_id: str) -> User | None:
    (item,) = read_many([(m.UserModel, user_id)])
    return to_user(item) if item else None


def get_account(account_id: str) -> Account | None:
    (item,) = read_many([(m.AccountModel, account_id)])
    return to_account(item) if item else None


def get_invitation(invitation_id: str) -> Invitation | None:
    m.bind()
    try:
        return to_invitation(m.InvitationModel.get(invitation_id, consistent_read=True))
    except DoesNotExist:
        return None


@dataclass
class InviteContext:
    caller: User | None
    org: Account | None
    known: dict[str, KnownUser]
    guarded: list[Invitation] = field(default_factory=list)  # what the pending guards of the addresses point at


def load_invite_context(caller_id: str, account_id: str, emails: Iterable[str]) -> InviteContext:
    """Caller, organization, what the e-mail index knows of the invitees and the invitations their pending
    guards point at: one batched read, and a second only for the invitations a guard points at (a
    BatchGetItem holds 100 keys: more of them for 100 invitees). The invitees' own accounts are not read:
    nothing about them goes back to the inviter, and an address of a platform user costs what any other does."""
    emails = list(dict.fromkeys(emails))
    first = read_many(
        [(m.UserModel, caller_id), (m.AccountModel, account_id)]
        + [(m.UserEmailModel, m.UserEmailModel.key(e)) for e in emails]
        + [(m.PendingGuardModel, m.PendingGuardModel.key(account_id, e)) for e in emails]
    )
    caller, org = first[0], first[1]
    email_items, guards = first[2 : 2 + len(emails)], first[2 + len(emails) :]
    known = {
        email: KnownUser(user_id=item.user_id, account_id=item.account_id, language=item.language)
        for email, item in zip(emails, email_items, strict=True)
        if item is not None
    }
    pointed = sorted({g.invitation_id for g in guards if g is not None})
    invitations = read_many([(m.InvitationModel, i) for i in pointed]) if pointed else []
    return InviteContext(
        caller=to_user(caller) if caller else None,
        org=to_account(org) if org else None,
        known=known,
        guarded=[to_invitation(i) for i in invitations if i is not None],
    )


@dataclass
class AcceptContext:
    org: Account | None
    user: User | None
    own_account: Account | None


def load_accept_context(inv: Invitation) -> AcceptContext:
    """The organization, the invitee and their own account, in one batched read (two when stale)."""
    keys: list[Key] = [(m.AccountModel, inv.account_id), (m.UserEmailModel, m.UserEmailModel.key(inv.email))]
    if inv.invitee_user_id:
        keys.append((m.UserModel, inv.invitee_user_id))
    if inv.invitee_account_id:
        keys.append((m.AccountModel, inv.invitee_account_id))
    items = read_many(keys)
    org, email_item = items[0], items[1]
    user = items[2] if inv.invitee_user_id else None
    own = items[-1] if inv.invitee_account_id else None
    if email_item is not None and (
        user is None or user.id != email_item.user_id or (own is None or own.id != email_item.account_id)
    ):
        # the address changed hands since the invite (signed up, or moved): read the current owner
        user, own = read_many([(m.UserModel, email_item.user_id), (m.AccountModel, email_item.account_id)])
    elif email_item is None:
        user, own = None, None
    return AcceptContext(
        org=to_account(org) if org else None,
        user=to_user(user) if user else None,
        own_account=to_account(own) if own else None,
    )


# ---------------------------------------------------------------- cursors


def encode_cursor(last_key: dict[str, Any] | None) -> str | None:
    """The cursor of the next page: where a query's page ended (None: no more)."""
    if not last_key:
        return None
    return base64.urlsafe_b64encode(json.dumps(last_key, separators=(",", ":")).encode()).decode()


def decode_cursor(cursor: str | None, keys: set[str], fits: Callable[[dict[str, str]], bool]) -> dict[str, Any] | None:
    """The start key a cursor stands for. Anything but one of that list's own (exactly ``keys``, all strings,
    whose values ``fits``) is refused (400, not a failed query): DynamoDB rejects a start key of another shape
    or outside the key condition."""
    if not cursor:
        return None
    try:
        key: dict[str, Any] = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        valid = (
            isinstance(key, dict)
            and set(key) == keys
            and all(isinstance(v, dict) and set(v) == {"S"} and isinstance(v["S"], str) for v in key.values())
            and fits({name: value["S"] for name, value in key.items()})
        )
    except (ValueError, TypeError, binascii.Error, AttributeError):
        valid = False
    if not valid:
        raise ValidationFailed("the cursor is not valid for this list", code="invalid_cursor")
    return key


# What a page of the by_account_status query ends on: the table key and the index key, all strings.
_CURSOR_KEYS = {"id", "account_id", "status_key"}


def list_invitations(
    account_id: str, status: str, limit: int, cursor: str | None, email_prefix: str | None = None
) -> tuple[list[Invitation], str | None]:
    m.bind()
    start = decode_cursor(
        cursor, _CURSOR_KEYS, lambda k: k["account_id"] == account_id and k["status_key"].startswith(f"{status}#")
    )
    condition = None
    if email_prefix:
        condition = m.InvitationModel.email.startswith(email_prefix)
    result = m.InvitationModel.by_account_status.query(
        account_id,
        m.InvitationsByAccount.status_key.startswith(f"{status}#"),
        filter_condition=condition,
        scan_index_forward=False,
        limit=limit,
        last_evaluated_key=start,
        page_size=limit,
    )
    # the index holds keys and the e-mail: the page's invitations are read from the table (one BatchGetItem),
    # those that left this status meanwhile are left out
    ids = [item.id for item in result]
    found = read_many([(m.InvitationModel, i) for i in ids])
    items = [to_invitation(item) for item in found if item is not None and item.status == status]
    return items, encode_cursor(result.last_evaluated_key)


def ledger_for(org_account_id: str, limit: int = 50) -> list[LedgerEntry]:
    """The organization's latest ledger entries, newest first."""
    m.bind()
    query = m.LedgerModel.by_org_account.query(org_account_id, scan_index_forward=False, limit=limit)
    return [to_entry(item) for item in query]


# ---------------------------------------------------------------- writes


def key_item(model: type[Model], hash_value: str, range_value: str | None = None) -> Any:
    """An item carrying only its key: what updates and deletes need."""
    hash_name, range_name = _key_names(model)
    values: dict[str, Any] = {hash_name: hash_value}
    if range_name:
        values[range_name] = range_value
    return model(**values)  # type: ignore[arg-type]


def log(kind: str, actor: str, at: datetime, **extra: str) -> Any:
    """The update action that appends one event to an invitation's history."""
    entry: MapAttribute[str, Any] = MapAttribute(**event(kind, actor, at, **extra))
    return m.InvitationModel.history.set(m.InvitationModel.history.append([entry]))


def update_invitation(invitation_id: str, actions: list[Any], condition: Any = None) -> Invitation | None:
    """One conditional UpdateItem; the new invitation, or None when the condition failed. An update that
    left the history longer than it may be trims it (``trim_history``)."""
    item = key_item(m.InvitationModel, invitation_id)
    if not update_if(item, actions, condition):
        return None
    trim_history(item)
    return to_invitation(item)


# An invitation's history keeps its first entry and its latest HISTORY_KEPT; what lies between is replaced by
# one HISTORY_DROPPED entry (how many, and until when). Trimmed in batches of HISTORY_SLACK, so that most
# appends stay one UpdateItem: the history never holds more than 2 + HISTORY_KEPT + HISTORY_SLACK entries
# (and the few that the closing transactions append).
HISTORY_KEPT = 50
HISTORY_SLACK = 10
HISTORY_DROPPED = "earlier_entries_dropped"


def trim_history(item: m.InvitationModel) -> bool:
    """Drop the oldest entries but the first of a history that outgrew its bound, as read in ``item`` (the
    invitation after an update): one UpdateItem on the condition that the history still has that length.
    The SES event ids of the mails only the dropped entries name go too. False when nothing was dropped."""
    history = [dict(e.as_dict() if hasattr(e, "as_dict") else e) for e in (item.history or [])]
    marked = len(history) > 1 and history[1].get("event") == HISTORY_DROPPED
    start = 2 if marked else 1
    body = history[start:]
    if len(body) <= HISTORY_KEPT + HISTORY_SLACK:
        return False
    drop = len(body) - HISTORY_KEPT
    dropped, kept = body[:drop], [history[0], *body[drop:]]
    count = drop + (int(history[1].get("count", 0)) if marked else 0)
    marker: MapAttribute[str, Any] = MapAttribute(
        event=HISTORY_DROPPED, by="system", at=dropped[-1].get("at", ""), count=str(count)
    )
    model = m.InvitationModel
    actions: list[Any] = [model.history[1].set(marker)]  # type: ignore[index]
    actions += [model.history[i].remove() for i in range(2, start + drop)]  # type: ignore[index]
    names = {e["message_id"] for e in kept if e.get("message_id")}
    gone = {e["message_id"] for e in dropped if e.get("message_id")} - names
    stale = {i for i in (item.mail_events or set()) if i.split(":")[1:2] and i.split(":")[1] in gone}
    if stale:
        actions.append(model.mail_events.delete(stale))
    try:
        return update_if(item, actions, size(model.history) == len(history))
    except Exception:  # housekeeping only: the change it follows is made; the next append trims again
        logging.getLogger(__name__).exception("could not trim the history of invitation %s", item.id)
        return False


def update_if(item: Model, actions: list[Any], condition: Any = None) -> bool:
    """One conditional UpdateItem (the item takes the new values); False when the condition failed."""
    try:
        item.update(actions=actions, condition=condition)
    except UpdateError as error:
        if error.cause_response_code == "ConditionalCheckFailedException":
            return False
        raise
    return True
