"""A function's start without garbage collection: its imports and its first invocation.

A handler module imports this first, and its handler is decorated with :func:`handler`. Importing this
module raises the collector's first threshold far above what a start allocates (:data:`START_THRESHOLD`
objects, about three times a start's); when the handler's first invocation is over (answered or raised),
everything the start made moves into the permanent generation (``gc.freeze``) and the thresholds are what
they were. What a start makes lives as long as the container (modules, classes, functions, compiled
patterns, the SDK clients with their service models, the validators, templates and locale data made on
first use), so collecting it is work for nothing: the invite function's imports alone ran eleven
collections of the middle generation and one full one, about 35 ms of its cold start on the bench machine
(docs/benchmarks.md). Frozen, those objects are not scanned by later collections either.

Reference counting still frees what the start discards at once; only cycles wait. A threshold, not
``gc.disable()``: a first invocation that runs long (a sweep, an import's chunk) is collected after
:data:`START_THRESHOLD` more objects, so its memory stays bounded. A process that imports several handlers (the
tests, the local stack) raises the threshold once, and its first invocation of any of them ends the start.
"""

from __future__ import annotations

import gc

START_THRESHOLD = 300_000  # a cold start (imports, clients, first invocation) allocates about 100,000
_thresholds = gc.get_threshold()
gc.set_threshold(START_THRESHOLD, *_thresholds[1:])  # before anything else, this module's imports included

import functools  # noqa: E402
from collections.abc import Callable  # noqa: E402
from typing import Any, TypeVar  # noqa: E402

F = TypeVar("F", bound=Callable[..., Any])
_starting = True


def end() -> None:
    """The start is over: freeze what it made, and collect as before (once; later calls change nothing)."""
    global _starting
    if _starting:
        _starting = False
        gc.freeze()
        gc.set_threshold(*_thresholds)


def handler(function: F) -> F:
    """The Lambda handler, whose first invocation ends the start when it is over."""

    @functools.wraps(function)
    def call(*args: Any, **kwargs: Any) -> Any:
        try:
            return function(*args, **kwargs)
        finally:
            if _starting:
                end()

    return call  # type: ignore[return-value]
