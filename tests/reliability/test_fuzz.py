"""The HTTP API fuzzed from its committed OpenAPI document (docs/openapi.json) with schemathesis, against
the local stack's front: no 5xx, and every answer (status, content type, body) as the document says.

CI sends ``FUZZ_EXAMPLES`` (default 130) examples per operation, over 1,000 requests across the routes;
``make fuzz-long`` (marked ``slow``, not in CI) sends ten times as many.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from moto import mock_aws
from schemathesis import checks

from local import openapi
from local.stack import MOTO_CONFIG, OUTBOX, deploy, seed
from paid_invites import clock

from ..conftest import NOW
from ..support import Api
from .conftest import Server, seed_data
from .plugin import RECORDER

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "130"))
# No 5xx; every status, content type and body as documented. Not run here: undeclared methods (API
# Gateway answers those itself, before our code) and "a schema-valid request must be accepted" (a valid
# request may still be refused for the state it finds: already invited, cool-down, not pending).
CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_schema_conformance,
    checks.response_headers_conformance,
]
schema = schemathesis.openapi.from_path(str(openapi.DOC))


@pytest.fixture(scope="module")
def api_base() -> Iterator[str]:
    """One stack for the whole fuzz run (the examples of an operation share it, as clients share an API)."""
    import threading

    from local.server import Front

    with mock_aws(config=MOTO_CONFIG):
        stack = deploy({"AcceptBaseUrl": "http://127.0.0.1:3000/invitations/accept"})
        stack.clock.set(NOW)
        OUTBOX.messages.clear()
        seed(seed_data())
        # any method reaches the front (API Gateway answers every method on a known path)
        methods = {f"do_{m}": Front._handle for m in ("HEAD", "OPTIONS", "TRACE", "CONNECT", "QUERY")}
        server = Server(("127.0.0.1", 0), type("FuzzFront", (Front,), {"stack": stack, **methods}))
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, daemon=True).start()
        try:
            yield f"http://127.0.0.1:{server.server_address[1]}"
        finally:
            server.shutdown()
            server.server_close()
            OUTBOX.messages.clear()
    clock.reset()


@functools.cache
def admin_token(base: str) -> str:
    """Arno's ID token (an admin of Acme) from the stack's user pool, once per stack."""
    return Api.over_http(base).id_token("u-arno")


def fuzz(case: Any, base: str) -> None:
    operation = f"{case.method} {case.path}"
    try:
        headers = {"Authorization": admin_token(base)}
        case.call_and_validate(base_url=base, headers=headers, checks=CHECKS, timeout=30)
    except Exception:
        RECORDER.fuzz(operation=operation, failures=1)
        raise
    RECORDER.fuzz(operation=operation)


@pytest.mark.reliability(kind="fuzz")
@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much],
    database=None,
)
def test_the_api_answers_as_documented(case: Any, api_base: str) -> None:
    fuzz(case, api_base)
