"""Pages served to the browser without a server: Playwright answers the requests for one made-up origin itself,
with the portal's own Content-Security-Policy, so that a page's HTML and the portal's stylesheet can be checked
before (and apart from) the routes that will render them."""

from pathlib import Path

from playwright.sync_api import Page, Route

from shared.web_signin.headers import SecurityHeaders

ORIGIN = "http://portal.test"
STATIC = Path(__file__).resolve().parents[2] / "services" / "portal" / "static"
TYPES = {".css": "text/css", ".html": "text/html; charset=utf-8", ".js": "text/javascript"}


def portal_policy() -> str:
    """The Content-Security-Policy every portal answer carries (shared/web_signin/headers.py)."""
    headers = SecurityHeaders(lambda *_: None, issuer_url="http://idp.test/realms/drr")  # type: ignore[arg-type]
    return headers.headers["content-security-policy"]


def serve(page: Page, html: str, *, path: str = "/", extra: dict[str, str] | None = None) -> str:
    """Answer `ORIGIN{path}` with `html`, `/static/*` with services/portal/static, and each path of `extra` with
    its text (typed by its suffix); everything else is a 404. Returns the page's URL."""
    extra = extra or {}

    def answer(route: Route) -> None:
        url = route.request.url.removeprefix(ORIGIN).split("?")[0]
        static = STATIC / url.removeprefix("/static/")
        headers = {"content-security-policy": portal_policy()}
        if url == path:
            route.fulfill(body=html, content_type=TYPES[".html"], headers=headers)
        elif url in extra:
            route.fulfill(body=extra[url], content_type=TYPES.get(Path(url).suffix, "text/plain"))
        elif url.startswith("/static/") and static.is_file() and STATIC in static.resolve().parents:
            route.fulfill(body=static.read_bytes(), content_type=TYPES.get(static.suffix, "application/octet-stream"))
        else:
            route.fulfill(status=404, body="not here", content_type="text/plain")

    page.route(f"{ORIGIN}/**", answer)
    return ORIGIN + path
