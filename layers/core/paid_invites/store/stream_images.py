"""Items as the invitations table's stream carries them (DynamoDB JSON images), read as domain values."""

from __future__ import annotations

from typing import Any

from ..invitations import Invitation
from . import models as m
from .mapping import to_invitation


def invitation_of(image: dict[str, Any] | None) -> Invitation | None:
    """The invitation an image holds; None for no image or an item of another kind (guards, counts,
    suppressions share the table: an invitation is the item with a ``status_key``)."""
    if not image or "status_key" not in image:
        return None
    return to_invitation(m.InvitationModel.from_raw_data(image))
