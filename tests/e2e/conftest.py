"""The local stack in its own process, as a person runs it (``python -m local.server``), for e2e tests.

``local_stack`` is one stack per test session (it takes a few seconds to start): its base URL. It is
shared, so a test uses its own addresses (``unique_address``) and checks for what it did rather than
for everything; a test that moves the stack's clock (``POST /_local/clock``) puts it back when done
(see ``clock_put_back`` in test_lifecycle_http.py). ``http`` speaks JSON to it.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from local.server import launched

from ..conftest import SEED


@pytest.fixture(scope="session")
def local_stack() -> Iterator[str]:
    """``python -m local.server --port <free> --seed tests/seed.json``, started once; stopped at the end."""
    with launched(SEED) as url:
        yield url


@dataclass
class Answer:
    status: int
    body: str
    headers: dict[str, str]

    @property
    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Http:
    """Requests to the local stack: JSON bodies, ``caller`` as the bearer (the local stand-in for Cognito)."""

    base: str

    def call(self, method: str, path: str, body: Any = None, caller: str | None = None, **headers: str) -> Answer:
        sent = {"Accept": "application/json", **headers}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            sent["Content-Type"] = "application/json"
        if caller:
            sent["Authorization"] = f"Bearer {caller}"
        request = urllib.request.Request(self.base + path, data=data, method=method, headers=sent)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return Answer(response.status, response.read().decode(), dict(response.headers))
        except urllib.error.HTTPError as error:
            return Answer(error.code, error.read().decode(), dict(error.headers))

    def get(self, path: str, caller: str | None = None, **headers: str) -> Answer:
        return self.call("GET", path, caller=caller, **headers)

    def post(self, path: str, body: Any = None, caller: str | None = None, **headers: str) -> Answer:
        return self.call("POST", path, body if body is not None else {}, caller=caller, **headers)

    def delete(self, path: str, caller: str | None = None) -> Answer:
        return self.call("DELETE", path, caller=caller)


@pytest.fixture
def http(local_stack: str) -> Http:
    return Http(local_stack)


@pytest.fixture
def unique_address() -> str:
    """An address nobody else in the shared stack uses (new to the platform)."""
    return f"e2e-{uuid.uuid4().hex[:12]}@example.org"
