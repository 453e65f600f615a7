"""The accept page's sessions: who signed in, for a short while, behind a random id in a cookie.

Only the SHA-256 of the id is stored (a read of the table gives nobody a session). A session ends at its
``expires`` (checked here on every read; DynamoDB's TTL removes the item later, best effort). The sessions
live in their own table (``SESSIONS_TABLE``), which only the accept function is given.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from pynamodb.attributes import BooleanAttribute, NumberAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.connection.table import TableConnection
from pynamodb.exceptions import DoesNotExist

from . import models as m


class SessionModel(m._Model):
    """``session#<sha256 of the cookie's id>``: whose session, until when."""

    class Meta:
        table_name = "sessions"

    id = UnicodeAttribute(hash_key=True)
    sub = UnicodeAttribute()
    email = UnicodeAttribute(null=True)
    email_verified = BooleanAttribute(default=False)
    created_at = UTCDateTimeAttribute()
    expires = NumberAttribute()  # epoch seconds (the table's TTL attribute)

    @classmethod
    def _get_connection(cls) -> TableConnection:
        bind()
        return super()._get_connection()


bind = m.TableBinding("sessions_table", SessionModel)


@dataclass(frozen=True)
class Session:
    sub: str
    email: str | None
    email_verified: bool
    expires: int  # epoch seconds


def _key(session_id: str) -> str:
    return "session#" + hashlib.sha256(session_id.encode()).hexdigest()


def start(session_id: str, sub: str, email: str | None, email_verified: bool, at: datetime, ttl_seconds: int) -> int:
    """Store a new session; its end (epoch seconds)."""
    expires = int(at.timestamp()) + ttl_seconds
    item = SessionModel(
        id=_key(session_id), sub=sub, email=email, email_verified=email_verified, created_at=at, expires=expires
    )
    item.save(SessionModel.id.does_not_exist())
    return expires


def find(session_id: str, at: datetime) -> Session | None:
    """The live session behind this id, or None (unknown, or ended)."""
    try:
        item = SessionModel.get(_key(session_id), consistent_read=True)
    except DoesNotExist:
        return None
    if int(item.expires) <= int(at.timestamp()):
        return None
    return Session(sub=item.sub, email=item.email, email_verified=bool(item.email_verified), expires=int(item.expires))


def end(session_id: str) -> None:
    """Forget the session (signing out, or another person signing in on this browser)."""
    SessionModel(id=_key(session_id)).delete()
