"""An in-process OpenID Connect issuer for the portal's unit tests: a real RSA key (made with
`cryptography`), a discovery document, a JWKS, an authorization step the test plays as the browser,
and a token endpoint that checks the client's secret, the redirect URI and the PKCE verifier before it
signs a real ID token. Every knob a refusal test needs (claims, key, algorithm) is an argument; the
end-to-end test against Keycloak comes later."""

import base64
import hashlib
import json
import secrets
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from joserfc import jwt
from joserfc.jwk import Key, KeySet, OctKey, RSAKey

ISSUER = "https://idp.test/realms/drr"
CLIENT_ID = "drr-portal"
CLIENT_SECRET = "portal-client-secret-for-unit-tests-only"
PRACTITIONER = {
    "sub": "4f1c-sam",
    "practitioner_id": "p-cm-1",
    "agency": "probation",
    "name": "Sam Okafor",
    "email": "sam.okafor@probation.example.org",
    "roles": ["case_manager"],
    "preferred_username": "sam",
    "phone_number": "+44 20 7946 0000",
    "address": {"street_address": "1 Example Road"},
    "session_state": "kc-session-7",
}
OVERSIGHT_USER = {"sub": "9a-ov", "name": "Ines Dupont", "roles": ["oversight"]}


def rsa_key(kid: str) -> RSAKey:
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return RSAKey.import_key(pem, parameters={"kid": kid, "use": "sig", "alg": "RS256"})


def b64(value: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()


@dataclass
class Grant:
    claims: dict[str, Any]
    challenge: str
    redirect_uri: str


@dataclass
class FakeIssuer:
    key: RSAKey = field(default_factory=lambda: rsa_key("key-1"))
    now: float = field(default_factory=time.time)
    grants: dict[str, Grant] = field(default_factory=dict)
    token_requests: list[httpx.Request] = field(default_factory=list)
    published: list[RSAKey] = field(default_factory=list)
    jwks_fetches: int = 0
    signing_key: Key | None = None
    """Set to sign the next tokens with another key than the published one (an OctKey: HS256)."""
    unsigned: bool = False
    """Set to issue `alg: none` tokens."""
    client_id: str = CLIENT_ID
    """The one client it knows (the portal's; the audit console's tests make one for drr-oversight)."""
    client_secret: str = CLIENT_SECRET

    def __post_init__(self) -> None:
        self.published = self.published or [self.key]

    def http(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(transport=httpx.MockTransport(self.handle))

    def handle(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path == "/realms/drr/.well-known/openid-configuration":
            return httpx.Response(200, json=self.discovery())
        if path == "/realms/drr/certs":
            self.jwks_fetches += 1
            return httpx.Response(200, json=KeySet(list(self.published)).as_dict(private=False))
        if path == "/realms/drr/token" and request.method == "POST":
            return self.token(request)
        return httpx.Response(404)

    def discovery(self) -> dict[str, Any]:
        return {
            "issuer": ISSUER,
            "authorization_endpoint": f"{ISSUER}/auth",
            "token_endpoint": f"{ISSUER}/token",
            "jwks_uri": f"{ISSUER}/certs",
            "end_session_endpoint": f"{ISSUER}/logout",
            "id_token_signing_alg_values_supported": ["RS256", "HS256", "none"],
            "code_challenge_methods_supported": ["plain", "S256"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        }

    def authorize(self, url: str, user: dict[str, Any] | None = None, **override: Any) -> dict[str, str]:
        """What the issuer does while the browser is there: the user signs in; the answer is the query
        of the redirect back (code and state). `override` changes (or, with None, removes) ID token claims."""
        query = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
        assert query["response_type"] == "code" and query["client_id"] == self.client_id
        assert query["code_challenge_method"] == "S256"
        claims = {
            **(user or PRACTITIONER),
            "iss": ISSUER,
            "aud": self.client_id,
            "azp": self.client_id,
            "iat": int(self.now),
            "exp": int(self.now) + 300,
            "nonce": query["nonce"],
        }
        claims = {k: v for k, v in {**claims, **override}.items() if v is not None}
        code = secrets.token_urlsafe(16)
        self.grants[code] = Grant(claims, query["code_challenge"], query["redirect_uri"])
        return {"code": code, "state": query["state"]}

    def token(self, request: httpx.Request) -> httpx.Response:
        self.token_requests.append(request)
        form = {k: v[0] for k, v in parse_qs(request.content.decode()).items()}
        expected = "Basic " + base64.b64encode(f"{self.client_id}:{self.client_secret}".encode()).decode()
        if request.headers.get("authorization") != expected:
            return httpx.Response(401, json={"error": "invalid_client"})
        grant = self.grants.pop(form.get("code", ""), None)  # a code works once
        if (
            grant is None
            or form.get("grant_type") != "authorization_code"
            or form.get("redirect_uri") != grant.redirect_uri
        ):
            return httpx.Response(400, json={"error": "invalid_grant"})
        digest = hashlib.sha256(form.get("code_verifier", "").encode()).digest()
        if base64.urlsafe_b64encode(digest).rstrip(b"=").decode() != grant.challenge:
            return httpx.Response(400, json={"error": "invalid_grant", "error_description": "PKCE verification failed"})
        return httpx.Response(
            200, json={"access_token": "opaque", "token_type": "Bearer", "id_token": self.sign(grant.claims)}
        )

    def sign(self, claims: dict[str, Any]) -> str:
        if self.unsigned:
            return f"{b64({'alg': 'none', 'typ': 'JWT'})}.{b64(claims)}."
        key = self.signing_key or self.key
        alg = "HS256" if isinstance(key, OctKey) else "RS256"
        return jwt.encode({"alg": alg, "kid": key.kid or "key-1"}, claims, key, algorithms=[alg])
