"""The portal's identity provider from the outside: a real Keycloak (deploy/local/keycloak.py) with the `drr` realm
of deploy/keycloak/realm.json, signed in to as a browser would (authorization code flow with PKCE S256), its ID
tokens checked against the realm's published keys, and every door it must keep shut knocked on.

One server for the module, in its own folder and on its own ports (19180/19190 + DRR_E2E_PORT_OFFSET); its
first start builds its database and imports the realm (about 40 s on two cores).
"""

import base64
import hashlib
import os
import secrets
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import KeySet

from deploy.local.demo_case import CASE_MANAGER, COMMUNITY_WORKER, MEMBERS, OVERSIGHT_USER
from deploy.local.keycloak import REALM_TEMPLATE, DemoUser, KeycloakNode

OFFSET = int(os.environ.get("DRR_E2E_PORT_OFFSET", "0"))
PRACTITIONERS = {"sam.okafor": CASE_MANAGER, "ana.ferreira": MEMBERS["police"],
                 "dr.lena.novak": MEMBERS["mental_health"], "amira.haddad": COMMUNITY_WORKER}  # fmt: skip
"""Each demo sign-in and the practitioner the demo case history (deploy/local/demo_case.py) names."""


@pytest.fixture(scope="module")
def keycloak(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KeycloakNode]:
    var = tmp_path_factory.mktemp("identity")
    node = KeycloakNode(
        var / "keycloak", port=19180 + OFFSET, management_port=19190 + OFFSET, portal_port=18005 + OFFSET
    )
    try:
        node.start(timeout_s=300)
        yield node
    finally:
        node.stop()


@pytest.fixture(scope="module")
def discovery(keycloak: KeycloakNode) -> dict[str, object]:
    document: dict[str, object] = httpx.get(keycloak.portal.discovery_url).raise_for_status().json()
    return document


@dataclass
class Attempt:
    verifier: str
    redirect: httpx.Response | None
    """The identity provider's answer to the login form (a redirect to the portal, or a page)."""

    @property
    def code(self) -> str | None:
        location = self.redirect.headers.get("location", "") if self.redirect is not None else ""
        return parse_qs(urlsplit(location).query).get("code", [None])[0]


def test_discovery_document_is_served_on_loopback_only(keycloak: KeycloakNode, discovery: dict[str, object]) -> None:
    assert discovery["issuer"] == f"http://127.0.0.1:{keycloak.port}/realms/drr"
    for endpoint in (
        "authorization_endpoint",
        "token_endpoint",
        "userinfo_endpoint",
        "jwks_uri",
        "end_session_endpoint",
    ):
        assert str(discovery[endpoint]).startswith(f"{discovery['issuer']}/protocol/openid-connect/"), endpoint
    assert "S256" in discovery["code_challenge_methods_supported"]  # type: ignore[operator]
    health = httpx.get(f"http://127.0.0.1:{keycloak.management_port}/health/ready").raise_for_status().json()
    assert health["status"] == "UP"
    assert httpx.get(f"{keycloak.url}/health/ready").status_code == 404  # health only on the management port


def test_every_listening_socket_of_the_server_is_on_127_0_0_1(keycloak: KeycloakNode) -> None:
    assert keycloak.process is not None and keycloak.process.pid is not None
    listening = _listening(keycloak.process.pid)
    assert {keycloak.port, keycloak.management_port} <= {port for _, port in listening}
    assert {address for address, _ in listening} == {"127.0.0.1"}, listening


@pytest.mark.parametrize("username", sorted(PRACTITIONERS))
def test_a_practitioner_signs_in_with_pkce_and_the_id_token_says_who_they_are(
    keycloak: KeycloakNode, discovery: dict[str, object], username: str
) -> None:
    claims, userinfo = _signed_in(keycloak, discovery, _user(keycloak, username))
    expected = PRACTITIONERS[username]
    for token in (claims, userinfo):
        assert token["practitioner_id"] == expected["id"]
        assert token["agency"] == expected["agency"]
        assert token["name"] == expected["name"]
        assert token["email"] == expected["email"]
        assert "practitioner" in token["roles"] and "oversight" not in token["roles"]


