"""Browser tests: pages in headless Chromium from Debian's `chromium` package, driven by Playwright through
`executable_path` (Playwright downloads no browser here), checked with axe-core from npm (tests/browser/
node_modules; both installed by `make setup`).

One Chromium for the session; each test gets a fresh context (no cookies, no storage, no single sign-on carried
over) and its page. Chromium's own profile is a fresh temporary folder per launch (Playwright's `launch`), and
every background service that would reach the network is off. The pages' Content-Security-Policy stays in force:
`page_errors` collects what it blocked, and every script error.

Helpers: axe.py (axe_violations, assert_accessible), keyboard.py (tab_order, focused, contrast), shots.py
(screenshot); the portal and its identity provider as real processes: portal_node.py.
"""

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Page, Playwright, sync_playwright

from deploy.local.keycloak import KeycloakNode
from tests.browser.portal_node import PortalProcess, keycloak_node

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]  # fmt: skip
TIMEOUT_MS = 20_000
"""Every wait of a page (navigation, a selector): a loaded 2-core machine, a Keycloak answering its first logins."""


@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    """Per module, not per session: between its calls Playwright's sync API marks its event loop as running in
    this thread, so it must stop before the e2e and unit tests (pytest-asyncio) run their own loops."""
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="module")
def chromium(playwright: Playwright) -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail(f"no {CHROMIUM}: `make setup` installs Debian's chromium")
    browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=ARGS)
    try:
        yield browser
    finally:
        browser.close()


@pytest.fixture
def context(chromium: Browser) -> Iterator[BrowserContext]:
    context = chromium.new_context(locale="en-GB", timezone_id="Europe/London", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    try:
        yield context
    finally:
        context.close()


@pytest.fixture
def page(context: BrowserContext) -> Page:
    return context.new_page()


@pytest.fixture
def page_errors(page: Page) -> list[str]:
    """Console errors (a CSP refusal is one) and uncaught script errors of `page`, from its first navigation on."""
    errors: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error" and not message.location.get("url", "").endswith("/favicon.ico"):
            errors.append(message.text)  # a browser asking for a favicon the services do not serve is not one

    page.on("console", on_console)
    page.on("pageerror", lambda error: errors.append(f"uncaught: {error}"))
    return errors


@pytest.fixture(scope="session")
def keycloak_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One Keycloak folder: its first start imports the realm (about 40 s on two cores)."""
    return tmp_path_factory.mktemp("browser-identity") / "keycloak"


@pytest.fixture(scope="module")
def keycloak(keycloak_home: Path) -> Iterator[KeycloakNode]:
    node = keycloak_node(keycloak_home)
    try:
        node.start(timeout_s=300)
        yield node
    finally:
        node.stop()


@pytest.fixture(scope="module")
def portal(keycloak: KeycloakNode, keycloak_home: Path) -> Iterator[PortalProcess]:
    portal = PortalProcess(keycloak_home.parent, keycloak)
    try:
        portal.start()
        yield portal
    finally:
        portal.stop()
