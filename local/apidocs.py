"""The API's contract in the local stack: /openapi.json and Swagger UI at /docs (assets served by us)."""

from __future__ import annotations

import mimetypes
from functools import cache
from pathlib import Path

from .openapi import render

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>paid-account-invites API</title>
<link rel="stylesheet" href="/docs/swagger-ui.css"></head>
<body><div id="ui"></div>
<script src="/docs/swagger-ui-bundle.js"></script>
<script src="/docs/init.js"></script>
</body></html>"""
INIT = """window.ui = SwaggerUIBundle({url: "/openapi.json", dom_id: "#ui", persistAuthorization: true});"""

Answer = tuple[int, bytes, dict[str, str]]


@cache
def _assets() -> Path:
    import swagger_ui_bundle  # type: ignore[import-untyped]

    return Path(swagger_ui_bundle.swagger_ui_path)


@cache
def _document() -> bytes:
    return render().encode()


def handle(method: str, path: str) -> Answer | None:
    if method != "GET":
        return None
    if path == "/openapi.json":
        return 200, _document(), {"Content-Type": "application/json"}
    if path in ("/docs", "/docs/"):
        return 200, PAGE.encode(), {"Content-Type": "text/html; charset=utf-8"}
    if path == "/docs/init.js":
        return 200, INIT.encode(), {"Content-Type": "text/javascript"}
    if path.startswith("/docs/"):
        name = path.removeprefix("/docs/")
        asset = _assets() / name
        if "/" in name or not asset.is_file():
            return 404, b"not found", {"Content-Type": "text/plain"}
        kind = mimetypes.guess_type(name)[0] or "application/octet-stream"
        return 200, asset.read_bytes(), {"Content-Type": kind}
    return None
