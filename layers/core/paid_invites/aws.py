"""AWS clients: one botocore session per container, each client made on first use and kept (never at import).

botocore directly, not boto3: the functions only need clients, and boto3's import is the part of it they
would not use. Every client (and pynamodb's DynamoDB client, ``store/models.py``) comes from the one
session, so the SDK's endpoint and service data are loaded once per container, not once per client.
"""

from __future__ import annotations

import threading
from typing import Any

_lock = threading.Lock()
_session: Any = None
_clients: dict[str, Any] = {}


def session() -> Any:
    """The container's botocore session (credentials, region and endpoint from the environment)."""
    global _session
    with _lock:
        if _session is None:
            import botocore.session  # imported here so that a handler that never calls AWS does not pay for it

            _session = botocore.session.get_session()
        return _session


def client(service: str) -> Any:
    found = _clients.get(service)
    if found is None:
        made = session().create_client(service)
        with _lock:
            found = _clients.setdefault(service, made)
    return found


def reset() -> None:
    """Forget the session and the clients (tests and the local stack call this when the endpoint changes)."""
    global _session
    with _lock:
        _session = None
        _clients.clear()


def error_code(error: Exception) -> str:
    """The AWS error code of a botocore ClientError ("" for anything else)."""
    return str(getattr(error, "response", {}).get("Error", {}).get("Code", ""))
