"""The local stack in its own process, as a person runs it (``python -m local.server``), for e2e tests.

``local_stack`` is one stack per test session (it takes a few seconds to start): its base URL. It is
shared, so a test uses its own addresses (``unique_address``) and checks for what it did rather than
for everything; a test that moves the stack's clock (``POST /_local/clock``) puts it back when done
(see ``clock_put_back`` in test_lifecycle_http.py). ``http`` is the tests' API client over HTTP to it.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from local.server import launched

from ..conftest import SEED
from ..support import Api


def started() -> Iterator[str]:
    """``python -m local.server --port <free> --seed tests/seed.json`` in its own process: its base URL, until
    the generator is closed (then it is stopped)."""
    with launched(SEED) as url:
        yield url


@pytest.fixture(scope="session")
def local_stack() -> Iterator[str]:
    """The stack the e2e tests share, started once; stopped at the end."""
    yield from started()


@pytest.fixture
def http(local_stack: str) -> Api:
    """The API client over HTTP to the shared stack."""
    return Api.over_http(local_stack)


@pytest.fixture
def unique_address() -> str:
    """An address nobody else in the shared stack uses (new to the platform)."""
    return f"e2e-{uuid.uuid4().hex[:12]}@example.org"
