"""Headers on every answer: pages that hold who is signed in are not cached, framed, or given scripts
or styles from anywhere but the service itself, and no URL leaks to another site as a Referer."""

from urllib.parse import urlsplit

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

HEADERS = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",  # no-referrer would make browsers send `Origin: null` on our own forms
    "cache-control": "no-store",
}


class SecurityHeaders:
    def __init__(self, app: ASGIApp, *, issuer_url: str, paths: tuple[str, ...] = ("/",)) -> None:
        """The issuer's origin is a form target too: the logout form's answer redirects there (browsers
        apply form-action to a form's redirects). Only answers under `paths` get the headers (the audit
        service's API pages, /docs, load their scripts from elsewhere)."""
        self.app, self.paths = app, paths
        issuer = urlsplit(issuer_url)
        policy = (
            f"default-src 'self'; form-action 'self' {issuer.scheme}://{issuer.netloc}; frame-ancestors 'none'; "
            "base-uri 'none'; object-src 'none'"
        )
        self.headers = {"content-security-policy": policy, **HEADERS}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(self.paths):
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in self.headers.items():
                    headers.setdefault(name, value)
            await send(message)

        await self.app(scope, receive, with_headers)
