"""The one clock. Everything that needs "now" asks :func:`now`; tests and the local stack move it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

_source: Callable[[], datetime] = lambda: datetime.now(UTC)  # noqa: E731


def now() -> datetime:
    """Timezone-aware UTC now, from the installed source."""
    value = _source()
    if value.tzinfo is None:
        raise ValueError("the clock must return timezone-aware datetimes")
    return value.astimezone(UTC)


def use(source: Callable[[], datetime]) -> None:
    """Install a new source of time (a test's frozen clock, the local stack's movable one)."""
    global _source
    _source = source


def reset() -> None:
    use(lambda: datetime.now(UTC))


class MovableClock:
    """Real time shifted by an offset that can be advanced or set: the local stack's clock."""

    def __init__(self) -> None:
        self.offset = timedelta(0)

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def advance(self, seconds: float) -> datetime:
        self.offset += timedelta(seconds=seconds)
        return self()

    def set(self, moment: datetime) -> datetime:
        self.offset = moment.astimezone(UTC) - datetime.now(UTC)
        return self()


def parse(value: str) -> datetime:
    """Parse an ISO-8601 timestamp; a naive one is refused rather than guessed."""
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        raise ValueError(f"timestamp without a timezone: {value!r}")
    return parsed.astimezone(UTC)


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