def test_the_oversight_user_carries_the_oversight_role_and_no_practitioner_id(
    keycloak: KeycloakNode, discovery: dict[str, object]
) -> None:
    claims, userinfo = _signed_in(keycloak, discovery, _user(keycloak, OVERSIGHT_USER["username"]))
    for token in (claims, userinfo):
        assert "oversight" in token["roles"] and "practitioner" not in token["roles"]
        assert "practitioner_id" not in token and "agency" not in token
        assert (token["name"], token["email"]) == (OVERSIGHT_USER["name"], OVERSIGHT_USER["email"])


def test_a_wrong_password_gets_a_page_and_no_code(keycloak: KeycloakNode, discovery: dict[str, object]) -> None:
    user = _user(keycloak, "ana.ferreira")
    with _browser() as browser:
        attempt = _log_in(browser, keycloak, discovery, user.username, user.password + "x")
    assert attempt.redirect is not None and attempt.redirect.status_code == 200
    assert attempt.code is None and "Invalid username or password" in attempt.redirect.text


@pytest.mark.parametrize("verifier", [None, "wrong"])
def test_the_code_is_refused_without_its_code_verifier(
    keycloak: KeycloakNode, discovery: dict[str, object], verifier: str | None
) -> None:
    user = _user(keycloak, "sam.okafor")
    with _browser() as browser:
        attempt = _log_in(browser, keycloak, discovery, user.username, user.password)
        assert attempt.code is not None
        form = {"grant_type": "authorization_code", "code": attempt.code, "redirect_uri": keycloak.portal.redirect_uri}
        if verifier is not None:
            form["code_verifier"] = secrets.token_urlsafe(48)  # any verifier but the one the challenge came from
        answer = browser.post(str(discovery["token_endpoint"]), data=form, auth=_client_auth(keycloak))
    assert answer.status_code == 400
    assert answer.json()["error"] == "invalid_grant" and "id_token" not in answer.json()


def test_the_code_is_refused_with_a_wrong_client_secret(keycloak: KeycloakNode, discovery: dict[str, object]) -> None:
    user = _user(keycloak, "sam.okafor")
    with _browser() as browser:
        attempt = _log_in(browser, keycloak, discovery, user.username, user.password)
        assert attempt.code is not None
        form = {"grant_type": "authorization_code", "code": attempt.code, "redirect_uri": keycloak.portal.redirect_uri,
                "code_verifier": attempt.verifier}  # fmt: skip
        answer = browser.post(str(discovery["token_endpoint"]), data=form, auth=("drr-portal", "not-the-secret"))
    assert answer.status_code == 401 and "id_token" not in answer.json()


@pytest.mark.parametrize(
    "redirect_uri", ["/auth/callback/more", "/auth/callback?next=/x", "/other", "http://evil.example.org/auth/callback"]
)
def test_an_unregistered_redirect_uri_is_refused(
    keycloak: KeycloakNode, discovery: dict[str, object], redirect_uri: str
) -> None:
    uri = redirect_uri if redirect_uri.startswith("http") else f"http://127.0.0.1:{keycloak.portal_port}{redirect_uri}"
    with _browser() as browser:
        page = browser.get(str(discovery["authorization_endpoint"]), params=_authorization(keycloak, "v" * 64, uri))
    assert page.status_code == 400 and "location" not in page.headers
    assert "Invalid parameter: redirect_uri" in page.text


