"""Powertools' Logger and Metrics, and per-call trace subsegments when asked for: made the one way every
handler uses them.

Tracing is Lambda's active tracing (``Tracing: Active``): Lambda records each invocation's segment and the
service map without any SDK in the function. Subsegments for each AWS call need the X-Ray SDK (through
Powertools' Tracer), which costs about 25 ms of every cold start and whose support ends on 2027-02-25; they are
on only where the function's environment says ``TRACE_SUBSEGMENTS=true`` (the template's ``TraceSubsegments``
parameter). Otherwise the SDK is never imported.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from aws_lambda_powertools.logging import Logger
from aws_lambda_powertools.metrics import Metrics

from .config import get_settings

if TYPE_CHECKING:
    from aws_lambda_powertools import Tracer

F = TypeVar("F", bound=Callable[..., Any])


class Tracing:
    """Powertools' Tracer's two decorators, deciding at the first call whether subsegments are recorded.

    The decision reads the settings once, when the function is first called (not when the handler module is
    imported); with subsegments off, the decorated function runs as it is.
    """

    def __init__(self) -> None:
        self._tracer: Tracer | None = None
        self._decided = False

    def tracer(self) -> Tracer | None:
        """Powertools' Tracer when ``TRACE_SUBSEGMENTS`` is ``true``, else None (the X-Ray SDK stays unloaded)."""
        if not self._decided:
            if get_settings().trace_subsegments.strip().lower() == "true":
                from aws_lambda_powertools import Tracer

                # X-Ray traces every AWS call through botocore, pynamodb's too; patching pynamodb as well
                # (``patch_all``) would record each DynamoDB call a second time and parse its response again.
                self._tracer = Tracer(patch_modules=("botocore",))
            self._decided = True
        return self._tracer

    def _lazy(self, function: F, decorate: Callable[[Tracer], Callable[[F], F]]) -> F:
        chosen: list[Callable[..., Any]] = []

        @functools.wraps(function)
        def call(*args: Any, **kwargs: Any) -> Any:
            if not chosen:
                tracer = self.tracer()
                chosen.append(decorate(tracer)(function) if tracer else function)
            return chosen[0](*args, **kwargs)

        return call  # type: ignore[return-value]

    def capture_lambda_handler(self, handler: F) -> F:
        return self._lazy(handler, lambda tracer: tracer.capture_lambda_handler)  # type: ignore[arg-type,return-value]

    def capture_method(self, method: F) -> F:
        return self._lazy(method, lambda tracer: tracer.capture_method)


def powertools() -> tuple[Logger, Tracing, Metrics]:
    """The handler's logger, tracing and metrics (service name and namespace from the environment)."""
    return Logger(), Tracing(), Metrics()
