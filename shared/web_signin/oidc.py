"""A service (the portal, the audit's console) as an OpenID Connect relying party: authorization code
flow with PKCE (S256) against any standard issuer (Keycloak, Entra ID, ...), found by its discovery document.

The discovery document and the issuer's keys (JWKS) are fetched when first needed, not at start-up, so
the service starts while its issuer is still starting; both are kept, and the keys fetched again (at most
every JWKS_REFETCH_S) when a token names a key we do not have: the issuer rotated its keys.
"""

import base64
import hashlib
import logging
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

import httpx
from joserfc.jwk import KeySet
from pydantic import BaseModel, ConfigDict, ValidationError

from shared.web_signin.id_tokens import ASYMMETRIC, check_claims, verify_signature
from shared.web_signin.refusals import Refusal

log = logging.getLogger(__name__)
JWKS_REFETCH_S = 60.0


class Metadata(BaseModel):
    """What the service reads of the issuer's discovery document (OpenID Connect Discovery 1.0 §3)."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    end_session_endpoint: str | None = None
    id_token_signing_alg_values_supported: tuple[str, ...] = ("RS256",)
    code_challenge_methods_supported: tuple[str, ...] = ("S256",)
    token_endpoint_auth_methods_supported: tuple[str, ...] = ("client_secret_basic",)

    @property
    def algorithms(self) -> list[str]:
        return sorted(ASYMMETRIC & set(self.id_token_signing_alg_values_supported))


@dataclass(frozen=True)
class Client:
    id: str
    secret: str | None
    redirect_uri: str
    scopes: str


def new_verifier() -> str:
    """A PKCE code verifier: 86 characters from 64 random bytes (RFC 7636 §4.1 allows 43 to 128)."""
    return secrets.token_urlsafe(64)


def challenge_of(verifier: str) -> str:
    """The S256 code challenge: BASE64URL(SHA256(verifier)), unpadded (RFC 7636 §4.2)."""
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()


def unavailable(what: str) -> Refusal:
    return Refusal(503, "issuer_unavailable", f"the identity provider could not be reached ({what})")


class Issuer:
    def __init__(
        self, url: str, client: Client, http: httpx.AsyncClient, clock: Callable[[], float] = time.time
    ) -> None:
        self.url, self.client, self._http, self._clock = url, client, http, clock
        self._metadata: Metadata | None = None
        self._keys: KeySet | None = None
        self._keys_fetched = float("-inf")

    async def metadata(self) -> Metadata:
        if self._metadata is None:
            document = await self._get_json(f"{self.url}/.well-known/openid-configuration", "discovery")
            try:
                metadata = Metadata.model_validate(document)
            except ValidationError:
                raise unavailable("its discovery document is incomplete") from None
            if metadata.issuer != self.url:  # Discovery §4.3: the document must name the issuer we asked
                raise unavailable(f"its discovery document names another issuer, {metadata.issuer}")
            if "S256" not in metadata.code_challenge_methods_supported or not metadata.algorithms:
                raise unavailable("it offers no PKCE S256 or no asymmetric ID token signature")
            self._metadata = metadata
        return self._metadata

    async def authorization_url(self, *, state: str, nonce: str, verifier: str) -> str:
        endpoint = (await self.metadata()).authorization_endpoint
        query = {
            "response_type": "code",
            "client_id": self.client.id,
            "redirect_uri": self.client.redirect_uri,
            "scope": self.client.scopes,
            "state": state,
            "nonce": nonce,
            "code_challenge": challenge_of(verifier),
            "code_challenge_method": "S256",
        }
        return f"{endpoint}{'&' if '?' in endpoint else '?'}{urlencode(query)}"

    async def exchange(self, *, code: str, verifier: str) -> str:
        """The ID token the token endpoint gives for this code (RFC 6749 §4.1.3, RFC 7636 §4.5)."""
        metadata = await self.metadata()
        form = {"grant_type": "authorization_code", "code": code, "redirect_uri": self.client.redirect_uri}
        form["code_verifier"] = verifier
        headers = self._authenticate(form, metadata)
        try:
            response = await self._http.post(metadata.token_endpoint, data=form, headers=headers)
        except httpx.HTTPError as error:
            raise unavailable(type(error).__name__) from None
        body = _json_or_empty(response)
        if response.status_code != 200 or not isinstance(body.get("id_token"), str):
            log.warning("token endpoint refused the code: %s %s", response.status_code, body.get("error"))
            raise Refusal(400, "token_exchange_failed", "the identity provider did not accept the sign-in")
        token: str = body["id_token"]
        return token

    async def verify(self, id_token: str, *, nonce: str) -> dict[str, Any]:
        """The claims of an ID token the issuer signed for this client and this sign-in (id_tokens.py)."""
        metadata = await self.metadata()
        try:
            claims = verify_signature(id_token, await self.keys(), metadata.algorithms)
        except Refusal as refusal:
            if refusal.error != "unknown_key" or not await self._refetch_keys():
                raise
            claims = verify_signature(id_token, await self.keys(), metadata.algorithms)
        check_claims(claims, issuer=metadata.issuer, client_id=self.client.id, nonce=nonce, now=self._clock)
        return claims

    async def keys(self) -> KeySet:
        if self._keys is None:
            document = await self._get_json((await self.metadata()).jwks_uri, "keys")
            try:
                self._keys = KeySet.import_key_set(document)  # type: ignore[arg-type]
            except Exception:  # joserfc raises several kinds for a key set it cannot read
                raise unavailable("its key set cannot be read") from None
            self._keys_fetched = self._clock()
        return self._keys

    async def end_session_url(self, *, id_token: str | None, post_logout_redirect_uri: str) -> str | None:
        """Where the browser goes to end the issuer's session too (RP-Initiated Logout 1.0), if it says."""
        try:
            endpoint = (await self.metadata()).end_session_endpoint
        except Refusal:
            return None
        if endpoint is None:
            return None
        query = {"client_id": self.client.id, "post_logout_redirect_uri": post_logout_redirect_uri}
        if id_token is not None:
            query["id_token_hint"] = id_token
        return f"{endpoint}{'&' if '?' in endpoint else '?'}{urlencode(query)}"

    async def _refetch_keys(self) -> bool:
        if self._clock() - self._keys_fetched < JWKS_REFETCH_S:
            return False
        self._keys = None
        return True

    def _authenticate(self, form: dict[str, str], metadata: Metadata) -> dict[str, str]:
        """client_secret_basic when the issuer takes it (the default, §9 of OIDC Core), else _post; a
        public client only names itself."""
        if self.client.secret is None:
            form["client_id"] = self.client.id
            return {}
        if "client_secret_basic" not in metadata.token_endpoint_auth_methods_supported:
            form.update(client_id=self.client.id, client_secret=self.client.secret)
            return {}
        pair = f"{quote(self.client.id, safe='')}:{quote(self.client.secret, safe='')}"  # RFC 6749 §2.3.1
        return {"Authorization": "Basic " + base64.b64encode(pair.encode()).decode()}

    async def _get_json(self, url: str, what: str) -> dict[str, Any]:
        try:
            response = await self._http.get(url)
        except httpx.HTTPError as error:
            raise unavailable(f"{what}: {type(error).__name__}") from None
        body = _json_or_empty(response)
        if response.status_code != 200 or not body:
            raise unavailable(f"{what}: HTTP {response.status_code}")
        return body


def _json_or_empty(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}
