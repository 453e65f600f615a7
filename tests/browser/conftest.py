"""Browser tests: Debian's Chromium, headless, driven by Playwright for Python.

The story tests drive the local stack in its own process (``python -m local.server``, as a person
runs it) with a seed written for today; the page gallery renders every accept page through the real
handler on the in-process harness and shows it in Chromium with the handler's own headers.

Chromium comes from Debian (``apt-get install chromium``; ``.ci/run`` installs it). Playwright never
downloads a browser here: ``executable_path`` points at Debian's. Without Chromium the tests skip with
a message, except in CI (``CI=true``), where a missing browser is a failure.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, sync_playwright

from local.server import launched

from ..support.browser import ARTIFACTS, DESKTOP, Tab

CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _unavailable(why: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{why} (CI must have it: .ci/run installs Debian's chromium)", pytrace=False)
    pytest.skip(f"{why}: install it with `apt-get install chromium` (as .ci/run does) to run the browser tests")


def chromium_path() -> str | None:
    explicit = os.environ.get("CHROMIUM")  # a Chromium of your own; else Debian's on PATH
    if explicit:
        return explicit if os.access(explicit, os.X_OK) else None
    for name in CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    return None


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    executable = chromium_path()
    if executable is None:
        _unavailable("no Chromium on this machine")
    # launch() gives the browser a fresh, temporary profile (user-data-dir) of its own, removed on close
    with sync_playwright() as playwright:
        launched_browser = playwright.chromium.launch(executable_path=executable, headless=True, args=FLAGS)
        yield launched_browser
        launched_browser.close()


def _subscription(amount_minor: int, method: str, now: datetime) -> dict[str, Any]:
    """A yearly plan half-way through its period today, so that its prorated value is about half."""
    start = (now - timedelta(days=182)).replace(microsecond=0)
    end = start + timedelta(days=365)
    return {
        "amount_minor": amount_minor,
        "interval": "year",
        "current_period_start": start.isoformat().replace("+00:00", "Z"),
        "current_period_end": end.isoformat().replace("+00:00", "Z"),
        "payment_method": method,
    }


def browser_seed(now: datetime) -> dict[str, Any]:
    """Seed of the story tests: one invitee per test, so that they share one local stack."""

    def paid(key: str, name: str) -> dict[str, Any]:
        return {
            "id": f"acc-{key}",
            "name": name,
            "type": "individual",
            "plan": "pro",
            "currency": "EUR",
            "licenses": 1,
            "subscription": _subscription(14990, "visa-4242", now),
        }

    def owner(key: str, name: str, email: str, lang: str, account: str | None = None) -> dict[str, Any]:
        return {
            "id": f"u-{key}",
            "email": email,
            "name": name,
            "account_id": account or f"acc-{key}",
            "role": "owner",
            "user_type": "licensed",
            "language": lang,
        }

    def org(key: str, name: str, currency: str, licenses: int) -> dict[str, Any]:
        return {
            "id": key,
            "name": name,
            "type": "organization",
            "plan": "business",
            "currency": currency,
            "licenses": licenses,
        }

    return {
        "accounts": [
            org("acme", "Acme B.V.", "EUR", 20),
            org("globex", "Globex Ltd", "GBP", 3),
            paid("jan", "Jan de Vries"),
            paid("emma", "Emma Clark"),
            paid("sanne", "Sanne Visser"),
            paid("lotte", "Lotte Smit"),
            paid("noor", "Noor Bos"),
            {**paid("piet", "Piet Jansen"), "subscription": _subscription(1499, "mastercard-5454", now)},
            {**paid("kees", "Kees & Co"), "licenses": 2},
            {**paid("fleur", "Fleur Bakker"), "plan": "basic", "licenses": 0, "subscription": None},
        ],
        "users": [
            {**owner("olga", "Olga Owner", "olga@acme.example", "en", "acme")},
            {**owner("arno", "Arno Admin", "arno@acme.example", "nl", "acme"), "role": "admin"},
            {**owner("mia", "Mia Member", "mia@acme.example", "en", "acme"), "role": "member", "user_type": "basic"},
            owner("gwen", "Gwen Globex", "gwen@globex.example", "en", "globex"),
            owner("jan", "Jan de Vries", "jan@devries.example", "nl"),
            owner("emma", "Emma Clark", "emma@clark.example", "en"),
            owner("sanne", "Sanne Visser", "sanne@visser.example", "nl"),
            owner("lotte", "Lotte Smit", "lotte@smit.example", "en"),
            owner("noor", "Noor Bos", "noor@bos.example", "en"),
            owner("piet", "Piet Jansen", "piet@jansen.example", "nl"),
            owner("kees", "Kees", "kees@kees.example", "nl"),
            {**owner("kees2", "Assistent van Kees", "assistent@kees.example", "nl", "acc-kees"), "role": "member"},
            {**owner("fleur", "Fleur Bakker", "fleur@bakker.example", "en"), "user_type": "basic"},
        ],
        "invoices": [
            {"id": "inv-piet-1", "account_id": "acc-piet", "amount_minor": 1499, "currency": "EUR", "status": "open"},
        ],
    }


@pytest.fixture(scope="session")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The base URL of a local stack in its own process, seeded for today."""
    seed = tmp_path_factory.mktemp("browser-seed") / "seed.json"
    seed.write_text(json.dumps(browser_seed(datetime.now(UTC)), indent=1))
    with launched(seed) as url:
        yield url


@pytest.fixture
def open_tab(browser: Browser) -> Iterator[Callable[..., Tab]]:
    """``open_tab(origin, **context_options)``: a fresh context (cookies, storage, cache) and a watched tab."""
    contexts: list[BrowserContext] = []

    def make(*origins: str, **options: Any) -> Tab:
        options.setdefault("viewport", DESKTOP)
        options.setdefault("locale", "en-GB")
        context = browser.new_context(**options)
        context.set_default_timeout(15_000)
        contexts.append(context)
        return Tab(context.new_page(), tuple(origins))

    yield make
    for context in contexts:
        context.close()


@pytest.fixture(scope="session", autouse=True)
def _artifacts() -> Iterator[None]:
    """test-artifacts/browser/ holds this run's screenshots and axe-core findings only (git-ignored)."""
    shutil.rmtree(ARTIFACTS, ignore_errors=True)
    yield
    if ARTIFACTS.exists():
        print(f"\nbrowser screenshots and axe-core findings: {ARTIFACTS}")
