"""ID token checks (services/portal/id_tokens.py through oidc.Issuer.verify), one refusal per way a token
can be wrong, each against a token the fake issuer really signed (or pointedly did not)."""

from typing import Any

import httpx
import pytest
from joserfc.jwk import OctKey

from shared.web_signin.oidc import Client, Issuer
from shared.web_signin.refusals import Refusal
from tests.unit.portal.fake_issuer import CLIENT_ID, CLIENT_SECRET, ISSUER, PRACTITIONER, FakeIssuer, rsa_key
from tests.unit.portal.portal_kit import Clock

NONCE = "nonce-of-this-sign-in"


@pytest.fixture
def relying_party(issuer_http: httpx.AsyncClient, clock: Clock) -> Issuer:
    client = Client(CLIENT_ID, CLIENT_SECRET, "https://portal.test/auth/callback", "openid")
    return Issuer(ISSUER, client, issuer_http, clock)


def claims(issuer: FakeIssuer, **override: Any) -> dict[str, Any]:
    now = int(issuer.now)
    made = {**PRACTITIONER, "iss": ISSUER, "aud": CLIENT_ID, "iat": now, "exp": now + 300, "nonce": NONCE}
    return {k: v for k, v in {**made, **override}.items() if v is not None}


async def refused(relying_party: Issuer, token: str, nonce: str = NONCE) -> str:
    with pytest.raises(Refusal) as refusal:
        await relying_party.verify(token, nonce=nonce)
    assert refusal.value.status == 400
    return refusal.value.error


async def test_a_token_signed_by_the_issuer_for_us_and_this_sign_in_passes(relying_party, issuer):
    verified = await relying_party.verify(issuer.sign(claims(issuer)), nonce=NONCE)
    assert verified["practitioner_id"] == "p-cm-1"


@pytest.mark.parametrize(
    ("override", "error"),
    [
        ({"aud": "another-client"}, "wrong_audience"),
        ({"aud": ["another-client", "and-another"]}, "wrong_audience"),
        ({"iss": "https://idp.test/realms/other"}, "wrong_issuer"),
        ({"azp": "another-client"}, "wrong_azp"),
        ({"aud": [CLIENT_ID, "another-client"]}, "wrong_azp"),  # several audiences: azp must say which
        ({"sub": None}, "missing_claim"),
        ({"exp": None}, "missing_claim"),
        ({"iat": None}, "missing_claim"),
        ({"aud": None}, "missing_claim"),
        ({"nonce": None}, "nonce_mismatch"),
        ({"nonce": "nonce-of-another-sign-in"}, "nonce_mismatch"),
        ({"nbf": 10**10}, "token_not_yet_valid"),
        ({"iat": 10**10}, "invalid_claim"),
    ],
)
async def test_a_token_with_a_wrong_claim_is_refused(relying_party, issuer, override, error):
    assert await refused(relying_party, issuer.sign(claims(issuer, **override))) == error


async def test_several_audiences_pass_when_azp_names_us(relying_party, issuer):
    token = issuer.sign(claims(issuer, aud=[CLIENT_ID, "account"], azp=CLIENT_ID))
    assert (await relying_party.verify(token, nonce=NONCE))["aud"] == [CLIENT_ID, "account"]


async def test_an_expired_token_is_refused_past_the_leeway(relying_party, issuer, clock):
    token = issuer.sign(claims(issuer))
    clock.now += 300 + 59
    await relying_party.verify(token, nonce=NONCE)  # within a minute's clock skew
    clock.now += 2
    assert await refused(relying_party, token) == "token_expired"


async def test_a_token_signed_by_another_key_under_the_issuers_kid_is_refused(relying_party, issuer):
    issuer.signing_key = rsa_key(issuer.key.kid or "")
    assert await refused(relying_party, issuer.sign(claims(issuer))) == "bad_signature"


async def test_a_token_signed_by_a_key_the_issuer_does_not_publish_is_refused(relying_party, issuer):
    issuer.signing_key = rsa_key("key-unknown")
    assert await refused(relying_party, issuer.sign(claims(issuer))) == "unknown_key"


async def test_an_unsigned_token_is_refused_though_the_issuer_announces_none(relying_party, issuer):
    issuer.unsigned = True
    assert await refused(relying_party, issuer.sign(claims(issuer))) == "unsupported_alg"


async def test_an_hmac_token_is_refused_though_the_issuer_announces_hs256(relying_party, issuer):
    issuer.signing_key = OctKey.import_key(b"k" * 32, parameters={"kid": "key-1"})
    assert await refused(relying_party, issuer.sign(claims(issuer))) == "unsupported_alg"


@pytest.mark.parametrize("token", ["not-a-token", "a.b.c", "", "e30.e30.e30"])
async def test_garbage_is_refused_as_malformed(relying_party, token):
    assert await refused(relying_party, token) == "malformed_token"


async def test_another_payload_under_a_real_header_and_signature_is_a_bad_signature(relying_party, issuer):
    header, _, signature = issuer.sign(claims(issuer)).split(".")
    forged = issuer.sign(claims(issuer, practitioner_id="p-someone-else")).split(".")[1]
    assert await refused(relying_party, f"{header}.{forged}.{signature}") == "bad_signature"


async def test_after_the_issuer_rotates_its_keys_the_new_key_is_fetched(relying_party, issuer, clock):
    await relying_party.verify(issuer.sign(claims(issuer)), nonce=NONCE)
    issuer.key = rsa_key("key-2")
    issuer.published = [issuer.key]
    token = issuer.sign(claims(issuer))
    assert await refused(relying_party, token) == "unknown_key"  # just fetched: not fetched again at once
    assert issuer.jwks_fetches == 1
    clock.now += 61
    issuer.now = clock.now
    token = issuer.sign(claims(issuer))
    assert (await relying_party.verify(token, nonce=NONCE))["sub"] == PRACTITIONER["sub"]
    assert issuer.jwks_fetches == 2
