"""``Idempotency-Key`` for the admin API's writes, on Powertools idempotency with DynamoDB persistence.

A retried request with the same key, caller and route gets the first answer and does nothing again;
the same key with a different body is refused. The persistence layer (and its client) is made on first
use, never at import time.
"""

from __future__ import annotations

import contextvars
import hashlib
import json
from collections.abc import Callable
from functools import cache
from typing import Any

from .config import get_settings
from .errors import Conflict, DomainError, ValidationFailed

MAX_KEY = 255  # as Stripe's idempotency keys
_pending: contextvars.ContextVar[Callable[[], dict[str, Any]]] = contextvars.ContextVar("pending")


class KeyReused(DomainError):
    code = "idempotency_key_reused"
    status = 422


@cache
def _execute() -> Callable[..., dict[str, Any]]:
    from aws_lambda_powertools.utilities.idempotency import (
        DynamoDBPersistenceLayer,
        IdempotencyConfig,
        idempotent_function,
    )

    persistence = DynamoDBPersistenceLayer(table_name=get_settings().idempotency_table)
    config = IdempotencyConfig(
        event_key_jmespath="[key, scope]",
        payload_validation_jmespath="body",
        expires_after_seconds=24 * 3600,
        raise_on_no_idempotency_key=True,
    )

    @idempotent_function(data_keyword_argument="request", persistence_store=persistence, config=config)
    def execute(request: dict[str, Any]) -> dict[str, Any]:
        return _pending.get()()

    return execute  # type: ignore[no-any-return]


def run_once(key: str | None, scope: str, body: Any, action: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """Run ``action`` (whose result is the answer to replay) once per (key, scope)."""
    if key is None:
        return action()
    if not key.strip() or len(key) > MAX_KEY:
        raise ValidationFailed(f"Idempotency-Key must be 1 to {MAX_KEY} characters", code="invalid_idempotency_key")
    from aws_lambda_powertools.utilities.idempotency.exceptions import (
        IdempotencyAlreadyInProgressError,
        IdempotencyValidationError,
    )

    digest = hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode()).hexdigest()
    token = _pending.set(action)
    try:
        return _execute()(request={"key": key, "scope": scope, "body": digest})
    except IdempotencyValidationError:
        raise KeyReused("this Idempotency-Key was used with a different request") from None
    except IdempotencyAlreadyInProgressError:
        raise Conflict("a request with this Idempotency-Key is still running", code="request_in_progress") from None
    finally:
        _pending.reset(token)
