"""Fixtures: each test gets a fresh moto AWS with the template's stack deployed and the seed loaded.

The real ASL runs on moto's Step Functions interpreter; the Lambda tasks it invokes are routed to the
real handlers in this process (local/bridge.py).
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from moto import mock_aws

from local import bridge
from local.stack import MOTO_CONFIG, OUTBOX, Stack, deploy, seed
from paid_invites import clock

from .support import Api

# The reliability suite's counters and report table (tests/reliability/plugin.py), for every run.
pytest_plugins = ["tests.reliability.plugin"]

SEED = Path(__file__).parent / "seed.json"
# The seed's subscriptions are written around this moment; tests start the clock here.
NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)

os.environ["TZ"] = "UTC"
for key, value in {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
}.items():
    os.environ[key] = value
os.environ.pop("AWS_ENDPOINT_URL", None)


def seed_data() -> dict[str, Any]:
    return json.loads(SEED.read_text())


@pytest.fixture
def parameters() -> dict[str, str]:
    """Template parameters for this test; override the fixture to change one."""
    return {}


@pytest.fixture
def world() -> dict[str, Any]:
    """The seed this test's stack is loaded with; a suite overrides the fixture to bring its own."""
    return seed_data()


@pytest.fixture
def stack(parameters: dict[str, str], world: dict[str, Any]) -> Iterator[Stack]:
    with mock_aws(config=MOTO_CONFIG):
        deployed = deploy({"AcceptBaseUrl": "http://127.0.0.1:3000/invitations/accept", **parameters})
        deployed.clock.set(NOW)
        OUTBOX.messages.clear()
        seed(world)
        yield deployed
        deployed.stop_executions()
        _until_idle(10.0)  # a handler mid-run (stopping its execution does not stop it) finishes in this mock
        OUTBOX.messages.clear()
    clock.reset()


def _until_idle(timeout: float) -> None:
    """Give the state machines' running handlers up to ``timeout`` to return (a test that holds one on
    purpose has released it or stopped caring; none is waited for longer)."""
    deadline = time.monotonic() + timeout
    while not bridge.idle() and time.monotonic() < deadline:
        time.sleep(0.02)


@pytest.fixture
def api(stack: Stack) -> Api:
    return Api.in_process(stack)
