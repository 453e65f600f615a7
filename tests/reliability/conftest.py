"""Fixtures of the reliability suite: the template's stack on an in-process moto with this suite's seed,
served over real HTTP by the local stack's own front (``local.server.Front``) in a thread, so that races
are real concurrent requests on sockets while the test can still read every table and inject faults.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from local.server import Front
from local.stack import Stack

from ..support import Api
from ..support.event_schemas import published
from .invariants import Report, check, quiet
from .plugin import Recorder

SEED = Path(__file__).parent / "seed.json"


def seed_data() -> dict[str, Any]:
    return json.loads(SEED.read_text())


@pytest.fixture
def world() -> dict[str, Any]:
    """The tests' stack (tests/conftest.py), loaded with this suite's seed."""
    return seed_data()


class Server(ThreadingHTTPServer):
    # the listen backlog: socketserver's default of 5 resets connections when 20 arrive at once
    request_queue_size = 128


@pytest.fixture
def front(stack: Stack) -> Iterator[Api]:
    """The local stack's HTTP front on a free port, one thread per request (as ``make run`` serves it)."""
    handler = type("ReliabilityFront", (Front,), {"stack": stack})
    server = Server(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, name="front", daemon=True)
    thread.start()
    try:
        yield Api.over_http(f"http://127.0.0.1:{server.server_address[1]}")
    finally:
        server.shutdown()
        server.server_close()


class Events:
    """What reached the settlement bus during the test (the queue is drained as it is read)."""

    def __init__(self, stack: Stack) -> None:
        self.stack = stack
        self.seen: list[dict[str, Any]] = []

    def all(self) -> list[dict[str, Any]]:
        self.seen += published(self.stack)
        return self.seen


@pytest.fixture
def events(stack: Stack) -> Events:
    return Events(stack)


@pytest.fixture
def invariants(stack: Stack, events: Events, reliability: Recorder) -> Any:
    """``invariants()``: wait for the workflows to end, check every invariant, report it, return the report."""

    def run(timeout: float = 60.0, licenses_cut: dict[str, int] | None = None) -> Report:
        """``licenses_cut``: licenses billing took away from an account during the test."""
        quiet(stack, timeout)
        data = seed_data()
        for acc in data["accounts"]:
            acc["licenses"] = acc.get("licenses", 0) - (licenses_cut or {}).get(acc["id"], 0)
        report = check(data, events.all())
        reliability.invariants(report)
        return report

    return run
