"""moto's Step Functions interpreter reuses its AWS client instead of making one per task.

For every Lambda invocation (and every other service integration) of a state machine, moto's interpreter
creates a new boto3 client (``boto_client_for``: the service model loaded into a new client, a new connection
pool, so a new TCP connection to the moto server each time). Step Functions invokes a task without creating
anything of the caller's. A bulk import runs about one task per invitation, and the client's creation was a
visible share of the server's CPU there. Here a client is made once per region, service and endpoint and
shared (botocore clients are safe to share between threads). The interpreter hands every task its state's
credentials, but moto's ``boto_client_for`` makes the same client whatever they are (key "ak", secret "sk"),
so they are not part of the key. A task finds its client without taking a lock; the lock only guards making
one. Every task taking it stalled the workflows: with the pool's worker threads queued on it, each hand-over
also waited for the GIL, and while another thread kept the interpreter busy (a test polling a queue) 200
executions took over a minute to send their tokens instead of a few seconds.

Wraps ``boto_client_for`` (``moto.stepfunctions.parser.asl.utils.boto_client``) where the interpreter's
modules imported it. Tested by every integration test that runs a workflow.
"""

from __future__ import annotations

import threading
from importlib import import_module
from typing import Any

LIBRARY = "moto"
VERSIONS = ">=5.2.5,<5.3"

_PARSER = "moto.stepfunctions.parser.asl.component.state.exec.state_task"
USERS = (
    f"{_PARSER}.lambda_eval_utils",
    f"{_PARSER}.service.state_task_service_dynamodb",
    f"{_PARSER}.service.state_task_service_sqs",
    f"{_PARSER}.service.state_task_service_sns",
    f"{_PARSER}.service.state_task_service_events",
    f"{_PARSER}.service.state_task_service_sfn",
    f"{_PARSER}.service.state_task_service_aws_sdk",
)


def apply() -> None:
    from moto.core.models import botocore_stubber
    from moto.settings import moto_server_port
    from moto.stepfunctions.parser.asl.utils import boto_client

    original = boto_client.boto_client_for
    clients: dict[tuple[Any, ...], Any] = {}
    lock = threading.Lock()

    def boto_client_for(region: str, service: str, state_credentials: Any = None) -> Any:
        key = (region, service, botocore_stubber.enabled, moto_server_port())
        client = clients.get(key)
        if client is None:
            with lock:
                client = clients.get(key)
                if client is None:
                    client = clients[key] = original(region, service, state_credentials)
        return client

    boto_client.boto_client_for = boto_client_for  # type: ignore[assignment]
    for name in USERS:
        module = import_module(name)
        if getattr(module, "boto_client_for", None) is original:
            module.boto_client_for = boto_client_for  # type: ignore[attr-defined]