@pytest.mark.parametrize("method", ["plain", None])
def test_pkce_s256_is_required(keycloak: KeycloakNode, discovery: dict[str, object], method: str | None) -> None:
    """`plain` (the challenge is the verifier) and no challenge at all are both turned back to the portal."""
    params = _authorization(keycloak, "v" * 64)
    if method is None:
        del params["code_challenge"], params["code_challenge_method"]
    else:
        params["code_challenge"], params["code_challenge_method"] = "v" * 64, method
    with _browser() as browser:
        answer = browser.get(str(discovery["authorization_endpoint"]), params=params)
    back = parse_qs(urlsplit(answer.headers.get("location", "")).query)
    assert answer.status_code == 302 and back["error"] == ["invalid_request"] and "code" not in back


def test_the_portal_client_may_not_use_the_password_grant(keycloak: KeycloakNode, discovery: dict[str, object]) -> None:
    user = _user(keycloak, "sam.okafor")
    form = {"grant_type": "password", "username": user.username, "password": user.password, "scope": "openid"}
    answer = httpx.post(str(discovery["token_endpoint"]), data=form, auth=_client_auth(keycloak))
    assert answer.status_code in (400, 401) and answer.json()["error"] == "unauthorized_client"
    assert "access_token" not in answer.json()


def test_secrets_are_private_to_this_install_and_absent_from_the_repository(keycloak: KeycloakNode) -> None:
    folder = keycloak.secrets_dir
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    made = sorted(folder.glob("keycloak-*"))
    assert len(made) == 3 + len(keycloak.users())  # admin, two client secrets (portal, console), a password each
    assert all(stat.S_IMODE(path.stat().st_mode) == 0o600 for path in made)
    template = REALM_TEMPLATE.read_text()
    assert all(path.read_text().strip() not in template for path in made)


def test_the_portal_settings_name_this_issuer_and_this_client(keycloak: KeycloakNode) -> None:
    env = keycloak.portal_env()
    assert env["DRR_PORTAL_ISSUER_URL"] == keycloak.issuer and env["DRR_PORTAL_CLIENT_ID"] == "drr-portal"
    assert Path(env["DRR_PORTAL_CLIENT_SECRET_FILE"]).read_text().strip() == keycloak.portal.client_secret
    assert keycloak.portal.redirect_uri == f"{env['DRR_PORTAL_PUBLIC_URL']}/auth/callback"


def test_brute_force_protection_locks_the_account_after_failures(
    keycloak: KeycloakNode, discovery: dict[str, object]
) -> None:
    """Last in the module: the community worker stays locked out for a minute afterwards."""
    user = _user(keycloak, "amira.haddad")
    with _browser() as browser:
        for _ in range(5):
            assert _log_in(browser, keycloak, discovery, user.username, "wrong-" + user.password).code is None
        assert _log_in(browser, keycloak, discovery, user.username, user.password).code is None


def _browser() -> httpx.Client:
    """A fresh browser: no cookies, so no single sign-on session carried over from another test.

    Keycloak's session cookies are `Secure`; a browser sends them to http://127.0.0.1 (a secure context, W3C Secure
    Contexts; Chromium does), http.cookiejar would not over plain http: so the cookies from 127.0.0.1 are kept as
    a browser would use them there."""
    client = httpx.Client()

    def as_a_browser_on_loopback(response: httpx.Response) -> None:
        for cookie in client.cookies.jar:
            if cookie.domain == "127.0.0.1":
                cookie.secure = False

    client.event_hooks["response"] = [as_a_browser_on_loopback]
    return client


