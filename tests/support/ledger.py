"""The ledger entries of one invitation, read straight from the table (what the tests count)."""

from __future__ import annotations

from paid_invites.store import models as m


def ledger_of_invitation(invitation_id: str) -> list[m.LedgerModel]:
    m.bind()
    return list(m.LedgerModel.query(invitation_id, consistent_read=True))
