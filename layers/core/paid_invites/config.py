"""Typed settings, read from the environment once, on first use (never at import time).

Every variable here is set by ``template.yaml`` for the functions that need it; the tests check that.
"""

from __future__ import annotations

import os
from dataclasses import MISSING, dataclass, fields
from functools import lru_cache


@dataclass(frozen=True)
class Settings:
    accounts_table: str
    users_table: str
    invoices_table: str
    invitations_table: str
    ledger_table: str
    idempotency_table: str = ""
    state_machine_arn: str = ""
    event_bus_name: str = "default"
    # the billing bridge (functions/stripe_bridge): it answers on the platform's bus, with the key in one secret
    platform_event_bus_name: str = ""
    platform_events_dead_letter_queue_url: str = ""  # where a malformed platform event goes (platform_events)
    stripe_secret_arn: str = ""
    stripe_api_base: str = ""  # the local stack only: localstripe's URL (never set by the template)
    sender_address: str = "invitations@example.com"
    ses_configuration_set: str = ""
    accept_base_url: str = "http://127.0.0.1:3000/invitations/accept"
    invitation_lifetime_seconds: int = 30 * 24 * 3600
    max_invitees_per_request: int = 100
    frontend_origin: str = ""  # the admin console's origin: CORS on the API functions' answers (http.py)
    reminder_offsets_days: str = "3,7"  # reminders this many days after the (last) send (reminders.py)
    max_reminders: int = 2
    resend_cooldown_seconds: int = 600
    redirect_origins: str = ""  # comma list of origins an invitation's redirect_url may point at (invitations.py)
    imports_table: str = ""  # the bulk import (usecases/bulk_import.py): the invite and import-rows functions
    import_state_machine_arn: str = ""
    max_pending_invitations: int = 10_000
    max_invitations_per_day: int = 10_000  # one full 9,999-row CSV import a day
    trace_subsegments: str = "false"  # "true": X-Ray SDK subsegments for every AWS call (observability.py)
    # signing in to accept (identity.py, the accept function): the platform's user pool and our app client
    cognito_issuer: str = ""  # https://cognito-idp.<region>.amazonaws.com/<pool id>
    cognito_client_id: str = ""  # the accept flow's app client (the ID token's audience)
    cognito_frontend_client_ids: str = ""  # app clients of frontends that send their own ID tokens (comma list)
    cognito_domain: str = ""  # the pool's managed login, e.g. https://<prefix>.auth.<region>.amazoncognito.com
    sessions_table: str = ""  # the accept flow's short server-side sessions (store/sessions.py)
    session_ttl_seconds: int = 1800
    # settling the money (settlement.py): "builtin" books it complete, "external" asks a billing system
    billing_mode: str = "builtin"
    settlement_answer_seconds: int = 86400  # a billing request unanswered this long is reported (sweep)

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        source = os.environ if env is None else env
        values: dict[str, object] = {}
        for field in fields(cls):
            raw = source.get(field.name.upper(), "")
            if raw:
                values[field.name] = int(raw) if field.type == "int" else raw
        missing = [f.name.upper() for f in fields(cls) if f.default is MISSING and f.name not in values]
        if missing:
            raise RuntimeError(f"missing environment variables: {', '.join(missing)}")
        return cls(**values)  # type: ignore[arg-type]


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings.from_env()


def reload() -> Settings:
    """Forget the cached settings (the local stack and tests call this after changing the environment)."""
    get_settings.cache_clear()
    return get_settings()