def _signed_in(
    keycloak: KeycloakNode, discovery: dict[str, object], user: DemoUser
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Sign in as `user` as a browser would, exchange the code as the portal would; the ID token's claims (its
    signature checked against the realm's JWKS, issuer, audience and nonce validated) and the userinfo answer."""
    with _browser() as browser:
        attempt = _log_in(browser, keycloak, discovery, user.username, user.password)
        assert attempt.code is not None, "no code after a correct password"
        form = {"grant_type": "authorization_code", "code": attempt.code, "redirect_uri": keycloak.portal.redirect_uri,
                "code_verifier": attempt.verifier}  # fmt: skip
        tokens = browser.post(
            str(discovery["token_endpoint"]), data=form, auth=_client_auth(keycloak)
        ).raise_for_status()
        keys = KeySet.import_key_set(browser.get(str(discovery["jwks_uri"])).raise_for_status().json())
        token = jwt.decode(tokens.json()["id_token"], keys, algorithms=["RS256"])
        bearer = {"Authorization": f"Bearer {tokens.json()['access_token']}"}
        userinfo = browser.get(str(discovery["userinfo_endpoint"]), headers=bearer).raise_for_status().json()
    jwt.JWTClaimsRegistry(
        iss={"essential": True, "value": keycloak.issuer},
        aud={"essential": True, "value": "drr-portal"},
        nonce={"essential": True, "value": _nonce(attempt.verifier)},
        exp={"essential": True},
    ).validate(token.claims)
    assert token.header["alg"] == "RS256"
    return token.claims, userinfo


def _log_in(
    browser: httpx.Client, keycloak: KeycloakNode, discovery: dict[str, object], username: str, password: str
) -> Attempt:
    """Open the authorization endpoint with a fresh PKCE S256 challenge, and post the login form it shows."""
    verifier = secrets.token_urlsafe(48)
    page = browser.get(str(discovery["authorization_endpoint"]), params=_authorization(keycloak, verifier))
    assert page.status_code == 200, page.text[:500]
    action = _login_form_action(page.text)
    answer = browser.post(action, data={"username": username, "password": password, "credentialId": ""})
    return Attempt(verifier, answer)


def _authorization(keycloak: KeycloakNode, verifier: str, redirect_uri: str | None = None) -> dict[str, str]:
    return {
        "client_id": "drr-portal",
        "response_type": "code",
        "scope": "openid",
        "redirect_uri": redirect_uri or keycloak.portal.redirect_uri,
        "state": secrets.token_urlsafe(16),
        "nonce": _nonce(verifier),
        "code_challenge": _challenge(verifier),
        "code_challenge_method": "S256",
    }


def _challenge(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")


def _nonce(verifier: str) -> str:
    return hashlib.sha256(b"nonce:" + verifier.encode()).hexdigest()


def _client_auth(keycloak: KeycloakNode) -> tuple[str, str]:
    return keycloak.portal.client_id, keycloak.portal.client_secret


def _user(keycloak: KeycloakNode, username: str) -> DemoUser:
    return next(user for user in keycloak.users() if user.username == username)


class _FormFinder(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.action: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        named = dict(attrs)
        if tag == "form" and named.get("id") == "kc-form-login":
            self.action = named.get("action")


def _login_form_action(page: str) -> str:
    finder = _FormFinder()
    finder.feed(page)
    assert finder.action, "no login form on the page"
    return finder.action


def _listening(pid: int) -> set[tuple[str, int]]:
    """(address, port) of every TCP socket process `pid` listens on, from /proc (IPv4 and IPv6, v4-mapped shown
    as IPv4)."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except FileNotFoundError:  # closed meanwhile
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    found = set()
    for table in ("tcp", "tcp6"):
        for line in Path(f"/proc/{pid}/net/{table}").read_text().splitlines()[1:]:
            fields = line.split()
            if fields[3] == "0A" and fields[9] in inodes:  # 0A: LISTEN
                address, port = fields[1].split(":")
                found.add((_address(address), int(port, 16)))
    return found


def _address(hex_address: str) -> str:
    raw = bytes.fromhex(hex_address)
    words = b"".join(raw[i : i + 4][::-1] for i in range(0, len(raw), 4))  # /proc prints 32-bit words little-endian
    if len(words) == 16 and words[:12] == b"\0" * 10 + b"\xff\xff":
        words = words[12:]
    if len(words) == 4:
        return ".".join(str(byte) for byte in words)
    return words.hex()
