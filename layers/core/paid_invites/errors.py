"""Domain errors. Each has a machine-readable ``code`` and the HTTP status the API maps it to.

The class names are part of the workflow contract: the state machine's Retry and Catch name them
(``TransientError``, ``MailThrottled``, ``InvitationExpired``, ``InvitationRevoked``,
``SettlementRefused``).
"""

from __future__ import annotations

from typing import Any, ClassVar


class DomainError(Exception):
    code, status = "domain_error", 400

    def __init__(self, message: str, *, details: Any = None, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details
        if code:
            self.code = code


class ValidationFailed(DomainError):
    code, status = "validation_failed", 400


class Unauthorized(DomainError):
    code, status = "unauthorized", 401


class Forbidden(DomainError):
    code, status = "forbidden", 403


class NotFound(DomainError):
    code, status = "not_found", 404


class Conflict(DomainError):
    code, status = "conflict", 409


class TooManyRequests(DomainError):
    code, status = "too_many_requests", 429


class ServiceUnavailable(DomainError):
    """A service we depend on cannot do its part now; nothing was changed, and the same request may be
    retried (``details["retry_after_seconds"]``, sent as ``Retry-After``)."""

    code, status = "service_unavailable", 503


class AcceptRefused(DomainError):
    """The invitee cannot accept (now). ``code`` names the page to show; ``words`` fill it in."""

    status = 409
    STATUS: ClassVar[dict[str, int]] = {
        "unknown_link": 404,
        "expired": 410,
        "revoked": 410,
        "organization_closed": 410,
        "choice_required": 400,
        "sign_in_required": 401,
        "wrong_account": 403,
        "csrf_failed": 403,
    }

    def __init__(self, message: str, *, details: Any = None, code: str | None = None) -> None:
        super().__init__(message, details=details, code=code)
        self.status = self.STATUS.get(self.code, 409)
        self.words: dict[str, str] = {}


class MalformedPlatformEvent(DomainError):
    """An event from the platform that does not match its model (or contradicts the directory, as an e-mail
    address another user has): applied nowhere, sent to the dead-letter queue with this reason."""

    code, status = "malformed_platform_event", 400


class TransientError(Exception):
    """Something worth retrying (throttling, a transaction conflict). Named in the ASL's Retry."""


class MailThrottled(TransientError):
    """SES refused for rate reasons; the state machine retries with backoff."""


class InvitationExpired(Exception):
    """Sent as the task failure when the scheduled job expires an invitation; the ASL catches it."""


class InvitationRevoked(Exception):
    """Sent as the task failure when an admin revokes an invitation; the ASL catches it."""


class SettlementRefused(Exception):
    """The acceptance handed to Settle disagrees with the invitation (not accepted, another choice or invitee):
    nothing is booked. Never retried: the ASL's Settle step catches it and records it on the invitation."""
