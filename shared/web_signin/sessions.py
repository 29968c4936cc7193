"""Who is signed in: the few claims of the ID token a service authorizes on, kept in a signed cookie.

A session holds sub, practitioner_id, agency, name, email and roles, the CSRF token of its forms, and
(settings.keep_id_token) the ID token itself, only to hand back to the issuer at logout. Nothing else of
the token, and nothing about any case: the cookie is signed, not encrypted.

Who may have a session: a practitioner (a `practitioner_id` claim, with a known `agency` if it has one)
or an oversight user (`oversight` among `roles`); anyone else the issuer vouches for is refused.
"""

import secrets
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError
from starlette.requests import HTTPConnection
from starlette.responses import Response

from shared.roles import Agency
from shared.web_signin.cookies import CookieRefused, SignedCookie
from shared.web_signin.refusals import Refusal

OVERSIGHT = "oversight"


class Session(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    sub: str
    practitioner_id: str | None = None
    agency: Agency | None = None
    name: str
    email: str | None = None
    roles: tuple[str, ...] = ()
    csrf: str
    id_token: str | None = None

    @property
    def oversight(self) -> bool:
        return OVERSIGHT in self.roles


def session_from_claims(claims: Mapping[str, Any], id_token: str | None) -> Session:
    """The session for a verified ID token's claims, or a Refusal (403 not_a_practitioner, unknown_agency;
    400 malformed_claims)."""
    agency = claims.get("agency")
    if agency is not None and agency not in [known.value for known in Agency]:
        raise Refusal(403, "unknown_agency", "the agency claim names no agency this system knows")
    try:
        session = Session(
            sub=claims["sub"],
            practitioner_id=claims.get("practitioner_id"),
            agency=agency,
            name=claims.get("name") or claims.get("preferred_username") or claims["sub"],
            email=claims.get("email"),
            roles=claims.get("roles") or (),
            csrf=secrets.token_urlsafe(32),
            id_token=id_token,
        )
    except (ValidationError, KeyError):
        raise Refusal(400, "malformed_claims", "the ID token's claims are not of the expected types") from None
    if session.practitioner_id is None and not session.oversight:
        raise Refusal(403, "not_a_practitioner", "this account is neither a practitioner nor an oversight user")
    return session


class Sessions:
    """The session cookie: written at sign-in, read on every request, cleared at logout."""

    def __init__(self, cookie: SignedCookie) -> None:
        self.cookie = cookie

    def current(self, connection: HTTPConnection) -> Session | None:
        """The valid session, or None (no cookie, a forged or expired one, a value that no longer parses)."""
        try:
            value = self.cookie.read(connection)
            return None if value is None else Session.model_validate(value)
        except (CookieRefused, ValidationError):
            return None

    def start(self, response: Response, session: Session) -> None:
        self.cookie.write(response, session.model_dump(mode="json", exclude_none=True))

    def end(self, response: Response) -> None:
        self.cookie.clear(response)
