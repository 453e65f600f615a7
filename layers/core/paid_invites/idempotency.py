"""``Idempotency-Key`` for the admin API's writes, on Powertools idempotency with DynamoDB persistence.

A retried request with the same key, caller and route gets the first answer and does nothing again;
the same key with a different body is refused. The persistence layer (and its client) is made on first
use, never at import time.

While a request runs, its record is "in progress" until the invocation's own timeout (the handler hands
its Lambda context over with :func:`register_context`): a request that timed out does not keep its key
busy for the record's whole lifetime, the same key runs again once that invocation's time is up.
"""

from __future__ import annotations

import contextvars
import hashlib
import json
from collections.abc import Callable
from functools import cache
from typing import TYPE_CHECKING, Any

from .config import get_settings
from .errors import Conflict, DomainError, ValidationFailed

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig
    from aws_lambda_powertools.utilities.typing import LambdaContext

MAX_KEY = 255  # as Stripe's idempotency keys
_pending: contextvars.ContextVar[Callable[[], dict[str, Any]]] = contextvars.ContextVar("pending")
_invocation: list[LambdaContext] = []  # the current invocation's context (register_context)


class KeyReused(DomainError):
    code = "idempotency_key_reused"
    status = 422


@cache
def _config() -> IdempotencyConfig:
    from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig

    return IdempotencyConfig(
        event_key_jmespath="[key, scope]",
        payload_validation_jmespath="body",
        expires_after_seconds=24 * 3600,
        raise_on_no_idempotency_key=True,
    )


def register_context(context: LambdaContext) -> None:
    """The invocation's context, so that an in-progress record expires when this invocation times out.

    Call it at the start of every invocation of a handler that uses :func:`run_once`. Only kept here: Powertools'
    idempotency (and boto3, which its persistence layer imports) is loaded by a request with a key, not by every
    cold start of the handler."""
    _invocation[:] = [context]


@cache
def _execute() -> Callable[..., dict[str, Any]]:
    from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer, idempotent_function

    persistence = DynamoDBPersistenceLayer(table_name=get_settings().idempotency_table)

    @idempotent_function(data_keyword_argument="request", persistence_store=persistence, config=_config())
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

    if not _invocation:
        raise RuntimeError("register_context(context) was not called: an in-progress key would never expire")
    _config().register_lambda_context(_invocation[0])
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
