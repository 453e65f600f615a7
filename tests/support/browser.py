"""What the browser tests share: a watched tab, screenshots, the axe-core scan, amounts as pages show them."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from playwright.sync_api import ConsoleMessage, Page, Request, Response

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "browser"
# axe-core's own rule set, all of it (WCAG 2.x A/AA and best practices); these impacts fail a test.
FAILING_IMPACTS = ("serious", "critical")
PHONE = {"width": 375, "height": 740}
DESKTOP = {"width": 1280, "height": 900}
ASSETS = ("stylesheet", "script", "image", "font", "media", "manifest")


@cache
def axe_source() -> str:
    """axe-core's axe.min.js as the pinned PyPI package ``axe-playwright-python`` ships it: no npm, no CDN."""
    return (resources.files("axe_playwright_python") / "axe.min.js").read_text(encoding="utf-8")


@dataclass
class Tab:
    """A page and what it did: console errors, CSP violations, requests that left our origins."""

    page: Page
    origins: tuple[str, ...]
    errors: list[str] = field(default_factory=list)
    foreign: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda exc: self.errors.append(f"uncaught: {exc}"))
        self.page.on("request", self._request)
        self.page.on("response", self._response)

    def _console(self, message: ConsoleMessage) -> None:
        # A page answered with 4xx (a refusal page) or a fetch the console expects to fail is no error;
        # a missing stylesheet, script or image is (see _response).
        if message.text.startswith("Failed to load resource"):
            return
        if message.type == "error" or "Content Security Policy" in message.text:
            self.errors.append(message.text)

    def _response(self, response: Response) -> None:
        if response.status >= 400 and response.request.resource_type in ASSETS:
            self.errors.append(f"{response.status} for {response.request.resource_type} {response.url}")

    def _request(self, request: Request) -> None:
        url = request.url
        if not url.startswith(("data:", "about:", "blob:")) and not url.startswith(self.origins):
            self.foreign.append(url)

    # ------------------------------------------------------------------ checks

    def shot(self, name: str) -> Path:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        # Grow the viewport to the page instead of full_page=True, which leaves iframes (the mailbox) half painted.
        size = self.page.viewport_size or DESKTOP
        height = int(self.page.evaluate("document.documentElement.scrollHeight"))
        if height > size["height"]:
            self.page.set_viewport_size({"width": size["width"], "height": min(height, 5000)})
            self.page.wait_for_timeout(200)
        self.page.screenshot(path=str(path))
        if height > size["height"]:
            self.page.set_viewport_size(size)
        return path

    def axe(self, name: str) -> list[dict[str, Any]]:
        """Run axe-core on the page; keep every finding as an artifact, return the failing ones."""
        self.page.evaluate(axe_source())
        found = self.page.evaluate("async () => (await axe.run(document, {resultTypes: ['violations']})).violations")
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        (ARTIFACTS / f"{name}.axe.json").write_text(json.dumps(found, indent=1))
        return [v for v in found if v.get("impact") in FAILING_IMPACTS]

    def check(self, name: str, scan: bool = True) -> Path:
        """Screenshot, then: no serious accessibility violation, no CSP violation or script error,
        no request to anybody else's server, no horizontal scrolling.

        ``scan=False`` where JavaScript is off: axe-core runs in the page and needs its timers."""
        path = self.shot(name)
        if scan:
            failing = self.axe(name)
            assert not failing, f"{name}: axe-core finds {describe(failing)}"
        assert not self.errors, f"{name}: the browser reported {self.errors}"
        assert not self.foreign, f"{name}: external requests {self.foreign}"
        assert self.overflow() <= 0, f"{name}: the page scrolls sideways by {self.overflow()}px"
        return path

    def overflow(self) -> int:
        return int(self.page.evaluate("document.documentElement.scrollWidth - window.innerWidth"))

    def text(self, selector: str = "main") -> str:
        return " ".join(self.page.inner_text(selector).split())


def describe(violations: list[dict[str, Any]]) -> str:
    return "; ".join(
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}" for v in violations
    )


def minor_units(shown: str) -> int:
    """``€ 74,53`` or ``€74.53`` -> 7453 (two decimals: the seed's currencies)."""
    digits = re.sub(r"[^\d]", "", shown)
    return int(digits)


AMOUNT = re.compile(r"[€£$]\s?\d{1,3}(?:[.,]\d{3})*[.,]\d{2}")


def signs_in(tab: Tab, email: str, password: str, create: bool = False) -> Response | None:
    """From the accept page's sign-in action through the local stand-in for the managed login (``create``: its
    "Create account"), back to the link: the answer to the page the browser lands on."""
    page = tab.page
    page.click("#sign-in, a.primary[href*='sign_in=1']")
    page.wait_for_selector("#email")
    page.fill("#email", email)
    page.fill("#password", password)
    landed = re.compile(r".*/invitations/accept\?token=.*")
    with page.expect_response(lambda r: bool(landed.match(r.url)) and r.request.method == "GET") as final:
        page.click("button[value=sign_up]" if create else "button[value=sign_in]")
    page.wait_for_load_state()
    return final.value
