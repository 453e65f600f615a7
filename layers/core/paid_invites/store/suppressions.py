"""Our suppression list: the addresses that complained. No mail goes to them any more."""

from __future__ import annotations

from datetime import datetime

from pynamodb.exceptions import DoesNotExist, PutError

from . import models as m


def suppress(email: str, reason: str, at: datetime, message_id: str | None = None) -> bool:
    """Put the address on our suppression list; False when it was on it already."""
    m.bind()
    item = m.SuppressionModel(id=m.SuppressionModel.key(email), reason=reason, at=at, message_id=message_id)
    try:
        item.save(m.SuppressionModel.id.does_not_exist())
    except PutError as error:
        if error.cause_response_code == "ConditionalCheckFailedException":
            return False
        raise
    return True


def suppression(email: str) -> str | None:
    """Why no mail may go to this address, or None (one consistent read)."""
    m.bind()
    try:
        return str(m.SuppressionModel.get(m.SuppressionModel.key(email), consistent_read=True).reason)
    except DoesNotExist:
        return None
