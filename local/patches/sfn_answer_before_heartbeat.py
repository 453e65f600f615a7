"""A task token answered while its task's Lambda still runs is heard.

For a ``waitForTaskToken`` task with ``HeartbeatSeconds`` moto's interpreter registers the token before it
invokes the function, but builds the heartbeat waiter only after the function returned, and then waits on that
waiter alone: a SendTaskSuccess or SendTaskFailure that came in between is accepted (its caller sees success)
and never reaches the execution, which sleeps until the heartbeat times out (our invitation's lifetime:
30 days). Step Functions takes the answer whenever it comes. Here a heartbeat waiter set up for a token
already answered starts notified. Ours hit it when an accept, a revoke or the job's expiry came within
milliseconds of the invitation e-mail.

Wraps ``CallbackEndpoint.setup_heartbeat_endpoint`` (``moto.stepfunctions.parser.asl.eval.callback``).
Tested in ``tests/local/test_moto_patches.py``.
"""

from __future__ import annotations

LIBRARY = "moto"
VERSIONS = ">=5.2.5,<5.3"


def apply() -> None:
    from moto.stepfunctions.parser.asl.eval.callback.callback import CallbackEndpoint, HeartbeatEndpoint

    original = CallbackEndpoint.setup_heartbeat_endpoint

    def setup_heartbeat_endpoint(self: CallbackEndpoint, heartbeat_seconds: int) -> HeartbeatEndpoint:
        endpoint = original(self, heartbeat_seconds=heartbeat_seconds)
        if self.get_outcome() is not None:  # answered before the waiter existed (notify() found none)
            endpoint.notify()
        return endpoint

    CallbackEndpoint.setup_heartbeat_endpoint = setup_heartbeat_endpoint  # type: ignore[method-assign]
