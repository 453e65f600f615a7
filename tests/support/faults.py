"""Races that really start together, and the faults the reliability suite (and the IAM story) inject.

Faults are injected from outside the code under test only:

- ``client_fault``: a botocore ``before-call`` hook on the client our code uses (``paid_invites.aws.client``)
  raises the service's error, as an SDK call that ran out of retries would;
- ``moto_fault``: moto answers an operation with the service's error response, so botocore parses it and
  applies its own retries, exactly as against AWS;
- ``times_out``: the Lambda bridge reports a function error ``Sandbox.Timedout`` after the handler ran
  (the Lambda runtime's error for a function that hit its timeout).
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import pytest
from botocore.exceptions import ClientError
from moto.core.exceptions import JsonRESTError

from local import bridge
from paid_invites import aws


def together(*calls: Callable[[], Any], timeout: float = 60.0) -> list[Any]:
    """Run the calls in their own threads, released at the same instant by a barrier; their results in order."""
    start = threading.Barrier(len(calls), timeout=timeout)

    def released(call: Callable[[], Any]) -> Any:
        start.wait()
        return call()

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        futures = [pool.submit(released, call) for call in calls]
        return [f.result(timeout=timeout) for f in futures]


# ---------------------------------------------------------------- faults


@dataclass
class Fault:
    """How often a fault was injected, and the calls it let through."""

    injected: int = 0
    passed: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)
    holding: threading.Event = field(default_factory=threading.Event)  # a held call has started (hold_retry)

    def take(self, times: int | None) -> bool:
        """True when this call gets the fault (the first ``times`` calls; all of them when None)."""
        with self.lock:
            if times is None or self.injected < times:
                self.injected += 1
                return True
            self.passed += 1
            return False


@contextlib.contextmanager
def client_fault(
    service: str,
    operation: str,
    code: str,
    times: int | None,
    status: int = 400,
    error: Callable[[], Exception] | None = None,
) -> Iterator[Fault]:
    """The next ``times`` calls of ``operation`` on our client of ``service`` fail with ``code`` (or ``error()``)."""
    client = aws.client(service)
    fault = Fault()
    event = f"before-call.{client.meta.service_model.service_id.hyphenize()}.{operation}"

    def hook(**_: Any) -> None:
        if fault.take(times):
            if error is not None:
                raise error()
            response = {"Error": {"Code": code, "Message": "injected"}, "ResponseMetadata": {"HTTPStatusCode": status}}
            raise ClientError(response, operation)  # type: ignore[arg-type]

    client.meta.events.register(event, hook, unique_id=f"reliability-{id(fault)}")
    try:
        yield fault
    finally:
        client.meta.events.unregister(event, unique_id=f"reliability-{id(fault)}")


def moto_fault(
    monkeypatch: pytest.MonkeyPatch,
    response_class: type,
    method: str,
    make_error: Callable[[], Exception],
    times: int | None,
    when: Callable[[Any], bool] = lambda _: True,
) -> Fault:
    """moto answers ``method`` of ``response_class`` with ``make_error()`` (a moto error: an HTTP error
    response), the first ``times`` times that ``when(response)`` holds."""
    fault = Fault()
    original = getattr(response_class, method)

    def failing(self: Any) -> Any:
        if when(self) and fault.take(times):
            raise make_error()
        return original(self)

    monkeypatch.setattr(response_class, method, failing)
    return fault


def moto_error(code: str, message: str, status: int = 400, prefix: str = "") -> JsonRESTError:
    error = JsonRESTError(prefix + code, message)
    error.code = status
    return error


@contextlib.contextmanager
def breaks(function: str, error: Callable[[], Exception]) -> Iterator[Fault]:
    """Every invocation of the bridged Lambda ``function`` fails with ``error()`` before its handler runs, as a
    broken deployment of it does."""
    fault = Fault()
    original = bridge.invoke

    def invoke(fn: Any, event: dict[str, Any]) -> Any:
        if fn.logical_id == function and fault.take(None):
            raise error()
        return original(fn, event)

    bridge.invoke = invoke
    try:
        yield fault
    finally:
        bridge.invoke = original


SandboxTimedout = type("Sandbox.Timedout", (Exception,), {})  # the runtime's errorType for a timed-out function


def times_out(
    monkeypatch: pytest.MonkeyPatch,
    function: str,
    when: Callable[[dict[str, Any]], bool],
    times: int = 1,
    hold_retry: threading.Event | None = None,
) -> Fault:
    """The bridged Lambda ``function`` runs its handler to the end, then reports ``Sandbox.Timedout``, as a
    function does whose work was done when its timeout hit (the first ``times`` invocations ``when`` matches).
    ``hold_retry``: the invocations after those wait for this event before they run."""
    fault = Fault()
    original = bridge.invoke

    def invoke(fn: Any, event: dict[str, Any]) -> Any:
        if fn.logical_id != function or not when(event):
            return original(fn, event)
        if fault.injected >= times and hold_retry is not None:
            fault.holding.set()
            hold_retry.wait(timeout=60)
        result = original(fn, event)
        if fault.take(times):
            raise SandboxTimedout("Task timed out after 30.00 seconds")
        return result

    monkeypatch.setattr(bridge, "invoke", invoke)
    return fault
