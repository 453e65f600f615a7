"""Talking to a local stack from outside: HTTP requests to its front, and waiting for what it does meanwhile.

The demo (``local.demo``), the benchmark and the tests that go over HTTP or wait on the workflow use these.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Answer:
    status: int
    body: str
    headers: dict[str, str]
    cookies: list[str] = field(default_factory=list)  # each Set-Cookie (headers keeps only one)

    @property
    def json(self) -> Any:
        return json.loads(self.body)


class _Unfollowed(urllib.request.HTTPRedirectHandler):
    """A redirect is an answer too (the sign-in's 303s are what a test reads)."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_OPENER = urllib.request.build_opener(_Unfollowed)


@dataclass
class Http:
    """Requests to the front, each on its own connection (so that threads really race); ``caller`` is an ID
    token of the local user pool (``POST /_local/sign-in`` hands one out). An HTTP error status is an answer
    too."""

    base: str
    timeout: float = 30.0

    def call(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
        caller: str | None = None,
    ) -> Answer:
        sent = dict(headers or {})
        if caller:
            sent["Authorization"] = caller
        request = urllib.request.Request(self.base + path, data=body, method=method, headers=sent)
        try:
            with _OPENER.open(request, timeout=self.timeout) as response:
                cookies = response.headers.get_all("Set-Cookie") or []
                return Answer(response.status, response.read().decode(), dict(response.headers), cookies)
        except urllib.error.HTTPError as error:
            cookies = error.headers.get_all("Set-Cookie") or []
            return Answer(error.code, error.read().decode(), dict(error.headers), cookies)

    def json_call(self, method: str, path: str, value: Any = None, caller: str | None = None, **headers: str) -> Answer:
        """A request that asks for JSON and, unless ``value`` is None, sends it as JSON."""
        sent = {"Accept": "application/json", **headers}
        body = None
        if value is not None:
            body = json.dumps(value).encode()
            sent["Content-Type"] = "application/json"
        return self.call(method, path, body, sent, caller)

    def get(self, path: str, caller: str | None = None, **headers: str) -> Answer:
        return self.json_call("GET", path, caller=caller, **headers)

    def post(self, path: str, body: Any = None, caller: str | None = None, **headers: str) -> Answer:
        return self.json_call("POST", path, body if body is not None else {}, caller=caller, **headers)

    def delete(self, path: str, caller: str | None = None) -> Answer:
        return self.json_call("DELETE", path, caller=caller)


def wait_for(
    predicate: Callable[[], Any],
    timeout: float = 15.0,
    what: str = "condition",
    every: float = 0.05,
    error: type[Exception] = AssertionError,
) -> Any:
    """The first true value ``predicate`` returns, asked every ``every`` seconds; ``error`` after ``timeout``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(every)
    raise error(f"timed out waiting for {what}")
