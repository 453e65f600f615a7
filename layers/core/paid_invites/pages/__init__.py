"""The accept pages: server-rendered, autoescaped, no JavaScript and no external assets.

Templates: ``confirm`` (GET), ``result`` (POST), ``refused`` (every refusal, by ``code``); all extend
``page.html``, which inlines ``page.css`` (allowed by its hash in the CSP) and the language switch, one
entry for each other language we serve: ``switch={"href": {lang: href}}`` for links, or
``switch={"post": True}`` for forms that re-post the token (the result page: a replayed accept shows the
same result in the other language).
"""

from __future__ import annotations

import base64
import hashlib
from functools import cache
from pathlib import Path
from typing import Any

from .. import i18n
from ..templating import environment

_HERE = Path(__file__).parent


@cache
def stylesheet() -> str:
    return (_HERE / "templates" / "page.css").read_text()


@cache
def headers() -> dict[str, str]:
    """Security headers of every page: the one inline stylesheet is allowed by its hash, nothing else."""
    digest = base64.b64encode(hashlib.sha256(stylesheet().encode()).digest()).decode()
    return {
        "Content-Type": "text/html; charset=utf-8",
        "Content-Security-Policy": (
            f"default-src 'none'; style-src 'sha256-{digest}'; img-src 'self' data:; "
            "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
        ),
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "DENY",
        "Referrer-Policy": "no-referrer",
        "Cache-Control": "no-store",
        "Strict-Transport-Security": "max-age=63072000; includeSubDomains",
        "Cross-Origin-Opener-Policy": "same-origin",
        "Cross-Origin-Resource-Policy": "same-origin",
        "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
    }


def render(template: str, lang: str, **context: Any) -> str:
    lang = i18n.language(lang)

    def t(key: str, **values: Any) -> str:
        return i18n.text(lang, key, **{**context.get("words", {}), **values})

    others = {code: name for code, name in i18n.NAMES.items() if code != lang}  # each named in itself
    page = environment(_HERE).get_template(f"{template}.html")
    return str(page.render(**context, t=t, lang=lang, other_languages=others, css=stylesheet()))
