"""Signed, time-limited cookies: the browser carries the service's state, and cannot change a byte of it.

Each kind of cookie has its own salt, so a sign-in cookie can never be passed off as a session. The issue
time travels inside the signed value and is checked against the injected clock (not only the browser's
Max-Age, which a client may ignore). Over https the cookie is Secure and named `__Host-…` (no Domain,
Path=/: no other host or path can set or shadow it); always HttpOnly and SameSite=Lax.
"""

import hashlib
from collections.abc import Callable
from typing import Any

from itsdangerous import BadSignature, URLSafeSerializer
from starlette.requests import HTTPConnection
from starlette.responses import Response

CLOCK_SKEW_S = 60


class CookieRefused(Exception):
    """A cookie that is there but cannot be used: `reason` is `invalid` or `expired`."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class SignedCookie:
    def __init__(
        self, name: str, *, secret: str, salt: str, max_age_s: int, secure: bool, clock: Callable[[], float]
    ) -> None:
        self.name = f"__Host-{name}" if secure else name
        self.max_age_s = max_age_s
        self.secure = secure
        self._clock = clock
        self._serializer = URLSafeSerializer(secret, salt=salt, signer_kwargs={"digest_method": hashlib.sha256})

    def write(self, response: Response, value: dict[str, Any]) -> None:
        token = self._serializer.dumps({"iat": int(self._clock()), "v": value})
        response.set_cookie(
            self.name, token, max_age=self.max_age_s, path="/", secure=self.secure, httponly=True, samesite="lax"
        )

    def clear(self, response: Response) -> None:
        response.delete_cookie(self.name, path="/", secure=self.secure, httponly=True, samesite="lax")

    def present(self, connection: HTTPConnection) -> bool:
        return self.name in connection.cookies

    def read(self, connection: HTTPConnection) -> dict[str, Any] | None:
        """The value, None when there is no cookie, CookieRefused when it is forged or too old."""
        token = connection.cookies.get(self.name)
        if token is None:
            return None
        try:
            signed = self._serializer.loads(token)
        except BadSignature:
            raise CookieRefused("invalid") from None
        issued, value = (signed.get("iat"), signed.get("v")) if isinstance(signed, dict) else (None, None)
        if not isinstance(issued, int) or not isinstance(value, dict):
            raise CookieRefused("invalid")
        age = self._clock() - issued
        if age > self.max_age_s or age < -CLOCK_SKEW_S:
            raise CookieRefused("expired")
        return value
