"""AWS clients, created on first use and kept for the container's life (never at import time)."""

from __future__ import annotations

from functools import cache
from typing import Any


@cache
def client(service: str) -> Any:
    import boto3  # imported here so that a handler that never calls AWS does not pay for it

    return boto3.client(service)


def reset() -> None:
    """Forget the clients (tests and the local stack call this when the endpoint changes)."""
    client.cache_clear()


def error_code(error: Exception) -> str:
    """The AWS error code of a botocore ClientError ("" for anything else)."""
    return str(getattr(error, "response", {}).get("Error", {}).get("Code", ""))
