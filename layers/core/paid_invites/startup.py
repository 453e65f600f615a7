"""A function's start without the cyclic garbage collector.

A handler module imports this first: importing it stops the collector, and ``ready()``, the handler module's
last statement, moves everything the start made into the permanent generation (``gc.freeze``) and starts the
collector again. What a start makes lives as long as the container (modules, classes, functions, compiled
patterns), so collecting it is work for nothing: the invite function's imports ran eleven collections of the
middle generation and one full one, about 35 ms of its cold start on the bench machine (docs/benchmarks.md).
Frozen, those objects are not scanned by the invocations' collections either. Reference counting still frees
what the start discards; only cycles made during the start wait, and they are few.

A process that imports several handlers (the tests, the local stack) pauses for the first one only.
"""

from __future__ import annotations

import gc

_was_enabled = gc.isenabled()
gc.disable()


def ready() -> None:
    """The start is over: freeze what it made, and let the collector run again (if it ran before)."""
    gc.freeze()
    if _was_enabled:
        gc.enable()
