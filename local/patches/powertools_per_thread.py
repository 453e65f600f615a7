"""Each thread of the local stack has its own request in Powertools' event handler.

Powertools keeps the event being handled on its router *class* (``BaseRouter.current_event``,
``lambda_context``) and the route's arguments in the resolver's ``context``: right in a Lambda container,
which handles one invocation at a time, wrong in the local stack, where every function runs in one process
and the HTTP front serves requests on threads. Two requests at once (the reliability suite's races: an accept
racing a revoke, ten accepts at once) could then read each other's event: a revoke saw the accept's request,
without its caller, and answered 401.

Here those three are per thread: ``resolve`` keeps its event and context for the thread that called it, and
the resolver reads them back from there. What Powertools does with them is its own code, unchanged.

Replaces ``ApiGatewayResolver.resolve`` and its ``current_event``, ``lambda_context`` and ``context``
(``aws_lambda_powertools.event_handler.api_gateway``). Tested in ``tests/local/test_powertools_patches.py``.
"""

from __future__ import annotations

import threading
from typing import Any

LIBRARY = "aws-lambda-powertools"
VERSIONS = "==3.37.*"

_local = threading.local()


def _per_thread(name: str) -> property:
    def get(self: Any) -> Any:
        try:
            return _local.__dict__[(name, id(self))]  # type: ignore[index]
        except KeyError:
            raise AttributeError(name) from None

    def put(self: Any, value: Any) -> None:
        _local.__dict__[(name, id(self))] = value  # type: ignore[index]

    return property(get, put)


def apply() -> None:
    from aws_lambda_powertools.event_handler.api_gateway import ApiGatewayResolver

    original = ApiGatewayResolver.resolve

    def resolve(self: ApiGatewayResolver, event: dict[str, Any], context: Any) -> dict[str, Any]:
        self.context = {}  # this thread's; Powertools clears it after each event
        self.current_event = self._to_proxy_event(event)
        self.lambda_context = context
        return original(self, event, context)

    for name in ("current_event", "lambda_context", "context"):
        setattr(ApiGatewayResolver, name, _per_thread(name))
    ApiGatewayResolver.resolve = resolve  # type: ignore[method-assign,assignment]
