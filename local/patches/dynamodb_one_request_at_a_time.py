"""One DynamoDB request at a time in moto, as DynamoDB applies each request atomically.

moto's in-memory tables are plain dicts and its request handler takes no lock: a query racing a workflow
thread's write can fail with "dictionary changed size during iteration", and two transactions can interleave
their condition checks and writes. Real DynamoDB does neither. Here moto's DynamoDB requests are served one at
a time (DynamoDB requests never call back into moto, so one lock cannot deadlock).

Wraps ``moto.dynamodb.responses.DynamoHandler.call_action``. Exercised by the reliability suite's races.
"""

from __future__ import annotations

import threading
from typing import Any

LIBRARY = "moto"
VERSIONS = ">=5.2.5,<5.3"


def apply() -> None:
    from moto.dynamodb.responses import DynamoHandler

    original = DynamoHandler.call_action
    lock = threading.Lock()

    def call_action(self: DynamoHandler) -> Any:
        with lock:
            return original(self)

    DynamoHandler.call_action = call_action  # type: ignore[method-assign]
