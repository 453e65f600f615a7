"""moto's server finds a request's backend without listing its own package on every request.

For every request, moto's server (``DomainDispatcherApplication.get_application``) takes one lock and, under
it, lists moto's package directory (``list_of_moto_modules``: ``os.listdir`` and an ``isdir`` for each of
about 150 entries) and then tries its URL patterns one by one until one matches the request's host. The local
stack sends every AWS call through that server (the handlers' and the Step Functions interpreter's, e.g. one
Lambda invocation per task), so at a bulk import's rate the requests queued on that lock and the directory
listing was a large share of the server's CPU. AWS has no such step. Here the package's modules are listed once
(they do not change while the process runs) and a host's backend is remembered once found (the answer depends
on the host alone; a host with none is looked up again, as moto does).

Replaces ``moto.backends.list_of_moto_modules`` and wraps ``DomainDispatcherApplication.get_backend_for_host``
(``moto.moto_server.werkzeug_app``). Tested in ``tests/local/test_parked_waits.py`` and by everything that runs
the local server.
"""

from __future__ import annotations

from typing import Any

LIBRARY = "moto"
VERSIONS = ">=5.2.5,<5.3"


def apply() -> None:
    from moto import backends
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication

    modules = tuple(backends.list_of_moto_modules())
    backends.list_of_moto_modules = lambda: modules  # type: ignore[assignment]

    original = DomainDispatcherApplication.get_backend_for_host
    found: dict[str, Any] = {}

    def get_backend_for_host(self: DomainDispatcherApplication, host: str | None) -> Any:
        if host is None:
            return None
        backend = found.get(host)
        if backend is None:
            backend = original(self, host)
            if backend is not None:
                found[host] = backend
        return backend

    DomainDispatcherApplication.get_backend_for_host = get_backend_for_host  # type: ignore[method-assign]
