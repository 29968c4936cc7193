"""Sign-in and logout: the door of every service people sign in to (the portal, the audit's console).

- GET /auth/login (caller: anyone's browser): a fresh state, nonce and PKCE verifier in a short-lived
  signed cookie, then 303 to the issuer.
- GET /auth/callback (caller: the browser, sent back by the issuer): state checked, code exchanged,
  ID token verified, session made, 303 to the service's home page (`home`, / for the portal).
- POST /auth/logout (caller: a signed-in browser, with its CSRF token: csrf.py): session ended, 303 to
  the issuer's end_session_endpoint (or home when it has none), which sends the browser back home.

The sign-in cookie is used once: every answer of the callback clears it, so a replayed callback finds none.
"""

import hmac
import secrets

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, ValidationError

from shared.web_signin import metrics, refusals
from shared.web_signin.cookies import CookieRefused, SignedCookie
from shared.web_signin.oidc import Issuer, new_verifier
from shared.web_signin.refusals import Refusal, issuer_code
from shared.web_signin.sessions import Sessions, session_from_claims


class LoginState(BaseModel):
    state: str
    nonce: str
    verifier: str


class SignIn:
    def __init__(
        self,
        issuer: Issuer,
        login: SignedCookie,
        sessions: Sessions,
        *,
        keep_id_token: bool,
        service: str,
        home: str = "/",
    ) -> None:
        """`service` names the counters (metrics.py); `home` is the path a signed-in browser lands on."""
        self.issuer, self.login, self.sessions, self.keep_id_token = issuer, login, sessions, keep_id_token
        self.service, self.home = service, home
        self.refused = refusals.handler(service)

    async def start(self) -> RedirectResponse:
        pending = LoginState(state=secrets.token_urlsafe(32), nonce=secrets.token_urlsafe(32), verifier=new_verifier())
        url = await self.issuer.authorization_url(state=pending.state, nonce=pending.nonce, verifier=pending.verifier)
        response = RedirectResponse(url, status_code=303)
        self.login.write(response, pending.model_dump())
        return response

    async def finish(self, request: Request) -> RedirectResponse:
        pending = self._pending(request)
        params = request.query_params
        if not hmac.compare_digest(params.get("state", "").encode(), pending.state.encode()):
            raise Refusal(400, "state_mismatch", "this answer belongs to another sign-in")
        if "error" in params:
            code = issuer_code(params["error"])
            raise Refusal(400, "issuer_error", "the identity provider refused the sign-in", issuer_error=code)
        if not params.get("code"):
            raise Refusal(400, "missing_code", "the identity provider sent no authorization code")
        id_token = await self.issuer.exchange(code=params["code"], verifier=pending.verifier)
        claims = await self.issuer.verify(id_token, nonce=pending.nonce)
        session = session_from_claims(claims, id_token if self.keep_id_token else None)
        response = RedirectResponse(self.home, status_code=303)
        self.sessions.start(response, session)
        kind = "oversight" if session.oversight else "practitioner"
        metrics.SIGN_INS.labels(service=self.service, kind=kind).inc()
        return response

    def _pending(self, request: Request) -> LoginState:
        try:
            value = self.login.read(request)
        except CookieRefused as refused:
            reason = f"login_state_{refused.reason}"
            raise Refusal(400, reason, "the sign-in cookie cannot be used: sign in again") from None
        if value is None:
            raise Refusal(400, "login_state_missing", "no sign-in is under way in this browser: sign in again")
        try:
            return LoginState.model_validate(value)
        except ValidationError:
            raise Refusal(400, "login_state_invalid", "the sign-in cookie cannot be used: sign in again") from None

    async def logout(self, request: Request, public_url: str) -> RedirectResponse:
        session = self.sessions.current(request)
        id_token = session.id_token if session else None
        back = f"{public_url}{self.home}"
        url = await self.issuer.end_session_url(id_token=id_token, post_logout_redirect_uri=back)
        response = RedirectResponse(url or self.home, status_code=303)
        self.sessions.end(response)
        metrics.LOGOUTS.labels(service=self.service).inc()
        return response


def router(sign_in: SignIn, public_url: str) -> APIRouter:
    routes = APIRouter(prefix="/auth")

    @routes.get("/login")
    async def login() -> RedirectResponse:
        """Caller: anyone's browser (the sign-in link)."""
        return await sign_in.start()

    @routes.get("/callback")
    async def callback(request: Request) -> Response:
        """Caller: the browser the issuer sends back, with code and state (or error and state)."""
        try:
            response: Response = await sign_in.finish(request)
        except Refusal as refusal:
            response = await sign_in.refused(request, refusal)
        sign_in.login.clear(response)  # used once, whatever the outcome
        return response

    @routes.post("/logout")
    async def logout(request: Request) -> RedirectResponse:
        """Caller: a signed-in browser, through csrf.py's check."""
        return await sign_in.logout(request, public_url)

    return routes
