"""The issuer as the portal sees it (oidc.py): its discovery document must name the issuer asked and
offer PKCE S256 and an asymmetric signature; the code exchange authenticates the client as the issuer
asks (client_secret_basic, else _post) and fails cleanly when the issuer says no."""

from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest

from shared.web_signin.oidc import Client, Issuer, challenge_of
from shared.web_signin.refusals import Refusal
from tests.unit.portal.fake_issuer import CLIENT_ID, CLIENT_SECRET, ISSUER, FakeIssuer

REDIRECT = "https://portal.test/auth/callback"


def issuer_with(issuer: FakeIssuer, http: httpx.AsyncClient, secret: str | None = CLIENT_SECRET) -> Issuer:
    return Issuer(ISSUER, Client(CLIENT_ID, secret, REDIRECT, "openid"), http)


def serving(fake: FakeIssuer, **discovery: Any) -> httpx.AsyncClient:
    """The fake issuer, its discovery document changed (None removes a member)."""

    def handle(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/.well-known/openid-configuration"):
            document = {k: v for k, v in {**fake.discovery(), **discovery}.items() if v is not None}
            return httpx.Response(200, json=document)
        return fake.handle(request)

    return httpx.AsyncClient(transport=httpx.MockTransport(handle))


def test_the_s256_challenge_is_rfc_7636s_example():
    assert challenge_of("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk") == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"


@pytest.mark.parametrize(
    "discovery",
    [
        {"issuer": "https://idp.test/realms/other"},
        {"code_challenge_methods_supported": ["plain"]},
        {"id_token_signing_alg_values_supported": ["HS256", "none"]},
        {"token_endpoint": None},
    ],
)
async def test_an_issuer_whose_discovery_document_will_not_do_is_unavailable(issuer, discovery):
    async with serving(issuer, **discovery) as http:
        with pytest.raises(Refusal) as refusal:
            await issuer_with(issuer, http).metadata()
    assert (refusal.value.status, refusal.value.error) == (503, "issuer_unavailable")


async def test_the_discovery_document_is_fetched_once(issuer):
    fetched = []

    def counting(request: httpx.Request) -> httpx.Response:
        fetched.append(request.url.path)
        return issuer.handle(request)

    async with httpx.AsyncClient(transport=httpx.MockTransport(counting)) as http:
        relying_party = issuer_with(issuer, http)
        for _ in range(3):
            await relying_party.authorization_url(state="s", nonce="n", verifier="v" * 43)
    assert fetched == ["/realms/drr/.well-known/openid-configuration"]


async def exchange(issuer: FakeIssuer, http: httpx.AsyncClient, secret: str | None = CLIENT_SECRET) -> str:
    relying_party = issuer_with(issuer, http, secret)
    url = await relying_party.authorization_url(state="s", nonce="n", verifier="v" * 43)
    return await relying_party.exchange(code=issuer.authorize(url)["code"], verifier="v" * 43)


async def test_the_code_is_exchanged_for_the_id_token(issuer, issuer_http):
    assert (await exchange(issuer, issuer_http)).count(".") == 2


async def test_a_wrong_client_secret_fails_the_exchange_cleanly(issuer, issuer_http):
    with pytest.raises(Refusal) as refusal:
        await exchange(issuer, issuer_http, secret="not-the-secret")
    assert (refusal.value.status, refusal.value.error) == (400, "token_exchange_failed")


async def test_client_secret_post_when_the_issuer_does_not_take_basic(issuer):
    async with serving(issuer, token_endpoint_auth_methods_supported=["client_secret_post"]) as http:
        with pytest.raises(Refusal):  # the fake only takes basic: the request is what matters here
            await exchange(issuer, http)
    form = parse_qs(issuer.token_requests[-1].content.decode())
    assert form["client_id"] == [CLIENT_ID] and form["client_secret"] == [CLIENT_SECRET]
    assert "authorization" not in issuer.token_requests[-1].headers


async def test_a_public_client_names_itself_and_sends_no_secret(issuer, issuer_http):
    with pytest.raises(Refusal):
        await exchange(issuer, issuer_http, secret=None)
    request = issuer.token_requests[-1]
    assert parse_qs(request.content.decode())["client_id"] == [CLIENT_ID] and "authorization" not in request.headers


async def test_no_end_session_endpoint_means_logout_stays_local(issuer):
    async with serving(issuer, end_session_endpoint=None) as http:
        assert await issuer_with(issuer, http).end_session_url(id_token="t", post_logout_redirect_uri="/") is None
