"""The default limits as deployed: one full CSV import of a paid organization goes through in a day."""

from __future__ import annotations

from dataclasses import fields

from paid_invites.config import Settings
from paid_invites.csv_upload import MAX_ROWS

from .sam import transformed


def test_the_default_daily_and_pending_limits_let_one_full_import_through() -> None:
    # Given the template's defaults and the code's own (used when a variable is unset)
    parameters = transformed().source["Parameters"]
    defaults = {f.name: f.default for f in fields(Settings)}
    # Then both say the same, and neither stops the rows of one full file
    for name, field in (
        ("MaxInvitationsPerDay", "max_invitations_per_day"),
        ("MaxPendingInvitations", "max_pending_invitations"),
    ):
        assert int(parameters[name]["Default"]) == defaults[field], name
        assert defaults[field] >= MAX_ROWS, f"{name}: a {MAX_ROWS:,}-row import would be cut short"
